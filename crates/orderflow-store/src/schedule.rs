//! What the scheduler stores: one row per declared schedule (when it runs
//! next) and the orders' timers (`[[timers]]`).
//!
//! Several servers may share one database: a schedule's run and a due
//! timer are each claimed by one of them, with a row lock on PostgreSQL
//! (`FOR UPDATE SKIP LOCKED`) and SQLite's one writer, and the claim moves
//! the row on in the same transaction, so no two servers take the same run.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Result;

/// A schedule's row: `key` is `"{workflow}.{schedule}"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleRun {
    pub key: String,
    pub next_run_at: DateTime<Utc>,
    pub last_run_at: Option<DateTime<Utc>>,
    /// Runs claimed so far, by every server.
    pub runs: u64,
}

/// Where a timer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerStatus {
    /// Waiting for `due_at`.
    Pending,
    /// Claimed by a server that is taking its action now.
    Running,
    /// Its action was taken.
    Fired,
    /// Its action was refused when it fired (`last_error` says why).
    Failed,
    /// Cancelled by a user, or cleared when the order left its states.
    Canceled,
}

impl TimerStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TimerStatus::Pending => "pending",
            TimerStatus::Running => "running",
            TimerStatus::Fired => "fired",
            TimerStatus::Failed => "failed",
            TimerStatus::Canceled => "canceled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            TimerStatus::Pending,
            TimerStatus::Running,
            TimerStatus::Fired,
            TimerStatus::Failed,
            TimerStatus::Canceled,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// One timer of one order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderTimer {
    pub order_id: String,
    /// The timer's id in the workflow.
    pub timer: String,
    /// The action the system takes when it fires.
    pub action: String,
    pub due_at: DateTime<Utc>,
    pub status: TimerStatus,
    pub set_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_error: Option<String>,
}

/// What a change does to its order's timers, written with it.
#[derive(Debug, Clone, PartialEq)]
pub enum TimerWrite {
    /// Sets the timer (again): pending, due at `due_at`.
    Set {
        timer: String,
        action: String,
        due_at: DateTime<Utc>,
    },
    /// A pending timer is canceled (the order left its states).
    Clear { timer: String },
}

/// The scheduler's storage. Every list is bounded by [`crate::MAX_LIMIT`].
#[async_trait]
pub trait ScheduleStore: Send + Sync {
    /// Claims the run of schedule `key` due at `now`: when its row is due
    /// (`next_run_at <= now`) and no other server holds it, moves it to
    /// `next_run_at` and answers `true`, in one transaction. A schedule
    /// seen for the first time is due at `first_run_at` (`now` for one
    /// that runs every so many minutes, its next time for a cron one).
    /// However many runs were missed, one claim covers them all.
    async fn claim_schedule_run(
        &self,
        key: &str,
        now: DateTime<Utc>,
        next_run_at: DateTime<Utc>,
        first_run_at: DateTime<Utc>,
    ) -> Result<bool>;
    /// Every schedule's row, by key.
    async fn schedule_runs(&self) -> Result<Vec<ScheduleRun>>;

    /// Claims up to `limit` timers due at `now` (earliest first), pending
    /// ones and running ones whose claim is older than `lease_secs`
    /// (a server that died while firing them), and marks them running.
    async fn claim_due_timers(
        &self,
        now: DateTime<Utc>,
        lease_secs: u32,
        limit: u32,
    ) -> Result<Vec<OrderTimer>>;
    /// A claimed timer fired (`error` None) or its action was refused;
    /// `NotFound` when it is not running.
    async fn timer_finished(
        &self,
        order_id: &str,
        timer: &str,
        now: DateTime<Utc>,
        error: Option<&str>,
    ) -> Result<()>;
    /// The order's timers, by due time.
    async fn order_timers(&self, order_id: &str) -> Result<Vec<OrderTimer>>;
    /// Cancels a pending timer; `NotFound` when there is no pending one.
    async fn cancel_timer(&self, order_id: &str, timer: &str, now: DateTime<Utc>) -> Result<()>;
    /// Moves a pending timer to `due_at`; `NotFound` when there is no
    /// pending one.
    async fn reschedule_timer(
        &self,
        order_id: &str,
        timer: &str,
        due_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()>;
}
