//! The variables an expression may read, and the dotted paths it reads
//! checked against them.
//!
//! This is the contract with the engine, which provides exactly these:
//!
//! | variable | where | shape |
//! | --- | --- | --- |
//! | `order` | everywhere | `id`, `status`, `version`, `created_at`, `updated_at`, `currency`, every field, every collection (a list of records with `id` and its fields), every computed value |
//! | `children` | everywhere | `children.<kind>` for kinds whose parent is `order`: a list of records with `id`, `status`, `version` and the kind's fields |
//! | `counts` | everywhere | `counts.<kind>.<state>` and `counts.<kind>.total` for every kind |
//! | `parties` | everywhere | `parties.<slot>.organization` and `parties.<slot>.<setting>` |
//! | `now` | all but computed values | a timestamp |
//! | `actor` | all but computed values (the system outside actions) | `user`, `name`, `organization`, `organization_name`, `slots`, `roles` |
//! | `input` | actions | the action's inputs; a `list` input's elements have its fields |
//! | `child` | a child kind's actions and status rules | `id`, `status`, `version`, `parent` (its parent's id) and the kind's fields |
//! | `parent` | the same, when the kind's parent is another kind | the parent child, the same way |
//! | `each` (or the effect's `each`) | `append_each` records, `create_children` data and `per_unit` | an element of `list` |
//!
//! Inside a child kind, `counts` counts that child's own children. A computed
//! value reads `order` (and the computed values declared before it),
//! `children`, `counts` and `parties`. Paths are checked as deep
//! as their type is known: a record's fields by name, and no field at all
//! on a scalar or a list; a `json` value or a computed value is not looked
//! into.

use crate::definition::{ChildKind, Definition, Field, FieldKind};
use crate::expr::Expr;

/// What a variable or a field holds, as far as a checker can tell.
#[derive(Debug, Clone)]
pub(super) enum Shape {
    /// Not looked into: JSON, computed values, the actor's details.
    Any,
    /// A value without fields; the text says what it is ("a date").
    Scalar(&'static str),
    List(Box<Shape>),
    Record(Vec<(String, Shape)>),
}

impl Shape {
    fn record<'a>(builtin: impl IntoIterator<Item = (&'a str, Shape)>, fields: &[Field]) -> Shape {
        let mut entries: Vec<(String, Shape)> = builtin
            .into_iter()
            .map(|(k, s)| (k.to_owned(), s))
            .collect();
        for f in fields {
            // A field named like a built-in (or twice) is reported elsewhere.
            if !entries.iter().any(|(k, _)| *k == f.id) {
                entries.push((f.id.clone(), field_shape(&f.kind)));
            }
        }
        Shape::Record(entries)
    }

    /// The shape of the elements, when this is a list.
    pub(super) fn element(&self) -> Option<&Shape> {
        match self {
            Shape::List(e) => Some(e),
            _ => None,
        }
    }
}

pub(super) fn field_shape(kind: &FieldKind) -> Shape {
    match kind {
        FieldKind::Text { .. } => Shape::Scalar("text"),
        FieldKind::Number { .. } => Shape::Scalar("a number"),
        FieldKind::Money { .. } => Shape::Scalar("an amount of money"),
        FieldKind::Date { .. } => Shape::Scalar("a date"),
        FieldKind::Timestamp => Shape::Scalar("a timestamp"),
        FieldKind::Enum { .. } => Shape::Scalar("an enum value"),
        FieldKind::Bool => Shape::Scalar("true or false"),
        FieldKind::Files { .. } => Shape::List(Box::new(Shape::record(
            [
                ("id", Shape::Scalar("text")),
                ("name", Shape::Scalar("text")),
                ("media_type", Shape::Scalar("text")),
                ("size", Shape::Scalar("a number")),
            ],
            &[],
        ))),
        FieldKind::List {
            items: Some(kind), ..
        } => Shape::List(Box::new(field_shape(kind))),
        FieldKind::List { fields, .. } => Shape::List(Box::new(Shape::record([], fields))),
        // Its keys are the organisation's own (`stock[sku]`).
        FieldKind::Map { .. } | FieldKind::Json => Shape::Any,
    }
}

/// The shapes every context shares, built once per definition.
pub(super) struct Shapes {
    pub(super) order: Shape,
    children: Shape,
    counts: Shape,
    parties: Shape,
    actor: Shape,
    now: Shape,
}

/// The order's own names, which fields may not take.
pub(super) const ORDER_BUILTINS: [&str; 6] = [
    "id",
    "status",
    "version",
    "created_at",
    "updated_at",
    "currency",
];
/// A child's own names.
pub(super) const CHILD_BUILTINS: [&str; 4] = ["id", "status", "version", "parent"];

