//! Deployed workflow definitions: their versions, stored beside the orders
//! that run under them so that every server on one database runs the same.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Result;

/// One deployed version of a workflow definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowVersion {
    pub workflow: String,
    /// 1, 2, 3 ... per workflow.
    pub version: u32,
    /// The definition as deployed (TOML).
    pub source: String,
    /// SHA-256 of `source`: a deployment of the same text is no new version.
    pub sha256: [u8; 32],
    /// Who deployed it (`administrator`, `built-in`, or a user id).
    pub deployed_by: String,
    pub deployed_at: DateTime<Utc>,
}

/// A deployed workflow: its latest version and whether it takes new orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployedWorkflow {
    pub id: String,
    pub latest: u32,
    /// The latest version's SHA-256: a cache can tell a workflow deleted
    /// and deployed again from the one it knew.
    pub checksum: [u8; 32],
    /// Retired: its orders run on, no new order is created.
    pub retired: bool,
}

#[async_trait]
pub trait WorkflowStore {
    /// Stores a new version (un-retiring the workflow); `Duplicate` when the
    /// workflow has this version already (another deployment came first).
    async fn deploy_workflow(&self, version: &WorkflowVersion) -> Result<()>;
    /// Every deployed workflow, by id (at most [`MAX_LIMIT`](crate::MAX_LIMIT)).
    async fn deployed_workflows(&self) -> Result<Vec<DeployedWorkflow>>;
    /// One version, definition included.
    async fn workflow_version(&self, id: &str, version: u32) -> Result<Option<WorkflowVersion>>;
    /// Every version of the workflow, oldest first (at most
    /// [`MAX_LIMIT`](crate::MAX_LIMIT)).
    async fn workflow_versions(&self, id: &str) -> Result<Vec<WorkflowVersion>>;
    /// How many orders run under each version of the workflow, by version.
    async fn orders_per_version(&self, id: &str) -> Result<Vec<(u32, u64)>>;
    /// Ids of the orders running under one version, oldest first, after
    /// `after` (an order id), at most `limit`.
    async fn orders_of_version(
        &self,
        id: &str,
        version: u32,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<String>>;
    /// Stops (or resumes) new orders; `NotFound` for an unknown workflow.
    async fn retire_workflow(&self, id: &str, retired: bool) -> Result<()>;
    /// Forgets the workflow and its versions; `NotFound` for an unknown one,
    /// `Invalid` when orders run under it (they would lose their rules).
    async fn delete_workflow(&self, id: &str) -> Result<()>;
}
