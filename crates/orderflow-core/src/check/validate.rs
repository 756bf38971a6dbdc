//! What a definition means: ids, references, roles, field constraints,
//! expressions. Each problem names the value at fault by its path.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::graph;
use super::source::{Path, Tree};
use super::templates;
use super::vars::{self, CHILD_BUILTINS, Env, ORDER_BUILTINS, Shape, Shapes, known};
use crate::builtins::{EFFECT_BUILTINS, SCHEDULE_BUILTINS};
use crate::cadence::CronTimes;
use crate::definition::{
    Action, ChildKind, Definition, Effect, EffectKind, Field, FieldKind, PerRecord, Schedule,
    State, StatusRule, Target, placeholders,
};
use crate::expr::Expr;
use crate::limits;

/// One problem, at a path in the definition.
#[derive(Debug, Clone)]
pub(super) struct Issue {
    pub(super) path: Path,
    pub(super) message: String,
}

/// The keys of a field whose type has no settings of its own.
const FIELD_KEYS: &[&str] = &["id", "label", "type", "required", "description"];
/// Channels a notification may go through: those a deliverer sends
/// (`email` over SMTP, `inbox` kept for the party's users, `webhook` to
/// the notified party's endpoints). Any other would wait forever.
const CHANNELS: &[&str] = &["email", "inbox", "webhook"];
/// Words CEL reserves: a field named so could not be read (`order.in`).
const CEL_RESERVED: &[&str] = &[
    "as",
    "break",
    "const",
    "continue",
    "else",
    "false",
    "for",
    "function",
    "if",
    "import",
    "in",
    "let",
    "loop",
    "namespace",
    "null",
    "package",
    "return",
    "true",
    "var",
    "void",
    "while",
];

pub(super) fn validate(def: &Definition, tree: &Tree<'_>) -> Vec<Issue> {
    let shapes = Shapes::new(def);
    let mut v = Validator {
        def,
        tree,
        shapes: &shapes,
        out: Vec::new(),
    };
    v.run();
    graph::check(def, &mut v.out);
    templates::check(def, &mut v.out);
    v.out
}

/// The order, or one child kind: states and the actions between them.
#[derive(Clone, Copy)]
pub(super) struct Scope<'d> {
    /// `None` for the order.
    pub(super) kind: Option<&'d ChildKind>,
    pub(super) states: &'d [State],
    pub(super) fields: &'d [Field],
    pub(super) actions: &'d [Action],
    pub(super) status_rules: &'d [StatusRule],
}

impl<'d> Scope<'d> {
    pub(super) fn order(def: &'d Definition) -> Self {
        Self {
            kind: None,
            states: &def.states,
            fields: &def.fields,
            actions: &def.actions,
            status_rules: &def.status_rules,
        }
    }

    pub(super) fn child(kind: &'d ChildKind) -> Self {
        Self {
            kind: Some(kind),
            states: &kind.states,
            fields: &kind.fields,
            actions: &kind.actions,
            status_rules: &kind.status_rules,
        }
    }

    fn has_state(&self, id: &str) -> bool {
        self.states.iter().any(|s| s.id == id)
    }

    fn unknown_state(&self, id: &str) -> String {
        let names = known(self.states.iter().map(|s| s.id.as_str()));
        match self.kind {
            None => format!("unknown state \"{id}\" (known: {names})"),
            Some(k) => format!(
                "unknown state \"{id}\" of child kind \"{}\" (known: {names})",
                k.id
            ),
        }
    }
}

struct Validator<'d, 's> {
    def: &'d Definition,
    /// The file, for what the types cannot tell (keys serde ignored).
    tree: &'s Tree<'s>,
    shapes: &'s Shapes,
    out: Vec<Issue>,
}

/// The three kinds of id a definition uses.
#[derive(Clone, Copy, PartialEq)]
enum IdKind {
    /// Read in expressions (`order.total`, `counts.job.open`): a CEL
    /// identifier that is not a reserved word.
    Variable,
    /// Only compared or used in URLs: letters, digits and `_`.
    Plain,
}

impl<'d, 's> Validator<'d, 's> {
    fn err(&mut self, path: Path, message: impl Into<String>) {
        self.out.push(Issue {
            path,
            message: message.into(),
        });
    }