impl Shapes {
    pub(super) fn new(def: &Definition) -> Self {
        let mut order = vec![
            ("id".to_owned(), Shape::Scalar("an id")),
            ("status".to_owned(), Shape::Scalar("a state id")),
            ("version".to_owned(), Shape::Scalar("a number")),
            ("created_at".to_owned(), Shape::Scalar("a timestamp")),
            ("updated_at".to_owned(), Shape::Scalar("a timestamp")),
            ("currency".to_owned(), Shape::Scalar("a currency code")),
        ];
        debug_assert_eq!(order.len(), ORDER_BUILTINS.len());
        order.extend(
            def.fields
                .iter()
                .map(|f| (f.id.clone(), field_shape(&f.kind))),
        );
        order.extend(def.collections.iter().map(|c| {
            let record = Shape::record([("id", Shape::Scalar("a number"))], &c.fields);
            (c.id.clone(), Shape::List(Box::new(record)))
        }));
        order.extend(def.computed.iter().map(|c| {
            let shape = match c.kind {
                Some(crate::definition::ComputedType::Money) => Shape::Scalar("an amount of money"),
                None => Shape::Any,
            };
            (c.id.clone(), shape)
        }));
        let children = Shape::Record(
            def.children
                .iter()
                .filter(|k| k.parent == "order")
                .map(|k| (k.id.clone(), Shape::List(Box::new(child_record(k)))))
                .collect(),
        );
        let counts = Shape::Record(
            def.children
                .iter()
                .map(|k| {
                    let mut states: Vec<(String, Shape)> = k
                        .states
                        .iter()
                        .map(|s| (s.id.clone(), Shape::Scalar("a number")))
                        .collect();
                    states.push(("total".to_owned(), Shape::Scalar("a number")));
                    (k.id.clone(), Shape::Record(states))
                })
                .collect(),
        );
        let parties = Shape::Record(
            def.parties
                .iter()
                .map(|p| {
                    let party = Shape::record([("organization", Shape::Any)], &p.settings);
                    (p.id.clone(), party)
                })
                .collect(),
        );
        let actor = Shape::record(
            [
                ("user", Shape::Any),
                ("name", Shape::Any),
                ("organization", Shape::Any),
                ("organization_name", Shape::Any),
                ("slots", Shape::Any),
                ("roles", Shape::Any),
            ],
            &[],
        );
        Self {
            order: Shape::Record(order),
            children,
            counts,
            parties,
            actor,
            now: Shape::Scalar("a timestamp"),
        }
    }

    /// What every expression but a computed value may read.
    pub(super) fn base(&self) -> Env<'_> {
        self.computed()
            .with("actor", &self.actor)
            .with("now", &self.now)
    }

    /// What a computed value may read (`order` holds every computed value;
    /// the checker refuses those declared after the one it checks).
    pub(super) fn computed(&self) -> Env<'_> {
        Env {
            roots: vec![
                ("order", &self.order),
                ("children", &self.children),
                ("counts", &self.counts),
                ("parties", &self.parties),
            ],
        }
    }

    /// What an action's guards, targets and effects may read: also its
    /// inputs.
    pub(super) fn action<'s>(&'s self, input: &'s Shape) -> Env<'s> {
        self.base().with("input", input)
    }
}

/// A child as expressions read it (`child`, `parent`, an element of
/// `children.<kind>`): `parent` is its parent's id.
pub(super) fn child_record(kind: &ChildKind) -> Shape {
    Shape::record(
        [
            ("id", Shape::Scalar("an id")),
            ("status", Shape::Scalar("a state id")),
            ("version", Shape::Scalar("a number")),
            ("parent", Shape::Scalar("an id")),
        ],
        &kind.fields,
    )
}

/// The variables of one context.
#[derive(Clone)]
pub(super) struct Env<'s> {
    roots: Vec<(&'s str, &'s Shape)>,
}

impl<'s> Env<'s> {
    pub(super) fn with(mut self, name: &'s str, shape: &'s Shape) -> Self {
        self.roots.retain(|(n, _)| *n != name);
        self.roots.push((name, shape));
        self
    }

    pub(super) fn has(&self, name: &str) -> bool {
        self.roots.iter().any(|(n, _)| *n == name)
    }

