//! Taking an action on an order or on one of its children, with the
//! version the client saw (`if_match`) and an idempotency key.

use orderflow_core::builtins::stock;
use orderflow_core::definition::Action;
use orderflow_core::engine::{self, Workflow};
use orderflow_store::commit_of;

use crate::App;
use crate::auth::UserCaller;
use crate::commit::{Answer, Idempotent, Prepared, check_if_match, count_refusal};
use crate::error::AppError;
use crate::json::Body;

/// One action asked for.
#[derive(Debug, Clone)]
pub struct Act<'a> {
    pub order: &'a str,
    /// The child (an item, a job) the action is about; the order itself
    /// when `None`.
    pub child: Option<&'a str>,
    pub action: &'a str,
    pub inputs: Body<'a>,
    /// The order's version the client saw; a stale one is refused with
    /// `precondition_failed`.
    pub if_match: Option<u64>,
    pub idempotency: Option<Idempotent>,
}

/// The action `action` of the order (`kind` None) or of a child kind.
pub(crate) fn action_def<'a>(
    wf: &'a Workflow,
    kind: Option<&str>,
    action: &str,
) -> Option<&'a Action> {
    match kind {
        None => wf.def.action(action),
        Some(k) => wf
            .def
            .child_kind(k)
            .and_then(|c| c.actions.iter().find(|a| a.id == action)),
    }
}

impl App {
    /// Takes the action: answers 200 with the order after it.
    pub async fn act(&self, caller: &UserCaller, req: Act<'_>) -> Result<Answer, AppError> {
        let idem = req.idempotency.clone();
        let result = self.act_once(caller, req).await;
        self.unless_raced(Some(caller), idem.as_ref(), result).await
    }

    async fn act_once(&self, caller: &UserCaller, req: Act<'_>) -> Result<Answer, AppError> {
        let Act {
            order: id,
            child: child_id,
            action,
            inputs,
            if_match,
            idempotency: idem,
        } = req;
        if let Some(req) = &idem
            && let Some(answer) = self.replay(caller, req).await?
        {
            return Ok(answer);
        }
        let v = self.load_visible(caller, id).await?;
        let current = v.order.version;
        check_if_match(if_match, current)?;
        let mut inputs = inputs.value()?;
        let child = match child_id {
            Some(c) => Some(self.find_child(&v.order, c).await?),
            None => None,
        };
        if let Some(def) = action_def(&v.wf, child.as_ref().map(|c| c.kind.as_str()), action) {
            self.resolve_files(caller, &def.inputs, &mut inputs).await?;
        }
        let settings = self.party_settings(&v.order).await?;
        let actor = caller.actor();
        let mut memo = self.memos.take(&v.order.id);
        let decided = match &child {
            Some(c) => engine::decide_child_with(
                &v.wf,
                &v.order,
                c,
                &settings,
                &actor,
                action,
                &inputs,
                self.now(),
                &mut memo,
            ),
            None => engine::decide_with(
                &v.wf,
                &v.order,
                &settings,
                &actor,
                action,
                &inputs,
                self.now(),
                &mut memo,
            ),
        };
        let change = decided
            .map_err(|r| AppError::from(r).with_current_version(current))
            .inspect_err(|e| count_refusal(&v.wf, action, e))?;
        let commit = commit_of(&v.wf, &v.order, child.as_ref(), &change);
        if let (Some(before), Some(after)) = (&child, &commit.child)
            && let Some(tie) = stock::tie(&v.wf.def, &v.order, before, after)
        {
            self.check_tie(&tie).await?;
        }
        let p = Prepared {
            wf: v.wf.clone(),
            commit,
            change,
            memo,
        };
        self.finish(Some(caller), p, &settings, 200, if_match, idem)
            .await
    }
}
