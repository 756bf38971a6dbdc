//! CEL expressions: compiled once when a definition loads, evaluated with
//! bounded cost.
//!
//! CEL has no loops or recursion, so an expression's cost is bounded by its
//! size and by how deeply its comprehensions (`all`, `exists`, `map`,
//! `filter`) nest over lists whose length the engine bounds
//! ([`crate::limits`]). Those three numbers are checked when an expression
//! compiles, so evaluation can neither hang nor allocate without bound.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, LazyLock};

use cel::common::ast::Expr as Node;
use cel::common::types::{
    CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString,
};
use cel::common::value::Val;
use cel::{Context, Env, IdedExpr, Value};
use serde_json::Value as Json;

use crate::limits;

static ENV: LazyLock<Arc<Env>> = LazyLock::new(|| Arc::new(Env::stdlib()));

/// A compiled expression and its source.
#[derive(Debug)]
pub struct Expr {
    source: String,
    ast: IdedExpr,
    /// Read off the tree once here: computed values and availability ask on
    /// every decision and every read of an order.
    paths: Vec<Vec<String>>,
    locals: BTreeSet<String>,
}

/// Why an expression does not compile or evaluate.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExprError {
    #[error("expression is {len} bytes long; at most {max} are allowed")]
    TooLong { len: usize, max: usize },
    #[error("expression nests {depth} levels deep; at most {max} are allowed")]
    TooDeep { depth: usize, max: usize },
    #[error("expression does not parse: {0}")]
    Syntax(String),
    #[error("expression has {nodes} parts; at most {max} are allowed")]
    TooBig { nodes: usize, max: usize },
    #[error(
        "expression nests {depth} comprehensions (all/exists/map/filter); at most {max} may nest"
    )]
    TooNested { depth: usize, max: usize },
    #[error("{0}")]
    Eval(String),
    #[error("expression gave {got}, not {expected}")]
    Type { expected: &'static str, got: String },
}

