//! orderflow's HTTP server: the routes of docs/product.md "Interfaces" over
//! the application layer (`orderflow-app`). Each handler reads the request
//! (authentication, path, query, headers, body), calls the application and
//! renders its answer: a view as JSON, or its error as problem JSON
//! ([`problem`]).

pub mod admin;
pub mod auth;
pub mod body;
pub mod events;
pub mod extract;
pub mod files;
pub mod inventory;
pub mod notifications;
pub mod openapi;
pub mod ops;
pub mod orders;
pub mod problem;
pub mod timers;
pub mod traceability;
pub mod webhooks;
pub mod workflows;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::routing::{delete, get, patch, post, put};
pub use orderflow_app::{Clock, Limits, SystemClock, Workflows, built_in_workflows};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// What every handler shares: the application.
pub type AppState = orderflow_app::App;

/// The whole HTTP surface: `/api/v1/...`, `/healthz`, `/metrics`, the
/// OpenAPI document and Swagger UI; a problem JSON 404 for any other path.
pub fn router(state: AppState) -> Router {
    router_with_pages(state, None)
}

/// The HTTP surface with `pages` (the web UI) beside it under the same
/// layers. Unknown paths under `/api` answer problem JSON; every other
/// unknown path goes to the pages' own fallback.
pub fn router_with_pages(state: AppState, pages: Option<Router>) -> Router {
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
        .route("/orders/{id}/timers", get(timers::list))
        .route(
            "/orders/{id}/timers/{timer}",
            delete(timers::cancel).patch(timers::reschedule),
        )
        .route("/schedules", get(timers::schedules))
        .route(
            "/orders/{id}/traceability",
            post(traceability::record_event),
        )
        .route("/orders/{id}/children", get(orders::list_children))
        .route("/orders/{id}/children/{child_id}", get(orders::get_child))
        .route(
            "/orders/{id}/children/{child_id}/label.pdf",
            get(orders::shipping_label),
        )
        .route(
            "/orders/{id}/children/{child_id}/actions/{action}",
            post(orders::act_on_child),
        )
        .route(
            "/inventory/locations",
            get(inventory::list_locations).post(inventory::create_location),
        )
        .route(
            "/inventory/locations/{location}/bins",
            get(inventory::list_bins).post(inventory::create_bin),
        )
        .route(
            "/inventory/locations/{location}/bins/{bin}/adjust",
            post(inventory::adjust_bin),
        )
        .route(
            "/inventory/purchases",
            get(inventory::list_purchases).post(inventory::create_purchase),
        )
        .route(
            "/inventory/purchases/{id}/receipts",
            post(inventory::receive),
        )
        .route("/inventory/intake", post(inventory::run_intake))
        .route("/organizations", post(admin::create_organization))
        .route(
            "/organizations/{id}",
            get(admin::get_organization).patch(admin::update_organization),
        )
        .route("/users", post(admin::create_user))
        .route("/users/{id}/password", put(admin::set_password))
        .route("/me/password", post(admin::change_password))
        .route("/users/{id}", patch(admin::update_user))
        .route("/tokens", post(admin::create_token))
        .route("/notifications", get(notifications::list))
        .route("/notifications/read", post(notifications::mark_all_read))
        .route("/notifications/{id}/read", post(notifications::mark_read))
        .route(
            "/me/email-preferences",
            get(notifications::email_preferences).put(notifications::set_email_preferences),
        )
        .route("/outbox/dead", get(notifications::dead_letters))
        .route("/workflows", get(workflows::list))
        .route(
            "/workflows/{id}",
            get(workflows::get_one)
                .put(workflows::deploy)
                .delete(workflows::delete),
        )
        .route(
            "/workflows/{id}/versions/{version}",
            get(workflows::version),
        )
        .route(
            "/workflows/{id}/retire",
            post(workflows::retire).delete(workflows::unretire),
        )
        .route("/workflows/{id}/migrate", post(workflows::migrate))
        .route("/webhooks", post(webhooks::create).get(webhooks::list))
        .route(
            "/webhooks/{id}",
            get(webhooks::get_one).delete(webhooks::remove),
        )
        .route("/webhooks/{id}/deliveries", get(webhooks::deliveries))
        .route(
            "/webhooks/{id}/deliveries/{delivery}/redeliver",
            post(webhooks::redeliver),
        )
        .route("/events", get(events::stream))
        .route("/openapi.json", get(openapi::document))
        .layer(DefaultBodyLimit::max(json_limit))
        .merge(
            Router::new()
                .route("/files", post(files::upload))
                .layer(DefaultBodyLimit::max(file_limit)),
        )
        .route("/files/{id}", get(files::download))
        .fallback(ops::not_found);

    let request_id = HeaderName::from_static("x-request-id");
    let routes = Router::new()
        .nest("/api/v1", api)
        .route("/api/{*rest}", axum::routing::any(ops::not_found))
        .merge(openapi::swagger_ui())
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .method_not_allowed_fallback(ops::method_not_allowed)
        .with_state(state);
    let routes = match pages {
        Some(pages) => routes.merge(pages),
        None => routes.fallback(ops::not_found),
    };
    routes
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
