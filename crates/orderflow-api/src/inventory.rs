//! `/api/v1/inventory/...`: print-production's stock locations, bins,
//! purchases and receipts, and the intake check's report.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /api/v1/inventory/locations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStockLocation {
    /// The production location's id, as in the organisation's `locations`
    /// setting (`chi`).
    #[schema(min_length = 1, max_length = 100)]
    pub id: String,
    /// Shown to people; the id when absent.
    #[serde(default)]
    #[schema(max_length = 100)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StockLocationView {
    pub id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// `POST /api/v1/inventory/locations/{location}/bins`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBin {
    #[schema(min_length = 1, max_length = 100)]
    pub id: String,
    /// The one SKU the bin holds.
    #[schema(min_length = 1, max_length = 100)]
    pub sku: String,
    /// Units in it now (a bin holds at most 1,000,000,000).
    #[serde(default)]
    #[schema(maximum = 1000000000)]
    pub quantity: u64,
}

/// `POST /api/v1/inventory/locations/{location}/bins/{bin}/adjust`: units
/// put away (positive) or taken out by hand (negative); a bin never goes
/// below zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BinAdjustment {
    /// Not 0; at most 1,000,000,000 either way.
    #[schema(minimum = -1000000000, maximum = 1000000000)]
    pub delta: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BinView {
    pub location: String,
    pub id: String,
    pub sku: String,
    pub quantity: u64,
}

/// `POST /api/v1/inventory/purchases`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPurchase {
    /// The purchase order's number (`PO-7`).
    #[schema(min_length = 1, max_length = 100)]
    pub id: String,
    /// The stock location it is delivered to.
    #[schema(min_length = 1, max_length = 100)]
    pub location: String,
    #[schema(min_length = 1, max_length = 100)]
    pub sku: String,
    /// Units ordered, at least 1.
    #[schema(minimum = 1, maximum = 1000000000)]
    pub ordered: u64,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub supplier: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PurchaseView {
    pub id: String,
    pub location: String,
    pub sku: String,
    pub ordered: u64,
    pub received: u64,
    /// Received units handed to jobs.
    pub consumed: u64,
    /// Jobs waiting for a unit of it (`on_order`).
    pub tied: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// `POST /api/v1/inventory/purchases/{id}/receipts`: a delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReceipt {
    /// Units delivered, at least 1.
    #[schema(minimum = 1, maximum = 1000000000)]
    pub quantity: u64,
}

/// A delivery recorded, and what it handed to the jobs tied to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReceiptResult {
    pub purchase: PurchaseView,
    pub intake: IntakeReport,
}

/// `POST /api/v1/inventory/intake`: which location (all of them when
/// absent).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeRequest {
    #[serde(default)]
    pub location: Option<String>,
}

/// What one intake check did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IntakeReport {
    /// Waiting jobs it looked at.
    pub jobs: u64,
    /// Jobs that reserved a unit from a bin and became `pending`.
    pub reserved: u64,
    /// Jobs that took a received unit of a purchase and became `pending`.
    pub received: u64,
    /// The jobs that passed intake (`<order id>/<job id>`), in the order
    /// they passed: oldest first.
    pub passed: Vec<String>,
    /// Jobs tied to a purchase (`on_order`).
    pub tied: u64,
    /// Jobs left as they were (no stock, design not printable, awaiting a
    /// purchase).
    pub waiting: u64,
    /// Jobs whose step was refused when it was taken (another change got
    /// there first: the unit, or the job, moved), with the reason.
    pub refused: Vec<IntakeRefusal>,
    /// How long the check took, in milliseconds.
    pub millis: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IntakeRefusal {
    /// The job's code, `<order id>/<job id>`.
    pub job: String,
    pub reason: String,
}
