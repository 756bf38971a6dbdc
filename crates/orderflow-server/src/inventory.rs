//! `/api/v1/inventory/...`: print-production's stock locations, bins,
//! purchases and receipts, and the intake check on demand — a thin
//! adapter over `orderflow_app::{inventory, intake}` (who may, what is
//! valid, how units move are written there).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use orderflow_api::{
    BinAdjustment, BinView, IntakeReport, IntakeRequest, NewBin, NewPurchase, NewReceipt,
    NewStockLocation, Problem, PurchaseView, ReceiptResult, StockLocationView,
};

use crate::AppState;
use crate::auth::AuthUser;
use crate::body::JsonBody;
use crate::extract::P;
use crate::problem::ApiError;

/// The organisation's stock locations.
#[utoipa::path(get, path = "/api/v1/inventory/locations", tag = "inventory",
    responses((status = 200, body = [StockLocationView]),
        (status = 403, description = "not a manager or admin", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_locations(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
) -> Result<Json<Vec<StockLocationView>>, ApiError> {
    Ok(Json(state.stock_locations(&caller).await?))
}

/// A new stock location (a production location's id).
#[utoipa::path(post, path = "/api/v1/inventory/locations", tag = "inventory",
    request_body = NewStockLocation,
    responses((status = 201, body = StockLocationView),
        (status = 403, description = "not a manager or admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the location exists", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_location(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    JsonBody(req): JsonBody<NewStockLocation>,
) -> Result<(StatusCode, Json<StockLocationView>), ApiError> {
    let created = state.create_stock_location(&caller, &req).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// The bins of one location, with their units.
#[utoipa::path(get, path = "/api/v1/inventory/locations/{location}/bins", tag = "inventory",
    params(("location" = String, Path)),
    responses((status = 200, body = [BinView]),
        (status = 403, description = "not a manager or admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such location", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_bins(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    P(location): P<String>,
) -> Result<Json<Vec<BinView>>, ApiError> {
    Ok(Json(state.bins(&caller, Some(&location)).await?))
}

/// A new bin of one SKU at a location.
#[utoipa::path(post, path = "/api/v1/inventory/locations/{location}/bins", tag = "inventory",
    params(("location" = String, Path)),
    request_body = NewBin,
    responses((status = 201, body = BinView),
        (status = 403, description = "not a manager or admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such location", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the bin exists", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_bin(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    P(location): P<String>,
    JsonBody(req): JsonBody<NewBin>,
) -> Result<(StatusCode, Json<BinView>), ApiError> {
    let created = state.create_bin(&caller, &location, &req).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Units put into a bin (positive) or taken out by hand (negative).
#[utoipa::path(post, path = "/api/v1/inventory/locations/{location}/bins/{bin}/adjust", tag = "inventory",
    params(("location" = String, Path), ("bin" = String, Path)),
    request_body = BinAdjustment,
    responses((status = 200, body = BinView),
        (status = 403, description = "not a manager or admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such bin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the bin holds fewer units than taken out", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn adjust_bin(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    P((location, bin)): P<(String, String)>,
    JsonBody(req): JsonBody<BinAdjustment>,
) -> Result<Json<BinView>, ApiError> {
    Ok(Json(
        state
            .adjust_bin(&caller, &location, &bin, req.delta)
            .await?,
    ))
}

/// The organisation's purchases, with the jobs tied to each.
#[utoipa::path(get, path = "/api/v1/inventory/purchases", tag = "inventory",
    responses((status = 200, body = [PurchaseView]),
        (status = 403, description = "not a manager or admin", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_purchases(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
) -> Result<Json<Vec<PurchaseView>>, ApiError> {
    Ok(Json(state.purchases(&caller).await?))
}

/// A purchase on order for a location.
#[utoipa::path(post, path = "/api/v1/inventory/purchases", tag = "inventory",
    request_body = NewPurchase,
    responses((status = 201, body = PurchaseView),
        (status = 403, description = "not a manager or admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such location", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the purchase exists", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_purchase(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    JsonBody(req): JsonBody<NewPurchase>,
) -> Result<(StatusCode, Json<PurchaseView>), ApiError> {
    let created = state.create_purchase(&caller, &req).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// A delivery of a purchase: its units go to the jobs tied to it, oldest
/// first, each in the transaction of the job's step.
#[utoipa::path(post, path = "/api/v1/inventory/purchases/{id}/receipts", tag = "inventory",
    params(("id" = String, Path)),
    request_body = NewReceipt,
    responses((status = 201, body = ReceiptResult),
        (status = 403, description = "not a manager or admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such purchase", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the purchase would hold more than 1,000,000,000 units", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn receive(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    P(id): P<String>,
    JsonBody(req): JsonBody<NewReceipt>,
) -> Result<(StatusCode, Json<ReceiptResult>), ApiError> {
    let done = state.receive(&caller, &id, req.quantity).await?;
    Ok((StatusCode::CREATED, Json(done)))
}

/// The intake check, now: waiting jobs oldest first reserve a unit from a
/// bin, take a received unit or are tied to a purchase.
#[utoipa::path(post, path = "/api/v1/inventory/intake", tag = "inventory",
    request_body(content = Option<IntakeRequest>, description = "optional: every location without it"),
    responses((status = 200, body = IntakeReport),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not a manager or admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such location", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn run_intake(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    JsonBody(req): JsonBody<IntakeRequest>,
) -> Result<Json<IntakeReport>, ApiError> {
    Ok(Json(
        state
            .intake_on_demand(&caller, req.location.as_deref())
            .await?,
    ))
}
