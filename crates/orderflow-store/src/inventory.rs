//! Print-production's inventory as records (docs/inventory.md): stock
//! locations, bins holding units of one SKU, purchases on order and their
//! receipts, per organisation; and the jobs waiting for intake. Units leave
//! a bin or a purchase only through a [`Commit`](crate::Commit)'s `stock`
//! (the job's step and the unit in one transaction), or by an adjustment
//! that never takes a bin below zero.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderflow_core::model::Child;
use serde::{Deserialize, Serialize};

use crate::Result;

/// Jobs one [`InventoryStore::waiting_jobs`] call returns at most.
pub const WAITING_MAX: u32 = 200_000;

/// A place stock is kept: a production location of the organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockLocation {
    pub organization: String,
    pub id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// A bin at a location, holding units of one SKU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockBin {
    pub organization: String,
    pub location: String,
    pub id: String,
    pub sku: String,
    pub quantity: u64,
}

/// Units of one SKU ordered from a supplier for a location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PurchaseRecord {
    pub organization: String,
    pub id: String,
    pub location: String,
    pub sku: String,
    pub ordered: u64,
    /// Units delivered so far (receipts).
    pub received: u64,
    /// Received units handed to jobs; never more than `received`.
    pub consumed: u64,
    pub supplier: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// One delivery of a purchase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    pub organization: String,
    pub purchase: String,
    /// 1, 2, 3 ... per purchase.
    pub seq: u64,
    pub quantity: u64,
    pub received_at: DateTime<Utc>,
    pub user: Option<String>,
}

/// A job waiting for intake, with its order.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitingJob {
    pub order_id: String,
    pub order_created_at: DateTime<Utc>,
    pub job: Child,
}

/// The inventory's storage, part of every [`Store`](crate::Store).
/// The most units a bin or a purchase holds, and so the most one request
/// names: far beyond any shop's stock, and small enough that no sum of two
/// overflows a database integer.
pub const UNITS_MAX: u64 = 1_000_000_000;
/// `UNITS_MAX` as people read it, in messages.
pub const UNITS_MAX_TEXT: &str = "1,000,000,000";

#[async_trait]
pub trait InventoryStore: Send + Sync {
    /// `Duplicate` when the organisation has a location with this id;
    /// `NotFound` when the organisation does not exist.
    async fn create_stock_location(&self, location: &StockLocation) -> Result<()>;
    async fn stock_locations(&self, organization: &str) -> Result<Vec<StockLocation>>;
    /// A new bin with its first quantity; `Duplicate` when the location has
    /// a bin with this id, `NotFound` when the location does not exist.
    async fn create_bin(&self, bin: &StockBin) -> Result<()>;
    /// Adds `delta` units to a bin (a count, a delivery put away, units
    /// written off); `OutOfStock` when it would go below zero or above
    /// `UNITS_MAX`, `NotFound` when there is no such bin.
    async fn adjust_bin(
        &self,
        organization: &str,
        location: &str,
        bin: &str,
        delta: i64,
    ) -> Result<()>;
    /// Bins of the organisation (at one location when given), by location
    /// and id.
    async fn bins(&self, organization: &str, location: Option<&str>) -> Result<Vec<StockBin>>;
    /// `Duplicate` when the organisation has a purchase with this id,
    /// `NotFound` when its location does not exist.
    async fn create_purchase(&self, purchase: &PurchaseRecord) -> Result<()>;
    /// Purchases of the organisation (at one location when given), by id.
    async fn purchases(
        &self,
        organization: &str,
        location: Option<&str>,
    ) -> Result<Vec<PurchaseRecord>>;
    async fn purchase(&self, organization: &str, id: &str) -> Result<Option<PurchaseRecord>>;
    /// Records a delivery of `receipt.quantity` units (its `seq` is chosen
    /// here) and adds them to the purchase's `received`; `NotFound` when
    /// there is no such purchase, `OutOfStock` when it would have received
    /// more than `UNITS_MAX`.
    async fn receive(&self, receipt: &Receipt) -> Result<()>;
    async fn receipts(&self, organization: &str, purchase: &str) -> Result<Vec<Receipt>>;
    /// Children of `kind` in one of `statuses` whose `location` is
    /// `location`, in orders where `organization` fills slot `slot`, oldest
    /// first (by the order's creation, then the child's `seq`); at most
    /// `limit` (up to [`WAITING_MAX`]).
    async fn waiting_jobs(
        &self,
        organization: &str,
        slot: &str,
        kind: &str,
        statuses: &[&str],
        location: &str,
        limit: u32,
    ) -> Result<Vec<WaitingJob>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_reads_as_it_is() {
        assert_eq!(UNITS_MAX_TEXT.replace(',', ""), UNITS_MAX.to_string());
    }
}
