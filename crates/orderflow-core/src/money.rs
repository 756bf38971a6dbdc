//! Money as people write and read it: a decimal amount (`"240.00"`) in the
//! order's currency, everywhere: inputs, settings, order data, history,
//! refusals. Inside the engine an amount is an integer count of minor units
//! (cents), so sums and comparisons are exact; this module converts at the
//! edges, guided by the declared types (a `money` field, input or setting, a
//! computed value of `type = "money"`).
//!
//! Every currency is written with two decimals: orderflow does not keep a
//! table of ISO 4217 minor units, and an amount of yen written `"1500.00"`
//! is still exact.

use serde_json::{Map, Value as Json};

use crate::definition::{ChildKind, ComputedType, Definition, Field, FieldKind};
use crate::event::{Event, Step};

/// The organisation setting naming its currency (ISO 4217: `EUR`, `USD`).
pub const CURRENCY_SETTING: &str = "currency";
/// The currency of an organisation without that setting.
pub const DEFAULT_CURRENCY: &str = "EUR";
/// Where an order keeps its currency: `order.currency`, set when it is
/// created from the creating party's organisation.
pub const CURRENCY_FIELD: &str = "currency";

static MONEY: FieldKind = FieldKind::Money {
    min: None,
    max: None,
    exclusive_min: false,
};

/// Whether `code` is written as an ISO 4217 code: three capital letters.
pub fn is_currency_code(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// "12.5", "12.50", 12.5 and 12 are 1250 cents; more than two decimals is
/// refused rather than rounded, because rounding money silently loses it.
pub fn minor_units(v: &Json) -> Option<i64> {
    let text = match v {
        Json::Number(n) => n.to_string(),
        Json::String(s) => s.trim().to_owned(),
        _ => return None,
    };
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() || whole.len() > 15 || frac.len() > 2 {
        return None;
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    let cents = whole.checked_mul(100)?.checked_add(frac)?;
    Some(if negative { -cents } else { cents })
}

/// 24000 cents as people write it: `"240.00"`.
pub fn decimal(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// A value of `kind` as people read it: amounts as decimal text, looked
/// for inside records, lists and maps. Anything that is not what its kind
/// says is left as it is.
pub fn shown(kind: &FieldKind, v: &Json) -> Json {
    match (kind, v) {
        (FieldKind::Money { .. }, Json::Number(n)) => match n.as_i64() {
            Some(cents) => Json::String(decimal(cents)),
            None => v.clone(),
        },
        (FieldKind::List { items: Some(k), .. }, Json::Array(list)) => {
            Json::Array(list.iter().map(|x| shown(k, x)).collect())
        }
        (FieldKind::List { fields, .. }, Json::Array(list)) => {
            Json::Array(list.iter().map(|x| shown_record(fields, x)).collect())
        }
        (FieldKind::Map { values }, Json::Object(map)) => Json::Object(
            map.iter()
                .map(|(k, x)| (k.clone(), shown(values, x)))
                .collect(),
        ),
        _ => v.clone(),
    }
}

/// A record (inputs, a collection's record, a child's data) as people read
/// it: each declared field [`shown`], the others as they are.
pub fn shown_record(fields: &[Field], v: &Json) -> Json {
    let Json::Object(record) = v else {
        return v.clone();
    };
    let mut out = record.clone();
    shown_fields(fields, &mut out);
    Json::Object(out)
}

fn shown_fields(fields: &[Field], record: &mut Map<String, Json>) {
    for field in fields.iter().filter(|f| has_money(&f.kind)) {
        if let Some(v) = record.get_mut(&field.id) {
            *v = shown(&field.kind, v);
        }
    }
}

/// Whether a value of `kind` holds an amount of money anywhere.
pub fn has_money(kind: &FieldKind) -> bool {
    match kind {
        FieldKind::Money { .. } => true,
        FieldKind::List { fields, items, .. } => {
            items.as_deref().is_some_and(has_money) || fields.iter().any(|f| has_money(&f.kind))
        }
        FieldKind::Map { values } => has_money(values),
        _ => false,
    }
}

/// The order as people read it (its data, collections and computed values,
/// as `engine::vars::order_value` gives them): amounts as decimal text.
pub fn shown_order(def: &Definition, order: &mut Map<String, Json>) {
    shown_fields(&def.fields, order);
    for collection in &def.collections {
        if let Some(Json::Array(records)) = order.get_mut(&collection.id) {
            for record in records {
                *record = shown_record(&collection.fields, record);
            }
        }
    }
    for computed in &def.computed {
        if computed.kind == Some(ComputedType::Money)
            && let Some(v) = order.get_mut(&computed.id)
        {
            *v = shown(&MONEY, v);
        }
    }
}

/// A child's data as people read it.
pub fn shown_child(kind: Option<&ChildKind>, data: &Map<String, Json>) -> Map<String, Json> {
    let mut out = data.clone();
    if let Some(kind) = kind {
        shown_fields(&kind.fields, &mut out);
    }
    out
}

/// The inputs of a history step as people read them, by the declaration of
/// the action it took (an action on a child: of the child's kind, named by
/// the child id's `kind-` prefix).
pub fn shown_step_inputs(def: &Definition, step: &Step) -> Json {
    let actions = match &step.child {
        Some(id) => def
            .children
            .iter()
            .find(|k| {
                id.strip_prefix(k.id.as_str())
                    .is_some_and(|n| n.starts_with('-'))
            })
            .map(|k| k.actions.as_slice()),
        None => Some(def.actions.as_slice()),
    };
    match actions
        .unwrap_or_default()
        .iter()
        .find(|a| a.id == step.action && !step.automatic)
    {
        Some(act) => shown_record(&act.inputs, &step.inputs),
        None => step.inputs.clone(),
    }
}

/// A history event (as `raw`, its JSON) as people read it: the amounts of
/// the fields and records it sets.
pub fn shown_event(def: &Definition, event: &Event, mut raw: Json) -> Json {
    let (key, fields): (&str, &[Field]) = match event {
        Event::RecordAppended { collection, .. } => ("record", collection_fields(def, collection)),
        Event::RecordUpdated { collection, .. } => ("changes", collection_fields(def, collection)),
        Event::ChildrenCreated { kind, .. } => ("data", kind_fields(def, kind)),
        Event::FieldSet { field, .. } => {
            if let (Some(f), Some(v)) = (def.field(field), raw.get_mut("value")) {
                *v = shown(&f.kind, v);
            }
            return raw;
        }
        Event::ChildFieldSet { kind, field, .. } => {
            let declared = kind_fields(def, kind).iter().find(|f| f.id == *field);
            if let (Some(f), Some(v)) = (declared, raw.get_mut("value")) {
                *v = shown(&f.kind, v);
            }
            return raw;
        }
        _ => return raw,
    };
    if let Some(v) = raw.get_mut(key) {
        *v = shown_record(fields, v);
    }
    raw
}

fn collection_fields<'a>(def: &'a Definition, id: &str) -> &'a [Field] {
    def.collection(id)
        .map(|c| c.fields.as_slice())
        .unwrap_or_default()
}

fn kind_fields<'a>(def: &'a Definition, id: &str) -> &'a [Field] {
    def.child_kind(id)
        .map(|k| k.fields.as_slice())
        .unwrap_or_default()
}

