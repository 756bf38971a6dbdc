//! Workflows as data: deploying a checked definition as a new version,
//! listing and reading versions, retiring, deleting, and migrating orders
//! from one version to another.
//!
//! Who manages workflows: the administrator (`ORDERFLOW_ADMIN_TOKEN`), or a
//! user the administrator gave the role [`WORKFLOW_ADMIN_ROLE`] (so that a
//! person can do it in the web UI, where nobody signs in as the
//! administrator). Definitions are the same for every organisation, so any
//! caller may read them.

use std::collections::BTreeMap;
use std::sync::Arc;

use orderflow_api::{
    DefinitionProblem, Deployment, MigrateRequest, MigratedOrder, MigrationOutcome,
    MigrationReport, VersionCount, VersionInfo, WorkflowDetail, WorkflowList, WorkflowSummary,
    WorkflowVersionDetail,
};
use orderflow_core::catalog::{self, LoadError};
use orderflow_core::check;
use orderflow_core::diagram;
use orderflow_core::engine::{self, Workflow};
use orderflow_core::model::Actor;
use orderflow_store::{StoreError, WorkflowVersion, commit_of};
use sha2::{Digest, Sha256};

use crate::App;
use crate::auth::Caller;
use crate::error::AppError;

/// The role that lets a user manage workflows.
pub const WORKFLOW_ADMIN_ROLE: &str = "workflow_admin";

/// Who deployed the built-in workflows on a first start.
pub const BUILT_IN_DEPLOYER: &str = "built-in";

/// Orders a migration reads per page.
const MIGRATION_PAGE: u32 = 200;

/// Whether the caller may deploy, retire, delete and migrate workflows.
pub fn may_manage(caller: &Caller) -> bool {
    match caller {
        Caller::Admin => true,
        Caller::User(u) => u.roles.iter().any(|r| r == WORKFLOW_ADMIN_ROLE),
    }
}

fn manager(caller: &Caller) -> Result<String, AppError> {
    match caller {
        Caller::Admin => Ok("administrator".to_owned()),
        Caller::User(u) if may_manage(caller) => Ok(u.id.clone()),
        Caller::User(_) => Err(AppError::forbidden(format!(
            "managing workflows needs the administrator token or the role {WORKFLOW_ADMIN_ROLE}"
        ))),
    }
}

/// Checks a definition exactly as `workflow check` does and compiles it;
/// refuses it with every problem by line and column, and when its `id` is
/// not the one it is deployed as.
pub fn check_definition(id: &str, source: &str) -> Result<Workflow, AppError> {
    let wf = compile(id, source)?;
    if wf.id() != id {
        let line = source
            .lines()
            .position(|l| l.trim_start().starts_with("id") && l.contains('='))
            .map_or(1, |i| i + 1);
        return Err(AppError::invalid_definition(vec![DefinitionProblem {
            line,
            column: 1,
            message: format!(
                "the definition's id is {:?}; it is deployed as {id:?}",
                wf.id()
            ),
        }]));
    }
    Ok(wf)
}

/// A definition checked and compiled, whatever its id (what an editor
/// shows before deploying): every problem by line and column.
pub fn compile(name: &str, source: &str) -> Result<Workflow, AppError> {
    if let Some(d) = check::size_diagnostic(name, source.len() as u64) {
        return Err(AppError::invalid_definition(vec![problem_of(&d)]));
    }
    catalog::load(name, source).map_err(|e| {
        AppError::invalid_definition(match e {
            LoadError::Check(c) => c.0.iter().map(problem_of).collect(),
            LoadError::Expression { expression, error } => vec![DefinitionProblem {
                line: 1,
                column: 1,
                message: format!("{expression}: {error}"),
            }],
        })
    })
}

