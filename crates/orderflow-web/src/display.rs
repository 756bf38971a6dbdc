//! An order's values as text for people: each by the type its workflow
//! declares (money with the currency, dates, yes/no, file names).

use orderflow_core::definition::{Collection, Field, FieldKind};
use orderflow_core::money;
use serde_json::Value;

use crate::format;

/// `value` of a field of type `kind`.
pub fn value(kind: Option<&FieldKind>, v: &Value, currency: Option<&str>) -> String {
    match (kind, v) {
        (_, Value::Null) => String::new(),
        (Some(k @ FieldKind::Money { .. }), v) => format::money(&money::shown(k, v), currency),
        (Some(FieldKind::Date { .. }), Value::String(s)) => format::date(s),
        (Some(FieldKind::Timestamp), Value::String(s)) => format::time_text(s),
        (Some(FieldKind::Enum { .. }), Value::String(s)) => s.replace('_', " "),
        (Some(FieldKind::List { fields, .. }), Value::Array(records)) if !fields.is_empty() => {
            records
                .iter()
                .map(|r| record(fields, r, currency))
                .collect::<Vec<_>>()
                .join("; ")
        }
        (
            Some(FieldKind::List {
                items: Some(kind), ..
            }),
            Value::Array(items),
        ) => items
            .iter()
            .map(|i| value(Some(kind), i, currency))
            .collect::<Vec<_>>()
            .join(", "),
        (_, Value::Bool(b)) => if *b { "Yes" } else { "No" }.to_owned(),
        (_, Value::String(s)) => s.clone(),
        (_, Value::Number(n)) => n.to_string(),
        (_, Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::Object(m) => match m.get("name").or_else(|| m.get("id")) {
                    Some(name) => value(None, name, currency),
                    None => m
                        .values()
                        .map(|v| value(None, v, currency))
                        .filter(|t| !t.is_empty())
                        .collect::<Vec<_>>()
                        .join(", "),
                },
                other => value(None, other, currency),
            })
            .collect::<Vec<_>>()
            .join(", "),
        // An address and the like: keys spelled out, empty parts left out.
        (_, Value::Object(m)) => m
            .iter()
            .map(|(k, v)| (k.replace('_', " "), value(None, v, currency)))
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// One record of a list with declared fields, as people read a line:
/// "Crown, quantity 2, unit price €150.00" (the first field unlabelled, as
/// it names the record).
fn record(fields: &[Field], r: &Value, currency: Option<&str>) -> String {
    fields
        .iter()
        .filter_map(|f| {
            let text = value(Some(&f.kind), r.get(&f.id)?, currency);
            (!text.is_empty()).then_some((f, text))
        })
        .enumerate()
        .map(|(n, (f, text))| match n {
            0 => text,
            _ => format!("{} {text}", label(f).to_lowercase()),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A computed value (no declared type): a decimal string is money.
pub fn computed(v: &Value, currency: Option<&str>) -> String {
    match v {
        Value::String(s) if s.parse::<f64>().is_ok() && s.contains('.') => {
            format::money(v, currency)
        }
        other => value(None, other, currency),
    }
}

/// The label of `field`, or its id spelled out.
pub fn label(field: &Field) -> String {
    if field.label.is_empty() {
        field.id.replace('_', " ")
    } else {
        field.label.clone()
    }
}

/// How a record of `c` is named to people: its first text field, else
/// its id.
pub fn record_name(c: &Collection, r: &Value) -> String {
    c.fields
        .iter()
        .find(|f| matches!(f.kind, FieldKind::Text { .. }))
        .and_then(|f| r.get(&f.id))
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .map_or_else(|| format!("#{}", record_id(r)), str::to_owned)
}

/// A record's `id` as text.
pub fn record_id(r: &Value) -> String {
    match r.get("id") {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_read_by_their_type() {
        let money = FieldKind::Money {
            min: None,
            max: None,
            exclusive_min: false,
        };
        assert_eq!(value(Some(&money), &json!(24000), Some("EUR")), "€240.00");
        assert_eq!(value(Some(&money), &json!("240.5"), Some("EUR")), "€240.50");
        assert_eq!(value(None, &json!(true), None), "Yes");
        assert_eq!(
            value(None, &json!([{"id": "f1", "name": "invoice.png"}]), None),
            "invoice.png"
        );
        assert_eq!(
            value(
                None,
                &json!([{"product_type": "jersey", "quantity": 1200}]),
                None
            ),
            "jersey, 1200",
            "a record without a name is its values, never JSON"
        );
        assert_eq!(computed(&json!("12.50"), Some("EUR")), "€12.50");
        assert_eq!(
            value(
                None,
                &json!({"city": "Milwaukee", "address_2": "", "postal_code": null}),
                None
            ),
            "city: Milwaukee"
        );
        assert_eq!(computed(&json!("full"), Some("EUR")), "full");
    }

    #[test]
    fn lines_read_as_lines() {
        let lines = orderflow_core::catalog::built_in("dental-lab")
            .and_then(Result::ok)
            .and_then(|wf| {
                wf.def
                    .actions
                    .iter()
                    .find(|a| a.id == "create")
                    .and_then(|a| a.inputs.iter().find(|f| f.id == "lines"))
                    .cloned()
            });
        assert!(lines.is_some(), "dental-lab's create takes lines");
        let Some(lines) = lines else { return };
        let written = json!([
            {"product": "Crown", "quantity": 2, "unit_price": "150.00"},
            {"product": "Bridge", "quantity": 1, "unit_price": "400"},
        ]);
        assert_eq!(
            value(Some(&lines.kind), &written, Some("EUR")),
            "Crown, quantity 2, unit price €150.00; Bridge, quantity 1, unit price €400.00"
        );
    }
}