    fn run(&mut self) {
        let def = self.def;
        let root = Path::root();
        self.workflow_id();
        self.number_prefix();
        self.unique(
            def.parties
                .iter()
                .enumerate()
                .map(|(i, p)| (p.id.as_str(), root.at("parties", i), "party")),
            IdKind::Variable,
        );
        self.parties();
        if def.states.is_empty() {
            self.err(root.key("states"), "a workflow needs at least one state");
        }
        self.unique(
            def.states
                .iter()
                .enumerate()
                .map(|(i, s)| (s.id.as_str(), root.at("states", i), "state")),
            IdKind::Plain,
        );
        self.states(&def.states, &root);
        let fields = def
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| (f.id.as_str(), root.at("fields", i), "field"));
        let collections = def
            .collections
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.as_str(), root.at("collections", i), "collection"));
        let computed = def
            .computed
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.as_str(), root.at("computed", i), "computed value"));
        self.unique(fields.chain(collections).chain(computed), IdKind::Variable);
        self.builtin_clash(
            &def.fields,
            &root.key("fields"),
            &ORDER_BUILTINS,
            "the order's",
        );
        self.builtin_clash_ids(
            def.collections.iter().map(|c| c.id.as_str()),
            &root.key("collections"),
            &ORDER_BUILTINS,
        );
        self.builtin_clash_ids(
            def.computed.iter().map(|c| c.id.as_str()),
            &root.key("computed"),
            &ORDER_BUILTINS,
        );
        self.fields(&def.fields, &root.key("fields"));
        for (i, c) in def.collections.iter().enumerate() {
            let path = root.at("collections", i);
            if c.fields.is_empty() {
                self.err(
                    path.key("fields"),
                    format!("collection \"{}\" has no fields", c.id),
                );
            }
            self.builtin_clash(&c.fields, &path.key("fields"), &["id"], "every record's");
            self.fields(&c.fields, &path.key("fields"));
        }
        self.computed();
        let order = Scope::order(def);
        self.actions(order, &root);
        self.automatic();
        self.status_rules(order, &root);
        self.children();
        self.schedules();
        self.timers();
    }

    fn number_prefix(&mut self) {
        if let Some(prefix) = &self.def.number_prefix
            && !crate::definition::is_number_prefix(prefix)
        {
            self.err(
                Path::root().key("number_prefix"),
                format!("number prefix \"{prefix}\" must be 1 to 6 capital letters or digits"),
            );
        }
    }

    fn workflow_id(&mut self) {
        let id = &self.def.id;
        let ok = !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !ok {
            self.err(
                Path::root().key("id"),
                format!("workflow id \"{id}\" must be lower-case letters, digits, - and _"),
            );
        }
    }

    /// Every id valid, and none declared twice; `items` are (id, path of the
    /// item, what it is).
    fn unique<'a>(&mut self, items: impl Iterator<Item = (&'a str, Path, &'a str)>, kind: IdKind) {
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for (id, path, what) in items {
            self.id(id, path.key("id"), what, kind);
            match seen.get(id) {
                Some(first) if *first == what => {
                    self.err(path.key("id"), format!("{what} \"{id}\" is declared twice"));
                }
                Some(first) => self.err(
                    path.key("id"),
                    format!(
                        "{what} \"{id}\" has the same id as a {first}; they share one name space"
                    ),
                ),
                None => {
                    seen.insert(id, what);
                }
            }
        }
    }

    fn id(&mut self, id: &str, path: Path, what: &str, kind: IdKind) {
        let mut chars = id.chars();
        let ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            self.err(
                path,
                format!("{what} id \"{id}\" is not valid: use letters, digits and _, not starting with a digit"),
            );
        } else if kind == IdKind::Variable && CEL_RESERVED.contains(&id) {
            self.err(
                path,
                format!("{what} id \"{id}\" is a reserved word in expressions; choose another"),
            );
        }
    }

    fn builtin_clash(&mut self, fields: &[Field], path: &Path, builtins: &[&str], whose: &str) {
        for (i, f) in fields.iter().enumerate() {
            if builtins.contains(&f.id.as_str()) {
                self.err(
                    path.index(i).key("id"),
                    format!(
                        "field \"{}\" clashes with {whose} built-in \"{}\"",
                        f.id, f.id
                    ),
                );
            }
        }
    }

    fn builtin_clash_ids<'a>(
        &mut self,
        ids: impl Iterator<Item = &'a str>,
        path: &Path,
        builtins: &[&str],
    ) {
        for (i, id) in ids.enumerate() {
            if builtins.contains(&id) {
                self.err(
                    path.index(i).key("id"),
                    format!("\"{id}\" clashes with the order's built-in \"{id}\""),
                );
            }
        }
    }

    fn parties(&mut self) {
        let def = self.def;
        if def.parties.is_empty() {
            self.err(
                Path::root().key("parties"),
                "a workflow needs at least one party",
            );
        }
        let mut creating = 0;
        for (i, p) in def.parties.iter().enumerate() {
            let path = Path::root().at("parties", i);
            if p.id == "system" {
                self.err(
                    path.key("id"),
                    "party id \"system\" is reserved for the server's own actions",
                );
            }
            if p.creates {
                creating += 1;
                if creating > 1 {
                    self.err(
                        path.key("creates"),
                        "only one party may create orders (creates = true)",
                    );
                }
            }
            self.unique(
                p.roles
                    .iter()
                    .enumerate()
                    .map(|(j, r)| (r.id.as_str(), path.at("roles", j), "role")),
                IdKind::Plain,
            );
            self.unique(
                p.settings
                    .iter()
                    .enumerate()
                    .map(|(j, s)| (s.id.as_str(), path.at("settings", j), "setting")),
                IdKind::Variable,
            );
            self.builtin_clash(
                &p.settings,
                &path.key("settings"),
                &["organization"],
                "the party's",
            );
            self.fields(&p.settings, &path.key("settings"));
        }
    }

    fn states(&mut self, states: &[State], path: &Path) {
        for (i, s) in states.iter().enumerate() {
            let once = path.at("states", i).key("visible_once_seen");
            for (j, party) in s.visible_once_seen.iter().enumerate() {
                if !self.party_ref(party, once.index(j)) {
                    continue;
                }
                let always = s
                    .visible_to
                    .as_ref()
                    .is_none_or(|v| v.iter().any(|p| p == party));
                if always {
                    self.err(
                        once.index(j),
                        format!(
                            "state \"{}\" is visible to party \"{party}\" already (`visible_to`); visible_once_seen lists parties it leaves out",
                            s.id
                        ),
                    );
                }
            }
            let Some(visible) = &s.visible_to else {
                continue;
            };
            let path = path.at("states", i).key("visible_to");
            if visible.is_empty() {
                self.err(
                    path.clone(),
                    format!("state \"{}\" is visible to no party", s.id),
                );
            }
            for (j, party) in visible.iter().enumerate() {
                self.party_ref(party, path.index(j));
            }
        }
    }

    fn party_ref(&mut self, id: &str, path: Path) -> bool {
        if self.def.party(id).is_some() {
            return true;
        }
        let names = known(self.def.parties.iter().map(|p| p.id.as_str()));
        self.err(path, format!("unknown party \"{id}\" (known: {names})"));
        false
    }

    // ---- fields ---------------------------------------------------------

    fn fields(&mut self, fields: &[Field], path: &Path) {
        for (i, f) in fields.iter().enumerate() {
            self.field(f, path.index(i));
        }
    }

    fn field(&mut self, f: &Field, path: Path) {
        self.kind(&f.id, &f.kind, path);
    }

    /// A field's type and constraints; `of` and `values` are checked the
    /// same way, under the field's id.
    fn kind(&mut self, id: &str, kind: &FieldKind, path: Path) {
        match kind {
            FieldKind::Text {
                min_length,
                max_length,
            } => {
                if let (Some(min), Some(max)) = (min_length, max_length)
                    && min > max
                {
                    self.err(
                        path.key("min_length"),
                        format!("field \"{id}\": min_length {min} is above max_length {max}"),
                    );
                }
                if let Some(max) = max_length
                    && *max > limits::TEXT_LEN_MAX
                {
                    self.err(
                        path.key("max_length"),
                        format!(
                            "field \"{id}\": max_length {max} is above the server's limit of {}",
                            limits::TEXT_LEN_MAX
                        ),
                    );
                }
            }
            FieldKind::Number { min, max, .. } | FieldKind::Money { min, max, .. } => {
                for (key, bound) in [("min", min), ("max", max)] {
                    if bound.is_some_and(|b| !b.is_finite()) {
                        self.err(
                            path.key(key),
                            format!("field \"{id}\": {key} is not a finite number"),
                        );
                    }
                }
                if let (Some(min), Some(max)) = (min, max)
                    && min > max
                {
                    self.err(
                        path.key("min"),
                        format!("field \"{id}\": min {min} is above max {max}"),
                    );
                }
            }
            FieldKind::Date {
                min,
                max,
                timezone_of,
            } => {
                let mut bounds = [None, None];
                for (slot, (key, bound)) in bounds.iter_mut().zip([("min", min), ("max", max)]) {
                    let Some(text) = bound else { continue };
                    *slot = parse_date_bound(text);
                    if slot.is_none() {
                        self.err(
                            path.key(key),
                            format!("field \"{id}\": date bound \"{text}\" is not today, today+N, today-N or YYYY-MM-DD"),
                        );
                    }
                }
                let [lo, hi] = bounds;
                let above = match (lo, hi) {
                    (Some(DateBound::Today(a)), Some(DateBound::Today(b))) => a > b,
                    (Some(DateBound::Date(a)), Some(DateBound::Date(b))) => a > b,
                    _ => false,
                };
                if above {
                    self.err(
                        path.key("min"),
                        format!("field \"{id}\": min date is after max date"),
                    );
                }
                if let Some(slot) = timezone_of {
                    self.party_ref(slot, path.key("timezone_of"));
                }
            }
            FieldKind::Enum { values } => {
                if values.is_empty() {
                    self.err(
                        path.key("values"),
                        format!("enum field \"{id}\" has no values"),
                    );
                }
                for (i, value) in values.iter().enumerate() {
                    if value.is_empty() {
                        self.err(
                            path.at("values", i),
                            format!("enum field \"{id}\" has an empty value"),
                        );
                    } else if values[..i].contains(value) {
                        self.err(
                            path.at("values", i),
                            format!("enum field \"{id}\" lists \"{value}\" twice"),
                        );
                    }
                }
            }
            FieldKind::Files {
                max_count,
                media_types,
            } => {
                if *max_count == 0 {
                    self.err(
                        path.key("max_count"),
                        format!("files field \"{id}\": max_count must be at least 1"),
                    );
                }
                for (i, m) in media_types.iter().enumerate() {
                    let ok = m
                        .split_once('/')
                        .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty() && !b.contains('/'));
                    if !ok {
                        self.err(
                            path.at("media_types", i),
                            format!("\"{m}\" is not a media type (image/png, image/*, application/pdf ...)"),
                        );
                    }
                }
            }
            FieldKind::List {
                fields,
                items,
                min_items,
                max_items,
                per_record: _,
            } => {
                match items {
                    None if fields.is_empty() => self.err(
                        path.key("fields"),
                        format!("list field \"{id}\" has neither fields (a list of records) nor items (a list of values)"),
                    ),
                    Some(_) if !fields.is_empty() => self.err(
                        path.key("items"),
                        format!("list field \"{id}\" has both fields and items: a list holds records or values, not both"),
                    ),
                    Some(kind) if matches!(**kind, FieldKind::List { .. } | FieldKind::Files { .. }) => self.err(
                        path.key("items"),
                        format!("list field \"{id}\": items are plain values, not lists or files"),
                    ),
                    Some(kind) => {
                        let item = Field {
                            id: format!("{id}.items"),
                            label: String::new(),
                            kind: (**kind).clone(),
                            required: false,
                            description: String::new(),
                        };
                        self.field(&item, path.key("items"));
                    }
                    None => {}
                }
                if let (Some(min), Some(max)) = (min_items, max_items)
                    && min > max
                {
                    self.err(
                        path.key("min_items"),
                        format!("list field \"{id}\": min_items {min} is above max_items {max}"),
                    );
                }
                if let Some(max) = max_items
                    && *max > limits::COLLECTION_RECORDS_MAX
                {
                    self.err(
                        path.key("max_items"),
                        format!(
                            "list field \"{id}\": max_items {max} is above the server's limit of {}",
                            limits::COLLECTION_RECORDS_MAX
                        ),
                    );
                }
                self.unique(
                    fields
                        .iter()
                        .enumerate()
                        .map(|(i, f)| (f.id.as_str(), path.at("fields", i), "field")),
                    IdKind::Variable,
                );
                self.fields(fields, &path.key("fields"));
            }
            FieldKind::Map { values } => self.kind(id, values, path.key("values")),
            FieldKind::Timestamp | FieldKind::Bool | FieldKind::Json => {
                let kind = match kind {
                    FieldKind::Timestamp => "timestamp",
                    FieldKind::Bool => "bool",
                    _ => "json",
                };
                // Serde ignores unknown keys beside the tag of a variant
                // without fields (`{ type = "bool", default = true }`).
                for key in self.tree.keys_at(&path) {
                    if !FIELD_KEYS.contains(&key.as_str()) {
                        self.err(
                            path.key(&key),
                            format!(
                                "unknown key `{key}`: a field of type \"{kind}\" has only {}",
                                FIELD_KEYS.join(", ")
                            ),
                        );
                    }
                }
            }
        }
    }

    // ---- expressions ----------------------------------------------------

    /// Compiles `source` and checks the paths it reads against `env`.
    fn expr(&mut self, source: &str, path: Path, env: &Env<'_>) -> Option<Expr> {
        match Expr::compile(source) {
            Ok(expr) => {
                for message in env.check(&expr) {
                    self.err(path.clone(), message);
                }
                Some(expr)
            }
            Err(e) => {
                self.err(path, e.to_string());
                None
            }
        }
    }

    fn computed(&mut self) {
        let def = self.def;
        let env = self.shapes.computed();
        for (i, c) in def.computed.iter().enumerate() {
            let path = Path::root().at("computed", i).key("expr");
            let Some(expr) = self.expr(&c.expr, path.clone(), &env) else {
                continue;
            };
            for p in expr.paths() {
                let [root, name, ..] = p.as_slice() else {
                    continue;
                };
                if root != "order" || expr.locals().contains(root) {
                    continue;
                }
                match def.computed.iter().position(|d| d.id == *name) {
                    Some(j) if j == i => self.err(path.clone(), format!("computed value \"{}\" reads itself", c.id)),
                    Some(j) if j > i => self.err(
                        path.clone(),
                        format!(
                            "computed value \"{}\" reads order.{name}, which is computed after it; declare \"{name}\" first",
                            c.id
                        ),
                    ),
                    _ => {}
                }
            }
        }
    }

    // ---- actions --------------------------------------------------------

    fn actions(&mut self, scope: Scope<'_>, path: &Path) {
        let def = self.def;
        self.unique(
            scope
                .actions
                .iter()
                .enumerate()
                .map(|(i, a)| (a.id.as_str(), path.at("actions", i), "action")),
            IdKind::Plain,
        );
        let mut creating = 0;
        for (i, a) in scope.actions.iter().enumerate() {
            let path = path.at("actions", i);
            if a.creates {
                creating += 1;
                if scope.kind.is_some() {
                    self.err(
                        path.key("creates"),
                        "a child kind's action cannot create: children are made by create_children effects",
                    );
                } else if creating > 1 {
                    self.err(
                        path.key("creates"),
                        "only one action may create orders (creates = true)",
                    );
                }
                if !a.from.is_empty() {
                    self.err(
                        path.key("from"),
                        format!("action \"{}\" creates orders, so it has no `from`", a.id),
                    );
                }
                if a.to.is_none() && scope.status_rules.is_empty() {
                    self.err(
                        path.clone(),
                        format!(
                            "action \"{}\" creates orders, so it needs `to` (or status rules that compute the status)",
                            a.id
                        ),
                    );
                }
            } else if a.from.is_empty() {
                self.err(
                    path.key("from"),
                    format!("action \"{}\" is available in no state: `from` is empty (\"*\" means every state)", a.id),
                );
            } else {
                self.states_named(
                    scope,
                    &a.from,
                    &path.key("from"),
                    &format!("action \"{}\"", a.id),
                );
            }
            self.by(
                &a.by,
                &format!("no one can take action \"{}\"", a.id),
                &path,
            );
            if a.read {
                self.read_action(a, &path);
            }
            self.visibility(scope, a, &path);
            self.unique(
                a.inputs
                    .iter()
                    .enumerate()
                    .map(|(j, f)| (f.id.as_str(), path.at("inputs", j), "input")),
                IdKind::Variable,
            );
            self.fields(&a.inputs, &path.key("inputs"));
            for (j, f) in a.inputs.iter().enumerate() {
                if let FieldKind::List {
                    fields,
                    per_record: Some(per),
                    ..
                } = &f.kind
                {
                    self.per_record(def, a, fields, per, &path.at("inputs", j).key("per_record"));
                }
            }
            self.unique(
                a.guards
                    .iter()
                    .enumerate()
                    .map(|(j, g)| (g.id.as_str(), path.at("guards", j), "guard")),
                IdKind::Plain,
            );
            let input = Shape::Record(
                a.inputs
                    .iter()
                    .map(|f| (f.id.clone(), vars::field_shape(&f.kind)))
                    .collect(),
            );
            let child = scope.kind.map(vars::child_record);
            let parent = scope
                .kind
                .and_then(|k| def.child_kind(&k.parent))
                .map(vars::child_record);
            let mut env = self.shapes.action(&input);
            if let Some(child) = &child {
                env = env.with("child", child);
            }
            if let Some(parent) = &parent {
                env = env.with("parent", parent);
            }
            for (j, g) in a.guards.iter().enumerate() {
                let path = path.at("guards", j);
                self.expr(&g.rule, path.key("rule"), &env);
                for (name, expr) in &g.params {
                    self.expr(expr, path.key("params").key(name), &env);
                }
                for name in g.placeholders() {
                    if !g.params.contains_key(name) {
                        self.err(
                            path.key("message"),
                            format!(
                                "guard \"{}\": the message names {{{name}}}, which `params` does not define",
                                g.id
                            ),
                        );
                    }
                }
                for name in g.beside.as_deref().into_iter().flat_map(placeholders) {
                    if !g.params.contains_key(name) {
                        self.err(
                            path.key("beside"),
                            format!(
                                "guard \"{}\": `beside` names {{{name}}}, which `params` does not define",
                                g.id
                            ),
                        );
                    }
                }
            }
            self.target(scope, a, &path, &env);
            self.effects(scope, &a.effects, &path, &env);
        }
        if scope.kind.is_none() && creating == 0 && scope.status_rules.is_empty() {
            self.err(
                path.key("actions"),
                "no action creates orders (creates = true) and no status rule computes the status",
            );
        }
    }

    /// A list input's `per_record`: an order's collection, the list's
    /// field that holds a record's id, number fields filled from number
    /// fields of the record, and a yes/no input of the action.
    fn per_record(
        &mut self,
        def: &Definition,
        a: &Action,
        fields: &[Field],
        per: &PerRecord,
        path: &Path,
    ) {
        let number = |f: &Field| matches!(f.kind, FieldKind::Number { .. });
        let Some(collection) = def.collection(&per.collection) else {
            let names = known(def.collections.iter().map(|c| c.id.as_str()));
            self.err(
                path.key("collection"),
                format!("unknown collection \"{}\" (known: {names})", per.collection),
            );
            return;
        };
        if !fields
            .iter()
            .any(|f| f.id == per.key && matches!(f.kind, FieldKind::Number { integer: true, .. }))
        {
            self.err(
                path.key("key"),
                format!(
                    "\"{}\" is not an integer field of the list: it holds the id of a record of \"{}\"",
                    per.key, collection.id
                ),
            );
        }
        for (field, source) in &per.up_to {
            if !fields.iter().any(|f| f.id == *field && number(f)) {
                self.err(
                    path.key("up_to").key(field),
                    format!("\"{field}\" is not a number field of the list"),
                );
            }
            if !collection
                .fields
                .iter()
                .any(|f| f.id == *source && number(f))
            {
                self.err(
                    path.key("up_to").key(field),
                    format!(
                        "\"{source}\" is not a number field of collection \"{}\"",
                        collection.id
                    ),
                );
            }
        }
        if let Some(with) = &per.with
            && !a
                .inputs
                .iter()
                .any(|i| i.id == *with && matches!(i.kind, FieldKind::Bool))
        {
            self.err(
                path.key("with"),
                format!("\"{with}\" is not a yes/no input of action \"{}\"", a.id),
            );
        }
    }

    /// `from`: state ids, `"*"` and `"!id"`; `what` names the owner.
    /// An action's `from`: state ids, `"*"` and `"!id"`; `what` names the
    /// action.
    fn states_named(&mut self, scope: Scope<'_>, from: &[String], path: &Path, what: &str) {
        let star = from.iter().any(|f| f == "*");
        let mut all_known = true;
        for (i, entry) in from.iter().enumerate() {
            if entry == "*" {
                continue;
            }
            let id = match entry.strip_prefix('!') {
                Some(id) => {
                    if !star {
                        self.err(
                            path.index(i),
                            format!(
                                "\"{entry}\" only takes a state out of \"*\", which is not listed"
                            ),
                        );
                    }
                    id
                }
                None => entry.as_str(),
            };
            if !scope.has_state(id) {
                all_known = false;
                self.err(path.index(i), scope.unknown_state(id));
            }
        }
        if all_known
            && !from.is_empty()
            && graph::from_set(from, scope.states)
                .iter()
                .all(|in_it| !in_it)
        {
            self.err(path.clone(), format!("{what} is available in no state"));
        }
    }

    /// The `from` of an automatic transition or a status rule: state ids
    /// only, as the engine compares them.
    fn state_ids(&mut self, scope: Scope<'_>, from: &[String], path: &Path) {
        for (i, entry) in from.iter().enumerate() {
            if entry == "*" || entry.starts_with('!') {
                self.err(
                    path.index(i),
                    format!(
                        "\"{entry}\": automatic transitions and status rules list state ids, without \"*\" or \"!id\""
                    ),
                );
            } else if !scope.has_state(entry) {
                self.err(path.index(i), scope.unknown_state(entry));
            }
        }
    }

    /// `by` of an action or a timer: party slots, `slot:role` or `system`;
    /// `nobody` says what an empty one means.
    fn by(&mut self, by: &[String], nobody: &str, path: &Path) {
        if by.is_empty() {
            self.err(
                path.key("by"),
                format!("{nobody}: `by` is empty (\"slot\", \"slot:role\" or \"system\")"),
            );
        }
        for (i, entry) in by.iter().enumerate() {
            let path = path.at("by", i);
            if entry == "system" {
                continue;
            }
            let (slot, role) = match entry.split_once(':') {
                Some((slot, role)) => (slot, Some(role)),
                None => (entry.as_str(), None),
            };
            let Some(party) = self.def.party(slot) else {
                let names = known(
                    self.def
                        .parties
                        .iter()
                        .map(|p| p.id.as_str())
                        .chain(["system"]),
                );
                self.err(path, format!("unknown party \"{slot}\" (known: {names})"));
                continue;
            };
            if let Some(role) = role
                && !party.roles.iter().any(|r| r.id == role)
            {
                let names = known(party.roles.iter().map(|r| r.id.as_str()));
                self.err(
                    path,
                    format!("unknown role \"{role}\" of party \"{slot}\" (known: {names})"),
                );
            }
        }
    }

    /// A read changes nothing: no creation, no target, no effects.
    fn read_action(&mut self, a: &Action, path: &Path) {
        let id = &a.id;
        if a.creates {
            self.err(
                path.key("read"),
                format!("action \"{id}\" reads the order, so it cannot create one"),
            );
        }
        if a.to.is_some() {
            self.err(
                path.key("to"),
                format!("action \"{id}\" reads the order (read = true), so it moves it nowhere: remove `to`"),
            );
        }
        if !a.effects.is_empty() {
            self.err(
                path.key("effects"),
                format!("action \"{id}\" reads the order (read = true), so it has no effects"),
            );
        }
    }

    /// An action listed in a state that none of the parties that may take
    /// it can see: they never could.
    fn visibility(&mut self, scope: Scope<'_>, a: &Action, path: &Path) {
        if a.by.iter().any(|b| b == "system") || a.by.is_empty() {
            return;
        }
        for (i, entry) in a.from.iter().enumerate() {
            let Some(state) = scope.states.iter().find(|s| s.id == *entry) else {
                continue;
            };
            let Some(visible) = &state.visible_to else {
                continue;
            };
            let sees = a.by.iter().any(|b| {
                let slot = b.split_once(':').map_or(b.as_str(), |(s, _)| s);
                visible.iter().any(|v| v == slot)
            });
            if !sees {
                self.err(
                    path.at("from", i),
                    format!(
                        "action \"{}\" is listed in state \"{}\", which none of the parties that may take it ({}) see",
                        a.id,
                        state.id,
                        a.by.join(", ")
                    ),
                );
            }
        }
    }

    fn target(&mut self, scope: Scope<'_>, a: &Action, path: &Path, env: &Env<'_>) {
        let path = path.key("to");
        if let Some(Target::State(s)) = &a.to
            && !scope.has_state(s)
        {
            self.err(path.clone(), scope.unknown_state(s));
        }
        match &a.to {
            None | Some(Target::State(_)) => {}
            Some(Target::Choice(options)) => {
                if options.is_empty() {
                    self.err(
                        path.clone(),
                        format!("action \"{}\" has an empty list of targets", a.id),
                    );
                }
                let mut fallback: Option<usize> = None;
                for (i, o) in options.iter().enumerate() {
                    let path = path.index(i);
                    if !scope.has_state(&o.state) {
                        self.err(path.key("state"), scope.unknown_state(&o.state));
                    }
                    if let Some(f) = fallback {
                        let message = if o.when.is_none() {
                            format!(
                                "option {} is a second fallback (no `when`); only one is allowed",
                                i + 1
                            )
                        } else {
                            format!(
                                "option {} comes after the fallback (option {}, no `when`), so it is never chosen",
                                i + 1,
                                f + 1
                            )
                        };
                        self.err(path.clone(), message);
                    }
                    match &o.when {
                        Some(when) => {
                            self.expr(when, path.key("when"), env);
                        }
                        None => {
                            fallback.get_or_insert(i);
                        }
                    }
                }
            }
        }
    }

    // ---- effects --------------------------------------------------------

    fn effects(&mut self, scope: Scope<'_>, effects: &[Effect], path: &Path, env: &Env<'_>) {
        for (i, e) in effects.iter().enumerate() {
            let path = path.at("effects", i);
            if let Some(when) = &e.when {
                self.expr(when, path.key("when"), env);
            }
            self.effect(scope, &e.kind, &path, env);
        }
    }

    fn effect(&mut self, scope: Scope<'_>, kind: &EffectKind, path: &Path, env: &Env<'_>) {
        let def = self.def;
        match kind {
            EffectKind::Set { field, value } => {
                self.own_field(scope, field, &path.key("field"));
                self.expr(value, path.key("value"), env);
            }
            EffectKind::Stamp { field } => {
                if let Some(f) = self.own_field(scope, field, &path.key("field"))
                    && !matches!(f.kind, FieldKind::Timestamp)
                {
                    self.err(
                        path.key("field"),
                        format!("stamp sets a timestamp, but field \"{field}\" is not of type \"timestamp\""),
                    );
                }
            }
            EffectKind::Append { collection, record } => {
                let fields = self.collection(collection, path);
                self.record(fields, record, path, env);
            }
            EffectKind::AppendEach {
                collection,
                list,
                each,
                record,
            } => {
                let fields = self.collection(collection, path);
                let element = self.list(list, each, path, env);
                let env = env.clone().with(each, &element);
                self.record(fields, record, path, &env);
            }
            EffectKind::Update {
                collection,
                key,
                record,
            } => {
                let fields = self.collection(collection, path);
                self.expr(key, path.key("key"), env);
                self.record(fields, record, path, env);
            }
            EffectKind::Remove { collection, key } => {
                self.collection(collection, path);
                self.expr(key, path.key("key"), env);
            }
            EffectKind::Notify {
                party,
                template,
                channel,
            } => {
                self.party_ref(party, path.key("party"));
                if template.trim().is_empty() {
                    self.err(path.key("template"), "notify needs a template");
                }
                if !CHANNELS.contains(&channel.as_str()) {
                    self.err(
                        path.key("channel"),
                        format!(
                            "unknown channel \"{channel}\" (known: {})",
                            CHANNELS.join(", ")
                        ),
                    );
                }
            }
            EffectKind::CreateOrder { action, inputs } => {
                match def.action(action) {
                    Some(a) if a.creates => {}
                    Some(_) => self.err(
                        path.key("action"),
                        format!(
                            "create_order runs action \"{action}\", which does not create orders"
                        ),
                    ),
                    None => {
                        let names = known(
                            def.actions
                                .iter()
                                .filter(|a| a.creates)
                                .map(|a| a.id.as_str()),
                        );
                        self.err(
                            path.key("action"),
                            format!("unknown action \"{action}\" (creating actions: {names})"),
                        );
                    }
                }
                self.expr(inputs, path.key("inputs"), env);
            }
            EffectKind::CreateChildren {
                kind,
                list,
                each,
                data,
                per_unit,
            } => {
                self.kind_ref(kind, path.key("kind"));
                let element = self.list(list, each, path, env);
                let env = env.clone().with(each, &element);
                self.expr(data, path.key("data"), &env);
                if let Some(per_unit) = per_unit {
                    self.expr(per_unit, path.key("per_unit"), &env);
                }
            }
            EffectKind::MoveChildren { kind, from, to } => {
                let Some(k) = self.kind_ref(kind, path.key("kind")) else {
                    return;
                };
                let target = Scope::child(k);
                for (i, s) in from.iter().enumerate() {
                    if !target.has_state(s) {
                        self.err(path.at("from", i), target.unknown_state(s));
                    }
                }
                if !target.has_state(to) {
                    self.err(path.key("to"), target.unknown_state(to));
                }
            }
            EffectKind::Builtin { name } => {
                if !EFFECT_BUILTINS.contains(&name.as_str()) {
                    self.err(
                        path.key("name"),
                        format!(
                            "unknown built-in \"{name}\" (known: {})",
                            EFFECT_BUILTINS.join(", ")
                        ),
                    );
                }
            }
        }
    }

    /// A field of the order, or of the child kind in a child's action.
    fn own_field<'f>(&mut self, scope: Scope<'f>, id: &str, path: &Path) -> Option<&'f Field> {
        if let Some(f) = scope.fields.iter().find(|f| f.id == id) {
            return Some(f);
        }
        let names = known(scope.fields.iter().map(|f| f.id.as_str()));
        let message = match scope.kind {
            Some(k) => format!(
                "unknown field \"{id}\" of child kind \"{}\" (known: {names})",
                k.id
            ),
            None if self.def.collection(id).is_some() => {
                format!("\"{id}\" is a collection: change it with append, update or remove")
            }
            None if self.def.computed.iter().any(|c| c.id == id) => {
                format!("\"{id}\" is computed from the order, so no effect can set it")
            }
            None => format!("unknown field \"{id}\" (known: {names})"),
        };
        self.err(path.clone(), message);
        None
    }

    /// The fields of a collection, reporting an unknown one.
    fn collection(&mut self, id: &str, path: &Path) -> Option<&'d [Field]> {
        let def = self.def;
        if let Some(c) = def.collection(id) {
            return Some(&c.fields);
        }
        let message = if def.field(id).is_some() {
            format!("\"{id}\" is a field, not a collection: change it with set")
        } else {
            format!(
                "unknown collection \"{id}\" (known: {})",
                known(def.collections.iter().map(|c| c.id.as_str()))
            )
        };
        self.err(path.key("collection"), message);
        None
    }

    fn kind_ref(&mut self, id: &str, path: Path) -> Option<&'d ChildKind> {
        let def = self.def;
        let kind = def.child_kind(id);
        if kind.is_none() {
            let names = known(def.children.iter().map(|k| k.id.as_str()));
            self.err(
                path,
                format!("unknown child kind \"{id}\" (known: {names})"),
            );
        }
        kind
    }

    /// Checks `list` and the `each` name; the shape of an element.
    fn list(&mut self, list: &str, each: &str, path: &Path, env: &Env<'_>) -> Shape {
        self.id(each, path.key("each"), "each", IdKind::Variable);
        if env.has(each) {
            self.err(
                path.key("each"),
                format!("each name \"{each}\" hides the variable \"{each}\"; choose another name"),
            );
        }
        let Some(expr) = self.expr(list, path.key("list"), env) else {
            return Shape::Any;
        };
        // A plain path (`input.lines`) has a known element shape.
        match expr.paths() {
            [p] if p.join(".") == list.trim() => env
                .resolve(p)
                .ok()
                .and_then(Shape::element)
                .cloned()
                .unwrap_or(Shape::Any),
            _ => Shape::Any,
        }
    }

    fn record(
        &mut self,
        fields: Option<&[Field]>,
        record: &std::collections::BTreeMap<String, String>,
        path: &Path,
        env: &Env<'_>,
    ) {
        for (key, value) in record {
            let path = path.key("record").key(key);
            if let Some(fields) = fields
                && !fields.iter().any(|f| f.id == *key)
            {
                let message = if key == "id" {
                    "a record's id is given by its collection; it cannot be set".to_owned()
                } else {
                    format!(
                        "unknown field \"{key}\" of the collection (known: {})",
                        known(fields.iter().map(|f| f.id.as_str()))
                    )
                };
                self.err(path.clone(), message);
            }
            self.expr(value, path, env);
        }
    }

    // ---- automatic, status rules, children, schedules -------------------

    fn automatic(&mut self) {
        let def = self.def;
        let order = Scope::order(def);
        let env = self.shapes.base();
        self.unique(
            def.automatic.iter().enumerate().map(|(i, a)| {
                (
                    a.id.as_str(),
                    Path::root().at("automatic", i),
                    "automatic transition",
                )
            }),
            IdKind::Plain,
        );
        for (i, a) in def.automatic.iter().enumerate() {
            let path = Path::root().at("automatic", i);
            let what = format!("automatic transition \"{}\"", a.id);
            if a.from.is_empty() {
                self.err(
                    path.key("from"),
                    format!("{what} starts from no state: `from` is empty"),
                );
            } else {
                self.state_ids(order, &a.from, &path.key("from"));
            }
            if !order.has_state(&a.to) {
                self.err(path.key("to"), order.unknown_state(&a.to));
            } else if let Some(pos) = def.states.iter().position(|s| s.id == a.to)
                && graph::from_set(&a.from, &def.states)
                    .get(pos)
                    .copied()
                    .unwrap_or(false)
            {
                self.err(
                    path.key("to"),
                    format!(
                        "{what} leads to \"{}\", one of its own `from` states, so it would fire again at once",
                        a.to
                    ),
                );
            }
            if let Some(when) = &a.when {
                self.expr(when, path.key("when"), &env);
            }
            self.effects(order, &a.effects, &path, &env);
        }
    }

    fn status_rules(&mut self, scope: Scope<'_>, path: &Path) {
        let def = self.def;
        let child = scope.kind.map(vars::child_record);
        let parent = scope
            .kind
            .and_then(|k| def.child_kind(&k.parent))
            .map(vars::child_record);
        let mut env = self.shapes.base();
        if let Some(child) = &child {
            env = env.with("child", child);
        }
        if let Some(parent) = &parent {
            env = env.with("parent", parent);
        }
        for (i, r) in scope.status_rules.iter().enumerate() {
            let path = path.at("status_rules", i);
            if !scope.has_state(&r.status) {
                self.err(path.key("status"), scope.unknown_state(&r.status));
            }
            self.state_ids(scope, &r.from, &path.key("from"));
            self.expr(&r.when, path.key("when"), &env);
        }
    }

    fn children(&mut self) {
        let def = self.def;
        let root = Path::root();
        self.unique(
            def.children
                .iter()
                .enumerate()
                .map(|(i, k)| (k.id.as_str(), root.at("children", i), "child kind")),
            IdKind::Variable,
        );
        for (i, kind) in def.children.iter().enumerate() {
            let path = root.at("children", i);
            if kind.id == "order" {
                self.err(
                    path.key("id"),
                    "child kind id \"order\" is reserved for the order itself",
                );
            }
            self.parent(i, kind, &path);
            if kind.max_count == 0 {
                self.err(
                    path.key("max_count"),
                    format!("child kind \"{}\": max_count must be at least 1", kind.id),
                );
            }
            if kind.states.is_empty() {
                self.err(
                    path.key("states"),
                    format!("child kind \"{}\" has no states", kind.id),
                );
            }
            self.unique(
                kind.states
                    .iter()
                    .enumerate()
                    .map(|(j, s)| (s.id.as_str(), path.at("states", j), "state")),
                IdKind::Variable,
            );
            self.states(&kind.states, &path);
            self.unique(
                kind.fields
                    .iter()
                    .enumerate()
                    .map(|(j, f)| (f.id.as_str(), path.at("fields", j), "field")),
                IdKind::Variable,
            );
            self.builtin_clash(
                &kind.fields,
                &path.key("fields"),
                &CHILD_BUILTINS,
                "a child's",
            );
            self.fields(&kind.fields, &path.key("fields"));
            let scope = Scope::child(kind);
            self.actions(scope, &path);
            self.status_rules(scope, &path);
        }
    }

    /// `parent` names the order or another kind, without a cycle.
    fn parent(&mut self, i: usize, kind: &ChildKind, path: &Path) {
        let def = self.def;
        if kind.parent == "order" {
            return;
        }
        if def.child_kind(&kind.parent).is_none() {
            let names =
                known(std::iter::once("order").chain(def.children.iter().map(|k| k.id.as_str())));
            self.err(
                path.key("parent"),
                format!("unknown parent \"{}\" (known: {names})", kind.parent),
            );
            return;
        }
        let mut chain = vec![kind.id.as_str()];
        let mut at = kind;
        for _ in 0..def.children.len() {
            let Some(next) = def.child_kind(&at.parent) else {
                return;
            };
            chain.push(next.id.as_str());
            if std::ptr::eq(next, &def.children[i]) {
                self.err(
                    path.key("parent"),
                    format!(
                        "child kind \"{}\" is its own ancestor ({})",
                        kind.id,
                        chain.join(" → ")
                    ),
                );
                return;
            }
            at = next;
        }
    }

    fn schedules(&mut self) {
        let def = self.def;
        self.unique(
            def.schedules
                .iter()
                .enumerate()
                .map(|(i, s)| (s.id.as_str(), Path::root().at("schedules", i), "schedule")),
            IdKind::Plain,
        );
        for (i, s) in def.schedules.iter().enumerate() {
            let path = Path::root().at("schedules", i);
            if !SCHEDULE_BUILTINS.contains(&s.builtin.as_str()) {
                self.err(
                    path.key("builtin"),
                    format!(
                        "unknown built-in \"{}\" (known: {})",
                        s.builtin,
                        SCHEDULE_BUILTINS.join(", ")
                    ),
                );
            }
            self.cadence(&path, s);
        }
    }

    /// A schedule runs by `cron` (in `time_zone`) or every
    /// `every_minutes_min` to `every_minutes_max` minutes, never both.
    fn cadence(&mut self, path: &Path, s: &Schedule) {
        let minutes = s.every_minutes_min.is_some() || s.every_minutes_max.is_some();
        match (&s.cron, s.every_minutes_min, s.every_minutes_max) {
            (Some(_), _, _) if minutes => self.err(
                path.key("cron"),
                "a schedule runs by cron or every so many minutes, not both: remove every_minutes_min and every_minutes_max, or cron",
            ),
            (Some(expression), _, _) => {
                if let Err(e) = CronTimes::parse(expression, s.time_zone.as_deref()) {
                    self.err(path.key(e.key), e.message);
                }
            }
            (None, Some(min), Some(max)) => {
                if s.time_zone.is_some() {
                    self.err(
                        path.key("time_zone"),
                        "time_zone is the zone of a cron expression; this schedule has none",
                    );
                }
                if min == 0 {
                    self.err(
                        path.key("every_minutes_min"),
                        "every_minutes_min must be at least 1",
                    );
                }
                if min > max {
                    self.err(
                        path.key("every_minutes_min"),
                        format!("every_minutes_min {min} is above every_minutes_max {max}"),
                    );
                }
            }
            (None, _, _) => self.err(
                path.clone(),
                "a schedule needs cron = \"...\" (e.g. \"30 2 * * *\") or every_minutes_min and every_minutes_max",
            ),
        }
    }

    fn timers(&mut self) {
        let def = self.def;
        let order = Scope::order(def);
        let env = self.shapes.base();
        self.unique(
            def.timers
                .iter()
                .enumerate()
                .map(|(i, t)| (t.id.as_str(), Path::root().at("timers", i), "timer")),
            IdKind::Plain,
        );
        for (i, t) in def.timers.iter().enumerate() {
            let path = Path::root().at("timers", i);
            let what = format!("timer \"{}\"", t.id);
            if t.states.is_empty() {
                self.err(
                    path.key("states"),
                    format!("{what} is never set: `states` is empty"),
                );
            } else {
                self.state_ids(order, &t.states, &path.key("states"));
            }
            match def.action(&t.action) {
                None => self.err(
                    path.key("action"),
                    format!(
                        "unknown action \"{}\" (known: {})",
                        t.action,
                        known(def.actions.iter().map(|a| a.id.as_str()))
                    ),
                ),
                Some(a) if !a.by.iter().any(|b| b == "system") => self.err(
                    path.key("action"),
                    format!(
                        "{what} takes action \"{}\", which the system may not take: add \"system\" to its `by`",
                        a.id
                    ),
                ),
                Some(a) => {
                    for (j, state) in t.states.iter().enumerate() {
                        if order.has_state(state) && !a.available_in(state) {
                            self.err(
                                path.at("states", j),
                                format!(
                                    "{what} would fire in \"{state}\", where action \"{}\" is not available",
                                    a.id
                                ),
                            );
                        }
                    }
                }
            }
            self.expr(&t.at, path.key("at"), &env);
            if let Some(when) = &t.when {
                self.expr(when, path.key("when"), &env);
            }
            self.by(
                &t.by,
                &format!("no one can cancel or reschedule {what}"),
                &path,
            );
        }
    }
}

