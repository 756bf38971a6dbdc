//! Changes the system takes on its own: a timer's action, an intake
//! decision. They are decided like any other action, with the system as
//! actor (the workflow says which actions it may take, `by = ["system"]`),
//! and committed the same way: one transaction, history, live updates.

use orderflow_core::engine;
use orderflow_core::model::Actor;
use orderflow_store::commit_of;
use serde_json::Value;

use crate::App;
use crate::commit::{Prepared, count_refusal};
use crate::error::AppError;

impl App {
    /// Takes `action` with `inputs` on order `id`, or on its child `child`,
    /// as the system. A refusal (the order moved on, a guard) changes
    /// nothing and is the error.
    pub async fn act_as_system(
        &self,
        id: &str,
        child: Option<&str>,
        action: &str,
        inputs: &Value,
    ) -> Result<(), AppError> {
        let v = self.load_any(id).await?;
        let child = match child {
            Some(c) => Some(self.find_child(&v.order, c).await?),
            None => None,
        };
        let settings = self.party_settings(&v.order).await?;
        let now = self.now();
        let decided = match &child {
            Some(c) => engine::decide_child(
                &v.wf,
                &v.order,
                c,
                &settings,
                &Actor::System,
                action,
                inputs,
                now,
            ),
            None => engine::decide(
                &v.wf,
                &v.order,
                &settings,
                &Actor::System,
                action,
                inputs,
                now,
            ),
        };
        let change = decided
            .map_err(|r| AppError::from(r).with_current_version(v.order.version))
            .inspect_err(|e| count_refusal(&v.wf, action, e))?;
        let commit = commit_of(&v.wf, &v.order, child.as_ref(), &change);
        let p = Prepared {
            wf: v.wf.clone(),
            commit,
            change,
            memo: Default::default(),
        };
        self.finish(None, p, &settings, 200, None, None)
            .await
            .map(|_| ())
    }
}