fn problem_of(d: &check::Diagnostic) -> DefinitionProblem {
    DefinitionProblem {
        line: d.line,
        column: d.column,
        message: d.message.clone(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn info(v: &WorkflowVersion, counts: &[(u32, u64)]) -> VersionInfo {
    VersionInfo {
        version: v.version,
        checksum: hex(&v.sha256),
        deployed_by: v.deployed_by.clone(),
        deployed_at: v.deployed_at,
        orders: counts
            .iter()
            .find(|(n, _)| *n == v.version)
            .map_or(0, |(_, c)| *c),
    }
}

impl App {
    /// On a first start (nothing deployed in the store yet), deploys the
    /// built-in workflows as version 1 of each; then loads every deployed
    /// version.
    pub async fn deploy_built_ins(&self) -> Result<(), AppError> {
        if self.store.deployed_workflows().await?.is_empty() {
            for (id, source) in catalog::BUILT_IN {
                self.store_version(id, source, BUILT_IN_DEPLOYER).await?;
            }
        }
        self.workflows.refresh(&*self.store).await
    }

    /// Deploys `source` as workflow `id`: a new version when it differs
    /// from the latest, nothing when it is the same text.
    pub async fn deploy_workflow(
        &self,
        caller: &Caller,
        id: &str,
        source: &str,
    ) -> Result<Deployment, AppError> {
        let by = manager(caller)?;
        check_definition(id, source)?;
        let (version, changed) = self.store_version(id, source, &by).await?;
        self.workflows.refresh(&*self.store).await?;
        Ok(Deployment {
            id: id.to_owned(),
            version,
            changed,
        })
    }

    /// Stores `source` as the next version unless it is the latest already.
    async fn store_version(
        &self,
        id: &str,
        source: &str,
        by: &str,
    ) -> Result<(u32, bool), AppError> {
        let sha256: [u8; 32] = Sha256::digest(source.as_bytes()).into();
        let latest = self
            .store
            .deployed_workflows()
            .await?
            .into_iter()
            .find(|w| w.id == id)
            .map_or(0, |w| w.latest);
        if latest > 0
            && let Some(v) = self.store.workflow_version(id, latest).await?
            && v.sha256 == sha256
        {
            return Ok((latest, false));
        }
        let version = WorkflowVersion {
            workflow: id.to_owned(),
            version: latest + 1,
            source: source.to_owned(),
            sha256,
            deployed_by: by.to_owned(),
            deployed_at: self.now(),
        };
        self.store
            .deploy_workflow(&version)
            .await
            .map_err(|e| match e {
                StoreError::Duplicate(_) => AppError::new(
                    "conflict",
                    format!(
                        "another deployment made version {} of {id} first; deploy again",
                        version.version
                    ),
                ),
                other => other.into(),
            })?;
        Ok((version.version, true))
    }

    /// The workflow a new order runs under: the latest version, unless the
    /// workflow is retired or unknown.
    pub(crate) fn for_new_order(&self, id: &str) -> Result<(u32, Arc<Workflow>), AppError> {
        let known = self.workflows.snapshot();
        let d = known
            .get(id)
            .ok_or_else(|| AppError::invalid("workflow", format!("no workflow {id:?}")))?;
        if d.retired {
            return Err(AppError::invalid(
                "workflow",
                format!("workflow {id:?} is retired: it takes no new orders"),
            ));
        }
        let wf = d
            .latest()
            .cloned()
            .ok_or_else(|| AppError::invalid("workflow", format!("no workflow {id:?}")))?;
        Ok((d.latest, wf))
    }

    /// Every deployed workflow with its orders per version.
    pub async fn list_workflows(&self) -> Result<WorkflowList, AppError> {
        self.workflows.refresh(&*self.store).await?;
        let mut items = Vec::new();
        for (id, d) in self.workflows.snapshot().iter() {
            let counts = self.store.orders_per_version(id).await?;
            items.push(WorkflowSummary {
                id: id.clone(),
                label: d.latest().map(|w| w.def.label.clone()).unwrap_or_default(),
                latest_version: d.latest,
                retired: d.retired,
                orders: counts
                    .into_iter()
                    .map(|(version, orders)| VersionCount { version, orders })
                    .collect(),
            });
        }
        Ok(WorkflowList { items })
    }

    /// The latest definition of a workflow and all its versions.
    pub async fn workflow_detail(&self, id: &str) -> Result<WorkflowDetail, AppError> {
        let versions = self.store.workflow_versions(id).await?;
        let latest = versions
            .last()
            .ok_or_else(|| AppError::not_found("workflow"))?;
        let counts = self.store.orders_per_version(id).await?;
        let retired = self
            .store
            .deployed_workflows()
            .await?
            .iter()
            .any(|w| w.id == id && w.retired);
        Ok(WorkflowDetail {
            id: id.to_owned(),
            label: label_of(&latest.source),
            latest_version: latest.version,
            retired,
            definition: latest.source.clone(),
            versions: versions.iter().map(|v| info(v, &counts)).collect(),
        })
    }

    /// One version with its definition and diagram.
    pub async fn workflow_version_detail(
        &self,
        id: &str,
        version: u32,
    ) -> Result<WorkflowVersionDetail, AppError> {
        let v = self
            .store
            .workflow_version(id, version)
            .await?
            .ok_or_else(|| AppError::not_found("workflow version"))?;
        let counts = self.store.orders_per_version(id).await?;
        let def = check::load_named(id, &v.source)
            .map_err(|e| AppError::internal("a deployed workflow does not load", e))?;
        Ok(WorkflowVersionDetail {
            id: id.to_owned(),
            label: def.label.clone(),
            info: info(&v, &counts),
            definition: v.source.clone(),
            diagram: diagram::mermaid(&def),
        })
    }

    /// Stops new orders of a workflow (its orders run on), or lets them
    /// again.
    pub async fn retire_workflow(
        &self,
        caller: &Caller,
        id: &str,
        retired: bool,
    ) -> Result<(), AppError> {
        manager(caller)?;
        self.store
            .retire_workflow(id, retired)
            .await
            .map_err(|e| match e {
                StoreError::NotFound(_) => AppError::not_found("workflow"),
                other => other.into(),
            })?;
        self.workflows.refresh(&*self.store).await
    }

    /// Forgets a workflow that no order runs under.
    pub async fn delete_workflow(&self, caller: &Caller, id: &str) -> Result<(), AppError> {
        manager(caller)?;
        self.store.delete_workflow(id).await.map_err(|e| match e {
            StoreError::NotFound(_) => AppError::not_found("workflow"),
            StoreError::Invalid(_) => AppError::new(
                "conflict",
                format!("workflow {id} has orders: retire it instead, so it takes no new ones"),
            ),
            other => other.into(),
        })?;
        self.workflows.refresh(&*self.store).await
    }

    /// Moves the orders of one version to another, or with `dry_run` says
    /// what it would do to each. Each order moves in its own transaction,
    /// recorded in its history; one that changed meanwhile is refused.
    pub async fn migrate_workflow(
        &self,
        caller: &Caller,
        id: &str,
        req: MigrateRequest,
    ) -> Result<MigrationReport, AppError> {
        manager(caller)?;
        self.workflows.refresh(&*self.store).await?;
        let known = self.workflows.snapshot();
        let d = known
            .get(id)
            .ok_or_else(|| AppError::not_found("workflow"))?;
        let to = req.to.unwrap_or(d.latest);
        let no_version = |field: &str, n: u32| {
            AppError::invalid(field, format!("workflow {id} has no version {n}"))
        };
        if !d.versions.contains_key(&req.from) {
            return Err(no_version("from", req.from));
        }
        let to_wf = d.versions.get(&to).ok_or_else(|| no_version("to", to))?;
        if req.from == to {
            return Err(AppError::invalid(
                "to",
                "is the version the orders run under",
            ));
        }
        let bad: Vec<(String, String)> = req
            .mapping
            .iter()
            .filter(|(_, target)| to_wf.def.state(target).is_none())
            .map(|(from, target)| {
                (
                    format!("mapping.{from}"),
                    format!("version {to} has no state {target:?}"),
                )
            })
            .collect();
        if !bad.is_empty() {
            return Err(AppError::invalid_fields(bad));
        }
        let actor = match caller {
            Caller::User(u) => crate::auth::UserCaller(u.clone()).actor(),
            Caller::Admin => Actor::System,
        };
        let mut results = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let ids = self
                .store
                .orders_of_version(id, req.from, after.as_deref(), MIGRATION_PAGE)
                .await?;
            let Some(last) = ids.last().cloned() else {
                break;
            };
            for order_id in ids {
                results.push(
                    self.migrate_one(to_wf, to, &order_id, &req.mapping, &actor, req.dry_run)
                        .await?,
                );
            }
            after = Some(last);
        }
        Ok(MigrationReport {
            dry_run: req.dry_run,
            from: req.from,
            to,
            results,
        })
    }

    async fn migrate_one(
        &self,
        to_wf: &Arc<Workflow>,
        to: u32,
        order_id: &str,
        mapping: &BTreeMap<String, String>,
        actor: &Actor,
        dry_run: bool,
    ) -> Result<MigratedOrder, AppError> {
        let order = self
            .store
            .order(order_id)
            .await?
            .ok_or_else(|| AppError::not_found("order"))?;
        let settings = self.party_settings(&order).await?;
        let refused = |reason: String| MigratedOrder {
            order: order.id.clone(),
            outcome: MigrationOutcome::Refused,
            status: order.status.clone(),
            new_status: None,
            reason: Some(reason),
        };
        let change = match engine::migrate(to_wf, to, &order, mapping, &settings, actor, self.now())
        {
            Ok(c) => c,
            Err(reason) => return Ok(refused(reason)),
        };
        let commit = commit_of(to_wf, &order, None, &change);
        let new_status = commit.order.status.clone();
        let outcome = if new_status == order.status {
            MigrationOutcome::Kept
        } else {
            MigrationOutcome::Mapped
        };
        if !dry_run {
            let summary = commit.order.summary();
            match self.store.commit(commit).await {
                Ok(()) => self.publish(summary),
                Err(StoreError::VersionConflict { current, .. }) => {
                    return Ok(refused(format!(
                        "it changed meanwhile (version {current}); migrate again"
                    )));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(MigratedOrder {
            order: order.id.clone(),
            outcome,
            status: order.status.clone(),
            new_status: Some(new_status),
            reason: None,
        })
    }
}

/// A stored definition's label (it passed the check when deployed).
fn label_of(source: &str) -> String {
    check::load_named("", source)
        .map(|d| d.label)
        .unwrap_or_default()
}
