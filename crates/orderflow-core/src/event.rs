//! What a change did, as facts: `decide` produces them, `apply` folds them
//! into a snapshot, history keeps them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The order was created (the first event of its history).
    Created,
    StatusChanged {
        from: String,
        to: String,
    },
    FieldSet {
        field: String,
        value: Json,
    },
    /// `record` carries its new `id`.
    RecordAppended {
        collection: String,
        record: Map<String, Json>,
    },
    RecordUpdated {
        collection: String,
        id: u64,
        changes: Map<String, Json>,
    },
    RecordRemoved {
        collection: String,
        id: u64,
    },
    /// A party is told, through the outbox.
    Notified {
        party: String,
        template: String,
        channel: String,
    },
    /// The server is asked to create another order (a reorder).
    OrderRequested {
        action: String,
        inputs: Json,
    },
    /// `count` children `"{kind}-{first}"` ... created in the kind's first
    /// state, all with `data`, under `parent` (a child id, or the order).
    ChildrenCreated {
        kind: String,
        parent: Option<String>,
        first: u64,
        count: u64,
        data: Map<String, Json>,
    },
    /// Every child of `kind` in one of `from` moved to `to` (a cascade).
    ChildrenMoved {
        kind: String,
        from: Vec<String>,
        to: String,
    },
    /// A step of one child (taken with `decide_child`).
    ChildStatusChanged {
        kind: String,
        id: String,
        /// The child's parent child, whose counters move with it.
        parent: Option<String>,
        from: String,
        to: String,
    },
    ChildFieldSet {
        kind: String,
        id: String,
        field: String,
        value: Json,
    },
    /// The order moved from one deployed version of its workflow to
    /// another (a migration; its status, if mapped, moves by a
    /// `StatusChanged` beside it).
    WorkflowMigrated {
        from: u32,
        to: u32,
    },
    /// The order's `timer` (`[[timers]]`) is set: at `at` the system takes
    /// `action`. Setting it again replaces the earlier time.
    TimerSet {
        timer: String,
        action: String,
        at: DateTime<Utc>,
    },
    /// The order left the timer's states: a set timer no longer fires.
    TimerCleared {
        timer: String,
    },
}

/// One entry of an order's history: an action and what it did, or an
/// automatic step the system took after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// The action id, or the automatic transition's id.
    pub action: String,
    /// `true` when the system took this step on its own.
    pub automatic: bool,
    /// The child acted on, for child actions.
    pub child: Option<String>,
    pub inputs: Json,
    pub status_before: String,
    pub status_after: String,
    pub events: Vec<Event>,
}
