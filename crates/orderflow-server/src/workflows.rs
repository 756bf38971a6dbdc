//! Workflow routes: deploying a definition (the TOML as the body), reading
//! versions, retiring, deleting and migrating, over the application
//! layer's [`orderflow_app::workflows`].

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{StatusCode, header};
use orderflow_api::{
    Deployment, MigrateRequest, MigrationReport, Problem, WorkflowDetail, WorkflowList,
    WorkflowVersionDetail,
};
use orderflow_app::files::essence;

use crate::AppState;
use crate::auth::Auth;
use crate::body::JsonBody;
use crate::extract::P;
use crate::problem::ApiError;

/// The media type a definition is deployed with.
pub const TOML: &str = "application/toml";

/// A definition sent as `application/toml`, in UTF-8.
pub struct TomlBody(pub String);

impl FromRequest<AppState> for TomlBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let declared = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(essence)
            .unwrap_or_default();
        if declared != TOML {
            return Err(ApiError::new(
                "unsupported_media_type",
                format!("send the definition as {TOML}, not {declared:?}"),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new("payload_too_large", "the definition is over the limit")
            } else {
                ApiError::bad_request(format!("the body could not be read: {e}"))
            }
        })?;
        String::from_utf8(bytes.to_vec())
            .map(TomlBody)
            .map_err(|_| ApiError::bad_request("the definition is not UTF-8"))
    }
}

/// Deploys a definition: checked as `orderflow workflow check` checks it,
/// then stored as a new version (201), or nothing when it is the latest
/// already (200). The administrator, or a user with the `workflow_admin`
/// role.
#[utoipa::path(put, path = "/api/v1/workflows/{id}", tag = "workflows",
    params(("id" = String, Path)),
    request_body(content = String, description = "the definition (TOML)", content_type = "application/toml"),
    responses((status = 201, description = "a new version", body = Deployment),
        (status = 200, description = "the definition was the latest already; nothing changed", body = Deployment),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "another deployment came first", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_definition`: every problem with its line and column", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn deploy(
    State(state): State<AppState>,
    Auth(caller): Auth,
    P(id): P<String>,
    TomlBody(source): TomlBody,
) -> Result<(StatusCode, Json<Deployment>), ApiError> {
    let d = state.deploy_workflow(&caller, &id, &source).await?;
    let status = if d.changed {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(d)))
}

/// Every deployed workflow: its latest version, whether it is retired, and
/// its orders per version.
#[utoipa::path(get, path = "/api/v1/workflows", tag = "workflows",
    responses((status = 200, body = WorkflowList)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Auth(_): Auth,
) -> Result<Json<WorkflowList>, ApiError> {
    Ok(Json(state.list_workflows().await?))
}

/// A workflow's latest definition and its versions.
#[utoipa::path(get, path = "/api/v1/workflows/{id}", tag = "workflows",
    params(("id" = String, Path)),
    responses((status = 200, body = WorkflowDetail),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    Auth(_): Auth,
    P(id): P<String>,
) -> Result<Json<WorkflowDetail>, ApiError> {
    Ok(Json(state.workflow_detail(&id).await?))
}

/// One version: its definition and its diagram (Mermaid).
#[utoipa::path(get, path = "/api/v1/workflows/{id}/versions/{version}", tag = "workflows",
    params(("id" = String, Path), ("version" = u32, Path)),
    responses((status = 200, body = WorkflowVersionDetail),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn version(
    State(state): State<AppState>,
    Auth(_): Auth,
    P((id, version)): P<(String, u32)>,
) -> Result<Json<WorkflowVersionDetail>, ApiError> {
    Ok(Json(state.workflow_version_detail(&id, version).await?))
}

/// Forgets a workflow no order runs under (409 when it has orders: retire
/// it instead).
#[utoipa::path(delete, path = "/api/v1/workflows/{id}", tag = "workflows",
    params(("id" = String, Path)),
    responses((status = 204, description = "deleted"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "orders run under it", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Auth(caller): Auth,
    P(id): P<String>,
) -> Result<StatusCode, ApiError> {
    state.delete_workflow(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Retires a workflow: no new orders; its orders run on.
#[utoipa::path(post, path = "/api/v1/workflows/{id}/retire", tag = "workflows",
    params(("id" = String, Path)),
    responses((status = 204, description = "retired"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn retire(
    State(state): State<AppState>,
    Auth(caller): Auth,
    P(id): P<String>,
) -> Result<StatusCode, ApiError> {
    state.retire_workflow(&caller, &id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Takes a retired workflow back into service.
#[utoipa::path(delete, path = "/api/v1/workflows/{id}/retire", tag = "workflows",
    params(("id" = String, Path)),
    responses((status = 204, description = "takes new orders again"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn unretire(
    State(state): State<AppState>,
    Auth(caller): Auth,
    P(id): P<String>,
) -> Result<StatusCode, ApiError> {
    state.retire_workflow(&caller, &id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Moves the orders of one version to another; a dry run (the default)
/// says what would happen to each and changes nothing.
#[utoipa::path(post, path = "/api/v1/workflows/{id}/migrate", tag = "workflows",
    params(("id" = String, Path)),
    request_body = MigrateRequest,
    responses((status = 200, body = MigrationReport),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn migrate(
    State(state): State<AppState>,
    Auth(caller): Auth,
    P(id): P<String>,
    JsonBody(req): JsonBody<MigrateRequest>,
) -> Result<Json<MigrationReport>, ApiError> {
    Ok(Json(state.migrate_workflow(&caller, &id, req).await?))
}
