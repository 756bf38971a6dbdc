//! The caller's inbox, their e-mail preferences, and the messages the
//! server gave up delivering (administrator).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use orderflow_api::{
    DeadLetterList, DeadLetterQuery, EmailPreferences, InboxQuery, MarkedRead, NotificationList,
    Problem, SetEmailPreferences,
};

use crate::AppState;
use crate::auth::{Auth, AuthUser};
use crate::body::JsonBody;
use crate::extract::{P, Q};
use crate::problem::ApiError;

/// The caller's notifications: unread first, then newest first, with the
/// count of unread ones. Every notification of the caller's organisation
/// on an order it could see when it was written.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications",
    params(InboxQuery),
    responses((status = 200, body = NotificationList),
        (status = 403, description = "the administrator token has no inbox", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    Q(query): Q<InboxQuery>,
) -> Result<Json<NotificationList>, ApiError> {
    Ok(Json(
        state
            .inbox(&caller, query.cursor.as_deref(), query.limit)
            .await?,
    ))
}

/// Marks one of the caller's notifications read (again is fine).
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications",
    params(("id" = String, Path)),
    responses((status = 204, description = "it is read"),
        (status = 404, description = "no such notification in the caller's inbox", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn mark_read(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    P(id): P<String>,
) -> Result<StatusCode, ApiError> {
    state.mark_notification_read(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Marks every notification of the caller read.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "notifications",
    responses((status = 200, description = "how many were unread", body = MarkedRead)),
    security(("bearer" = [])))]
pub async fn mark_all_read(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
) -> Result<Json<MarkedRead>, ApiError> {
    let marked = state.mark_all_notifications_read(&caller).await?;
    Ok(Json(MarkedRead { marked }))
}

/// The kinds of e-mail the caller may get, and which they opted out of.
#[utoipa::path(get, path = "/api/v1/me/email-preferences", tag = "notifications",
    responses((status = 200, body = EmailPreferences)),
    security(("bearer" = [])))]
pub async fn email_preferences(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
) -> Result<Json<EmailPreferences>, ApiError> {
    Ok(Json(state.email_preferences(&caller).await?))
}

/// Replaces the kinds of e-mail the caller opted out of (the inbox keeps
/// every notification whatever the choice).
#[utoipa::path(put, path = "/api/v1/me/email-preferences", tag = "notifications",
    request_body = SetEmailPreferences,
    responses((status = 200, body = EmailPreferences),
        (status = 422, description = "an unknown kind of e-mail (`opted_out[i]`)", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn set_email_preferences(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    JsonBody(req): JsonBody<SetEmailPreferences>,
) -> Result<Json<EmailPreferences>, ApiError> {
    Ok(Json(
        state.set_email_opt_outs(&caller, &req.opted_out).await?,
    ))
}

/// Messages the server stopped trying to deliver, with their last error,
/// latest first (administrator).
#[utoipa::path(get, path = "/api/v1/outbox/dead", tag = "notifications",
    params(DeadLetterQuery),
    responses((status = 200, body = DeadLetterList),
        (status = 403, description = "needs the administrator token", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn dead_letters(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Q(query): Q<DeadLetterQuery>,
) -> Result<Json<DeadLetterList>, ApiError> {
    Ok(Json(state.dead_letters(&caller, query.limit).await?))
}
