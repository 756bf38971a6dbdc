//! From what the engine decided to what a store writes: the [`Commit`] of
//! a [`Change`], and the visibility table an [`OrderFilter`] needs.
//!
//! [`OrderFilter`]: crate::OrderFilter

use std::collections::BTreeMap;

use orderflow_core::builtins::stock;
use orderflow_core::engine::{self, Change, Workflow};
use orderflow_core::event::Event;
use orderflow_core::model::{Actor, Child, Order};
use serde_json::json;

use crate::{Before, Commit, HistoryEntry, MovedChildren, OutboxMessage, TimerWrite};

/// Everything `change` (decided on `before`, acting on `acted` when it is a
/// child action) writes: the new snapshot, the acted child when it is
/// stored beside the order, the children it creates and moves, one history
/// entry per step (with the slots that could not see the order then) and
/// one outbox message per notification of a party that sees the order
/// (with the action and inputs of the step that sent it). Outbox ids are
/// `"{order}:{version}:{n}"`, unique per order. The idempotency record is
/// left to the caller.
pub fn commit_of(wf: &Workflow, before: &Order, acted: Option<&Child>, change: &Change) -> Commit {
    let order = engine::apply(wf, before, change);
    let acted_stored = acted.filter(|c| before.child(&c.id).is_none());
    let child = acted_stored.map(|c| engine::apply_child(c, change));
    let stock = match (acted_stored, &child) {
        (Some(b), Some(a)) => stock::moves(&wf.def, before, b, a),
        _ => Vec::new(),
    };
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
    let mut seen_by = before.seen_by.clone();
    let history = change
        .steps
        .iter()
        .map(|step| {
            let status = &step.status_after;
            seen_by.extend(
                before
                    .parties
                    .keys()
                    .filter(|slot| wf.slot_sees(status, slot))
                    .cloned(),
            );
            let hidden_from = wf
                .blind_slots(before, status, &seen_by)
                .into_iter()
                .collect();
            let actor = if step.automatic {
                &Actor::System
            } else {
                &change.actor
            };
            let (user, organization, organization_name) = match actor {
                Actor::User {
                    user,
                    organization,
                    organization_name,
                    ..
                } => (
                    Some(user.clone()),
                    Some(organization.clone()),
                    Some(organization_name.clone()),
                ),
                Actor::System => (None, None, None),
            };
            HistoryEntry {
                order_id: order.id.clone(),
                seq: 0,
                version: change.version,
                at: change.at,
                user,
                organization,
                user_name: Some(actor.name().to_owned()),
                organization_name,
                hidden_from,
                step: step.clone(),
            }
        })
        .collect();
    let outbox = change
        .steps
        .iter()
        .flat_map(|step| step.events.iter().map(move |e| (step, e)))
        .filter_map(|(step, e)| match e {
            Event::Notified {
                party,
                template,
                channel,
            } => Some((step, party, template, channel)),
            _ => None,
        })
        // A party is never told about an order it cannot see.
        .filter(|(_, party, _, _)| wf.slot_sees_now(&order.status, &order.seen_by, party))
        .enumerate()
        .filter_map(|(n, (step, party, template, channel))| {
            let organization = order.parties.get(party)?;
            Some(OutboxMessage {
                id: format!("{}:{}:{}", order.id, change.version, n + 1),
                order_id: order.id.clone(),
                channel: channel.clone(),
                party: party.clone(),
                organization: organization.clone(),
                template: template.clone(),
                // The step's action and inputs: what the message is about
                // (`orderflow-app` renders the message from them).
                payload: json!({
                    "order": order.id,
                    "workflow": order.workflow,
                    "status": order.status,
                    "version": order.version,
                    "action": step.action,
                    "inputs": step.inputs,
                }),
                created_at: change.at,
                attempts: 0,
            })
        })
        .collect();
    Commit {
        expected_version: before.version,
        before: Before::of(before),
        child,
        new_children: engine::created_children(wf, change),
        moved_children,
        history,
        outbox,
        webhooks: Vec::new(),
        idempotency: None,
        timers: timer_writes(change),
        numbered_by: None,
        stock,
        order,
    }
}

/// The timers the change sets or clears, in the order it did.
fn timer_writes(change: &Change) -> Vec<TimerWrite> {
    change
        .steps
        .iter()
        .flat_map(|s| s.events.iter())
        .filter_map(|e| match e {
            Event::TimerSet { timer, action, at } => Some(TimerWrite::Set {
                timer: timer.clone(),
                action: action.clone(),
                due_at: *at,
            }),
            Event::TimerCleared { timer } => Some(TimerWrite::Clear {
                timer: timer.clone(),
            }),
            _ => None,
        })
        .collect()
}

/// Per workflow, per party slot: the statuses that slot sees only once it
/// has seen the order, as
/// [`OrderFilter::seen_statuses`](crate::OrderFilter::seen_statuses) wants
/// them.
pub fn visibility_once_seen<'a>(
    workflows: impl IntoIterator<Item = &'a Workflow>,
) -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    by_slot(workflows, Workflow::slot_sees_once_seen)
}

/// Per workflow, per party slot: the statuses that slot may see, as
/// [`OrderFilter::visible_statuses`](crate::OrderFilter::visible_statuses)
/// wants them.
pub fn visibility<'a>(
    workflows: impl IntoIterator<Item = &'a Workflow>,
) -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    by_slot(workflows, Workflow::slot_sees)
}

fn by_slot<'a>(
    workflows: impl IntoIterator<Item = &'a Workflow>,
    sees: fn(&Workflow, &str, &str) -> bool,
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
                        .filter(|s| sees(wf, &s.id, &party.id))
                        .map(|s| s.id.clone())
                        .collect();
                    (party.id.clone(), statuses)
                })
                .collect();
            (wf.id().to_owned(), by_slot)
        })
        .collect()
}
