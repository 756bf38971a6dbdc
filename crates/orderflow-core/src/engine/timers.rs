//! Per-order timers (`[[timers]]`): which ones a change sets or clears.
//!
//! A change that brings the order into one of a timer's states from
//! outside them sets the timer (when its `when` holds), at the time its
//! `at` gives on the order as the change leaves it; a change that takes the
//! order out of them clears it. Only the status before and after the whole
//! change count: a state passed through by an automatic step in between
//! sets nothing. Firing is the server's: the system takes the timer's
//! action then, and `decide` refuses it like any other action if the order
//! moved on.

use chrono::{DateTime, Utc};
use serde_json::Value as Json;

use super::Workflow;
use super::vars::{Memo, order_vars};
use crate::event::Event;
use crate::model::{Actor, Order, PartySettings};
use crate::rejection::Rejection;

/// The timer events of a change from `before` (version 0 when it creates
/// the order) to `after`.
pub(super) fn timer_events(
    wf: &Workflow,
    before: &Order,
    after: &Order,
    settings: &PartySettings,
    now: DateTime<Utc>,
    memo: &mut Memo,
) -> Result<Vec<Event>, Rejection> {
    let mut events = Vec::new();
    let mut vars = None;
    for timer in &wf.def.timers {
        let inside = |status: &str| timer.states.iter().any(|s| s == status);
        let was = before.version > 0 && inside(&before.status);
        let is = inside(&after.status);
        if was && !is {
            events.push(Event::TimerCleared {
                timer: timer.id.clone(),
            });
        }
        if is && !was {
            let vars = match &mut vars {
                Some(v) => v,
                None => vars.insert(order_vars(wf, after, settings, &Actor::System, now, memo)?),
            };
            let what = format!("timer {}", timer.id);
            if let Some(when) = &timer.when
                && !wf.eval_bool(when, vars, &what)?
            {
                continue;
            }
            let at = match wf.eval(&timer.at, vars, &what)? {
                Json::String(text) => DateTime::parse_from_rfc3339(&text)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|e| Rejection::Definition {
                        what: what.clone(),
                        message: format!("`at` gave {text:?}, not a time: {e}"),
                    })?,
                other => {
                    return Err(Rejection::Definition {
                        what,
                        message: format!("`at` gave {}, not a time", crate::expr::describe(&other)),
                    });
                }
            };
            events.push(Event::TimerSet {
                timer: timer.id.clone(),
                action: timer.action.clone(),
                at,
            });
        }
    }
    Ok(events)
}

/// Whether `actor` may cancel or reschedule the order's timer `timer`
/// (its `by`); `false` for a timer the workflow does not declare.
pub fn may_manage_timer(wf: &Workflow, order: &Order, actor: &Actor, timer: &str) -> bool {
    wf.def
        .timers
        .iter()
        .find(|t| t.id == timer)
        .is_some_and(|t| super::decide::allowed_by(wf, order, actor, &t.by))
}
