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
pub mod stock;

use serde_json::{Map, Value};

/// Built-ins a definition may name in a `builtin` effect.
pub const EFFECT_BUILTINS: &[&str] = &["choose_location", "assign_location"];

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
}

/// What a built-in effect sets: fields of the order, and fields of children
/// loaded with it (items).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EffectOutput {
    pub order: Map<String, Value>,
    pub children: Vec<ChildFields>,
}

/// Fields to set on one child.
#[derive(Debug, Clone, PartialEq)]
pub struct ChildFields {
    pub kind: String,
    pub id: String,
    pub fields: Map<String, Value>,
}

/// Runs the effect built-in `name` over the action's variables and returns the
/// fields it sets.
///
/// Both read `parties.shop.locations` (an array of [`location::Location`];
/// `name`, `stock`, `decorations` and `uses_pretreat` may be left out) and
/// `children.item` (objects with `id`, `sku`, `decoration` and `quantity`;
/// other fields are ignored), and set the order's `location` (the one
/// location making the whole order, `null` when it is split), `locations`
/// (every location making part of it, in item order) and `location_problem`,
/// and each item's `location` and `uses_pretreat`.
///
/// - `choose_location` places the items with [`location::place`], also
///   reading `parties.merchant.allowed_locations` and
///   `parties.merchant.preferred_location` (optional; `parties.merchant` may
///   be left out) and `order.ship_to.latitude`/`longitude` (degrees). When no
///   placement exists, it sets no item, `location` null, `locations` empty
///   and `location_problem` to the reason.
/// - `assign_location` puts every item at `input.location`, one of the
///   shop's locations (the definition's guards say which ones may be named).
pub fn run_effect(name: &str, vars: &Map<String, Value>) -> Result<EffectOutput, BuiltinError> {
    match name {
        "choose_location" => {
            let (locations, account, demand, items) = json::location_inputs(vars)?;
            Ok(match location::place(&locations, &account, &demand) {
                Ok(placement) => placed(
                    placement.whole.as_ref().map(|c| c.location.as_str()),
                    &placement.locations(),
                    items.iter().zip(&placement.lines),
                ),
                Err(reason) => {
                    let mut order = Map::new();
                    order.insert("location".to_owned(), Value::Null);
                    order.insert("locations".to_owned(), Value::Array(Vec::new()));
                    order.insert("location_problem".to_owned(), reason.to_string().into());
                    EffectOutput {
                        order,
                        children: Vec::new(),
                    }
                }
            })
        }
        "assign_location" => {
            let (location, items) = json::assignment_inputs(vars)?;
            let line = location::LinePlacement {
                location: location.id.clone(),
                uses_pretreat: location.uses_pretreat,
            };
            Ok(placed(
                Some(&location.id),
                &[&location.id],
                items.iter().map(|id| (id, &line)),
            ))
        }
        _ if SCHEDULE_BUILTINS.contains(&name) => Err(BuiltinError::NotAnEffect(name.to_owned())),
        _ => Err(BuiltinError::Unknown(name.to_owned())),
    }
}

/// The fields of a placement: the order's location(s) and each item's.
fn placed<'a>(
    whole: Option<&str>,
    locations: &[&str],
    items: impl Iterator<Item = (&'a String, &'a location::LinePlacement)>,
) -> EffectOutput {
    let mut order = Map::new();
    order.insert(
        "location".to_owned(),
        whole.map_or(Value::Null, Value::from),
    );
    order.insert(
        "locations".to_owned(),
        Value::Array(locations.iter().map(|l| Value::from(*l)).collect()),
    );
    order.insert("location_problem".to_owned(), Value::Null);
    let children = items
        .map(|(id, line)| {
            let mut fields = Map::new();
            fields.insert("location".to_owned(), line.location.clone().into());
            fields.insert("uses_pretreat".to_owned(), line.uses_pretreat.into());
            ChildFields {
                kind: "item".to_owned(),
                id: id.clone(),
                fields,
            }
        })
        .collect();
    EffectOutput { order, children }
}
