//! `POST /api/v1/orders/{id}/traceability`: a traceability event recorded
//! by the application layer ([`orderflow_app::traceability`], where the
//! rules of who may post and how events allocate are written).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use orderflow_api::{OrderView, Problem};
use orderflow_app::{Body, Caller};

use crate::AppState;
use crate::auth::Auth;
use crate::body::RawJson;
use crate::extract::{P, answer, idempotency, parse_if_match};
use crate::problem::ApiError;

/// Records a traceability event on an order: its workflow's system action
/// `record_traceability_event` allocates the batch, and the computed status
/// follows.
#[utoipa::path(post, path = "/api/v1/orders/{id}/traceability", tag = "orders",
    params(("id" = String, Path),
        ("If-Match" = Option<String>, Header, description = "the version the client saw: \"3\""),
        ("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key returns the first answer and changes nothing")),
    request_body(content = Object, description = "`product_type`, `quantity`, `batch_reference`, `event_id` (optional; an event already recorded changes nothing)"),
    responses(
        (status = 200, description = "the order after the allocation (or unchanged, for an event already recorded)", body = OrderView),
        (status = 403, description = "not the administrator, nor a user who may allocate", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such order, not yours, or its workflow takes no traceability events", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the order does not list the product type, or a lost race", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match is stale", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "invalid or missing inputs", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn record_event(
    State(state): State<AppState>,
    Auth(caller): Auth,
    P(id): P<String>,
    headers: HeaderMap,
    RawJson(bytes): RawJson,
) -> Result<Response, ApiError> {
    let if_match = parse_if_match(&headers)?;
    // The administrator's events have no idempotency record.
    let idem = match &caller {
        Caller::User(_) => idempotency(
            &headers,
            &format!("/api/v1/orders/{id}/traceability"),
            &bytes,
        )?,
        Caller::Admin => None,
    };
    let a = state
        .record_traceability_event(&caller, &id, Body::Json(&bytes), if_match, idem)
        .await?;
    Ok(answer(a))
}
