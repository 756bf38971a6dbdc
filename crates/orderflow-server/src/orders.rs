//! Order routes: create, read, list, count, history, act (with `If-Match`
//! and `Idempotency-Key`), children and bulk actions. Each reads the
//! request, calls the application layer and renders its answer.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use orderflow_api::{
    BulkAction, BulkResult, ChildList, ChildView, CreateOrder, HistoryPage, ListQuery, OrderCounts,
    OrderList, OrderView, PageQuery, Problem,
};
use orderflow_app::{Act, Body};

use crate::AppState;
use crate::auth::AuthUser;
use crate::body::{JsonBody, RawJson};
use crate::extract::{P, Q, answer, idempotency, parse_if_match};
use crate::problem::ApiError;

/// Creates an order: the caller's organisation fills the creating slot.
#[utoipa::path(post, path = "/api/v1/orders", tag = "orders",
    request_body = CreateOrder,
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key returns the first answer")),
    responses(
        (status = 201, description = "the new order", body = OrderView),
        (status = 400, description = "malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not permitted", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "invalid input", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn create_order(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    headers: HeaderMap,
    RawJson(bytes): RawJson,
) -> Result<Response, ApiError> {
    let idem = idempotency(&headers, "/api/v1/orders", &bytes)?;
    let a = state
        .create_order(&caller, Body::Json(&bytes), idem)
        .await?;
    Ok(answer(a))
}

/// The order, its status, version and the caller's actions now.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = OrderView),
        (status = 404, description = "no such order, or not yours", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get_order(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    P(id): P<String>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(state.order_with_timers(&caller, &id).await?))
}

/// Takes an action on an order with its inputs as the JSON body.
#[utoipa::path(post, path = "/api/v1/orders/{id}/actions/{action}", tag = "orders",
    params(("id" = String, Path), ("action" = String, Path),
        ("If-Match" = Option<String>, Header, description = "the version the client saw: \"3\""),
        ("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key returns the first answer and changes nothing")),
    request_body(content = Object, description = "the action's inputs"),
    responses(
        (status = 200, description = "the order after the action", body = OrderView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "not available, a guard, or a lost race", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match is stale", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn act(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    P((id, action)): P<(String, String)>,
    headers: HeaderMap,
    RawJson(bytes): RawJson,
) -> Result<Response, ApiError> {
    let path = format!("/api/v1/orders/{id}/actions/{action}");
    act_inner(&state, &caller, &id, None, &action, &path, &headers, &bytes).await
}

/// Takes an action on a child (an item, a job) of an order.
#[utoipa::path(post, path = "/api/v1/orders/{id}/children/{child_id}/actions/{action}", tag = "children",
    params(("id" = String, Path), ("child_id" = String, Path), ("action" = String, Path),
        ("If-Match" = Option<String>, Header, description = "the order's version the client saw"),
        ("Idempotency-Key" = Option<String>, Header)),
    request_body(content = Object, description = "the action's inputs"),
    responses(
        (status = 200, description = "the order after the action", body = OrderView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn act_on_child(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    P((id, child_id, action)): P<(String, String, String)>,
    headers: HeaderMap,
    RawJson(bytes): RawJson,
) -> Result<Response, ApiError> {
    let path = format!("/api/v1/orders/{id}/children/{child_id}/actions/{action}");
    act_inner(
        &state,
        &caller,
        &id,
        Some(&child_id),
        &action,
        &path,
        &headers,
        &bytes,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn act_inner(
    state: &AppState,
    caller: &orderflow_app::UserCaller,
    id: &str,
    child: Option<&str>,
    action: &str,
    path: &str,
    headers: &HeaderMap,
    bytes: &[u8],
) -> Result<Response, ApiError> {
    let if_match = parse_if_match(headers)?;
    let idem = idempotency(headers, path, bytes)?;
    let a = state
        .act(
            caller,
            Act {
                order: id,
                child,
                action,
                inputs: Body::Json(bytes),
                if_match,
                idempotency: idem,
            },
        )
        .await?;
    Ok(answer(a))
}

/// Orders the caller sees, newest first, with cursor paging.
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders",
    params(ListQuery),
    responses((status = 200, body = OrderList), (status = 400, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_orders(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    Q(q): Q<ListQuery>,
) -> Result<Json<OrderList>, ApiError> {
    Ok(Json(state.list_orders(&caller, &q).await?))
}

/// Visible orders per workflow and status, for dashboards.
#[utoipa::path(get, path = "/api/v1/orders/counts", tag = "orders",
    params(ListQuery),
    responses((status = 200, body = OrderCounts)),
    security(("bearer" = [])))]
pub async fn count_orders(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    Q(q): Q<ListQuery>,
) -> Result<Json<OrderCounts>, ApiError> {
    Ok(Json(state.count_orders(&caller, &q).await?))
}

/// The order's history, oldest first.
#[utoipa::path(get, path = "/api/v1/orders/{id}/history", tag = "orders",
    params(("id" = String, Path), PageQuery),
    responses((status = 200, body = HistoryPage), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn history(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    P(id): P<String>,
    Q(q): Q<PageQuery>,
) -> Result<Json<HistoryPage>, ApiError> {
    Ok(Json(state.history(&caller, &id, &q).await?))
}

/// Children of one kind, oldest first.
#[utoipa::path(get, path = "/api/v1/orders/{id}/children", tag = "children",
    params(("id" = String, Path), PageQuery),
    responses((status = 200, body = ChildList), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_children(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    P(id): P<String>,
    Q(q): Q<PageQuery>,
) -> Result<Json<ChildList>, ApiError> {
    Ok(Json(state.list_children(&caller, &id, &q).await?))
}

/// One child with the caller's actions on it.
#[utoipa::path(get, path = "/api/v1/orders/{id}/children/{child_id}", tag = "children",
    params(("id" = String, Path), ("child_id" = String, Path)),
    responses((status = 200, body = ChildView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_child(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    P((id, child_id)): P<(String, String)>,
) -> Result<Json<ChildView>, ApiError> {
    Ok(Json(state.child(&caller, &id, &child_id).await?))
}

/// The shipping label of a shipped job: a 4 x 6 in PDF.
#[utoipa::path(get, path = "/api/v1/orders/{id}/children/{child_id}/label.pdf", tag = "children",
    params(("id" = String, Path), ("child_id" = String, Path)),
    responses((status = 200, description = "the label, 288 x 432 pt", content_type = "application/pdf"),
        (status = 404, description = "no such order or job, or the job is not shipped", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn shipping_label(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    P((id, child_id)): P<(String, String)>,
) -> Result<Response, ApiError> {
    let pdf = state.shipping_label(&caller, &id, &child_id).await?;
    let disposition = format!("inline; filename=\"label-{child_id}.pdf\"");
    let mut response = pdf.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// One action on many orders; with `dry_run`, what would happen to each.
#[utoipa::path(post, path = "/api/v1/orders/bulk/actions/{action}", tag = "orders",
    params(("action" = String, Path)),
    request_body = BulkAction,
    responses((status = 200, body = BulkResult), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn bulk_action(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    P(action): P<String>,
    JsonBody(req): JsonBody<BulkAction>,
) -> Result<Json<BulkResult>, ApiError> {
    Ok(Json(state.bulk_action(&caller, &action, &req).await?))
}
