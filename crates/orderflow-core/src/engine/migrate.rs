//! Moving an order from one deployed version of its workflow to another.
//!
//! A migration changes no data: the order keeps its state when the new
//! version has it, or takes the state a mapping gives for it. It is refused
//! when the order's state, or a state one of its children is in, no longer
//! exists and no mapping names it, or when the new version's status rules
//! would compute another status from the same data (the order would change
//! meaning silently). What it does is one history step by the actor, so
//! replaying history still rebuilds the snapshot.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::Workflow;
use super::apply::fold;
use super::decide::apply_status_rules;
use super::vars::Memo;
use super::{Change, Step};
use crate::event::Event;
use crate::model::{Actor, Order, PartySettings};

/// The action id history records a migration under.
pub const MIGRATE_ACTION: &str = "migrate";

/// What migrating `order` to `to` (version `to_version` of its workflow)
/// with `mapping` (old state → new state) would do: the change, or why it
/// is refused.
pub fn migrate(
    to: &Workflow,
    to_version: u32,
    order: &Order,
    mapping: &BTreeMap<String, String>,
    settings: &PartySettings,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Change, String> {
    let status = mapped(to, &order.status, mapping)
        .ok_or_else(|| gone("its state", &order.status, to_version))?;
    for child in &order.children {
        let kind = to.def.child_kind(&child.kind);
        if !kind.is_some_and(|k| k.states.iter().any(|s| s.id == child.status)) {
            return Err(gone(&child.id, &child.status, to_version));
        }
    }
    for (kind, counts) in &order.counts {
        let states = to.def.child_kind(kind).map(|k| &k.states);
        if let Some((state, _)) = counts
            .iter()
            .filter(|(_, n)| **n > 0)
            .find(|(s, _)| !states.is_some_and(|st| st.iter().any(|x| x.id == **s)))
        {
            return Err(gone(&format!("a {kind}"), state, to_version));
        }
    }
    let mut events = vec![Event::WorkflowMigrated {
        from: order.workflow_version,
        to: to_version,
    }];
    if status != order.status {
        events.push(Event::StatusChanged {
            from: order.status.clone(),
            to: status.clone(),
        });
    }
    let mut working = order.clone();
    fold(to, &mut working, &events);
    let mut step = Step {
        action: MIGRATE_ACTION.to_owned(),
        automatic: false,
        child: None,
        inputs: json!({
            "from_version": order.workflow_version,
            "to_version": to_version,
        }),
        status_before: order.status.clone(),
        status_after: status.clone(),
        events,
    };
    apply_status_rules(
        to,
        &mut working,
        settings,
        now,
        &mut step,
        &mut Memo::default(),
    )
    .map_err(|r| format!("version {to_version} cannot compute its status: {r}"))?;
    if working.status != status {
        return Err(format!(
            "version {to_version} would compute the status {:?} instead of {status:?}",
            working.status
        ));
    }
    Ok(Change {
        version: order.version + 1,
        at: now,
        actor: actor.clone(),
        steps: vec![step],
    })
}

/// The state `status` becomes under `to`: itself when `to` has it, else
/// what the mapping names (when `to` has that).
fn mapped(to: &Workflow, status: &str, mapping: &BTreeMap<String, String>) -> Option<String> {
    let target = match mapping.get(status) {
        Some(t) => t.as_str(),
        None => status,
    };
    to.def.state(target).map(|s| s.id.clone())
}

fn gone(what: &str, status: &str, version: u32) -> String {
    format!("{what} is {status:?}, which version {version} has not and no mapping names")
}
