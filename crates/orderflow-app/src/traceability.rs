//! Traceability events.
//!
//! docs/product.md (`compliance`): "traceability events posted to the API
//! allocate automatically". The workflow declares the allocation as a
//! system action, [`ACTION`] (`by = ["system"]`): it is decided with the
//! system as actor, so it runs the workflow's own inputs, guards, effects
//! and status rules, and commits like any other change (one transaction,
//! history, version, live updates).
//!
//! Who may record one: the administrator, or a user who sees the order and
//! may allocate by hand (the workflow's `allocate` action: in `compliance`,
//! the owner organisation's users with `edit`). History names the user who
//! posted the event (the administrator's events are the system's); the
//! allocation record says `source: traceability`.
//!
//! Event feeds deliver at least once: an event whose `event_id` is already
//! among the order's allocations changes nothing and answers the order as
//! a replay. Idempotency keys work as on actions (users only).

use orderflow_core::engine;
use orderflow_core::model::{Actor, Order};
use orderflow_core::rejection::Rejection;
use orderflow_store::commit_of;
use serde_json::Value;

use crate::auth::{Caller, UserCaller};
use crate::commit::{Answer, AnswerBody, Idempotent, Prepared, check_if_match, count_refusal};
use crate::error::AppError;
use crate::json::Body;
use crate::{App, views};

/// The system action a traceability event runs.
pub const ACTION: &str = "record_traceability_event";
/// The manual action whose permission posting an event needs.
pub const MANUAL_ACTION: &str = "allocate";

/// Whether `order` already holds an allocation from the event `event_id`.
fn already_recorded(order: &Order, event_id: &str) -> bool {
    order
        .data
        .get("allocations")
        .and_then(Value::as_array)
        .is_some_and(|records| {
            records
                .iter()
                .any(|r| r.get("event_id").and_then(Value::as_str) == Some(event_id))
        })
}

impl App {
    /// Records a traceability event on order `id`: its workflow's system
    /// action allocates the batch, and the computed status follows. The
    /// idempotency key counts for users only.
    pub async fn record_traceability_event(
        &self,
        caller: &Caller,
        id: &str,
        event: Body<'_>,
        if_match: Option<u64>,
        idem: Option<Idempotent>,
    ) -> Result<Answer, AppError> {
        let user = match caller {
            Caller::User(u) => Some(UserCaller(u.clone())),
            Caller::Admin => None,
        };
        let idem = idem.filter(|_| user.is_some());
        if let (Some(req), Some(u)) = (&idem, &user)
            && let Some(answer) = self.replay(u, req).await?
        {
            return Ok(answer);
        }
        let v = match &user {
            Some(u) => self.load_visible(u, id).await?,
            None => self.load_any(id).await?,
        };
        if v.wf.def.action(ACTION).is_none() {
            return Err(Rejection::UnknownAction {
                action: ACTION.to_owned(),
            }
            .into());
        }
        let settings = self.party_settings(&v.order).await?;
        let now = self.now();
        if let Some(u) = &user {
            let manual = v.wf.def.action(MANUAL_ACTION);
            let may_allocate = manual.is_some()
                && engine::available_actions(&v.wf, &v.order, &settings, &u.actor(), now)?
                    .iter()
                    .any(|a| {
                        a.action == MANUAL_ACTION
                            && !matches!(a.blocked, Some(Rejection::Forbidden { .. }))
                    });
            if !may_allocate {
                return Err(Rejection::Forbidden {
                    action: ACTION.to_owned(),
                    allowed: manual.map(|a| a.by.clone()).unwrap_or_default(),
                }
                .into());
            }
        }
        let current = v.order.version;
        check_if_match(if_match, current)?;
        let inputs = event.value()?;
        if let Some(event_id) = inputs.get("event_id").and_then(Value::as_str)
            && !event_id.is_empty()
            && already_recorded(&v.order, event_id)
        {
            let view = match &user {
                Some(u) => self.view_for(
                    &v.wf,
                    &v.order,
                    &settings,
                    &u.actor(),
                    &mut engine::Memo::default(),
                )?,
                None => views::order(&v.wf, &v.order, &settings, Vec::new()),
            };
            return Ok(Answer {
                status: 200,
                body: AnswerBody::View(Box::new(view)),
                replayed: true,
            });
        }
        let mut change = engine::decide(
            &v.wf,
            &v.order,
            &settings,
            &Actor::System,
            ACTION,
            &inputs,
            now,
        )
        .map_err(|r| AppError::from(r).with_current_version(current))
        .inspect_err(|e| count_refusal(&v.wf, ACTION, e))?;
        if let Some(u) = &user {
            // History names who posted the event.
            change.actor = u.actor();
        }
        let commit = commit_of(&v.wf, &v.order, None, &change);
        let p = Prepared {
            wf: v.wf.clone(),
            commit,
            change,
            memo: engine::Memo::default(),
        };
        self.finish(user.as_ref(), p, &settings, 200, if_match, idem)
            .await
    }
}
