//! The storage contract of orderflow: one trait, implemented once per
//! backend (`orderflow-sqlite`, `orderflow-postgres`), and one contract test
//! suite (`contract`) that every implementation runs.
//!
//! Every change to an order is ONE call to [`Store::commit`], which is ONE
//! transaction: the snapshot (checked against the version the change was
//! decided on), its history rows, the child rows it creates or moves, its
//! outbox rows and its idempotency record. Either all of it is durable or
//! none of it is.

pub mod change;
pub mod contract;
pub mod cursor;
pub mod feed;
pub mod inventory;
pub mod notifications;
pub mod schedule;
pub mod webhooks;
pub mod workflows;

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderflow_core::engine::NewChildren;
use orderflow_core::model::{Child, Order};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

pub use change::{commit_of, visibility, visibility_once_seen};
pub use cursor::Cursor;
pub use feed::ChangeFeed;
pub use inventory::{
    InventoryStore, PurchaseRecord, Receipt, StockBin, StockLocation, WAITING_MAX, WaitingJob,
};
pub use notifications::{DeadLetter, InboxEntry, Notifications};
pub use orderflow_core::builtins::stock::StockMove;
pub use schedule::{OrderTimer, ScheduleRun, ScheduleStore, TimerStatus, TimerWrite};
pub use webhooks::{WebhookDelivery, WebhookEndpoint, WebhookStore};
pub use workflows::{DeployedWorkflow, WorkflowStore, WorkflowVersion};

pub type Result<T> = std::result::Result<T, StoreError>;

#[derive(Debug, Clone, thiserror::Error)]
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
    /// A unit a commit takes is not in the inventory (a bin without stock
    /// of its SKU, a purchase with no received unit left), or a bin or a
    /// purchase would hold more than `inventory::UNITS_MAX`: nothing
    /// written.
    #[error("{0}")]
    OutOfStock(String),
    /// The request contradicts itself or the contract (a malformed cursor,
    /// a commit whose order version is not `expected_version + 1`): a bug
    /// or a bad client input, not a database failure.
    #[error("invalid: {0}")]
    Invalid(String),
    /// The database cannot take requests now (disk full or read-only, I/O
    /// errors, the server down or restarting, no connection free in time):
    /// a retry later may succeed. The message is for logs.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// The database failed in a way a retry will not fix; the message is
    /// for logs, not for clients.
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
    /// The organisation's name, as reads find it (writes ignore it).
    #[serde(default)]
    pub organization_name: String,
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

/// A signed-in browser session as stored: only the SHA-256 of its secret
/// (the cookie) is kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub sha256: [u8; 32],
    pub user: String,
    /// Every form post must carry it; worthless without the cookie.
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    /// The last request made with it (for the idle timeout).
    pub last_seen_at: DateTime<Utc>,
    /// When it ends however busy it is.
    pub expires_at: DateTime<Utc>,
}

