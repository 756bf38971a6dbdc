//! The shop floor's station: a job found by what an operator scans or
//! types, its next step, and one step taken on many jobs at once. The
//! steps go through [`App::act`] like every other change; the engine's
//! answer (what the caller may take now, or why not) is the only rule.
//!
//! What a station reads (docs/web.md, "Shop floor"):
//! - a job's code, `<order id>/<job id>`: what the order page and the
//!   station show for each job;
//! - a shipping label's barcode, which is the job's tracking number
//!   (Code 128, `orderflow-docs`): the job shipped with it, among the
//!   orders of the caller's organisation.

use orderflow_api::{ActionView, ChildView, Problem};
use orderflow_core::definition::{Action, ChildKind};
use orderflow_core::engine::Workflow;
use serde_json::Value;

use crate::act::Act;
use crate::auth::UserCaller;
use crate::error::AppError;
use crate::json::Body;
use crate::{App, views};

/// The data field a shipping label's barcode carries.
const TRACKING_FIELD: &str = "tracking_number";
/// Jobs a tracking number may name; more is a mistake on the floor.
const TRACKING_MATCHES: u32 = 10;
/// Codes in one batch at most.
pub const BATCH_MAX: usize = 200;

/// A job as a station shows it.
#[derive(Debug, Clone)]
pub struct StationJob {
    /// The job's code, `<order id>/<job id>`.
    pub code: String,
    pub order: String,
    /// The order's short number (`PP-1042`), when it has one.
    pub number: Option<String>,
    pub workflow: String,
    /// The version of the workflow the order runs under.
    pub workflow_version: u32,
    /// The order's reference (the merchant's), when it has one.
    pub reference: Option<String>,
    /// The job's parent (the item), with its own state.
    pub parent: Option<ChildView>,
    /// The job with the caller's actions on it now.
    pub job: ChildView,
    /// The order's version the job was read at.
    pub version: u64,
    /// The step the station offers: the first action of the job's kind,
    /// in the workflow's order, that the caller may take now and that moves
    /// the job on (not one available from every state, a cancellation).
    pub next: Option<Action>,
}

/// What one job of a batch came to.
#[derive(Debug, Clone)]
pub struct BatchLine {
    pub code: String,
    /// The job's state before and after, by label; or the refusal.
    pub outcome: Result<(String, String), Box<Problem>>,
}

/// The job code printed and scanned for a job.
pub fn job_code(order: &str, job: &str) -> String {
    format!("{order}/{job}")
}

/// Whether the action moves a job on at a station: it has a target and is
/// not available from every state (a cancellation).
fn is_step(a: &Action) -> bool {
    a.to.is_some() && !a.creates && !a.read && !a.from.iter().any(|f| f == "*")
}

/// The child kinds a station handles: those below another child (jobs
/// below items), never the order's own records.
fn floor_kinds(wf: &Workflow) -> impl Iterator<Item = &ChildKind> {
    wf.def.children.iter().filter(|k| k.parent != "order")
}

impl App {
    /// The job `scanned` names (a job code or a shipping label's tracking
    /// number) if the caller sees its order; `not_found` otherwise.
    pub async fn station_job(
        &self,
        caller: &UserCaller,
        scanned: &str,
    ) -> Result<StationJob, AppError> {
        let scanned = scanned.trim();
        if scanned.is_empty() {
            return Err(AppError::invalid("job", "Scan or type a job's code."));
        }
        let (order, job) = match scanned.rsplit_once('/') {
            Some((order, job)) => (order.trim().to_owned(), job.trim().to_owned()),
            None => self.job_by_tracking_number(caller, scanned).await?,
        };
        self.station_job_at(caller, &order, &job).await
    }

    async fn job_by_tracking_number(
        &self,
        caller: &UserCaller,
        tracking: &str,
    ) -> Result<(String, String), AppError> {
        // Every version: jobs of orders under an older one are scanned too.
        let mut kinds: Vec<String> = self
            .workflows
            .all_versions()
            .iter()
            .flat_map(|wf| floor_kinds(wf).map(|k| k.id.clone()).collect::<Vec<_>>())
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        for kind in &kinds {
            let found = self
                .store
                .children_by_field(
                    caller.organization(),
                    kind,
                    TRACKING_FIELD,
                    tracking,
                    TRACKING_MATCHES,
                )
                .await?;
            for (order, job) in found {
                if self.load_visible(caller, &order).await.is_ok() {
                    return Ok((order, job));
                }
            }
        }
        Err(AppError::not_found("job"))
    }

