//! The SQL that orderflow's two storage backends share, written once.
//!
//! `orderflow-sqlite` and `orderflow-postgres` store the same tables with
//! the same statements; they differ in the query layer (PostgreSQL: sqlx;
//! SQLite: its own over rusqlite, in sqlx's shape), in how they run a write
//! (SQLite: one writer thread with group commit; PostgreSQL: group commit
//! over a pool) and in the outbox claim's row lock. This crate holds:
//!
//! - the pure helpers (times as microseconds, integer conversions, JSON as
//!   text, `LIKE` patterns, error mapping) and the write operations
//!   ([`Op`], [`Done`]) as plain functions and types;
//! - [`sql_store!`], which each backend instantiates with its query layer
//!   to get the row mapping, the reads, the writes ([`Op`] applied on one
//!   connection) and its `impl Store`.
//!
//! Why a macro rather than functions generic over `DB: sqlx::Database`: the
//! generic version needs an `Encode + Type` or `Decode + Type` bound for
//! every Rust type bound or read (`&str`, `String`, `i64`, `Option<String>`,
//! `&[u8]`, `Vec<u8>`), `ColumnIndex<&str>` for the row, executor bounds for
//! the pool and the connection and `IntoArguments` for the query builder,
//! and Rust does not carry such bounds from a trait to its users, so every
//! function would repeat them. The macro body is the plain code that both
//! backends used to copy, with the types as parameters.
//!
//! Every statement uses `$1, $2, ...` placeholders, which PostgreSQL and
//! the SQLite layer both bind by number; dynamic SQL goes through the
//! layer's `QueryBuilder::push_bind`, which writes the placeholder.

mod accounts;
mod admin;
mod cache;
mod commit;
pub mod counts;
mod files;
mod floor;
mod inventory;
mod notifications;
mod numbers;
mod orders;
mod outbox;
mod schedule;
mod store;
mod webhooks;
mod workflows;
mod writes;

pub use cache::ReadCache;
pub use floor::json_member_pattern;
pub use inventory::InventoryOp;

use chrono::{DateTime, Utc};
use orderflow_core::model::Order;
use orderflow_store::{
    ApiToken, Commit, Organization, OutboxMessage, Result, Session, StoreError, StoredFile, User,
    WebhookDelivery, WebhookEndpoint, WorkflowVersion,
};
use serde::Serialize;
use serde_json::Value as Json;

/// What the macro's expansion names, so the backends need not depend on
/// exactly the same crates.
#[doc(hidden)]
pub mod __private {
    pub use async_trait;
    pub use chrono;
    pub use orderflow_core;
    pub use orderflow_store;
    pub use serde;
    pub use serde_json;
    pub use sqlx;
}

/// How the writes of one transaction stand apart (`apply_all`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Apart {
    /// Each write in a savepoint of its own when there are several: a
    /// refused one undoes only itself.
    Savepoints,
    /// No savepoints: the first refused write breaks the transaction, and
    /// the caller runs the writes again with savepoints. Two statements a
    /// write fewer, for backends where a statement is a round trip.
    Optimistic,
}

/// One write, run on one connection inside a transaction (PostgreSQL) or a
/// savepoint (SQLite) that the backend opens and ends.
pub enum Op {
    Commit(Box<Commit>),
    CreateOrganization(Organization),
    UpdateOrganization(Organization),
    CreateUser(User),
    UpdateUser(User),
    CreateToken(ApiToken),
    RevokeToken(String),
    ClaimOutbox {
        now: DateTime<Utc>,
        lease_secs: u32,
        limit: u32,
    },
    OutboxDelivered {
        id: String,
        at: DateTime<Utc>,
    },
    OutboxFailed {
        id: String,
        error: String,
        retry_at: DateTime<Utc>,
    },
    PutFile(StoredFile, Vec<u8>),
    DeleteFile {
        id: String,
        uploaded_by: String,
    },
    /// The health check's write.
    Probe(DateTime<Utc>),
    Account(AccountOp),
    Notification(NotificationOp),
    Workflow(WorkflowOp),
    Webhook(WebhookOp),
    Schedule(ScheduleOp),
    /// The next order number of an organisation for a prefix.
    NextNumber {
        organization: String,
        prefix: String,
    },
    Inventory(InventoryOp),
}

