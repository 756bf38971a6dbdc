//! For an order and an actor: every action their party could take, each with
//! its inputs or what blocks it now — the answer to "what is the next step
//! and why can't I take it".

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::decide::{check_guards, permitted};
use super::vars::{Memo, child_vars, order_vars};
use super::{Owner, Workflow};
use crate::definition::Action;
use crate::expr::Vars;
use crate::model::{Actor, Child, Order, PartySettings};
use crate::rejection::Rejection;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Availability {
    pub action: String,
    pub label: String,
    /// The inputs as the workflow declares them, in JSON (written out once
    /// per workflow, shared by every answer).
    pub inputs: Arc<[Json]>,
    /// Why it cannot be taken now; `None` when it can (guards that read the
    /// inputs are checked when they are sent).
    pub blocked: Option<Rejection>,
}

/// The order's actions open to `actor`'s party, creating ones excluded.
pub fn available_actions(
    wf: &Workflow,
    order: &Order,
    settings: &PartySettings,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<Availability>, Rejection> {
    if !wf.can_see(order, actor) {
        return Err(Rejection::NotFound);
    }
    let vars = order_vars(wf, order, settings, actor, now, &mut Memo::default())?;
    let owner = wf.owner(None)?;
    Ok(list(wf, &owner, order, &order.status, actor, &vars))
}

/// The order's actions open to `actor`'s party and the order as
/// expressions read it (its computed values included): the two halves of
/// the order's view, from one conversion of the order instead of two; its
/// computed values taken from `memo` where the request evaluated them
/// already (deciding the change the order is the result of).
pub fn available_actions_and_order(
    wf: &Workflow,
    order: &Order,
    settings: &PartySettings,
    actor: &Actor,
    now: DateTime<Utc>,
    memo: &mut Memo,
) -> Result<(Vec<Availability>, Json), Rejection> {
    if !wf.can_see(order, actor) {
        return Err(Rejection::NotFound);
    }
    let vars = order_vars(wf, order, settings, actor, now, memo)?;
    let owner = wf.owner(None)?;
    let actions = list(wf, &owner, order, &order.status, actor, &vars);
    Ok((actions, vars.get("order").cloned().unwrap_or(Json::Null)))
}

/// A child's actions open to `actor`'s party.
pub fn available_child_actions(
    wf: &Workflow,
    order: &Order,
    child: &Child,
    settings: &PartySettings,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<Availability>, Rejection> {
    if !wf.can_see(order, actor) {
        return Err(Rejection::NotFound);
    }
    let vars = child_vars(wf, order, child, settings, actor, now, &mut Memo::default())?;
    let owner = wf.owner(Some(&child.kind))?;
    Ok(list(wf, &owner, order, &child.status, actor, &vars))
}

fn list(
    wf: &Workflow,
    owner: &Owner<'_>,
    order: &Order,
    status: &str,
    actor: &Actor,
    vars: &Vars<'_>,
) -> Vec<Availability> {
    owner
        .actions
        .iter()
        .filter(|a| !a.creates && concerns(order, actor, a))
        .map(|a| Availability {
            action: a.id.clone(),
            label: a.label.clone(),
            inputs: wf.declared_inputs(owner.kind.map(|k| k.id.as_str()), &a.id),
            blocked: blocked(wf, owner, order, status, actor, a, vars),
        })
        .collect()
}

/// Actions of the actor's own party (or parties): the other side's are not
/// the actor's business.
fn concerns(order: &Order, actor: &Actor, act: &Action) -> bool {
    match actor {
        Actor::System => act.by.iter().any(|b| b == "system"),
        Actor::User { organization, .. } => {
            let slots = order.slots_of(organization);
            act.by.iter().any(|b| {
                slots
                    .iter()
                    .any(|s| b.split(':').next() == Some(s.as_str()))
            })
        }
    }
}

fn blocked(
    wf: &Workflow,
    owner: &Owner<'_>,
    order: &Order,
    status: &str,
    actor: &Actor,
    act: &Action,
    vars: &Vars<'_>,
) -> Option<Rejection> {
    if !act.available_in(status) {
        return Some(Rejection::NotAvailable {
            action: act.id.clone(),
            status: status.to_owned(),
            available_in: act.from_states(owner.states),
        });
    }
    if let Err(r) = permitted(wf, order, actor, act) {
        return Some(r);
    }
    let reads_input = |rule: &str| {
        wf.expr(rule).is_some_and(|e| {
            e.paths()
                .iter()
                .any(|p| p.first().is_some_and(|root| root == "input"))
        })
    };
    let guards = act.guards.iter().filter(|g| !reads_input(&g.rule));
    check_guards(wf, owner, act, guards, vars).err()
}
