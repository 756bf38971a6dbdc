//! The in-app inbox, e-mail preferences and dead letters on the wire.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use utoipa::ToSchema;

/// One notification in the caller's inbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NotificationView {
    pub id: String,
    pub order_id: String,
    /// The order's number as people read it.
    pub order_number: String,
    pub workflow: String,
    /// The kind of message: the workflow's template id (`order_pending`).
    pub template: String,
    /// The one line that says what happened (the e-mail's subject).
    pub subject: String,
    /// The plain text of the message.
    pub text: String,
    /// The order's status when the message was written, and its label.
    pub status: String,
    pub status_label: String,
    /// The order's page, relative to the server (`/orders/{id}`).
    pub href: String,
    pub created_at: DateTime<Utc>,
    /// When the caller marked it read; absent while unread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_at: Option<DateTime<Utc>>,
}

/// `GET /api/v1/notifications`: a page of the caller's inbox, unread first
/// then newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NotificationList {
    pub items: Vec<NotificationView>,
    /// How many of the whole inbox are unread.
    pub unread: u64,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// `POST /api/v1/notifications/read`: how many were marked read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MarkedRead {
    pub marked: u64,
}

/// A kind of e-mail a user may get, and whether the caller opted out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EmailKind {
    /// The template id, the same in every workflow that declares it.
    pub id: String,
    pub label: String,
    /// The workflows that send it.
    pub workflows: Vec<String>,
    pub opted_out: bool,
}

/// `GET /api/v1/me/email-preferences`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EmailPreferences {
    /// The address e-mails go to; none means the user gets no e-mail (the
    /// inbox keeps every notification anyway).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub kinds: Vec<EmailKind>,
}

/// `PUT /api/v1/me/email-preferences`: the kinds of e-mail the caller does
/// not want, replacing the previous choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetEmailPreferences {
    pub opted_out: Vec<String>,
}

/// A message the server stopped trying to deliver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeadLetterView {
    pub id: String,
    pub order_id: String,
    pub channel: String,
    pub party: String,
    pub organization: String,
    pub template: String,
    pub attempts: u32,
    pub last_error: String,
    pub created_at: DateTime<Utc>,
    pub dead_at: DateTime<Utc>,
    /// What the message carried (for e-mail: subject, text and HTML).
    #[schema(value_type = Object)]
    pub payload: Json,
}

/// `GET /api/v1/outbox/dead`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeadLetterList {
    pub items: Vec<DeadLetterView>,
}

/// `GET /api/v1/notifications` and `GET /api/v1/outbox/dead`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    /// A page's `next_cursor`.
    pub cursor: Option<String>,
    /// From 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// The query of `GET /api/v1/outbox/dead`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeadLetterQuery {
    /// From 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}
