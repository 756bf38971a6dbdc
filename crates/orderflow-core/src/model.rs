//! Orders, their children and who acts on them: the snapshots the engine
//! reads and writes.

use std::collections::BTreeMap;

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
    pub workflow: String,
    /// Empty until the creating action has run.
    pub status: String,
    /// Grows by one on every change; 0 before creation.
    pub version: u64,
    /// Party slot → organisation id.
    pub parties: BTreeMap<String, String>,
    /// Fields and collections, by id.
    pub data: Map<String, Json>,
    /// The next id to give, per collection and per child kind.
    pub next_ids: BTreeMap<String, u64>,
    /// Children whose parent is the order (items), loaded with it.
    pub children: Vec<Child>,
    /// Per-state counters of children that are not loaded with the order
    /// (jobs), so one job's step costs the same whatever the order's size.
    pub counts: Counts,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl Order {
    /// An order about to be created: parties chosen, nothing else.
    pub fn blank(id: &str, workflow: &str, parties: BTreeMap<String, String>) -> Self {
        Self {
            id: id.to_owned(),
            workflow: workflow.to_owned(),
            status: String::new(),
            version: 0,
            parties,
            data: Map::new(),
            next_ids: BTreeMap::new(),
            children: Vec::new(),
            counts: Counts::new(),
            created_at: None,
            updated_at: None,
        }
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

/// Who asks for a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    User {
        user: String,
        organization: String,
        roles: Vec<String>,
    },
    /// The server itself: automatic transitions, schedules, deliveries.
    System,
}

impl Actor {
    pub fn user(user: &str, organization: &str, roles: &[&str]) -> Self {
        Actor::User {
            user: user.to_owned(),
            organization: organization.to_owned(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        }
    }
}

/// Settings of the organisations in an order's slots (purchasing limit,
/// time zone, locations ...), by slot. The engine reads them; the server
/// keeps them.
pub type PartySettings = BTreeMap<String, Map<String, Json>>;
