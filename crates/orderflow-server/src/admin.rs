//! Organisations, users and tokens. The administrator token creates
//! organisations and users; a user reads its own organisation and makes
//! more tokens for itself.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use orderflow_api::{
    CreateOrganization, CreateToken, CreateUser, OrganizationView, Problem, TokenCreated,
    UpdateOrganization, UserCreated,
};
use orderflow_store::{ApiToken, Organization, User};

use crate::auth::{Caller, UserCaller, new_token, sha256};
use crate::body::JsonBody;
use crate::orders::P;
use crate::problem::ApiError;
use crate::{AppState, views};

/// Ids people type: 1 to 100 of `a-z A-Z 0-9 - _ .`.
fn check_id(field: &str, id: &str) -> Result<(), ApiError> {
    let ok = !id.is_empty()
        && id.len() <= 100
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            field,
            "1 to 100 letters, digits, '-', '_' or '.'",
        ))
    }
}

fn check_name(field: &str, name: &str) -> Result<(), ApiError> {
    if name.trim().is_empty() || name.chars().count() > 200 {
        return Err(ApiError::invalid(field, "1 to 200 characters"));
    }
    Ok(())
}

fn admin_only(caller: &Caller) -> Result<(), ApiError> {
    match caller {
        Caller::Admin => Ok(()),
        Caller::User(_) => Err(ApiError::forbidden("this needs the administrator token")),
    }
}

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
    caller: Caller,
    JsonBody(req): JsonBody<CreateOrganization>,
) -> Result<(StatusCode, Json<OrganizationView>), ApiError> {
    admin_only(&caller)?;
    check_id("id", &req.id)?;
    check_name("name", &req.name)?;
    let org = Organization {
        id: req.id,
        name: req.name,
        settings: req.settings,
        created_at: state.now(),
    };
    state.store.create_organization(&org).await?;
    Ok((StatusCode::CREATED, Json(views::organization(&org))))
}

/// Whether the caller may read or change organisation `id`: the
/// administrator, or a user of it (changing needs its `admin` role).
fn may_see_org(caller: &Caller, id: &str) -> bool {
    match caller {
        Caller::Admin => true,
        Caller::User(u) => u.organization == id,
    }
}

/// An organisation and its settings (the administrator, or its own users).
#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "administration",
    params(("id" = String, Path)),
    responses((status = 200, body = OrganizationView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_organization(
    State(state): State<AppState>,
    caller: Caller,
    P(id): P<String>,
) -> Result<Json<OrganizationView>, ApiError> {
    if !may_see_org(&caller, &id) {
        return Err(ApiError::not_found("organization"));
    }
    let org = state
        .store
        .organization(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("organization"))?;
    Ok(Json(views::organization(&org)))
}

/// Changes an organisation's name or settings (the administrator, or a
/// user of it with the `admin` role). Settings keys set to `null` are
/// removed.
#[utoipa::path(patch, path = "/api/v1/organizations/{id}", tag = "administration",
    params(("id" = String, Path)),
    request_body = UpdateOrganization,
    responses((status = 200, body = OrganizationView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn update_organization(
    State(state): State<AppState>,
    caller: Caller,
    P(id): P<String>,
    JsonBody(req): JsonBody<UpdateOrganization>,
) -> Result<Json<OrganizationView>, ApiError> {
    if !may_see_org(&caller, &id) {
        return Err(ApiError::not_found("organization"));
    }
    if let Caller::User(u) = &caller
        && !u.roles.iter().any(|r| r == "admin")
    {
        return Err(ApiError::forbidden(
            "changing an organisation needs its admin role",
        ));
    }
    let mut org = state
        .store
        .organization(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("organization"))?;
    if let Some(name) = req.name {
        check_name("name", &name)?;
        org.name = name;
    }
    for (key, value) in req.settings.unwrap_or_default() {
        if value.is_null() {
            org.settings.remove(&key);
        } else {
            org.settings.insert(key, value);
        }
    }
    state.store.update_organization(&org).await?;
    Ok(Json(views::organization(&org)))
}

async fn issue_token(state: &AppState, user: &str, name: &str) -> Result<TokenCreated, ApiError> {
    let secret = new_token()?;
    let token = ApiToken {
        id: uuid::Uuid::now_v7().to_string(),
        user: user.to_owned(),
        name: name.to_owned(),
        sha256: sha256(&secret),
        created_at: state.now(),
    };
    state.store.create_token(&token).await?;
    Ok(TokenCreated {
        id: token.id,
        name: token.name,
        token: secret,
    })
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
    caller: Caller,
    JsonBody(req): JsonBody<CreateUser>,
) -> Result<(StatusCode, Json<UserCreated>), ApiError> {
    admin_only(&caller)?;
    let id = req
        .id
        .clone()
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    check_id("id", &id)?;
    check_name("name", &req.name)?;
    for (i, role) in req.roles.iter().enumerate() {
        check_id(&format!("roles.{i}"), role)?;
    }
    if state.store.organization(&req.organization).await?.is_none() {
        return Err(ApiError::invalid(
            "organization",
            format!("no organisation {:?}", req.organization),
        ));
    }
    let user = User {
        id,
        name: req.name,
        organization: req.organization,
        roles: req.roles,
        email: req.email,
        created_at: state.now(),
    };
    state.store.create_user(&user).await?;
    let token = issue_token(&state, &user.id, "first").await?;
    Ok((
        StatusCode::CREATED,
        Json(UserCreated {
            user: views::user(&user),
            token,
        }),
    ))
}

/// Makes another token for the calling user, shown this once.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "administration",
    request_body = CreateToken,
    responses((status = 201, body = TokenCreated), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_token(
    State(state): State<AppState>,
    caller: UserCaller,
    JsonBody(req): JsonBody<CreateToken>,
) -> Result<(StatusCode, Json<TokenCreated>), ApiError> {
    let name = req.name.unwrap_or_else(|| "api".to_owned());
    check_name("name", &name)?;
    let token = issue_token(&state, &caller.0.id, &name).await?;
    Ok((StatusCode::CREATED, Json(token)))
}