impl Expr {
    pub fn compile(source: &str) -> Result<Self, ExprError> {
        if source.len() > limits::EXPR_LEN_MAX {
            return Err(ExprError::TooLong {
                len: source.len(),
                max: limits::EXPR_LEN_MAX,
            });
        }
        let nesting = nesting(source);
        if nesting > limits::EXPR_NESTING_MAX {
            return Err(ExprError::TooDeep {
                depth: nesting,
                max: limits::EXPR_NESTING_MAX,
            });
        }
        let ast = ENV
            .parser()
            .max_recursion_depth(limits::EXPR_DEPTH_MAX)
            .parse(source)
            .map_err(|e| ExprError::Syntax(one_line(&e.to_string())))?;
        let shape = Shape::of(&ast);
        if shape.nodes > limits::EXPR_NODES_MAX {
            return Err(ExprError::TooBig {
                nodes: shape.nodes,
                max: limits::EXPR_NODES_MAX,
            });
        }
        if shape.comprehension_depth > limits::EXPR_COMPREHENSION_DEPTH_MAX {
            return Err(ExprError::TooNested {
                depth: shape.comprehension_depth,
                max: limits::EXPR_COMPREHENSION_DEPTH_MAX,
            });
        }
        let mut paths = BTreeSet::new();
        collect_paths(&ast, &mut Vec::new(), &mut paths);
        let mut locals = BTreeSet::new();
        collect_locals(&ast, &mut locals);
        Ok(Self {
            source: source.to_owned(),
            ast,
            paths: paths.into_iter().collect(),
            locals,
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Every dotted path rooted at a variable (`order.total`, `input.amount`),
    /// so a checker can tell unknown names and a failed guard can show the
    /// values it read.
    pub fn paths(&self) -> &[Vec<String>] {
        &self.paths
    }

    /// Names bound inside the expression by comprehensions (`l` in
    /// `order.lines.all(l, l.done)`): paths rooted at them are not variables.
    pub fn locals(&self) -> &BTreeSet<String> {
        &self.locals
    }

    pub fn eval(&self, vars: &Vars<'_>) -> Result<Json, ExprError> {
        let value =
            Value::resolve(&self.ast, &vars.ctx).map_err(|e| ExprError::Eval(e.to_string()))?;
        from_cel(&value)
    }

    pub fn eval_bool(&self, vars: &Vars<'_>) -> Result<bool, ExprError> {
        match self.eval(vars)? {
            Json::Bool(b) => Ok(b),
            other => Err(ExprError::Type {
                expected: "true or false",
                got: describe(&other),
            }),
        }
    }
}

/// What a set of expressions can read of each variable, from their paths:
/// setting a variable converts only that. An order has tens of fields and
/// its workflow's expressions read a few; converting it whole, for each of
/// the variable sets a change builds, was a large part of a change's CPU.
#[derive(Debug, Default)]
pub struct Reads {
    /// `None`: some expression reads the variable whole (`size(order)`,
    /// `order[key]`, `has(order.x)`). A variable not here is read by none.
    roots: HashMap<String, Option<BTreeSet<String>>>,
}

impl Reads {
    pub fn of<'a>(exprs: impl IntoIterator<Item = &'a Expr>) -> Self {
        let mut roots: HashMap<String, Option<BTreeSet<String>>> = HashMap::new();
        // A comprehension's local may shadow a variable: its paths are
        // counted too, which can only convert more than needed.
        for path in exprs.into_iter().flat_map(Expr::paths) {
            let Some(root) = path.first() else { continue };
            let fields = roots
                .entry(root.clone())
                .or_insert_with(|| Some(BTreeSet::new()));
            match path.get(1) {
                None => *fields = None,
                Some(field) => {
                    if let Some(fields) = fields {
                        fields.insert(field.clone());
                    }
                }
            }
        }
        Self { roots }
    }

    fn bind(&self, name: &str, value: &Json) -> Box<dyn Val + 'static> {
        match (self.roots.get(name), value) {
            (None, _) => Box::new(CelNull),
            (Some(Some(fields)), Json::Object(map)) => Box::new(to_map(
                fields.iter().filter_map(|f| map.get_key_value(f.as_str())),
            )),
            _ => to_val(value),
        }
    }
}

/// The variables an expression sees. Each is converted to CEL once, when
/// it is set (only what `Reads` says can be read), and every expression
/// evaluated against these variables reuses it: an order is not converted
/// again for each guard. The JSON is kept beside it to explain failed
/// guards.
pub struct Vars<'p> {
    ctx: Context<'p, 'static>,
    /// `None`: every variable is converted whole.
    reads: Option<Arc<Reads>>,
    /// Shared: what an evaluation pass remembers of them (`Memo`) holds
    /// the same values without copying them.
    json: Vec<(String, Arc<Json>)>,
    parent: Option<&'p Vars<'p>>,
}

impl Default for Vars<'static> {
    fn default() -> Self {
        let mut ctx = Context::with_env(Arc::clone(&ENV));
        // No name is in the standard library, so none can conflict.
        let _ = ctx.add_function("sum", sum);
        let _ = ctx.add_function("flatten", flatten);
        let _ = ctx.add_function("indices", indices);
        Self {
            ctx,
            reads: None,
            json: Vec::new(),
            parent: None,
        }
    }
}

impl Vars<'static> {
    /// Variables read only by the expressions `reads` was taken from.
    pub fn reading(reads: Arc<Reads>) -> Self {
        Self {
            reads: Some(reads),
            ..Self::default()
        }
    }
}

impl<'p> Vars<'p> {
    pub fn with(mut self, name: &str, value: Json) -> Self {
        self.set(name, value);
        self
    }

    pub fn set(&mut self, name: &str, value: Json) {
        self.set_shared(name, Arc::new(value));
    }