    /// The shape at a path, or why the path is wrong.
    pub(super) fn resolve(&self, path: &[String]) -> Result<&'s Shape, String> {
        let Some((root, rest)) = path.split_first() else {
            return Ok(&Shape::Any);
        };
        let Some(&(_, mut shape)) = self.roots.iter().find(|(n, _)| n == root) else {
            return Err(self.unknown_root(root));
        };
        for (i, seg) in rest.iter().enumerate() {
            let at = || path[..=i].join(".");
            shape = match shape {
                Shape::Any => return Ok(shape),
                Shape::Record(fields) => match fields.iter().find(|(k, _)| k == seg) {
                    Some((_, s)) => s,
                    None => {
                        return Err(format!(
                            "unknown field \"{seg}\" in {} (known: {})",
                            at(),
                            known(fields.iter().map(|(k, _)| k.as_str()))
                        ));
                    }
                },
                Shape::List(_) => {
                    return Err(format!(
                        "{} is a list, which has no field \"{seg}\" (read its elements with all, exists, map or filter)",
                        at()
                    ));
                }
                Shape::Scalar(what) => {
                    return Err(format!("{} is {what}, which has no field \"{seg}\"", at()));
                }
            };
        }
        Ok(shape)
    }

    fn unknown_root(&self, root: &str) -> String {
        match root {
            "input" => {
                "\"input\" is only available in actions (guards, targets and effects)".to_owned()
            }
            "child" => {
                "\"child\" is only available in a child kind's actions and status rules".to_owned()
            }
            "parent" => {
                "\"parent\" is only available in a child kind whose parent is another child kind"
                    .to_owned()
            }
            _ => format!(
                "unknown variable \"{root}\" (known: {})",
                known(self.roots.iter().map(|(n, _)| *n))
            ),
        }
    }

    /// Every problem with the paths `expr` reads.
    pub(super) fn check(&self, expr: &Expr) -> Vec<String> {
        let locals = expr.locals();
        let mut out: Vec<String> = Vec::new();
        for path in expr.paths() {
            if path.first().is_some_and(|root| locals.contains(root)) {
                continue;
            }
            if let Err(message) = self.resolve(path)
                && !out.contains(&message)
            {
                out.push(message);
            }
        }
        out
    }
}

/// A list of names for a message, cut short when long.
pub(super) fn known<'a>(names: impl Iterator<Item = &'a str>) -> String {
    const SHOWN_MAX: usize = 30;
    let mut seen = std::collections::HashSet::new();
    let names: Vec<&str> = names.filter(|n| seen.insert(*n)).collect();
    if names.is_empty() {
        return "none".to_owned();
    }
    let mut text = names
        .iter()
        .take(SHOWN_MAX)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN_MAX {
        text.push_str(&format!(" and {} more", names.len() - SHOWN_MAX));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(src: &str) -> Expr {
        Expr::compile(src).unwrap_or_else(|e| unreachable!("{src}: {e}"))
    }

    #[test]
    fn checks_paths_as_deep_as_their_type_is_known() {
        let order = Shape::Record(vec![
            ("total".to_owned(), Shape::Scalar("an amount of money")),
            ("data".to_owned(), Shape::Any),
            (
                "lines".to_owned(),
                Shape::List(Box::new(Shape::Record(vec![(
                    "qty".to_owned(),
                    Shape::Scalar("a number"),
                )]))),
            ),
        ]);
        let env = Env {
            roots: vec![("order", &order)],
        };
        assert!(
            env.check(&compile("order.total > 0 && order.data.x.y == 1"))
                .is_empty()
        );
        assert!(
            env.check(&compile("order.lines.all(l, l.qty > 0 && l.anything)"))
                .is_empty()
        );
        assert!(
            env.check(&compile("size(order.lines) > 0 && order.lines[0].whatever"))
                .is_empty()
        );
        assert!(env.check(&compile("has(order.nothing)")).is_empty());
        assert_eq!(
            env.check(&compile("order.totl > 0")),
            vec!["unknown field \"totl\" in order (known: total, data, lines)"]
        );
        assert_eq!(
            env.check(&compile("order.total.cents > 0")),
            vec!["order.total is an amount of money, which has no field \"cents\""]
        );
        assert_eq!(env.check(&compile("order.lines.qty > 0")).len(), 1);
        assert_eq!(
            env.check(&compile("ordr.total > 0 || input.x")),
            vec![
                "\"input\" is only available in actions (guards, targets and effects)",
                "unknown variable \"ordr\" (known: order)",
            ]
        );
    }

    #[test]
    fn long_lists_of_names_are_cut_short() {
        let names: Vec<String> = (0..40).map(|i| format!("f{i}")).collect();
        let text = known(names.iter().map(String::as_str));
        assert!(text.ends_with("f29 and 10 more"), "{text}");
    }
}
