//! What a job's step does to the inventory of a workflow that runs
//! `fifo_intake`: the units it takes, worked out from the job before and
//! after the step, so intake, a receipt and a manager's step by hand move
//! stock the same way. The store applies the moves in the transaction of
//! the step and refuses the step when a unit is not there
//! (docs/inventory.md).
//!
//! - A job that passes intake (`intake_hold` or `on_order` → `pending`)
//!   naming a `bin` takes one unit of its SKU from that bin at its
//!   `location`.
//! - One that passes naming a `purchase` takes one received unit of that
//!   purchase.
//!
//! Ties to a purchase are promises, not units: they are read from the jobs
//! (`on_order` with a `purchase`) when intake runs, so tying, untying and
//! canceling a job move no stock. A unit taken stays taken when its job is
//! canceled later (it may be printed already); the shop counts it back into
//! a bin by hand.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::definition::Definition;
use crate::model::{Child, Order};

/// The built-in whose workflows keep inventory.
pub const INTAKE_BUILTIN: &str = "fifo_intake";
/// The party slot whose organisation holds the inventory.
pub const STOCK_SLOT: &str = "shop";
/// The job states intake takes jobs from, and the one they pass to.
pub const WAITING: [&str; 2] = ["intake_hold", "on_order"];
pub const PASSED: &str = "pending";

/// One unit taken from the inventory of `organization`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "take", rename_all = "snake_case")]
pub enum StockMove {
    /// One unit of `sku` out of `bin` at `location`.
    Bin {
        organization: String,
        location: String,
        bin: String,
        sku: String,
    },
    /// One received unit of `purchase`.
    Purchase {
        organization: String,
        purchase: String,
    },
}

/// Whether the workflow keeps inventory (declares a `fifo_intake` schedule).
pub fn keeps_stock(def: &Definition) -> bool {
    def.schedules.iter().any(|s| s.builtin == INTAKE_BUILTIN)
}

fn text<'a>(c: &'a Child, key: &str) -> Option<&'a str> {
    c.data
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// The unit a step of job `before` → `after` of `order` takes, if any.
pub fn moves(def: &Definition, order: &Order, before: &Child, after: &Child) -> Vec<StockMove> {
    if !keeps_stock(def) || !WAITING.contains(&before.status.as_str()) || after.status != PASSED {
        return Vec::new();
    }
    let Some(organization) = order.parties.get(STOCK_SLOT).cloned() else {
        return Vec::new();
    };
    if let (Some(bin), Some(location), Some(sku)) = (
        text(after, "bin"),
        text(after, "location"),
        text(after, "sku"),
    ) {
        return vec![StockMove::Bin {
            organization,
            location: location.to_owned(),
            bin: bin.to_owned(),
            sku: sku.to_owned(),
        }];
    }
    match text(after, "purchase") {
        Some(purchase) => vec![StockMove::Purchase {
            organization,
            purchase: purchase.to_owned(),
        }],
        None => Vec::new(),
    }
}

/// A job a step ties to a purchase: it will wait for a unit of it, so the
/// purchase must be one of `organization`'s for the job's SKU at the job's
/// location, or no receipt and no intake check would ever serve the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tie {
    pub organization: String,
    pub purchase: String,
    pub location: Option<String>,
    pub sku: Option<String>,
}

/// The tie a step of job `before` → `after` of `order` makes, if any: the
/// job arrives `on_order`, or stays there naming another purchase.
pub fn tie(def: &Definition, order: &Order, before: &Child, after: &Child) -> Option<Tie> {
    const ON_ORDER: &str = WAITING[1];
    if !keeps_stock(def) || after.status != ON_ORDER {
        return None;
    }
    let purchase = text(after, "purchase")?;
    if before.status == ON_ORDER && text(before, "purchase") == Some(purchase) {
        return None;
    }
    Some(Tie {
        organization: order.parties.get(STOCK_SLOT)?.clone(),
        purchase: purchase.to_owned(),
        location: text(after, "location").map(str::to_owned),
        sku: text(after, "sku").map(str::to_owned),
    })
}
