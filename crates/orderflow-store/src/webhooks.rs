//! Webhook endpoints of organisations and the deliveries to them.
//!
//! A delivery is written in the transaction of the change it tells about
//! (in [`Commit::webhooks`](crate::Commit::webhooks)), so a crash loses
//! none; deliverers claim due deliveries for a lease, as they do the
//! outbox, and mark each delivered, failed with a retry time, or dead
//! (failed for good, kept with its last error until someone redelivers it).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::Result;

/// Where an organisation wants to be told about changes, and which.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    pub id: String,
    pub organization: String,
    pub url: String,
    /// `whsec_` and the base64 of the signing key (Standard Webhooks).
    pub secret: String,
    /// Only orders of these workflows; all when empty.
    pub workflows: Vec<String>,
    /// Only these event types (`order.created`, ...); all when empty.
    pub events: Vec<String>,
    /// Only changes made by these actions; all when empty.
    pub actions: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// One event for one endpoint, and how sending it went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    /// Also the event's `webhook-id`: the same on every attempt.
    pub id: String,
    pub endpoint: String,
    pub organization: String,
    pub order_id: String,
    /// The event type (`order.created`, `order.status_changed`, ...).
    pub event: String,
    /// The JSON body sent.
    pub payload: Json,
    pub created_at: DateTime<Utc>,
    /// When it was last redelivered by hand: the time it is retried for
    /// counts from then, not from `created_at`.
    pub retrying_since: Option<DateTime<Utc>>,
    /// Attempts so far (claims, the current one included; 0 in a commit
    /// and after a redelivery by hand).
    pub attempts: u32,
    /// When it is due next; `None` once delivered or dead.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// When it was given up on.
    pub dead_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

impl WebhookDelivery {
    /// `pending`, `delivered` or `dead`.
    pub fn state(&self) -> &'static str {
        if self.delivered_at.is_some() {
            "delivered"
        } else if self.dead_at.is_some() {
            "dead"
        } else {
            "pending"
        }
    }
}

/// The webhook part of the [`Store`](crate::Store).
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// `NotFound` when the organisation does not exist, `Duplicate` for an
    /// id that is taken.
    async fn create_webhook(&self, endpoint: &WebhookEndpoint) -> Result<()>;
    async fn webhook(&self, id: &str) -> Result<Option<WebhookEndpoint>>;
    /// The organisation's endpoints, oldest first (at most
    /// [`MAX_LIMIT`](crate::MAX_LIMIT)).
    async fn webhooks(&self, organization: &str) -> Result<Vec<WebhookEndpoint>>;
    /// Forgets the endpoint and its deliveries; `NotFound` when there is none.
    async fn delete_webhook(&self, id: &str) -> Result<()>;
    /// The endpoint's deliveries, newest first.
    async fn webhook_deliveries(&self, endpoint: &str, limit: u32) -> Result<Vec<WebhookDelivery>>;
    async fn webhook_delivery(&self, id: &str) -> Result<Option<WebhookDelivery>>;
    /// Claims up to `limit` deliveries due at `now` (oldest first) for
    /// `lease_secs` seconds: several servers never send one at once. A
    /// claimed delivery comes back when its lease ends unmarked.
    async fn claim_webhook_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_secs: u32,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>>;
    /// Never claimed again; `NotFound` for an unknown id.
    async fn webhook_delivered(&self, id: &str, at: DateTime<Utc>) -> Result<()>;
    /// Keeps `error`; claimed again from `retry_at`, or, when it is `None`,
    /// dead from `at`. `NotFound` for an unknown id.
    async fn webhook_failed(
        &self,
        id: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// Makes a delivery due at `now` again with no attempts counted,
    /// whatever its state. `NotFound` for an unknown id.
    async fn redeliver_webhook(&self, id: &str, now: DateTime<Utc>) -> Result<()>;
}