/// The declared type of the value at `path`, as expressions read it:
/// `input.<id>` (an action's `inputs`), `order.<field|computed>`,
/// `parties.<slot>.<setting>`, `child.<field>` and `parent.<field>` (of
/// `child_kind` and its parent kind), and into records and lists by field.
pub fn kind_at<'a>(
    def: &'a Definition,
    inputs: &'a [Field],
    child_kind: Option<&'a ChildKind>,
    path: &[String],
) -> Option<&'a FieldKind> {
    let (root, rest) = path.split_first()?;
    let (first, rest) = rest.split_first()?;
    let find = |fields: &'a [Field]| fields.iter().find(|f| f.id == *first).map(|f| &f.kind);
    let kind = match root.as_str() {
        "input" => find(inputs)?,
        "order" => match def.computed.iter().find(|c| c.id == *first) {
            Some(c) => {
                return (c.kind == Some(ComputedType::Money) && rest.is_empty()).then_some(&MONEY);
            }
            None => find(&def.fields)?,
        },
        "child" => find(&child_kind?.fields)?,
        "parent" => find(&def.child_kind(&child_kind?.parent)?.fields)?,
        "parties" => {
            let (setting, rest) = rest.split_first()?;
            let kind = def
                .party(first)?
                .settings
                .iter()
                .find(|f| f.id == *setting)
                .map(|f| &f.kind)?;
            return inside(kind, rest);
        }
        _ => return None,
    };
    inside(kind, rest)
}

/// The type inside a value of `kind` at `rest` (record fields by name).
fn inside<'a>(kind: &'a FieldKind, rest: &[String]) -> Option<&'a FieldKind> {
    let Some((key, rest)) = rest.split_first() else {
        return Some(kind);
    };
    match kind {
        FieldKind::List { fields, .. } => {
            let field = fields.iter().find(|f| f.id == *key)?;
            inside(&field.kind, rest)
        }
        FieldKind::Map { values } => inside(values, rest),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn money_is_exact_minor_units() {
        for (given, cents) in [
            (json!("12.50"), Some(1250)),
            (json!(12.5), Some(1250)),
            (json!(12), Some(1200)),
            (json!("0.01"), Some(1)),
            (json!("1.005"), None),
            (json!("abc"), None),
            (json!(""), None),
            (json!("1e5"), None),
            (json!("12,50"), None),
            (json!(true), None),
        ] {
            assert_eq!(minor_units(&given), cents, "{given}");
        }
    }

    #[test]
    fn amounts_read_as_two_decimals() {
        assert_eq!(decimal(24000), "240.00");
        assert_eq!(decimal(5), "0.05");
        assert_eq!(decimal(-1250), "-12.50");
        assert_eq!(decimal(0), "0.00");
        for cents in [0, 1, 99, 100, 123_456, -7] {
            assert_eq!(minor_units(&json!(decimal(cents))), Some(cents));
        }
    }

    #[test]
    fn currency_codes_are_three_capitals() {
        assert!(is_currency_code("EUR"));
        assert!(!is_currency_code("eur"));
        assert!(!is_currency_code("EURO"));
        assert!(!is_currency_code("€"));
    }
}
