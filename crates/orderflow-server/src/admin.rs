//! Organisation, user and token routes over the application layer's
//! administration ([`orderflow_app::admin`]).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use orderflow_api::{
    ChangePassword, CreateOrganization, CreateToken, CreateUser, OrganizationView, Problem,
    SetPassword, TokenCreated, UpdateOrganization, UpdateUser, UserCreated, UserView,
};

use crate::AppState;
use crate::auth::{Auth, AuthUser};
use crate::body::JsonBody;
use crate::extract::P;
use crate::problem::ApiError;

/// Creates an organisation (administrator).
#[utoipa::path(post, path = "/api/v1/organizations", tag = "administration",
    request_body = CreateOrganization,
    responses((status = 201, body = OrganizationView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the id is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_organization(
    State(state): State<AppState>,
    Auth(caller): Auth,
    JsonBody(req): JsonBody<CreateOrganization>,
) -> Result<(StatusCode, Json<OrganizationView>), ApiError> {
    let org = state.create_organization(&caller, req).await?;
    Ok((StatusCode::CREATED, Json(org)))
}

/// An organisation and its settings (the administrator, or its own users).
#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "administration",
    params(("id" = String, Path)),
    responses((status = 200, body = OrganizationView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_organization(
    State(state): State<AppState>,
    Auth(caller): Auth,
    P(id): P<String>,
) -> Result<Json<OrganizationView>, ApiError> {
    Ok(Json(state.organization(&caller, &id).await?))
}

/// Changes an organisation's name or settings (the administrator, or a
/// user of it with the `admin` role). Settings keys set to `null` are
/// removed.
#[utoipa::path(patch, path = "/api/v1/organizations/{id}", tag = "administration",
    params(("id" = String, Path)),
    request_body(content = Option<UpdateOrganization>, description = "optional: no body changes nothing"),
    responses((status = 200, body = OrganizationView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "a setting does not fit a workflow's declaration", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn update_organization(
    State(state): State<AppState>,
    Auth(caller): Auth,
    P(id): P<String>,
    JsonBody(req): JsonBody<UpdateOrganization>,
) -> Result<Json<OrganizationView>, ApiError> {
    Ok(Json(state.update_organization(&caller, &id, req).await?))
}

/// Creates a user with its first API token, shown this once
/// (administrator).
#[utoipa::path(post, path = "/api/v1/users", tag = "administration",
    request_body = CreateUser,
    responses((status = 201, body = UserCreated),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_user(
    State(state): State<AppState>,
    Auth(caller): Auth,
    JsonBody(req): JsonBody<CreateUser>,
) -> Result<(StatusCode, Json<UserCreated>), ApiError> {
    let created = state.create_user(&caller, req).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Renames a user or changes their roles or e-mail (administrator);
/// history keeps the names its entries were written with.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "administration",
    params(("id" = String, Path)),
    request_body(content = Option<UpdateUser>, description = "optional: no body changes nothing"),
    responses((status = 200, body = UserView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn update_user(
    State(state): State<AppState>,
    Auth(caller): Auth,
    P(id): P<String>,
    JsonBody(req): JsonBody<UpdateUser>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(state.update_user(&caller, &id, req).await?))
}

/// Makes another token for the calling user, shown this once.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "administration",
    request_body(content = Option<CreateToken>, description = "optional: a token named `api` without it"),
    responses((status = 201, body = TokenCreated), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "a name that is not one, or an unknown field", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_token(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    JsonBody(req): JsonBody<CreateToken>,
) -> Result<(StatusCode, Json<TokenCreated>), ApiError> {
    let token = state.create_token(&caller, req.name).await?;
    Ok((StatusCode::CREATED, Json(token)))
}

/// Sets a user's password (administrator); the user's web sessions end.
#[utoipa::path(put, path = "/api/v1/users/{id}/password", tag = "administration",
    params(("id" = String, Path)),
    request_body = SetPassword,
    responses((status = 204, description = "the password is set"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "the password is too short or too long", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn set_password(
    State(state): State<AppState>,
    Auth(caller): Auth,
    P(id): P<String>,
    JsonBody(req): JsonBody<SetPassword>,
) -> Result<StatusCode, ApiError> {
    state.set_password(&caller, &id, &req.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The calling user changes their own password.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "administration",
    request_body = ChangePassword,
    responses((status = 204, description = "the password is changed"),
        (status = 403, description = "the administrator token has no password to change", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "the current password is wrong (`current_password`), or the new one too short (`new_password`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "too many wrong passwords", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn change_password(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    JsonBody(req): JsonBody<ChangePassword>,
) -> Result<StatusCode, ApiError> {
    state
        .change_password(&caller, &req.current_password, &req.new_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
