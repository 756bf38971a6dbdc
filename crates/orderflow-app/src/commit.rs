//! Committing a decided change: the transition metric, the lost race
//! (`version_conflict`, or `precondition_failed` when the client named a
//! version), the idempotency record and its replay, the broadcast, and the
//! follow-ups a change asks for (a reorder's new order).

use std::sync::Arc;

use orderflow_api::{OrderView, Problem};
use orderflow_core::engine::{Change, Memo, Workflow};
use orderflow_core::event::Event;
use orderflow_core::model::{Order, PartySettings};
use orderflow_store::{Commit, Idempotency, StoreError};
use serde_json::Value;

use crate::auth::UserCaller;
use crate::error::AppError;
use crate::{App, views};

/// An idempotency key and the digest of the request it came with (what a
/// retry must repeat exactly: for HTTP, the method, path and body).
#[derive(Debug, Clone)]
pub struct Idempotent {
    pub key: String,
    pub request_sha256: [u8; 32],
}

/// The answer to a change: the order view with its status (201 for a new
/// order, 200 otherwise), or the first answer to a request sent again with
/// the same idempotency key (`replayed`).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub body: AnswerBody,
    pub replayed: bool,
}

/// What an answer shows: the view just built, kept typed so that an
/// adapter writes it out once (no JSON tree in between), or the body
/// stored with an idempotency key, as it was first answered.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum AnswerBody {
    View(Box<OrderView>),
    Stored(Value),
}

impl AnswerBody {
    /// The order view the answer shows.
    pub fn into_view(self) -> Result<OrderView, AppError> {
        match self {
            AnswerBody::View(view) => Ok(*view),
            AnswerBody::Stored(body) => serde_json::from_value(body)
                .map_err(|e| AppError::internal("reading the order's view", e)),
        }
    }

    /// The answer as JSON.
    pub fn to_json(&self) -> Result<Value, AppError> {
        serde_json::to_value(self).map_err(|e| AppError::internal("view", e))
    }
}

impl Answer {
    /// The id of the order the answer shows.
    pub fn order_id(&self) -> Option<&str> {
        match &self.body {
            AnswerBody::View(view) => Some(&view.id),
            AnswerBody::Stored(body) => body.get("id").and_then(Value::as_str),
        }
    }
}

/// A decided change, ready to commit, with what the caller will be told.
pub(crate) struct Prepared {
    pub(crate) wf: Arc<Workflow>,
    pub(crate) commit: Commit,
    pub(crate) change: Change,
    /// The computed values deciding the change evaluated, for the answer's
    /// view of the order after it.
    pub(crate) memo: Memo,
}

impl App {
    /// The first answer to a key sent again, if any: the same answer for
    /// the same request, `idempotency_key_reused` for another one.
    pub(crate) async fn replay(
        &self,
        caller: &UserCaller,
        req: &Idempotent,
    ) -> Result<Option<Answer>, AppError> {
        match self.store.idempotency(&caller.0.id, &req.key).await? {
            None => Ok(None),
            Some(rec) if rec.request_sha256 == req.request_sha256 => Ok(Some(Answer {
                status: rec.status,
                body: AnswerBody::Stored(rec.body),
                replayed: true,
            })),
            Some(_) => Err(AppError::new(
                "idempotency_key_reused",
                "this Idempotency-Key was used with another request",
            )),
        }
    }

    /// A request under an idempotency key that failed may have lost a race
    /// to a copy of itself (a client retrying on a timeout while the first
    /// is still running): the copy's commit took the key, moved the version
    /// or the state. Then the first answer stands for both, so the client
    /// is not told its order changed under it.
    pub(crate) async fn unless_raced(
        &self,
        caller: Option<&UserCaller>,
        idem: Option<&Idempotent>,
        result: Result<Answer, AppError>,
    ) -> Result<Answer, AppError> {
        match (result, caller, idem) {
            (Err(e), Some(caller), Some(req)) => match self.replay(caller, req).await? {
                Some(first) => Ok(first),
                None => Err(e),
            },
            (result, _, _) => result,
        }
    }

