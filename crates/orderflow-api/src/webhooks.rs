//! Webhook endpoints and their deliveries on the wire (docs/webhooks.md).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use utoipa::ToSchema;

/// `POST /api/v1/webhooks`: where to send, and which changes. An empty
/// filter list lets everything through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// `http://` or `https://`.
    pub url: String,
    /// Only orders of these workflows.
    #[serde(default)]
    pub workflows: Vec<String>,
    /// Only these event types: `order.created`, `order.status_changed`,
    /// `order.updated`, `order.notification`.
    #[serde(default)]
    pub events: Vec<String>,
    /// Only changes made by these actions.
    #[serde(default)]
    pub actions: Vec<String>,
}

/// An endpoint as listed: its secret is never shown again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WebhookView {
    pub id: String,
    pub organization: String,
    pub url: String,
    pub workflows: Vec<String>,
    pub events: Vec<String>,
    pub actions: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// A new endpoint with its signing secret, shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WebhookCreated {
    pub webhook: WebhookView,
    /// `whsec_` and the base64 of the key that signs every delivery
    /// (Standard Webhooks: `webhook-signature: v1,<base64 HMAC-SHA256 of
    /// "{webhook-id}.{webhook-timestamp}.{body}">`).
    pub secret: String,
}

/// One event for one endpoint, and how sending it went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WebhookDeliveryView {
    /// The `webhook-id` header and the body's `id`.
    pub id: String,
    pub webhook: String,
    pub order_id: String,
    /// The event type.
    pub event: String,
    /// `pending`, `delivered` or `dead` (given up on; redeliver by hand).
    pub state: String,
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub dead_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// The body sent.
    pub payload: Json,
}

/// The query of an endpoint's deliveries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// From 1 to 200 (default 50), newest first.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}
