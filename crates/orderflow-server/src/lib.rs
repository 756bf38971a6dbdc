//! orderflow's HTTP server: the routes of docs/product.md "Interfaces" over the
//! pure engine (`orderflow-core`) and a [`Store`].
//!
//! One request, from the outside in: authenticate ([`auth`]) → load the
//! order through the one visibility choke point ([`orders::load_visible`]) →
//! `engine::decide` → `Store::commit` (snapshot, history, outbox and
//! idempotency record in one transaction) → respond → after the commit,
//! tell subscribers ([`events`]) and run follow-ups (a reorder's new order).

pub mod admin;
pub mod auth;
pub mod body;
pub mod events;
pub mod files;
pub mod openapi;
pub mod ops;
pub mod orders;
pub mod problem;
pub mod traceability;
pub mod views;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use orderflow_core::catalog;
use orderflow_core::engine::Workflow;
use orderflow_store::Store;
use tokio::sync::broadcast;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// Where "now" comes from, so tests can hold time still.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Every bound the API enforces.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Bytes of one JSON body.
    pub json_body_bytes_max: usize,
    /// Bytes of one uploaded file.
    pub file_bytes_max: usize,
    /// Rows of one page (`limit`).
    pub page_limit_max: u32,
    /// Orders in one bulk action.
    pub bulk_orders_max: usize,
    /// Changes waiting for a slow server-sent-events subscriber.
    pub events_buffer: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            json_body_bytes_max: 1024 * 1024,
            file_bytes_max: 10 * 1024 * 1024,
            page_limit_max: 200,
            bulk_orders_max: 200,
            events_buffer: 1024,
        }
    }
}

/// The built-in workflows, loaded once.
pub type Workflows = BTreeMap<String, Arc<Workflow>>;

/// Loads the four built-in workflows.
pub fn built_in_workflows() -> Result<Workflows, catalog::LoadError> {
    let mut out = BTreeMap::new();
    for (id, _) in catalog::BUILT_IN {
        if let Some(wf) = catalog::built_in(id) {
            out.insert((*id).to_owned(), Arc::new(wf?));
        }
    }
    Ok(out)
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub workflows: Arc<Workflows>,
    /// The administrator token (`ORDERFLOW_ADMIN_TOKEN`); no administration
    /// over HTTP without it.
    pub admin_token: Option<String>,
    pub clock: Arc<dyn Clock>,
    pub limits: Limits,
    /// Changes after their commit, for server-sent events.
    pub changes: broadcast::Sender<events::Change>,
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        workflows: Workflows,
        admin_token: Option<String>,
        clock: Arc<dyn Clock>,
        limits: Limits,
    ) -> Self {
        let (changes, _) = broadcast::channel(limits.events_buffer.max(1));
        Self {
            store,
            workflows: Arc::new(workflows),
            admin_token: admin_token.filter(|t| !t.is_empty()),
            clock,
            limits,
            changes,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn workflow(&self, id: &str) -> Option<&Arc<Workflow>> {
        self.workflows.get(id)
    }
}

/// The whole HTTP surface: `/api/v1/...`, `/healthz`, `/metrics`, the
/// OpenAPI document and Swagger UI.
pub fn router(state: AppState) -> Router {
    ops::init_metrics();
    let json_limit = state.limits.json_body_bytes_max;
    // The file route reads its own, larger limit; multipart framing adds a
    // little around the file.
    let file_limit = state.limits.file_bytes_max.saturating_add(64 * 1024);
    let api = Router::new()
        .route(
            "/orders",
            post(orders::create_order).get(orders::list_orders),
        )
        .route("/orders/counts", get(orders::count_orders))
        .route("/orders/bulk/actions/{action}", post(orders::bulk_action))
        .route("/orders/{id}", get(orders::get_order))
        .route("/orders/{id}/actions/{action}", post(orders::act))
        .route("/orders/{id}/history", get(orders::history))
        .route(
            "/orders/{id}/traceability",
            post(traceability::record_event),
        )
        .route("/orders/{id}/children", get(orders::list_children))
        .route("/orders/{id}/children/{child_id}", get(orders::get_child))
        .route(
            "/orders/{id}/children/{child_id}/actions/{action}",
            post(orders::act_on_child),
        )
        .route("/organizations", post(admin::create_organization))
        .route(
            "/organizations/{id}",
            get(admin::get_organization).patch(admin::update_organization),
        )
        .route("/users", post(admin::create_user))
        .route("/tokens", post(admin::create_token))
        .route("/events", get(events::stream))
        .route("/openapi.json", get(openapi::document))
        .layer(DefaultBodyLimit::max(json_limit))
        .merge(
            Router::new()
                .route("/files", post(files::upload))
                .layer(DefaultBodyLimit::max(file_limit)),
        )
        .route("/files/{id}", get(files::download));

    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .nest("/api/v1", api)
        .merge(openapi::swagger_ui())
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .fallback(ops::not_found)
        .method_not_allowed_fallback(ops::method_not_allowed)
        .with_state(state)
        .layer(axum::middleware::from_fn(ops::track))
        .layer(CatchPanicLayer::custom(ops::panic_response))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                tracing::info_span!("request", method = %req.method(), uri = %req.uri().path(), request_id = %id)
            }),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// How long a graceful shutdown waits for requests in flight.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
