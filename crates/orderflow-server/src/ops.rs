//! Operations: `/healthz`, `/metrics` (Prometheus text), request metrics,
//! the problem answers for unknown routes and panics.

use std::any::Any;
use std::sync::OnceLock;
use std::time::Instant;

use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use orderflow_api::Health;

use crate::AppState;
use crate::problem::{ApiError, problem, problem_response};

/// The process-wide Prometheus recorder, installed on first use. `None`
/// when another recorder was installed first.
fn prometheus() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| PrometheusBuilder::new().install_recorder().ok())
        .as_ref()
}

/// Installs the metrics recorder (the router does it; binaries may call it
/// earlier).
pub fn init_metrics() {
    let _ = prometheus();
}

/// Counts and times every request by method, route template and status.
pub async fn track(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    let seconds = started.elapsed().as_secs_f64();
    metrics::counter!("orderflow_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("orderflow_http_request_duration_seconds", "method" => method, "route" => route).record(seconds);
    response
}

/// Whether the server can take changes now: its store commits a write.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.health().await {
        Ok(_) => (
            StatusCode::OK,
            Json(Health {
                status: "ok".to_owned(),
            }),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e.detail(), "health check: the store takes no write");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "unavailable".to_owned(),
                }),
            )
                .into_response()
        }
    }
}

/// Prometheus text: request counts and latency, transitions by workflow,
/// action and outcome.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn metrics() -> Response {
    let text = prometheus().map(|h| h.render()).unwrap_or_default();
    let mut response = (StatusCode::OK, text).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    response
}

pub async fn not_found() -> ApiError {
    ApiError::new("not_found", "no such route")
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new("method_not_allowed", "this route does not take this method")
}

/// A panic answers 500 problem JSON; what panicked goes to the logs only.
pub fn panic_response(err: Box<dyn Any + Send + 'static>) -> Response {
    let what = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default();
    tracing::error!(panic = %what, "handler panicked");
    problem_response(&problem(
        "internal",
        "the server failed; the failure is logged",
    ))
}
