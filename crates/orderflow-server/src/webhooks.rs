//! Webhook endpoint routes over the application's webhooks
//! ([`orderflow_app::webhooks`]): an organisation's admins add, list and
//! remove endpoints, read their deliveries and send one again.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use orderflow_api::{
    CreateWebhook, DeliveriesQuery, Problem, WebhookCreated, WebhookDeliveryView, WebhookView,
};

use crate::AppState;
use crate::auth::Auth;
use crate::body::JsonBody;
use crate::extract::{P, Q};
use crate::problem::ApiError;

/// Adds a webhook endpoint to the caller's organisation (its `admin`
/// role); the answer shows the signing secret this once.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks",
    request_body = CreateWebhook,
    responses((status = 201, body = WebhookCreated),
        (status = 403, description = "the caller is not an admin of an organisation", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "the URL or a filter is not valid", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Auth(caller): Auth,
    JsonBody(req): JsonBody<CreateWebhook>,
) -> Result<(StatusCode, Json<WebhookCreated>), ApiError> {
    let created = state.create_webhook(&caller, req).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// The webhook endpoints of the caller's organisation (its `admin` role),
/// oldest first, without their secrets.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, body = Vec<WebhookView>),
        (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<Json<Vec<WebhookView>>, ApiError> {
    Ok(Json(state.webhooks(&caller).await?))
}

/// One webhook endpoint of the caller's organisation.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path)),
    responses((status = 200, body = WebhookView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    Auth(caller): Auth,
    P(id): P<String>,
) -> Result<Json<WebhookView>, ApiError> {
    Ok(Json(state.webhook(&caller, &id).await?))
}

/// Removes a webhook endpoint and its deliveries.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path)),
    responses((status = 204, description = "removed"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn remove(
    State(state): State<AppState>,
    Auth(caller): Auth,
    P(id): P<String>,
) -> Result<StatusCode, ApiError> {
    state.delete_webhook(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An endpoint's deliveries, newest first: state (`pending`, `delivered`,
/// `dead`), attempts, next attempt and last error.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = String, Path), DeliveriesQuery),
    responses((status = 200, body = Vec<WebhookDeliveryView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn deliveries(
    State(state): State<AppState>,
    Auth(caller): Auth,
    P(id): P<String>,
    Q(q): Q<DeliveriesQuery>,
) -> Result<Json<Vec<WebhookDeliveryView>>, ApiError> {
    Ok(Json(state.webhook_deliveries(&caller, &id, q.limit).await?))
}

/// Sends a delivery again, whatever its state, with a fresh attempt
/// limit: due at once.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{delivery}/redeliver", tag = "webhooks",
    params(("id" = String, Path), ("delivery" = String, Path)),
    responses((status = 200, body = WebhookDeliveryView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn redeliver(
    State(state): State<AppState>,
    Auth(caller): Auth,
    P((id, delivery)): P<(String, String)>,
) -> Result<Json<WebhookDeliveryView>, ApiError> {
    Ok(Json(
        state.redeliver_webhook(&caller, &id, &delivery).await?,
    ))
}
