//! Deployed workflows: their versions, deployments and migrations.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `invalid_definition`: one problem of a refused definition, where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DefinitionProblem {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// How many orders run under one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VersionCount {
    pub version: u32,
    pub orders: u64,
}

/// `GET /api/v1/workflows`: one workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WorkflowSummary {
    pub id: String,
    pub label: String,
    /// What new orders run under.
    pub latest_version: u32,
    /// No new orders; its orders run on.
    pub retired: bool,
    /// Orders per version (versions without orders left out).
    pub orders: Vec<VersionCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WorkflowList {
    pub items: Vec<WorkflowSummary>,
}

/// One deployed version, without its definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VersionInfo {
    pub version: u32,
    /// SHA-256 of the definition's text, in hex.
    pub checksum: String,
    /// `administrator`, `built-in`, or the deploying user's id.
    pub deployed_by: String,
    pub deployed_at: DateTime<Utc>,
    pub orders: u64,
}

/// `GET /api/v1/workflows/{id}`: the latest definition and every version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WorkflowDetail {
    pub id: String,
    pub label: String,
    pub latest_version: u32,
    pub retired: bool,
    /// The latest version's TOML.
    pub definition: String,
    pub versions: Vec<VersionInfo>,
}

/// `GET /api/v1/workflows/{id}/versions/{n}`: one version, with its diagram.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WorkflowVersionDetail {
    pub id: String,
    pub label: String,
    #[serde(flatten)]
    pub info: VersionInfo,
    /// The TOML as deployed.
    pub definition: String,
    /// The states and actions as a Mermaid state diagram.
    pub diagram: String,
}

/// `PUT /api/v1/workflows/{id}`: what the deployment did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Deployment {
    pub id: String,
    /// The version new orders now run under.
    pub version: u32,
    /// `false` when the definition was the latest already (nothing written).
    pub changed: bool,
}

/// `POST /api/v1/workflows/{id}/migrate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MigrateRequest {
    /// The version whose orders move.
    pub from: u32,
    /// The version they move to; the latest when absent.
    #[serde(default)]
    pub to: Option<u32>,
    /// Old state → new state, for states the new version no longer has.
    #[serde(default)]
    pub mapping: BTreeMap<String, String>,
    /// Only report what would happen (the default); `false` migrates.
    #[serde(default = "yes")]
    pub dry_run: bool,
}

fn yes() -> bool {
    true
}

/// What a migration did, or would do, to one order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MigrationOutcome {
    /// Its state exists in the new version.
    Kept,
    /// Its state moves by the mapping.
    Mapped,
    /// It stays under its version (`reason`).
    Refused,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MigratedOrder {
    pub order: String,
    pub outcome: MigrationOutcome,
    pub status: String,
    /// The status under the new version (kept or mapped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MigrationReport {
    pub dry_run: bool,
    pub from: u32,
    pub to: u32,
    pub results: Vec<MigratedOrder>,
}
