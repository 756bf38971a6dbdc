//! One action on many orders; with `dry_run`, what would happen to each.
//! Each order is decided and committed on its own: one refusal does not
//! stop the others.

use orderflow_api::{BulkAction, BulkItem, BulkResult};
use orderflow_core::engine;
use orderflow_store::commit_of;
use serde_json::Value;

use crate::App;
use crate::act::action_def;
use crate::auth::UserCaller;
use crate::commit::Prepared;
use crate::error::AppError;

impl App {
    pub async fn bulk_action(
        &self,
        caller: &UserCaller,
        action: &str,
        req: &BulkAction,
    ) -> Result<BulkResult, AppError> {
        if req.orders.len() > self.limits.bulk_orders_max {
            return Err(AppError::invalid(
                "orders",
                format!("at most {} orders at once", self.limits.bulk_orders_max),
            ));
        }
        // Refused once for all, also when no order would read them.
        if !req.inputs.is_object() {
            return Err(AppError::invalid(
                "inputs",
                "an object of the action's inputs",
            ));
        }
        let mut results = Vec::with_capacity(req.orders.len());
        for id in &req.orders {
            let item = match self
                .bulk_one(caller, id, action, &req.inputs, req.dry_run)
                .await
            {
                Ok(item) => item,
                Err(e) => BulkItem {
                    order: id.clone(),
                    outcome: "refused".to_owned(),
                    status: e.status(),
                    order_status: None,
                    version: e.current_version(),
                    problem: Some(e.into_problem()),
                },
            };
            results.push(item);
        }
        Ok(BulkResult {
            dry_run: req.dry_run,
            results,
        })
    }

    async fn bulk_one(
        &self,
        caller: &UserCaller,
        id: &str,
        action: &str,
        inputs: &Value,
        dry_run: bool,
    ) -> Result<BulkItem, AppError> {
        let v = self.load_visible(caller, id).await?;
        let settings = self.party_settings(&v.order).await?;
        let mut inputs = inputs.clone();
        if let Some(def) = action_def(&v.wf, None, action) {
            self.resolve_files(caller, &def.inputs, &mut inputs).await?;
        }
        let change = engine::decide(
            &v.wf,
            &v.order,
            &settings,
            &caller.actor(),
            action,
            &inputs,
            self.now(),
        )
        .map_err(|r| AppError::from(r).with_current_version(v.order.version))?;
        let commit_rec = commit_of(&v.wf, &v.order, None, &change);
        let after = commit_rec.order.status.clone();
        let version = commit_rec.order.version;
        if !dry_run {
            let p = Prepared {
                wf: v.wf.clone(),
                commit: commit_rec,
                change,
                memo: Default::default(),
            };
            let (follow_ups, _) = self
                .prepare_follow_ups(&p.wf, &p.commit.order, &p.change)
                .await;
            self.commit(p, None).await?;
            self.commit_follow_ups(follow_ups).await;
        }
        Ok(BulkItem {
            order: id.to_owned(),
            outcome: if dry_run { "would_apply" } else { "applied" }.to_owned(),
            status: 200,
            order_status: Some(after),
            version: Some(if dry_run { v.order.version } else { version }),
            problem: None,
        })
    }
}