/// A bound of a date field.
#[derive(Debug, Clone, Copy, PartialEq)]
enum DateBound {
    /// Days from today.
    Today(i64),
    Date(NaiveDate),
}

fn parse_date_bound(text: &str) -> Option<DateBound> {
    if let Some(rest) = text.strip_prefix("today") {
        if rest.is_empty() {
            return Some(DateBound::Today(0));
        }
        let (sign, digits) = match rest.split_at_checked(1)? {
            ("+", d) => (1, d),
            ("-", d) => (-1, d),
            _ => return None,
        };
        if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        return digits
            .parse::<i64>()
            .ok()
            .map(|n| DateBound::Today(sign * n));
    }
    if text.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .map(DateBound::Date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_bounds() {
        assert_eq!(parse_date_bound("today"), Some(DateBound::Today(0)));
        assert_eq!(parse_date_bound("today+1"), Some(DateBound::Today(1)));
        assert_eq!(parse_date_bound("today-30"), Some(DateBound::Today(-30)));
        assert!(matches!(
            parse_date_bound("2025-02-28"),
            Some(DateBound::Date(_))
        ));
        for bad in [
            "tomorrow",
            "today+",
            "today+x",
            "today +1",
            "today+999999",
            "2025-02-30",
            "2025-2-3",
            "+1",
        ] {
            assert_eq!(parse_date_bound(bad), None, "{bad}");
        }
    }
}