    pub fn set_shared(&mut self, name: &str, value: Arc<Json>) {
        let val = match &self.reads {
            Some(reads) => reads.bind(name, &value),
            None => to_val(&value),
        };
        self.ctx.add_variable_as_val(name, val);
        match self.json.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.json.push((name.to_owned(), value)),
        }
    }

    /// A scope for a few more variables (`each`) that sees all of these.
    pub fn scope(&self) -> Vars<'_> {
        Vars {
            ctx: self.ctx.new_inner_scope(),
            reads: self.reads.clone(),
            json: Vec::new(),
            parent: Some(self),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Json> {
        self.shared(name).map(|v| &**v)
    }

    /// The variable `name` as it is held, to keep without a copy.
    pub fn shared(&self, name: &str) -> Option<&Arc<Json>> {
        match self.json.iter().find(|(n, _)| n == name) {
            Some((_, v)) => Some(v),
            None => self.parent.and_then(|p| p.shared(name)),
        }
    }

    /// The value at a dotted path, for explaining a failed guard.
    pub fn lookup(&self, path: &[String]) -> Option<&Json> {
        let (root, rest) = path.split_first()?;
        let mut value = self.get(root)?;
        for key in rest {
            value = value.get(key)?;
        }
        Some(value)
    }

    /// Every variable as one JSON object (for built-in algorithms).
    pub fn to_json(&self) -> serde_json::Map<String, Json> {
        let mut out = self.parent.map(|p| p.to_json()).unwrap_or_default();
        out.extend(self.json.iter().map(|(n, v)| (n.clone(), (**v).clone())));
        out
    }
}

/// `sum(list)`: CEL has no fold, and totals over lines are everywhere.
fn sum(list: Arc<Vec<Value>>) -> Result<Value, cel::ExecutionError> {
    let mut int: i64 = 0;
    let mut float: Option<f64> = None;
    for v in list.iter() {
        match v {
            Value::Int(i) => {
                int = int
                    .checked_add(*i)
                    .ok_or_else(|| cel::ExecutionError::function_error("sum", "overflow"))?;
            }
            Value::UInt(u) => {
                let i = i64::try_from(*u)
                    .map_err(|_| cel::ExecutionError::function_error("sum", "overflow"))?;
                int = int
                    .checked_add(i)
                    .ok_or_else(|| cel::ExecutionError::function_error("sum", "overflow"))?;
            }
            Value::Float(f) => *float.get_or_insert(0.0) += f,
            other => {
                return Err(cel::ExecutionError::function_error(
                    "sum",
                    format!("cannot add {:?}", other.type_of()),
                ));
            }
        }
    }
    Ok(match float {
        Some(f) => Value::Float(f + int as f64),
        None => Value::Int(int),
    })
}

/// `flatten(list of lists)`: one level, as cel-go's `lists` extension does.
fn flatten(list: Arc<Vec<Value>>) -> Result<Value, cel::ExecutionError> {
    let mut out = Vec::new();
    for v in list.iter() {
        match v {
            Value::List(inner) => out.extend(inner.iter().cloned()),
            other => out.push(other.clone()),
        }
    }
    Ok(Value::List(Arc::new(out)))
}