/// One row of an order's history: a step of a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub order_id: String,
    /// 1, 2, 3 ... per order, without gaps. Assigned by the store in
    /// [`Store::commit`] (the next numbers after the order's last entry):
    /// what a commit carries here is ignored, as is `order_id` (the
    /// commit's order is used).
    pub seq: u64,
    /// The order version the change made.
    pub version: u64,
    pub at: DateTime<Utc>,
    /// The user, or `None` for the system.
    pub user: Option<String>,
    pub organization: Option<String>,
    /// The user's name (`orderflow` for the system) and the
    /// organisation's, as they were when the entry was written.
    #[serde(default)]
    pub user_name: Option<String>,
    #[serde(default)]
    pub organization_name: Option<String>,
    /// Party slots that could not see the order when the entry was
    /// written: their users never see the entry.
    #[serde(default)]
    pub hidden_from: Vec<String>,
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
    /// How many times the message was claimed, this claim included (0 in a
    /// commit).
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
///
/// Times are kept to the microsecond.
#[derive(Debug, Clone, PartialEq)]
pub struct Commit {
    /// The new snapshot; its version is `expected_version + 1`.
    pub order: Order,
    /// 0 when the change creates the order.
    pub expected_version: u64,
    /// The order at `expected_version`, as far as the rows a store derives
    /// from it need it (meaningless when creating).
    pub before: Before,
    /// The acted child stored beside the order (a job), at its new version
    /// (checked against `version - 1`).
    pub child: Option<Child>,
    /// Children the change created that live beside the order (jobs),
    /// each kind of them described once.
    pub new_children: Vec<NewChildren>,
    /// Cascades: every stored child of `kind` in one of `from` moves to `to`
    /// and its version grows by one (the acted `child` excepted: its row is
    /// written as given, `apply_child` having moved it already).
    pub moved_children: Vec<MovedChildren>,
    pub history: Vec<HistoryEntry>,
    pub outbox: Vec<OutboxMessage>,
    /// Deliveries to webhook endpoints telling about this change.
    pub webhooks: Vec<WebhookDelivery>,
    pub idempotency: Option<Idempotency>,
    /// The order's timers the change sets or clears.
    pub timers: Vec<TimerWrite>,
    /// The organisation whose counter gave `order.number` (creates only):
    /// numbers are unique per organisation.
    pub numbered_by: Option<String>,
    /// Units the change takes from the inventory (a job passing intake),
    /// in the same transaction: a unit that is not there refuses the whole
    /// commit with `OutOfStock`.
    pub stock: Vec<StockMove>,
}

/// What an order was before a change, for the rows a store derives from it
/// (its parties and what they have seen, its counts by status): carried in
/// the [`Commit`] so the store need not read it back. It is what the store
/// holds, because the commit's conditional write on `expected_version`
/// refuses the change otherwise before these rows are touched.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Before {
    pub workflow: String,
    pub status: String,
    /// Party slot → organisation id.
    pub parties: BTreeMap<String, String>,
    /// The slots that had seen the order.
    pub seen_by: BTreeSet<String>,
}

impl Before {
    pub fn of(order: &Order) -> Self {
        Self {
            workflow: order.workflow.clone(),
            status: order.status.clone(),
            parties: order.parties.clone(),
            seen_by: order.seen_by.clone(),
        }
    }

    /// Whether `order` fills the same slots with the same organisations,
    /// each having seen it or not as before: its party rows stay as they
    /// are.
    pub fn same_parties(&self, order: &Order) -> bool {
        self.parties == order.parties
            && order
                .parties
                .keys()
                .all(|slot| self.seen_by.contains(slot) == order.seen_by.contains(slot))
    }
}

/// An order found by its number, and who numbered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Numbered {
    pub id: String,
    pub numbered_by: String,
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
    /// Per workflow: the statuses a slot sees only once it has seen the
    /// order (`visible_once_seen`), by slot.
    pub seen_statuses: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    pub workflow: Option<String>,
    pub status: Option<String>,
    /// Orders where this organisation fills some slot.
    pub party: Option<String>,
    /// Case-insensitive substring of the order's id, number, reference, a
    /// party organisation's name, or any text in the order's data.
    pub text: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub updated_from: Option<DateTime<Utc>>,
    pub updated_to: Option<DateTime<Utc>>,
    pub sort: OrderSort,
}

/// The order of a list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OrderSort {
    /// Newest first.
    #[default]
    Newest,
    /// Oldest first.
    Oldest,
    /// Most recently changed first.
    Updated,
    /// Longest in its current status first.
    Waiting,
}

impl OrderSort {
    pub const ALL: [OrderSort; 4] = [Self::Newest, Self::Oldest, Self::Updated, Self::Waiting];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Newest => "newest",
            Self::Oldest => "oldest",
            Self::Updated => "updated",
            Self::Waiting => "waiting",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The column the list is ordered by (then by id), and whether it is
    /// read from the largest down.
    pub fn column(self) -> (&'static str, bool) {
        match self {
            Self::Newest => ("created_at", true),
            Self::Oldest => ("created_at", false),
            Self::Updated => ("updated_at", true),
            Self::Waiting => ("status_since", false),
        }
    }

