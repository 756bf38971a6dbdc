//! Traceability events: `POST /api/v1/orders/{id}/traceability`.
//!
//! docs/product.md (`compliance`): "traceability events posted to the API allocate
//! automatically". The workflow declares the allocation as a system action,
//! [`ACTION`] (`by = ["system"]`): the server decides it with the system as
//! actor, so it runs the workflow's own inputs, guards, effects and status
//! rules, and commits it like any other change (one transaction, history,
//! version, server-sent events).
//!
//! Who may post: the administrator token, or a user who sees the order and
//! may allocate by hand (the workflow's `allocate` action: in `compliance`,
//! the owner organisation's users with `edit`). History names the user who
//! posted the event (the administrator's events are the system's); the
//! allocation record says `source: traceability`.
//!
//! Event feeds deliver at least once: an event whose `event_id` is already
//! among the order's allocations changes nothing and answers the order with
//! `idempotent-replayed: true`. `Idempotency-Key` works as on actions (user
//! tokens).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use orderflow_api::{OrderView, Problem};
use orderflow_core::engine;
use orderflow_core::model::{Actor, Order};
use orderflow_core::rejection::Rejection;
use orderflow_store::commit_of;
use serde_json::Value;

use crate::auth::{Caller, UserCaller};
use crate::body::{RawJson, parse_value};
use crate::orders::{
    self, IdempotentRequest, P, Prepared, count_refusal, load_visible, party_settings,
};
use crate::problem::ApiError;
use crate::{AppState, views};

/// The system action a traceability event runs.
pub const ACTION: &str = "record_traceability_event";
/// The manual action whose permission posting an event needs.
pub const MANUAL_ACTION: &str = "allocate";

/// Whether `order` already holds an allocation from the event `event_id`.
fn already_recorded(order: &Order, event_id: &str) -> bool {
    order
        .data
        .get("allocations")
        .and_then(Value::as_array)
        .is_some_and(|records| {
            records
                .iter()
                .any(|r| r.get("event_id").and_then(Value::as_str) == Some(event_id))
        })
}

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
    caller: Caller,
    P(id): P<String>,
    headers: HeaderMap,
    RawJson(bytes): RawJson,
) -> Result<Response, ApiError> {
    let user = match caller {
        Caller::User(u) => Some(UserCaller(u)),
        Caller::Admin => None,
    };
    let if_match = orders::parse_if_match(&headers)?;
    let idem = match &user {
        Some(_) => orders::parse_idempotency_key(&headers)?.map(|key| IdempotentRequest {
            key,
            sha256: orders::request_sha256(
                "POST",
                &format!("/api/v1/orders/{id}/traceability"),
                &bytes,
            ),
        }),
        None => None,
    };
    if let (Some(req), Some(u)) = (&idem, &user)
        && let Some(response) = orders::replay(&state, u, req).await?
    {
        return Ok(response);
    }
    let v = match &user {
        Some(u) => load_visible(&state, u, &id).await?,
        None => {
            let not_found = || ApiError::not_found("order");
            let order = state.store.order(&id).await?.ok_or_else(not_found)?;
            let wf = state
                .workflow(&order.workflow)
                .cloned()
                .ok_or_else(not_found)?;
            orders::Visible { wf, order }
        }
    };
    if v.wf.def.action(ACTION).is_none() {
        return Err(Rejection::UnknownAction {
            action: ACTION.to_owned(),
        }
        .into());
    }
    let settings = party_settings(&state, &v.order).await?;
    let now = state.now();
    if let Some(u) = &user {
        let manual = v.wf.def.action(MANUAL_ACTION);
        let may_allocate = manual.is_some()
            && engine::available_actions(&v.wf, &v.order, &settings, &u.actor(), now)?
                .iter()
                .any(|a| {
                    a.action == MANUAL_ACTION
                        && !matches!(a.blocked, Some(Rejection::Forbidden { .. }))
                });
        if !may_allocate {
            return Err(Rejection::Forbidden {
                action: ACTION.to_owned(),
                allowed: manual.map(|a| a.by.clone()).unwrap_or_default(),
            }
            .into());
        }
    }
    let current = v.order.version;
    if let Some(expected) = if_match
        && expected != current
    {
        return Err(ApiError::new(
            "precondition_failed",
            format!("If-Match names version {expected}; the order is at version {current}"),
        )
        .with_current_version(current));
    }
    let inputs = parse_value(&bytes)?;
    if let Some(event_id) = inputs.get("event_id").and_then(Value::as_str)
        && !event_id.is_empty()
        && already_recorded(&v.order, event_id)
    {
        let view = match &user {
            Some(u) => orders::view_for(&state, &v.wf, &v.order, &settings, &u.actor())?,
            None => views::order(&v.wf, &v.order, &settings, Vec::new()),
        };
        let mut response = (StatusCode::OK, Json(view)).into_response();
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
        return Ok(response);
    }
    let mut change = engine::decide(
        &v.wf,
        &v.order,
        &settings,
        &Actor::System,
        ACTION,
        &inputs,
        now,
    )
    .map_err(|r| ApiError::from(r).with_current_version(current))
    .inspect_err(|e| count_refusal(&v.wf, ACTION, e))?;
    if let Some(u) = &user {
        // History names who posted the event.
        change.actor = u.actor();
    }
    let commit = commit_of(&v.wf, &v.order, None, &change);
    let p = Prepared {
        wf: v.wf.clone(),
        commit,
        change,
    };
    orders::finish(
        &state,
        user.as_ref(),
        p,
        &settings,
        StatusCode::OK,
        if_match,
        idem,
    )
    .await
}