/// `indices(list)`: its positions, 0 to size - 1, so an expression can
/// name where in a list an element is (a refusal beside the input row it
/// is about: `indices(input.lines).filter(i, input.lines[i].quantity < 0)`).
fn indices(list: Arc<Vec<Value>>) -> Result<Value, cel::ExecutionError> {
    let positions = (0..list.len())
        .map(|i| {
            i64::try_from(i)
                .map(Value::Int)
                .map_err(|_| cel::ExecutionError::function_error("indices", "too long"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Value::List(Arc::new(positions)))
}

struct Shape {
    nodes: usize,
    comprehension_depth: usize,
}

impl Shape {
    fn of(e: &IdedExpr) -> Self {
        let mut shape = Shape {
            nodes: 0,
            comprehension_depth: 0,
        };
        shape.visit(e, 0);
        shape
    }

    fn visit(&mut self, e: &IdedExpr, depth: usize) {
        self.nodes += 1;
        self.comprehension_depth = self.comprehension_depth.max(depth);
        for (child, inner) in children(e) {
            self.visit(child, depth + usize::from(inner));
        }
    }
}

/// The sub-expressions of `e`, each marked when it runs once per element of
/// a comprehension.
fn children(e: &IdedExpr) -> Vec<(&IdedExpr, bool)> {
    match &e.expr {
        Node::Call(c) => c
            .target
            .iter()
            .map(|t| (t.as_ref(), false))
            .chain(c.args.iter().map(|a| (a, false)))
            .collect(),
        Node::Comprehension(c) => vec![
            (&c.iter_range, false),
            (&c.accu_init, false),
            (&c.loop_cond, true),
            (&c.loop_step, true),
            (&c.result, false),
        ],
        Node::List(l) => l.elements.iter().map(|x| (x, false)).collect(),
        Node::Map(m) => m
            .entries
            .iter()
            .flat_map(|entry| match &entry.expr {
                cel::common::ast::EntryExpr::MapEntry(me) => {
                    vec![(&me.key, false), (&me.value, false)]
                }
                cel::common::ast::EntryExpr::StructField(sf) => vec![(&sf.value, false)],
            })
            .collect(),
        Node::Select(s) => vec![(s.operand.as_ref(), false)],
        Node::Struct(s) => s
            .entries
            .iter()
            .flat_map(|entry| match &entry.expr {
                cel::common::ast::EntryExpr::MapEntry(me) => {
                    vec![(&me.key, false), (&me.value, false)]
                }
                cel::common::ast::EntryExpr::StructField(sf) => vec![(&sf.value, false)],
            })
            .collect(),
        Node::Ident(_) | Node::Literal(_) | Node::Unspecified => Vec::new(),
    }
}

fn collect_paths(e: &IdedExpr, tail: &mut Vec<String>, out: &mut BTreeSet<Vec<String>>) {
    match &e.expr {
        Node::Ident(name) => {
            let mut path = vec![name.clone()];
            path.extend(tail.iter().rev().cloned());
            out.insert(path);
        }
        Node::Select(s) if !s.test => {
            tail.push(s.field.clone());
            collect_paths(&s.operand, tail, out);
            tail.pop();
        }
        _ => {
            for (child, _) in children(e) {
                collect_paths(child, &mut Vec::new(), out);
            }
        }
    }
}

fn collect_locals(e: &IdedExpr, out: &mut BTreeSet<String>) {
    if let Node::Comprehension(c) = &e.expr {
        out.insert(c.iter_var.clone());
        out.extend(c.iter_var2.clone());
        out.insert(c.accu_var.clone());
    }
    for (child, _) in children(e) {
        collect_locals(child, out);
    }
}

/// A JSON value as the value a CEL context holds, built directly: going
/// through `cel::Value` first copies every list and map twice, and every
/// variable of every expression context is converted this way.
pub fn to_val(v: &Json) -> Box<dyn Val + 'static> {
    match v {
        Json::Null => Box::new(CelNull),
        Json::Bool(b) => Box::new(CelBool::from(*b)),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Box::new(CelInt::from(i)),
            None => Box::new(CelDouble::from(n.as_f64().unwrap_or(f64::NAN))),
        },
        Json::String(s) => Box::new(CelString::from(s.clone())),
        Json::Array(items) => Box::new(CelList::from(items.iter().map(to_val).collect::<Vec<_>>())),
        Json::Object(map) => Box::new(to_map(map.iter())),
    }
}

/// A JSON object's entries as a CEL map.
fn to_map<'a>(entries: impl Iterator<Item = (&'a String, &'a Json)>) -> CelMap<'static> {
    CelMap::from(
        entries
            .map(|(k, v)| (CelMapKey::from(k.clone()), to_val(v)))
            .collect::<HashMap<_, _>>(),
    )
}

pub fn from_cel(v: &Value) -> Result<Json, ExprError> {
    Ok(match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::UInt(u) => Json::from(*u),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(Json::Number)
            .ok_or_else(|| ExprError::Eval(format!("{f} is not a finite number")))?,
        Value::String(s) => Json::String(s.as_ref().clone()),
        Value::List(items) => Json::Array(items.iter().map(from_cel).collect::<Result<_, _>>()?),
        Value::Map(m) => {
            let mut out = serde_json::Map::new();
            let mut entries: Vec<_> = m.map.iter().collect();
            entries.sort_by_key(|(k, _)| k.to_string());
            for (k, v) in entries {
                out.insert(k.to_string(), from_cel(v)?);
            }
            Json::Object(out)
        }
        Value::Timestamp(t) => Json::String(t.to_rfc3339()),
        other => {
            return Err(ExprError::Type {
                expected: "a JSON value",
                got: format!("{:?}", other.type_of()),
            });
        }
    })
}

pub fn describe(v: &Json) -> String {
    let text = v.to_string();
    if text.len() > 80 {
        format!("{}…", &text[..text.floor_char_boundary(80)])
    } else {
        text
    }
}