impl Op {
    /// Whether the write may change a user, a token, an organisation or a
    /// webhook endpoint: what [`ReadCache`] keeps. Every kind of write is
    /// named, so a new one is classified when it is added.
    pub fn changes_cached(&self) -> bool {
        match self {
            Op::CreateOrganization(_)
            | Op::UpdateOrganization(_)
            | Op::CreateUser(_)
            | Op::UpdateUser(_)
            | Op::CreateToken(_)
            | Op::RevokeToken(_)
            | Op::Webhook(WebhookOp::Create(_) | WebhookOp::Delete(_)) => true,
            Op::Webhook(
                WebhookOp::Claim { .. }
                | WebhookOp::Delivered { .. }
                | WebhookOp::Failed { .. }
                | WebhookOp::Redeliver { .. },
            ) => false,
            Op::Commit(_)
            | Op::ClaimOutbox { .. }
            | Op::OutboxDelivered { .. }
            | Op::OutboxFailed { .. }
            | Op::PutFile(..)
            | Op::DeleteFile { .. }
            | Op::Probe(_)
            | Op::Account(_)
            | Op::Notification(_)
            | Op::Workflow(_)
            | Op::Schedule(_)
            | Op::NextNumber { .. }
            | Op::Inventory(_) => false,
        }
    }
}

/// A write to the inbox, the opt-outs or a dead letter.
pub enum NotificationOp {
    MarkRead {
        user: String,
        organization: String,
        message: String,
        at: DateTime<Utc>,
    },
    MarkAllRead {
        user: String,
        organization: String,
        at: DateTime<Utc>,
    },
    SetOptOuts {
        user: String,
        templates: Vec<String>,
    },
    Dead {
        id: String,
        error: String,
        at: DateTime<Utc>,
    },
}

/// A write to passwords or sessions.
pub enum AccountOp {
    SetPassword {
        user: String,
        phc: Option<String>,
    },
    CreateSession(Session),
    TouchSession {
        sha256: [u8; 32],
        at: DateTime<Utc>,
    },
    DeleteSession([u8; 32]),
    DeleteSessions(String),
    DeleteEndedSessions {
        now: DateTime<Utc>,
        idle_since: DateTime<Utc>,
    },
}

/// A write to deployed workflows.
pub enum WorkflowOp {
    Deploy(WorkflowVersion),
    Retire { id: String, retired: bool },
    Delete(String),
}

/// A write of the scheduler's rows.
pub enum ScheduleOp {
    ClaimRun {
        key: String,
        now: DateTime<Utc>,
        next: DateTime<Utc>,
        first: DateTime<Utc>,
    },
    ClaimTimers {
        now: DateTime<Utc>,
        lease_secs: u32,
        limit: u32,
    },
    Finished {
        order_id: String,
        timer: String,
        now: DateTime<Utc>,
        error: Option<String>,
    },
    Cancel {
        order_id: String,
        timer: String,
        now: DateTime<Utc>,
    },
    Reschedule {
        order_id: String,
        timer: String,
        due_at: DateTime<Utc>,
        now: DateTime<Utc>,
    },
}

/// A write to webhook endpoints or deliveries.
pub enum WebhookOp {
    Create(WebhookEndpoint),
    Delete(String),
    Claim {
        now: DateTime<Utc>,
        lease_secs: u32,
        limit: u32,
    },
    Delivered {
        id: String,
        at: DateTime<Utc>,
    },
    Failed {
        id: String,
        error: String,
        retry_at: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    },
    Redeliver {
        id: String,
        now: DateTime<Utc>,
    },
}

