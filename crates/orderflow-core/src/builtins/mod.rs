//! Named built-in algorithms a definition refers to.
//!
//! - Effects (`{ do = "builtin", name = "..." }`) run through [`run_effect`],
//!   which reads the action's JSON variables and returns fields to set on the
//!   order: [`EFFECT_BUILTINS`].
//! - Schedules (`[[schedules]] builtin = "..."`) are run by the server over
//!   many orders at once, with typed inputs: [`SCHEDULE_BUILTINS`];
//!   `fifo_intake` is [`intake::run`].
//!
//! Everything here is a pure function of its arguments.

pub mod intake;
mod json;
pub mod location;

use serde_json::{Map, Value};

/// Built-ins a definition may name in a `builtin` effect.
pub const EFFECT_BUILTINS: &[&str] = &["choose_location"];

/// Built-ins a definition may name in a schedule.
pub const SCHEDULE_BUILTINS: &[&str] = &["fifo_intake"];

/// Why a built-in effect did not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuiltinError {
    /// No built-in has this name.
    #[error("unknown built-in `{0}`")]
    Unknown(String),
    /// The name is a scheduled built-in, which an effect cannot run.
    #[error("built-in `{0}` runs on a schedule, not as an effect")]
    NotAnEffect(String),
    /// A variable the built-in reads is missing or has the wrong shape.
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
    /// `choose_location` found no location that can take the order.
    #[error("no production location: {0}")]
    NoLocation(String),
}

/// Runs the effect built-in `name` over the action's variables and returns the
/// fields to set on the order.
///
/// `choose_location` reads `parties.shop.locations` (an array of
/// [`location::Location`]; `name`, `stock`, `decorations` and `uses_pretreat`
/// may be left out), `parties.merchant.allowed_locations` and
/// `parties.merchant.preferred_location` (optional; `parties.merchant` may be
/// left out), `order.ship_to.latitude`/`longitude` (degrees) and
/// `children.item` (an array of objects with `sku`, `decoration` and
/// `quantity`; other fields are ignored), and returns
/// `{"location": "<id>", "uses_pretreat": <bool>}`.
pub fn run_effect(
    name: &str,
    vars: &Map<String, Value>,
) -> Result<Map<String, Value>, BuiltinError> {
    match name {
        "choose_location" => {
            let (locations, account, demand) = json::location_inputs(vars)?;
            let choice = location::choose(&locations, &account, &demand)
                .map_err(|e| BuiltinError::NoLocation(e.to_string()))?;
            let mut out = Map::new();
            out.insert("location".to_owned(), Value::String(choice.location));
            out.insert(
                "uses_pretreat".to_owned(),
                Value::Bool(choice.uses_pretreat),
            );
            Ok(out)
        }
        _ if SCHEDULE_BUILTINS.contains(&name) => Err(BuiltinError::NotAnEffect(name.to_owned())),
        _ => Err(BuiltinError::Unknown(name.to_owned())),
    }
}
