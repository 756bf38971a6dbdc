//! An order's values as text for people: each by the type its workflow
//! declares (money with the currency, dates, yes/no, file names).

use orderflow_core::definition::{Field, FieldKind};
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
        (_, Value::Bool(b)) => if *b { "Yes" } else { "No" }.to_owned(),
        (_, Value::String(s)) => s.clone(),
        (_, Value::Number(n)) => n.to_string(),
        (_, Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::Object(m) => m
                    .get("name")
                    .or_else(|| m.get("id"))
                    .map(|n| value(None, n, currency))
                    .unwrap_or_else(|| i.to_string()),
                other => value(None, other, currency),
            })
            .collect::<Vec<_>>()
            .join(", "),
        (_, Value::Object(m)) => m
            .iter()
            .map(|(k, v)| format!("{k}: {}", value(None, v, currency)))
            .collect::<Vec<_>>()
            .join(", "),
    }
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
        assert_eq!(computed(&json!("12.50"), Some("EUR")), "€12.50");
        assert_eq!(computed(&json!("full"), Some("EUR")), "full");
    }
}
