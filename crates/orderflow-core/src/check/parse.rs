//! TOML into a span-keeping tree, then into a [`Definition`], reporting every
//! syntax error toml recovers from and every element that does not
//! deserialize.

use serde::Deserialize;
use std::sync::LazyLock;

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::Problems;
use super::source::Tree;
use crate::definition::{
    Action, Automatic, ChildKind, Collection, Computed, Definition, Effect, Field, Guard, Party,
    Schedule, State, StatusRule, Target, Timer,
};
use crate::limits;

/// Parses the text; every syntax error, or every list longer than
/// [`limits::DEFINITION_ITEMS_MAX`] and every TOML date (the format has
/// none, and through serde one reads as a map).
pub(super) fn parse(text: &str) -> Result<Tree<'_>, Problems> {
    let (root, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        return Err(errors
            .iter()
            .map(|e| {
                let message = match one_line(e.message()) {
                    // toml's words for a dotted key of more than 80 parts.
                    m if m == "recursion limit" => {
                        "keys nest too deeply: a dotted key or table name has too many parts"
                            .to_owned()
                    }
                    m => m,
                };
                (e.span().map_or(0, |s| s.start), message)
            })
            .collect());
    }
    let mut problems = Vec::new();
    count_table(root.get_ref(), "", &mut problems);
    if problems.is_empty() {
        Ok(Tree { root })
    } else {
        Err(problems)
    }
}

/// Bounds every array and table of the tree. The recursion is as deep as
/// the file nests, which [`super::source::check_nesting`] and toml bound.
fn count_table(table: &DeTable<'_>, path: &str, out: &mut Problems) {
    for (key, value) in table.iter() {
        let path = if path.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{path}.{}", key.get_ref())
        };
        count_value(value, &path, out);
    }
}

fn count_value(value: &Spanned<DeValue<'_>>, path: &str, out: &mut Problems) {
    let (len, what) = match value.get_ref() {
        DeValue::Array(a) => (a.len(), "entries"),
        DeValue::Table(t) => (t.len(), "keys"),
        DeValue::Datetime(d) => {
            // No value of the format is a TOML date: date bounds and
            // expressions are strings.
            out.push((
                value.span().start,
                format!("{path}: write dates as strings, \"{d}\""),
            ));
            return;
        }
        _ => return,
    };
    if len > limits::DEFINITION_ITEMS_MAX {
        out.push((
            value.span().start,
            format!(
                "{path} has {len} {what}; at most {} are allowed",
                limits::DEFINITION_ITEMS_MAX
            ),
        ));
        return;
    }
    match value.get_ref() {
        DeValue::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                count_value(v, &format!("{path}[{i}]"), out);
            }
        }
        DeValue::Table(t) => count_table(t, path, out),
        _ => {}
    }
}

/// The definition, or every element that does not deserialize.
pub(super) fn deserialize(tree: &Tree<'_>) -> Result<Definition, Problems> {
    let whole = match Definition::deserialize(toml::de::Deserializer::from(tree.root.clone())) {
        Ok(def) => return Ok(def),
        Err(e) => e,
    };
    let root = Spanned::new(
        tree.root.span(),
        DeValue::Table(tree.root.get_ref().clone()),
    );
    let mut out = vec![problem(&root, &whole)];
    keys(&root, "", &mut out);
    table(&root, DEFINITION, &mut out);
    Err(out)
}

/// The keys a table of a type may and must have, from the JSON Schema the
/// types generate (so they follow `definition.rs`).
struct Keys {
    known: Vec<String>,
    required: Vec<String>,
}

/// [`Keys`] of `Definition` (`""`), and of `Action` and `ChildKind`.
static KEYS: LazyLock<Vec<(&'static str, Keys)>> = LazyLock::new(|| {
    let schema = schemars::schema_for!(Definition);
    let names = |v: Option<&serde_json::Value>| -> Vec<String> {
        match v {
            Some(serde_json::Value::Object(m)) => m.keys().cloned().collect(),
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    };
    ["", "Action", "ChildKind"]
        .into_iter()
        .map(|name| {
            let base = if name.is_empty() {
                String::new()
            } else {
                format!("/$defs/{name}")
            };
            let keys = Keys {
                known: names(schema.pointer(&format!("{base}/properties"))),
                required: names(schema.pointer(&format!("{base}/required"))),
            };
            (name, keys)
        })
        .collect()
});

/// Every unknown and missing key of a table of type `name`, in serde's
/// words so they merge with serde's own report of the first one.
fn keys(value: &Spanned<DeValue<'_>>, name: &str, out: &mut Problems) {
    let (Some(table), Some((_, keys))) = (
        value.get_ref().as_table(),
        KEYS.iter().find(|(n, _)| *n == name),
    ) else {
        return;
    };
    if keys.known.is_empty() {
        return;
    }
    let expected = keys
        .known
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    for (key, _) in table.iter() {
        if !keys.known.iter().any(|k| k == key.get_ref()) {
            out.push((
                key.span().start,
                format!(
                    "unknown field `{}`, expected one of {expected}",
                    key.get_ref()
                ),
            ));
        }
    }
    for required in &keys.required {
        if table.get(required.as_str()).is_none() {
            out.push((value.span().start, format!("missing field `{required}`")));
        }
    }
}