/// What a write answers.
pub enum Done {
    Unit,
    Claimed(Vec<OutboxMessage>),
    /// Rows a write changed.
    Count(u64),
    Deliveries(Vec<WebhookDelivery>),
    /// Whether a schedule's run was claimed.
    RunClaimed(bool),
    Timers(Vec<orderflow_store::OrderTimer>),
    Number(u64),
}

pub fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// What the store needs to know of a database driver's error: sqlx's
/// (PostgreSQL) and the SQLite backend's own.
pub trait DbFailure: std::fmt::Display {
    /// The database cannot take the request now (see [`db`]).
    fn is_outage(&self) -> bool;
    fn is_unique_violation(&self) -> bool;
    fn is_foreign_key_violation(&self) -> bool;
}

impl DbFailure for sqlx::Error {
    fn is_outage(&self) -> bool {
        match self {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => true,
            sqlx::Error::Database(d) => d.code().is_some_and(|c| outage_code(&c)),
            _ => false,
        }
    }

    fn is_unique_violation(&self) -> bool {
        self.as_database_error()
            .is_some_and(|d| d.is_unique_violation())
    }

    fn is_foreign_key_violation(&self) -> bool {
        self.as_database_error()
            .is_some_and(|d| d.is_foreign_key_violation())
    }
}

/// A database error, told apart by what a client can do about it: an
/// outage (the disk is full or read-only, an I/O error, the server is down,
/// restarting or out of connections, a lock or serialisation failure) is
/// `Unavailable`, worth a retry later; anything else is `Backend`, a bug.
pub fn db(e: impl DbFailure) -> StoreError {
    if e.is_outage() {
        StoreError::Unavailable(e.to_string())
    } else {
        StoreError::Backend(e.to_string())
    }
}

/// SQLite's result codes (numbers, the extended code's low byte is the
/// primary one) and PostgreSQL's SQLSTATEs (five characters) that mean the
/// database cannot take the request now.
pub fn outage_code(code: &str) -> bool {
    if let Ok(n) = code.parse::<u32>()
        && code.len() != 5
    {
        // BUSY, LOCKED, READONLY, IOERR, FULL, CANTOPEN.
        return matches!(n & 0xff, 5 | 6 | 8 | 10 | 13 | 14);
    }
    // Connection exception, insufficient resources (disk full, out of
    // memory, too many connections), operator intervention (shutdown,
    // restart, statement timeout), system error (I/O), serialisation
    // failure and deadlock.
    ["08", "53", "57", "58"]
        .iter()
        .any(|class| code.starts_with(class))
        || code == "40001"
        || code == "40P01"
}

/// `Duplicate(what)` for a unique violation, `NotFound(what)` for a
/// foreign key violation, [`db`] for the rest.
pub fn refused<E: DbFailure>(what: &str) -> impl Fn(E) -> StoreError + '_ {
    move |e| {
        if e.is_unique_violation() {
            StoreError::Duplicate(what.to_owned())
        } else if e.is_foreign_key_violation() {
            StoreError::NotFound(what.to_owned())
        } else {
            db(e)
        }
    }
}

