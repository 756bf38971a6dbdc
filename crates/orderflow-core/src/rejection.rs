//! Why an action is refused, with everything a person needs to fix it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Rejection {
    /// The caller may not see this order at all (answered as 404).
    #[error("no such order")]
    NotFound,
    #[error("this workflow has no action {action:?}")]
    UnknownAction { action: String },
    #[error("{action} is not available while the order is {status:?}; it is available in: {}", if available_in.is_empty() { "no state (it creates new orders)".to_owned() } else { available_in.join(", ") })]
    NotAvailable {
        action: String,
        status: String,
        available_in: Vec<String>,
    },
    #[error("{action} may only be taken by {}", allowed.join(", "))]
    Forbidden {
        action: String,
        /// `slot` or `slot:role` entries, as the definition names them.
        allowed: Vec<String>,
    },
    #[error("invalid input: {}", fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; "))]
    InvalidInput { fields: Vec<FieldError> },
    #[error("{message} (rule {rule}: {})", values.iter().map(|(k, v)| format!("{k} = {}", plain(v))).collect::<Vec<_>>().join(", "))]
    GuardFailed {
        rule: String,
        message: String,
        /// The values the rule read, by path.
        values: BTreeMap<String, Json>,
        /// The input the message belongs beside (`lines.2.quantity`), when
        /// the guard names one.
        beside: Option<String>,
    },
    /// An organisation in one of the order's slots has a setting the
    /// workflow reads that does not fit its declaration (stored before the
    /// declaration), or lacks a required one: its administrator must set it.
    #[error(
        "the {party}'s organisation has a setting that does not fit this workflow: {field} {message}"
    )]
    InvalidSetting {
        party: String,
        /// `parties.<slot>.<setting>`, as expressions read it.
        field: String,
        message: String,
    },
    /// The definition's own expressions failed on this order's data: a bug
    /// in the workflow, reported instead of guessed around.
    #[error("the workflow could not evaluate {what}: {message}")]
    Definition { what: String, message: String },
}

/// A value as a sentence writes it: text without quotes (`amount = 300.00`).
fn plain(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// A dotted path: `lines.2.quantity`.
    pub field: String,
    pub message: String,
}

impl Rejection {
    /// The HTTP status docs/product.md gives each kind of refusal.
    pub fn http_status(&self) -> u16 {
        match self {
            Rejection::NotFound | Rejection::UnknownAction { .. } => 404,
            Rejection::NotAvailable { .. }
            | Rejection::GuardFailed { .. }
            | Rejection::InvalidSetting { .. } => 409,
            Rejection::Forbidden { .. } => 403,
            Rejection::InvalidInput { .. } => 422,
            Rejection::Definition { .. } => 500,
        }
    }

    /// The stable code clients match on.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::NotFound => "not_found",
            Rejection::UnknownAction { .. } => "unknown_action",
            Rejection::NotAvailable { .. } => "not_available",
            Rejection::Forbidden { .. } => "forbidden",
            Rejection::InvalidInput { .. } => "invalid_input",
            Rejection::GuardFailed { .. } => "guard_failed",
            Rejection::InvalidSetting { .. } => "invalid_setting",
            Rejection::Definition { .. } => "definition_error",
        }
    }
}
