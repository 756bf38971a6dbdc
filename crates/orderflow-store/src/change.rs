//! From what the engine decided to what a store writes: the [`Commit`] of
//! a [`Change`], and the visibility table an [`OrderFilter`] needs.
//!
//! [`OrderFilter`]: crate::OrderFilter

use std::collections::BTreeMap;

use orderflow_core::engine::{self, Change, Workflow};
use orderflow_core::event::Event;
use orderflow_core::model::{Actor, Child, Order};
use serde_json::json;

use crate::{Commit, HistoryEntry, MovedChildren, OutboxMessage};

/// Everything `change` (decided on `before`, acting on `acted` when it is a
/// child action) writes: the new snapshot, the acted child when it is
/// stored beside the order, the children it creates and moves, one history
/// entry per step and one outbox message per notification. Outbox ids are
/// `"{order}:{version}:{n}"`, unique per order. The idempotency record is
/// left to the caller.
pub fn commit_of(wf: &Workflow, before: &Order, acted: Option<&Child>, change: &Change) -> Commit {
    let order = engine::apply(wf, before, change);
    let child = acted
        .filter(|c| before.child(&c.id).is_none())
        .map(|c| engine::apply_child(c, change));
    let events = || change.steps.iter().flat_map(|s| s.events.iter());
    let moved_children = events()
        .filter_map(|e| match e {
            Event::ChildrenMoved { kind, from, to } => Some(MovedChildren {
                kind: kind.clone(),
                from: from.clone(),
                to: to.clone(),
            }),
            _ => None,
        })
        .collect();
    let (user, organization) = match &change.actor {
        Actor::User {
            user, organization, ..
        } => (Some(user.clone()), Some(organization.clone())),
        Actor::System => (None, None),
    };
    let history = change
        .steps
        .iter()
        .map(|step| HistoryEntry {
            order_id: order.id.clone(),
            seq: 0,
            version: change.version,
            at: change.at,
            user: user.clone().filter(|_| !step.automatic),
            organization: organization.clone().filter(|_| !step.automatic),
            step: step.clone(),
        })
        .collect();
    let outbox = events()
        .filter_map(|e| match e {
            Event::Notified {
                party,
                template,
                channel,
            } => Some((party, template, channel)),
            _ => None,
        })
        .enumerate()
        .filter_map(|(n, (party, template, channel))| {
            let organization = order.parties.get(party)?;
            Some(OutboxMessage {
                id: format!("{}:{}:{}", order.id, change.version, n + 1),
                order_id: order.id.clone(),
                channel: channel.clone(),
                party: party.clone(),
                organization: organization.clone(),
                template: template.clone(),
                payload: json!({
                    "order": order.id,
                    "workflow": order.workflow,
                    "status": order.status,
                    "version": order.version,
                }),
                created_at: change.at,
                attempts: 0,
            })
        })
        .collect();
    Commit {
        expected_version: before.version,
        child,
        new_children: engine::created_children(wf, change),
        moved_children,
        history,
        outbox,
        idempotency: None,
        order,
    }
}

/// Per workflow, per party slot: the statuses that slot may see, as
/// [`OrderFilter::visible_statuses`](crate::OrderFilter::visible_statuses)
/// wants them.
pub fn visibility<'a>(
    workflows: impl IntoIterator<Item = &'a Workflow>,
) -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    workflows
        .into_iter()
        .map(|wf| {
            let by_slot = wf
                .def
                .parties
                .iter()
                .map(|party| {
                    let statuses = wf
                        .def
                        .states
                        .iter()
                        .filter(|s| wf.slot_sees(&s.id, &party.id))
                        .map(|s| s.id.clone())
                        .collect();
                    (party.id.clone(), statuses)
                })
                .collect();
            (wf.id().to_owned(), by_slot)
        })
        .collect()
}