/// `NotFound(what)` when a write touched no row.
pub fn found(rows: u64, what: impl FnOnce() -> String) -> Result<()> {
    if rows == 0 {
        Err(StoreError::NotFound(what()))
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------- conversions ---

pub fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub fn from_micros(us: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_micros(us).ok_or_else(|| backend(format!("time {us} out of range")))
}

pub fn int(n: u64) -> Result<i64> {
    i64::try_from(n).map_err(|_| StoreError::Invalid(format!("{n} is too large to store")))
}

pub fn uint(n: i64) -> Result<u64> {
    u64::try_from(n).map_err(|_| backend(format!("negative count {n} stored")))
}

pub fn text(value: &impl Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(backend)
}

pub fn json<T: serde::de::DeserializeOwned>(raw: &str, column: &str) -> Result<T> {
    serde_json::from_str(raw).map_err(|e| backend(format!("{column}: {e}")))
}

pub fn hash(raw: Vec<u8>, column: &str) -> Result<[u8; 32]> {
    raw.try_into()
        .map_err(|_| backend(format!("{column} is not 32 bytes")))
}

/// The most of an order's text that search looks through.
const SEARCH_TEXT_MAX: usize = 16 * 1024;

/// What text search finds an order by beyond its id, number and reference:
/// every text and number in its data and its items' data (line products,
/// SKUs, tracking numbers, notes), lower-cased. Records some party could not
/// see when written are left out, so search never reveals them.
pub fn search_text(order: &Order) -> String {
    fn walk(value: &Json, out: &mut String) {
        if out.len() >= SEARCH_TEXT_MAX {
            return;
        }
        match value {
            Json::String(s) => {
                out.push_str(&s.to_lowercase());
                out.push(' ');
            }
            Json::Number(n) => {
                out.push_str(&n.to_string());
                out.push(' ');
            }
            Json::Array(items) => items.iter().for_each(|v| walk(v, out)),
            Json::Object(fields) => fields.values().for_each(|v| walk(v, out)),
            Json::Null | Json::Bool(_) => {}
        }
    }
    let mut out = String::new();
    for (key, value) in &order.data {
        let hidden = order.hidden_records.get(key);
        match (value, hidden) {
            (Json::Array(records), Some(hidden)) => records
                .iter()
                .filter(|r| {
                    let id = r.get("id").and_then(Json::as_u64);
                    !id.is_some_and(|id| hidden.contains_key(&id))
                })
                .for_each(|r| walk(r, &mut out)),
            _ => walk(value, &mut out),
        }
    }
    for child in &order.children {
        child.data.values().for_each(|v| walk(v, &mut out));
    }
    if out.len() > SEARCH_TEXT_MAX {
        let mut end = SEARCH_TEXT_MAX;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
    }
    out
}

/// `%text%` for `LIKE ... ESCAPE '\'`, lower-cased, wildcards escaped.
pub fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The page of at most `limit` orders out of `items` (fetched with
/// `limit + 1`), with the cursor of the next page when there is one.
pub fn page(
    mut items: Vec<orderflow_core::model::Order>,
    limit: u32,
    sort: orderflow_store::OrderSort,
) -> orderflow_store::Page<orderflow_core::model::Order> {
    let more = items.len() > limit as usize;
    items.truncate(limit as usize);
    let next_cursor = match items.last() {
        Some(last) if more => Some(
            orderflow_store::Cursor {
                key_micros: sort.key(last).map(micros).unwrap_or_default(),
                id: last.id.clone(),
            }
            .encode(),
        ),
        _ => None,
    };
    orderflow_store::Page { items, next_cursor }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_pattern_escapes_wildcards_and_lowercases() {
        assert_eq!(like_pattern("A_b%c\\"), "%a\\_b\\%c\\\\%");
    }

    #[test]
    fn int_and_uint_refuse_what_does_not_fit() {
        assert!(int(u64::MAX).is_err());
        assert!(uint(-1).is_err());
        assert_eq!(uint(int(42).ok().unwrap_or_default()).ok(), Some(42));
    }

    #[test]
    fn outages_are_told_from_bugs_by_their_codes() {
        for code in ["13", "8", "1032", "10", "266", "5", "517", "14"] {
            assert!(outage_code(code), "SQLite {code} is an outage");
        }
        for code in ["1", "19", "2067", "787", "11"] {
            assert!(!outage_code(code), "SQLite {code} is not an outage");
        }
        for code in [
            "08006", "53100", "57P01", "57P03", "58030", "40001", "40P01",
        ] {
            assert!(outage_code(code), "PostgreSQL {code} is an outage");
        }
        for code in ["23505", "23503", "42P01", "22P02"] {
            assert!(!outage_code(code), "PostgreSQL {code} is not an outage");
        }
    }
}
