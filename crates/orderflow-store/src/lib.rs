//! The storage contract of orderflow: one trait, implemented once per
//! backend (`orderflow-sqlite`, `orderflow-postgres`), and one contract test
//! suite (`contract`) that every implementation runs.
//!
//! Every change to an order is ONE call to [`Store::commit`], which is ONE
//! transaction: the snapshot (checked against the version the change was
//! decided on), its history rows, the child rows it creates or moves, its
//! outbox rows and its idempotency record. Either all of it is durable or
//! none of it is.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderflow_core::model::{Child, Order};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

pub type Result<T> = std::result::Result<T, StoreError>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The order (or child) is no longer at the version the change was
    /// decided on: someone else changed it first.
    #[error("{what} is at version {current}, not {expected}")]
    VersionConflict {
        what: String,
        expected: u64,
        current: u64,
    },
    /// A record with this id or key exists already.
    #[error("{0} already exists")]
    Duplicate(String),
    #[error("{0} not found")]
    NotFound(String),
    /// The database failed; the message is for logs, not for clients.
    #[error("storage failed: {0}")]
    Backend(String),
}

/// An organisation and its settings (purchasing limit, time zone, payment
/// instructions, locations ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub settings: Map<String, Json>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub name: String,
    pub organization: String,
    pub roles: Vec<String>,
    pub email: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// An API token as stored: only the SHA-256 of the secret is kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: String,
    pub user: String,
    pub name: String,
    pub sha256: [u8; 32],
    pub created_at: DateTime<Utc>,
}

/// One row of an order's history: a step of a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub order_id: String,
    /// 1, 2, 3 ... per order, without gaps.
    pub seq: u64,
    /// The order version the change made.
    pub version: u64,
    pub at: DateTime<Utc>,
    /// The user, or `None` for the system.
    pub user: Option<String>,
    pub organization: Option<String>,
    /// The step, as the engine recorded it (action, inputs, statuses, events).
    pub step: orderflow_core::event::Step,
}

/// Something to tell a party after the change commits (e-mail, webhook).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxMessage {
    pub id: String,
    pub order_id: String,
    pub channel: String,
    pub party: String,
    pub organization: String,
    pub template: String,
    pub payload: Json,
    pub created_at: DateTime<Utc>,
    pub attempts: u32,
}

/// What a retry with the same `Idempotency-Key` answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Idempotency {
    pub user: String,
    pub key: String,
    /// SHA-256 of the request (method, path, body): the same key with another
    /// request is refused.
    pub request_sha256: [u8; 32],
    pub status: u16,
    pub body: Json,
    pub created_at: DateTime<Utc>,
}

/// Everything one change writes, in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Commit {
    /// The new snapshot; its version is `expected_version + 1`.
    pub order: Order,
    /// 0 when the change creates the order.
    pub expected_version: u64,
    /// The acted child stored beside the order (a job), at its new version
    /// (checked against `version - 1`).
    pub child: Option<Child>,
    /// Children the change created that live beside the order (jobs).
    pub new_children: Vec<Child>,
    /// Cascades: every child of `kind` in one of `from` moves to `to`.
    pub moved_children: Vec<MovedChildren>,
    pub history: Vec<HistoryEntry>,
    pub outbox: Vec<OutboxMessage>,
    pub idempotency: Option<Idempotency>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MovedChildren {
    pub kind: String,
    pub from: Vec<String>,
    pub to: String,
}

/// Which orders a list or count covers. Every list is for one organisation:
/// only orders where it fills a slot are considered, and the caller filters
/// the slot's visibility of each status (`visible_statuses`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrderFilter {
    pub organization: String,
    /// Per workflow: the statuses the organisation's slots may see, by slot.
    /// An order is listed only when one of the organisation's slots in it
    /// may see its status.
    pub visible_statuses: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    pub workflow: Option<String>,
    pub status: Option<String>,
    /// Orders where this organisation fills some slot.
    pub party: Option<String>,
    /// Case-insensitive substring of the order id, its reference or a
    /// party organisation's name.
    pub text: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub updated_from: Option<DateTime<Utc>>,
    pub updated_to: Option<DateTime<Utc>>,
}

/// A page of a list: newest first, continued from an opaque cursor.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredFile {
    pub id: String,
    pub organization: String,
    pub uploaded_by: String,
    pub name: String,
    pub media_type: String,
    pub size: u64,
    pub sha256: [u8; 32],
    pub created_at: DateTime<Utc>,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    async fn create_organization(&self, org: &Organization) -> Result<()>;
    async fn organization(&self, id: &str) -> Result<Option<Organization>>;
    async fn organizations(&self) -> Result<Vec<Organization>>;
    async fn update_organization(&self, org: &Organization) -> Result<()>;

    async fn create_user(&self, user: &User) -> Result<()>;
    async fn user(&self, id: &str) -> Result<Option<User>>;
    async fn users(&self, organization: &str) -> Result<Vec<User>>;
    async fn create_token(&self, token: &ApiToken) -> Result<()>;
    /// The user a token's SHA-256 belongs to.
    async fn user_by_token(&self, sha256: &[u8; 32]) -> Result<Option<User>>;
    async fn revoke_token(&self, id: &str) -> Result<()>;

    async fn order(&self, id: &str) -> Result<Option<Order>>;
    async fn child(&self, order_id: &str, child_id: &str) -> Result<Option<Child>>;
    /// Children stored beside the order (jobs), oldest first, after `after_seq`.
    async fn children(
        &self,
        order_id: &str,
        kind: &str,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<Child>>;
    /// Writes one change atomically; `VersionConflict` when the order or the
    /// child moved on, and then nothing is written.
    async fn commit(&self, commit: Commit) -> Result<()>;
    async fn history(
        &self,
        order_id: &str,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<HistoryEntry>>;
    async fn orders(
        &self,
        filter: &OrderFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<Order>>;
    /// Orders per (workflow, status) under the filter (its `status` ignored).
    async fn count_by_status(&self, filter: &OrderFilter) -> Result<Vec<(String, String, u64)>>;

    async fn idempotency(&self, user: &str, key: &str) -> Result<Option<Idempotency>>;

    /// Claims up to `limit` undelivered messages due at `now` for `lease`
    /// seconds, so that several servers never deliver one message twice at
    /// once.
    async fn claim_outbox(
        &self,
        now: DateTime<Utc>,
        lease_secs: u32,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>>;
    async fn outbox_delivered(&self, id: &str, at: DateTime<Utc>) -> Result<()>;
    async fn outbox_failed(&self, id: &str, error: &str, retry_at: DateTime<Utc>) -> Result<()>;

    async fn put_file(&self, file: &StoredFile, bytes: &[u8]) -> Result<()>;
    async fn file(&self, id: &str) -> Result<Option<(StoredFile, Vec<u8>)>>;
}