    /// Commits a prepared change; a lost race is `precondition_failed` when
    /// the client named a version (`if_match`), else `version_conflict`,
    /// both with the current version. Takes the change whole: an order of
    /// 50,000 new jobs carries them once, not copied for the store.
    pub(crate) async fn commit(&self, p: Prepared, if_match: Option<u64>) -> Result<(), AppError> {
        if p.change.is_read() {
            // A read (printing) writes nothing: no version, no history, no
            // event; it is only counted.
            metrics::counter!("orderflow_reads_total", "workflow" => p.wf.id().to_owned())
                .increment(1);
            return Ok(());
        }
        let summary = p.commit.order.summary();
        let mut commit = self.with_messages(&p.wf, p.commit).await?;
        self.add_webhooks(&p.wf, &p.change, &mut commit).await?;
        let outcome = self.store.commit(commit).await;
        let action = p
            .change
            .steps
            .first()
            .map(|s| s.action.as_str())
            .unwrap_or("");
        let label = match &outcome {
            Ok(()) => "applied",
            Err(StoreError::VersionConflict { .. }) => "conflict",
            Err(_) => "failed",
        };
        metrics::counter!(
            "orderflow_transitions_total",
            "workflow" => p.wf.id().to_owned(),
            "action" => action.to_owned(),
            "outcome" => label,
        )
        .increment(1);
        match outcome {
            Ok(()) => {
                self.publish(summary);
                Ok(())
            }
            Err(StoreError::VersionConflict { current, .. }) if if_match.is_some() => {
                Err(AppError::new(
                    "precondition_failed",
                    format!("the order is at version {current} now"),
                )
                .with_current_version(current))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Follow-ups a change asks for (a reorder's new order), decided before
    /// the change commits so the answer names them; committed after it,
    /// each in its own transaction.
    pub(crate) async fn prepare_follow_ups(
        &self,
        wf: &Arc<Workflow>,
        order: &Order,
        change: &Change,
    ) -> (Vec<Prepared>, Vec<Problem>) {
        let mut ready = Vec::new();
        let mut problems = Vec::new();
        for event in change.steps.iter().flat_map(|s| s.events.iter()) {
            let Event::OrderRequested { action, inputs } = event else {
                continue;
            };
            // A new order runs under the latest version, whatever its
            // cause's.
            let latest = match self.for_new_order(wf.id()) {
                Ok(latest) => latest,
                Err(e) => {
                    problems.push(e.into_problem());
                    continue;
                }
            };
            match self
                .prepare_create(
                    (latest.0, &latest.1),
                    &change.actor,
                    Some(action),
                    order.parties.clone(),
                    inputs,
                )
                .await
            {
                Ok((p, _)) => ready.push(p),
                Err(e) => problems.push(e.into_problem()),
            }
        }
        (ready, problems)
    }

    /// Runs the follow-ups after their cause committed.
    pub(crate) async fn commit_follow_ups(&self, ready: Vec<Prepared>) {
        for p in ready {
            let id = p.commit.order.id.clone();
            if let Err(e) = self.commit(p, None).await {
                tracing::error!(order = %id, code = %e.code(), "follow-up order failed");
            }
        }
    }

    /// Commits `p` (with the idempotency record when there is a key) and
    /// answers `status` with the view; a key that was taken meanwhile
    /// answers the first request's answer. Without a user (the
    /// administrator posting a traceability event) the view lists no
    /// actions and there is no key.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn finish(
        &self,
        caller: Option<&UserCaller>,
        mut p: Prepared,
        settings: &PartySettings,
        status: u16,
        if_match: Option<u64>,
        idem: Option<Idempotent>,
    ) -> Result<Answer, AppError> {
        let (follow_ups, follow_up_problems) = self
            .prepare_follow_ups(&p.wf, &p.commit.order, &p.change)
            .await;
        let mut view = match caller {
            Some(c) => self.view_for(&p.wf, &p.commit.order, settings, &c.actor(), &mut p.memo)?,
            None => views::order(&p.wf, &p.commit.order, settings, Vec::new()),
        };
        view.created_orders = follow_ups
            .iter()
            .map(|f| f.commit.order.id.clone())
            .collect();
        view.follow_up_problems = follow_up_problems;
        let body = AnswerBody::View(Box::new(view));
        if let Some(req) = &idem
            && let Some(caller) = caller
        {
            p.commit.idempotency = Some(Idempotency {
                user: caller.0.id.clone(),
                key: req.key.clone(),
                request_sha256: req.request_sha256,
                status,
                body: body.to_json()?,
                created_at: self.now(),
            });
        }
        let memo = std::mem::take(&mut p.memo);
        let id = p.commit.order.id.clone();
        if let Err(e) = self.commit(p, if_match).await {
            return self.unless_raced(caller, idem.as_ref(), Err(e)).await;
        }
        self.memos.keep(&id, memo);
        self.commit_follow_ups(follow_ups).await;
        Ok(Answer {
            status,
            body,
            replayed: false,
        })
    }
}

/// Counts a refused change in the transition metric.
pub(crate) fn count_refusal(wf: &Workflow, action: &str, e: &AppError) {
    metrics::counter!(
        "orderflow_transitions_total",
        "workflow" => wf.id().to_owned(),
        "action" => action.to_owned(),
        "outcome" => e.code().to_owned(),
    )
    .increment(1);
}

/// Refuses a stale version the client named.
pub(crate) fn check_if_match(if_match: Option<u64>, current: u64) -> Result<(), AppError> {
    match if_match {
        Some(expected) if expected != current => Err(AppError::new(
            "precondition_failed",
            format!("If-Match names version {expected}; the order is at version {current}"),
        )
        .with_current_version(current)),
        _ => Ok(()),
    }
}