    /// `order`'s value of [`column`](Self::column). An order stored before
    /// status times were kept waits since its last change, as the column
    /// was filled then.
    pub fn key(self, order: &Order) -> Option<DateTime<Utc>> {
        match self {
            Self::Newest | Self::Oldest => order.created_at,
            Self::Updated => order.updated_at,
            Self::Waiting => order.status_since.or(order.updated_at),
        }
    }
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

/// The most rows one call returns: larger limits are lowered to this, and a
/// limit of 0 is taken as 1.
pub const MAX_LIMIT: u32 = 500;

/// `limit` within `1..=MAX_LIMIT`.
pub fn clamp_limit(limit: u32) -> u32 {
    limit.clamp(1, MAX_LIMIT)
}

/// The storage of orderflow. Every method is bounded: lists return at most
/// [`MAX_LIMIT`] rows.
///
/// Errors: `Duplicate` when a record with the same id (or key) exists,
/// `NotFound` when a record a write needs is missing, `VersionConflict`
/// when an order or child moved on, `Backend` for everything else.
#[async_trait]
pub trait Store:
    InventoryStore
    + Notifications
    + WorkflowStore
    + WebhookStore
    + ScheduleStore
    + ChangeFeed
    + Send
    + Sync
    + 'static
{
    async fn create_organization(&self, org: &Organization) -> Result<()>;
    async fn organization(&self, id: &str) -> Result<Option<Organization>>;
    /// Every organisation, by id (at most [`MAX_LIMIT`]).
    async fn organizations(&self) -> Result<Vec<Organization>>;
    /// Replaces the name and settings; `NotFound` when it does not exist.
    async fn update_organization(&self, org: &Organization) -> Result<()>;

    /// `NotFound` when the user's organisation does not exist.
    async fn create_user(&self, user: &User) -> Result<()>;
    /// Replaces the name, roles and e-mail; `NotFound` when the user does
    /// not exist. History keeps the names it was written with.
    async fn update_user(&self, user: &User) -> Result<()>;
    async fn user(&self, id: &str) -> Result<Option<User>>;
    /// The organisation's users, by id (at most [`MAX_LIMIT`]).
    async fn users(&self, organization: &str) -> Result<Vec<User>>;
    /// `NotFound` when the user does not exist; `Duplicate` for an id or a
    /// hash stored already.
    async fn create_token(&self, token: &ApiToken) -> Result<()>;
    /// The user's tokens (hashes only), oldest first (at most [`MAX_LIMIT`]).
    async fn tokens(&self, user: &str) -> Result<Vec<ApiToken>>;
    /// The user a token's SHA-256 belongs to; revoked tokens find nobody.
    async fn user_by_token(&self, sha256: &[u8; 32]) -> Result<Option<User>>;
    /// Forgets the token; `NotFound` when there is none with this id.
    async fn revoke_token(&self, id: &str) -> Result<()>;

    async fn order(&self, id: &str) -> Result<Option<Order>>;
    /// A child stored beside its order (a job). Children loaded with the
    /// order (items) are in its snapshot, not here.
    async fn child(&self, order_id: &str, child_id: &str) -> Result<Option<Child>>;
    /// Children stored beside the order (jobs), oldest first (by `seq`),
    /// after `after_seq`.
    async fn children(
        &self,
        order_id: &str,
        kind: &str,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<Child>>;
    /// Children of `kind` whose data field `field` is the string `value`,
    /// in orders where `organization` fills a slot, as `(order id, child
    /// id)`, at most `limit`: how a station finds a job by what is printed
    /// on it (a shipping label's tracking number).
    async fn children_by_field(
        &self,
        organization: &str,
        kind: &str,
        field: &str,
        value: &str,
        limit: u32,
    ) -> Result<Vec<(String, String)>>;
    /// Writes one change atomically. `VersionConflict` when the order or the
    /// acted child moved on, `Duplicate` when `expected_version` is 0 and the
    /// order exists or when the idempotency key is taken, `NotFound` when the
    /// order or the acted child does not exist; on any error nothing is
    /// written. `Ok` means the change is durable.
    async fn commit(&self, commit: Commit) -> Result<()>;
    /// The next number of `organization`'s orders starting with `prefix`
    /// (1001, 1002 ...), durable before it is answered: a number is never
    /// given twice, and one given to a create that then failed is skipped.
    async fn next_number(&self, organization: &str, prefix: &str) -> Result<u64>;
    /// The orders numbered `number` in which `organization` fills a slot
    /// (several when different organisations numbered them alike).
    async fn numbered(&self, number: &str, organization: &str) -> Result<Vec<Numbered>>;
    /// History entries after `after_seq`, in `seq` order.
    async fn history(
        &self,
        order_id: &str,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<HistoryEntry>>;
    /// Orders under the filter, newest first (by creation time, then id),
    /// continuing after `cursor` (a page's `next_cursor`). Orders created
    /// while paging never make a page repeat or skip an older order.
    async fn orders(
        &self,
        filter: &OrderFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<Order>>;
    /// Orders per (workflow, status) under the filter (its `status` ignored),
    /// sorted by workflow then status.
    async fn count_by_status(&self, filter: &OrderFilter) -> Result<Vec<(String, String, u64)>>;

    async fn idempotency(&self, user: &str, key: &str) -> Result<Option<Idempotency>>;

    /// Claims up to `limit` undelivered messages due at `now` (oldest
    /// first) for `lease_secs` seconds, so that several servers never
    /// deliver one message twice at once. A claimed message comes back
    /// when its lease ends without `outbox_delivered` or `outbox_failed`.
    async fn claim_outbox(
        &self,
        now: DateTime<Utc>,
        lease_secs: u32,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>>;
    /// The message is never claimed again; `NotFound` for an unknown id.
    async fn outbox_delivered(&self, id: &str, at: DateTime<Utc>) -> Result<()>;
    /// The message is claimed again from `retry_at`; `NotFound` for an
    /// unknown id. (A message given up on is dead:
    /// [`Notifications::outbox_dead`].)
    async fn outbox_failed(&self, id: &str, error: &str, retry_at: DateTime<Utc>) -> Result<()>;

    /// `Duplicate` when the id is taken.
    async fn put_file(&self, file: &StoredFile, bytes: &[u8]) -> Result<()>;

    /// Removes a file `uploaded_by` uploaded; `NotFound` when there is no
    /// such file of theirs. Only for a file nothing can refer to yet: one a
    /// form uploaded for an action that was then refused.
    async fn delete_file(&self, id: &str, uploaded_by: &str) -> Result<()>;

    /// Commits a small write the way every change is committed (through
    /// SQLite's one writer, in a PostgreSQL transaction), so a store that
    /// reads but cannot write (a full or read-only disk, a stopped writer)
    /// fails it.
    async fn probe(&self, now: DateTime<Utc>) -> Result<()>;
    async fn file(&self, id: &str) -> Result<Option<(StoredFile, Vec<u8>)>>;

    /// The user with this e-mail, compared without regard to ASCII case;
    /// the first by id when several share it.
    async fn user_by_email(&self, email: &str) -> Result<Option<User>>;
    /// Sets (a PHC string) or clears the user's password hash; `NotFound`
    /// when the user does not exist.
    async fn set_password(&self, user: &str, phc: Option<&str>) -> Result<()>;
    /// The user's password hash, if the user exists and has one.
    async fn password(&self, user: &str) -> Result<Option<String>>;

    /// `NotFound` when the user does not exist; `Duplicate` for a hash
    /// stored already.
    async fn create_session(&self, session: &Session) -> Result<()>;
    /// The session with this SHA-256 and its user, ended or not (the
    /// caller judges the times).
    async fn session(&self, sha256: &[u8; 32]) -> Result<Option<(Session, User)>>;
    /// Records a use of the session; `NotFound` when there is none.
    async fn touch_session(&self, sha256: &[u8; 32], at: DateTime<Utc>) -> Result<()>;
    /// Ends the session; ending one that is gone already is fine.
    async fn delete_session(&self, sha256: &[u8; 32]) -> Result<()>;
    /// Ends every session of the user.
    async fn delete_sessions(&self, user: &str) -> Result<()>;
    /// Forgets sessions past `expires_at` at `now`, or unused since
    /// `idle_since`.
    async fn delete_ended_sessions(
        &self,
        now: DateTime<Utc>,
        idle_since: DateTime<Utc>,
    ) -> Result<()>;
}