/// How to deserialize the value of a key on its own.
type Part = fn(&Spanned<DeValue<'_>>, &mut Problems);

const DEFINITION: &[(&str, Part)] = &[
    ("id", one::<String>),
    ("label", one::<String>),
    ("description", one::<String>),
    ("parties", each::<Party>),
    ("states", each::<State>),
    ("fields", each::<Field>),
    ("collections", each::<Collection>),
    ("computed", each::<Computed>),
    ("actions", actions),
    ("automatic", each::<Automatic>),
    ("status_rules", each::<StatusRule>),
    ("children", children),
    ("schedules", each::<Schedule>),
    ("timers", each::<Timer>),
];

const CHILD_KIND: &[(&str, Part)] = &[
    ("id", one::<String>),
    ("label", one::<String>),
    ("parent", one::<String>),
    ("max_count", one::<u64>),
    ("states", each::<State>),
    ("fields", each::<Field>),
    ("actions", actions),
    ("status_rules", each::<StatusRule>),
];

const ACTION: &[(&str, Part)] = &[
    ("id", one::<String>),
    ("label", one::<String>),
    ("description", one::<String>),
    ("creates", one::<bool>),
    ("from", one::<Vec<String>>),
    ("to", one::<Target>),
    ("by", one::<Vec<String>>),
    ("inputs", each::<Field>),
    ("guards", each::<Guard>),
    ("effects", each::<Effect>),
];

fn actions(value: &Spanned<DeValue<'_>>, out: &mut Problems) {
    each_then::<Action>(value, out, "Action", ACTION);
}

fn children(value: &Spanned<DeValue<'_>>, out: &mut Problems) {
    each_then::<ChildKind>(value, out, "ChildKind", CHILD_KIND);
}

/// Deserializes the value as a `T`, reporting its error.
fn one<T: DeserializeOwned>(value: &Spanned<DeValue<'_>>, out: &mut Problems) {
    if let Err(e) = T::deserialize(ValueDeserializer::from(value.clone())) {
        out.push(problem(value, &e));
    }
}

/// Deserializes each element of an array as a `T`.
fn each<T: DeserializeOwned>(value: &Spanned<DeValue<'_>>, out: &mut Problems) {
    match value.get_ref() {
        DeValue::Array(items) => items.iter().for_each(|item| one::<T>(item, out)),
        _ => one::<Vec<T>>(value, out),
    }
}

/// Like [`each`], and for an element that fails, each of its keys on its own.
fn each_then<T: DeserializeOwned>(
    value: &Spanned<DeValue<'_>>,
    out: &mut Problems,
    name: &str,
    parts: &[(&str, Part)],
) {
    let DeValue::Array(items) = value.get_ref() else {
        return one::<Vec<T>>(value, out);
    };
    for item in items.iter() {
        let before = out.len();
        one::<T>(item, out);
        if out.len() > before {
            keys(item, name, out);
            table(item, parts, out);
        }
    }
}

fn table(value: &Spanned<DeValue<'_>>, parts: &[(&str, Part)], out: &mut Problems) {
    let Some(table) = value.get_ref().as_table() else {
        return;
    };
    for (key, part) in parts {
        if let Some(v) = table.get(*key) {
            part(v, out);
        }
    }
}

/// An error at the key it names when it names one (serde reports unknown
/// keys at their table), else at its span.
fn problem(within: &Spanned<DeValue<'_>>, e: &toml::de::Error) -> (usize, String) {
    let span = e.span().unwrap_or_else(|| within.span());
    let message = one_line(e.message());
    let key_offset = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next())
        .and_then(|key| {
            let table = find_table(within, &span)?;
            table
                .iter()
                .find(|(k, _)| k.get_ref() == key)
                .map(|(k, _)| k.span().start)
        });
    let message = if message.contains("untagged enum Target") {
        "expected a state id or a list of options ({ state = \"...\", when = \"...\" })".to_owned()
    } else {
        message
    };
    (key_offset.unwrap_or(span.start), message)
}

/// The table with exactly this span, searched from `value` down (the span
/// of a table of an array of tables is its header, not its body, so spans
/// cannot prune the search).
fn find_table<'a, 'i>(
    value: &'a Spanned<DeValue<'i>>,
    span: &std::ops::Range<usize>,
) -> Option<&'a DeTable<'i>> {
    match value.get_ref() {
        DeValue::Table(t) if value.span() == *span => Some(t),
        DeValue::Table(t) => t.values().find_map(|v| find_table(v, span)),
        DeValue::Array(a) => a.iter().find_map(|v| find_table(v, span)),
        _ => None,
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
