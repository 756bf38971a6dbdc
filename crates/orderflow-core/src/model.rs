//! Orders, their children and who acts on them: the snapshots the engine
//! reads and writes.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

/// Counters of children per state, per child kind: `counts["job"]["printed"]`.
pub type Counts = BTreeMap<String, BTreeMap<String, u64>>;

/// The current state of one order. History is kept beside it; replaying the
/// history's events over the blank order rebuilds this exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub id: String,
    /// The short number people use (`DL-1042`), unique per creating
    /// organisation; given by the store when the order is created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    pub workflow: String,
    /// The deployed version of the workflow the order runs under: the
    /// latest when it was created, changed only by a migration. Orders
    /// stored before workflows had versions run under the first.
    #[serde(default = "first_version")]
    pub workflow_version: u32,
    /// Empty until the creating action has run.
    pub status: String,
    /// When the order entered its current status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_since: Option<DateTime<Utc>>,
    /// Grows by one on every change; 0 before creation.
    pub version: u64,
    /// Party slot → organisation id.
    pub parties: BTreeMap<String, String>,
    /// The slots that have seen the order: it reached a state they see
    /// whatever happened before. A state may show itself to a slot only
    /// once it has (`visible_once_seen`).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub seen_by: BTreeSet<String>,
    /// Fields and collections, by id.
    pub data: Map<String, Json>,
    /// The next id to give, per collection and per child kind.
    pub next_ids: BTreeMap<String, u64>,
    /// Children whose parent is the order (items), loaded with it.
    pub children: Vec<Child>,
    /// Records written while a slot could not see the order, by
    /// collection and record id: that slot's users never see them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub hidden_records: BTreeMap<String, BTreeMap<u64, BTreeSet<String>>>,
    /// Per-state counters of children that are not loaded with the order
    /// (jobs), so one job's step costs the same whatever the order's size.
    pub counts: Counts,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

fn first_version() -> u32 {
    1
}

impl Order {
    /// An order about to be created: parties chosen, nothing else.
    pub fn blank(id: &str, workflow: &str, parties: BTreeMap<String, String>) -> Self {
        Self {
            id: id.to_owned(),
            number: None,
            workflow: workflow.to_owned(),
            workflow_version: first_version(),
            status: String::new(),
            status_since: None,
            version: 0,
            parties,
            seen_by: BTreeSet::new(),
            data: Map::new(),
            next_ids: BTreeMap::new(),
            children: Vec::new(),
            hidden_records: BTreeMap::new(),
            counts: Counts::new(),
            created_at: None,
            updated_at: None,
        }
    }

    /// What live updates carry of the order: its identity, parties and
    /// status (who may see it, and what changed), without its data.
    pub fn summary(&self) -> Order {
        Order {
            id: self.id.clone(),
            number: self.number.clone(),
            workflow: self.workflow.clone(),
            workflow_version: self.workflow_version,
            status: self.status.clone(),
            status_since: self.status_since,
            version: self.version,
            parties: self.parties.clone(),
            seen_by: self.seen_by.clone(),
            data: Map::new(),
            next_ids: BTreeMap::new(),
            children: Vec::new(),
            hidden_records: BTreeMap::new(),
            counts: Counts::new(),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    /// The order as users of `slots` may read it: the records written
    /// while none of those slots could see the order left out.
    pub fn as_seen_by(&self, slots: &[String]) -> Order {
        let mut out = self.clone();
        for (collection, hidden) in &self.hidden_records {
            let unseen = |id: u64| {
                hidden
                    .get(&id)
                    .is_some_and(|from| slots.iter().all(|s| from.contains(s)))
            };
            if let Some(Json::Array(records)) = out.data.get_mut(collection) {
                records.retain(|r| !r.get("id").and_then(Json::as_u64).is_some_and(unseen));
            }
        }
        out.hidden_records.clear();
        out
    }

    pub fn child(&self, id: &str) -> Option<&Child> {
        self.children.iter().find(|c| c.id == id)
    }

    /// The slots an organisation fills in this order.
    pub fn slots_of(&self, organization: &str) -> Vec<String> {
        self.parties
            .iter()
            .filter(|(_, org)| org.as_str() == organization)
            .map(|(slot, _)| slot.clone())
            .collect()
    }
}

/// An item of an order, a job of an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Child {
    /// `"{kind}-{n}"`, unique within its order.
    pub id: String,
    pub kind: String,
    /// The parent child's id; `None` when the parent is the order.
    pub parent: Option<String>,
    /// Creation order within the order: lower is older (FIFO).
    pub seq: u64,
    pub status: String,
    pub version: u64,
    pub data: Map<String, Json>,
    /// Counters of this child's own children per state (an item's jobs).
    pub counts: Counts,
}

/// The name history and notes give the steps the server takes on its own.
pub const SYSTEM_NAME: &str = "orderflow";

/// Who asks for a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    User {
        user: String,
        organization: String,
        roles: Vec<String>,
        /// The user's and the organisation's names at the time of the
        /// request: what history and notes keep, so a later rename does
        /// not rewrite the past.
        #[serde(default)]
        name: String,
        #[serde(default)]
        organization_name: String,
    },
    /// The server itself: automatic transitions, schedules, deliveries.
    System,
}

impl Actor {
    /// A user named by their id, of an organisation named by its id.
    pub fn user(user: &str, organization: &str, roles: &[&str]) -> Self {
        Actor::User {
            user: user.to_owned(),
            organization: organization.to_owned(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            name: user.to_owned(),
            organization_name: organization.to_owned(),
        }
    }

    /// The name history gives the actor: the user's, or [`SYSTEM_NAME`].
    pub fn name(&self) -> &str {
        match self {
            Actor::User { name, .. } => name,
            Actor::System => SYSTEM_NAME,
        }
    }
}

/// Settings of the organisations in an order's slots (purchasing limit,
/// time zone, locations ...), by slot. The engine reads them; the server
/// keeps them.
pub type PartySettings = BTreeMap<String, Map<String, Json>>;