    async fn station_job_at(
        &self,
        caller: &UserCaller,
        order: &str,
        job: &str,
    ) -> Result<StationJob, AppError> {
        let v = self.load_visible(caller, order).await?;
        let child = self.find_child(&v.order, job).await?;
        let Some(kind) = floor_kinds(&v.wf).find(|k| k.id == child.kind) else {
            return Err(AppError::not_found("job"));
        };
        let view = self.child(caller, &v.order.id, &child.id).await?;
        let next = view
            .actions
            .iter()
            .flatten()
            .filter(|a| a.available)
            .find_map(|a: &ActionView| {
                kind.actions
                    .iter()
                    .find(|d| d.id == a.id)
                    .filter(|d| is_step(d))
            })
            .cloned();
        let parent = child
            .parent
            .as_deref()
            .and_then(|p| v.order.child(p))
            .map(|p| views::child(&v.wf, p, None));
        Ok(StationJob {
            code: job_code(&v.order.id, &child.id),
            order: v.order.id.clone(),
            number: v.order.number.clone(),
            workflow: v.wf.id().to_owned(),
            workflow_version: v.order.workflow_version,
            reference: v
                .order
                .data
                .get("reference")
                .and_then(Value::as_str)
                .map(str::to_owned),
            parent,
            job: view,
            version: v.order.version,
            next,
        })
    }

    /// The steps a station offers the caller for a batch: the job actions
    /// of every workflow that one of the caller's roles may take, by label,
    /// each once. Whether a job may take it is the engine's answer, job by
    /// job.
    pub fn station_steps(&self, caller: &UserCaller) -> Vec<(String, String)> {
        let roles = &caller.user().roles;
        let mine = |a: &Action| {
            a.by.iter().any(|b| match b.split_once(':') {
                Some((_, role)) => roles.iter().any(|r| r == role),
                None => false,
            })
        };
        let mut out: Vec<(String, String)> = Vec::new();
        for wf in self.workflows.all_versions() {
            for kind in floor_kinds(&wf) {
                for a in kind.actions.iter().filter(|a| is_step(a) && mine(a)) {
                    if !out.iter().any(|(id, _)| id == &a.id) {
                        out.push((a.id.clone(), a.label.clone()));
                    }
                }
            }
        }
        out
    }

    /// Takes `action` with `inputs` on every job `codes` names, each on its
    /// own: one refusal changes nothing for its job and stops no other.
    pub async fn station_batch(
        &self,
        caller: &UserCaller,
        codes: &[String],
        action: &str,
        inputs: &Value,
    ) -> Result<Vec<BatchLine>, AppError> {
        if codes.len() > BATCH_MAX {
            return Err(AppError::invalid(
                "jobs",
                format!("At most {BATCH_MAX} jobs at once."),
            ));
        }
        let mut out = Vec::with_capacity(codes.len());
        for code in codes {
            let outcome = self
                .station_step(caller, code, action, inputs.clone(), None)
                .await
                .map_err(|e| Box::new(e.into_problem()));
            out.push(BatchLine {
                code: code.clone(),
                outcome,
            });
        }
        Ok(out)
    }

    /// Takes `action` on the job `code` names (at the order's `version`
    /// when given): the job's state before and after, by label.
    pub async fn station_step(
        &self,
        caller: &UserCaller,
        code: &str,
        action: &str,
        inputs: Value,
        version: Option<u64>,
    ) -> Result<(String, String), AppError> {
        let found = self.station_job(caller, code).await?;
        let before = found.job.status.label.clone();
        self.act(
            caller,
            Act {
                order: &found.order,
                child: Some(&found.job.id),
                action,
                inputs: Body::Value(inputs),
                if_match: version,
                idempotency: None,
            },
        )
        .await?;
        let after = self.child(caller, &found.order, &found.job.id).await?;
        Ok((before, after.status.label))
    }
}