/// How deeply brackets and prefix operators nest, read before parsing: the
/// parser recurses once per level, and a deep enough source would overflow
/// the stack before its own depth limit is consulted.
fn nesting(source: &str) -> usize {
    let (mut depth, mut max, mut prefix_run) = (0usize, 0usize, 0usize);
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in source.chars() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        prefix_run = match c {
            '!' | '-' => prefix_run + 1,
            c if c.is_whitespace() => prefix_run,
            _ => 0,
        };
        max = max.max(depth + prefix_run);
    }
    max
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval(src: &str, vars: Vars) -> Result<Json, ExprError> {
        Expr::compile(src)?.eval(&vars)
    }

    #[test]
    fn sums_lists_exactly() {
        let vars = Vars::default().with(
            "order",
            json!({"lines": [{"q": 2, "p": 150}, {"q": 1, "p": 99}]}),
        );
        assert_eq!(
            eval("sum(order.lines.map(l, l.q * l.p))", vars),
            Ok(json!(399))
        );
    }

    #[test]
    fn converting_only_what_an_expression_reads_changes_no_result() {
        let order = json!({"status": "open", "lines": [{"q": 2}, {"q": 0}], "total": 5,
                           "note": "n", "tags": {"a": 1}});
        for src in [
            "order.status == 'open' && order.total > 4",
            "sum(order.lines.map(l, l.q)) == 2",
            "order.lines.all(order, order.q >= 0) && order.total == 5",
            "size(order) == 5",
            "has(order.note) && !has(order.missing)",
            "order['tags'].a == 1",
            "'note' in order",
            "order.tags == {'a': 1}",
            "order",
            "input.x + 1",
        ] {
            let e = Expr::compile(src).unwrap_or_else(|e| unreachable!("{src}: {e}"));
            let vars = |v: Vars<'static>| {
                v.with("order", order.clone())
                    .with("input", json!({"x": 1}))
            };
            let whole = e.eval(&vars(Vars::default()));
            let read = e.eval(&vars(Vars::reading(Arc::new(Reads::of([&e])))));
            assert_eq!(read, whole, "{src}");
            assert!(whole.is_ok(), "{src}: {whole:?}");
        }
    }

    #[test]
    fn names_the_paths_it_reads() {
        let e = Expr::compile("order.total > parties.outlet.limit && input.partial")
            .unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(
            e.paths(),
            vec![
                vec!["input".to_owned(), "partial".to_owned()],
                vec!["order".to_owned(), "total".to_owned()],
                vec![
                    "parties".to_owned(),
                    "outlet".to_owned(),
                    "limit".to_owned()
                ],
            ]
        );
    }

    #[test]
    fn refuses_hostile_expressions() {
        for hostile in [
            format!("{}1{}", "(".repeat(500), ")".repeat(500)),
            format!("{}1{}", "[".repeat(500), "]".repeat(500)),
            format!("{}true", "!".repeat(900)),
            format!("{}1", "-".repeat(900)),
        ] {
            assert!(
                matches!(Expr::compile(&hostile), Err(ExprError::TooDeep { .. })),
                "{hostile}"
            );
        }
        for wide in [
            format!("a{}", ".b".repeat(600)),
            format!("1{}", " + 1".repeat(450)),
            format!("true{}", " && true".repeat(200)),
            format!("f({})", vec!["1"; 900].join(",")),
        ] {
            // Long but flat: compiling and evaluating must return, not
            // overflow the stack (which would abort this test).
            if let Ok(e) = Expr::compile(&wide) {
                let _ = e.eval(&Vars::default());
            }
        }
        let nested = "[1,2].all(a, [1,2].all(b, [1,2].all(c, true)))";
        assert!(matches!(
            Expr::compile(nested),
            Err(ExprError::TooNested { depth: 3, .. })
        ));
        let long = "1 + ".repeat(1000) + "1";
        assert!(matches!(
            Expr::compile(&long),
            Err(ExprError::TooLong { .. })
        ));
    }

    #[test]
    fn reports_evaluation_errors_instead_of_panicking() {
        assert!(matches!(
            eval("1 / 0 == 1", Vars::default()),
            Err(ExprError::Eval(_))
        ));
        assert!(matches!(
            eval("order.missing", Vars::default()),
            Err(ExprError::Eval(_))
        ));
    }
}
