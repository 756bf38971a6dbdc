//! Every error the API answers, as RFC 9457 problem JSON with a stable
//! `code`: the application layer's [`AppError`] (its table of codes is the
//! contract, `docs/api.md` repeats it) with the HTTP status it names.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use orderflow_api::{PROBLEM_CONTENT_TYPE, Problem};
use orderflow_app::AppError;

pub use orderflow_app::error::problem;

/// An error a handler returns: answered as problem JSON.
#[derive(Debug, Clone)]
pub struct ApiError(pub AppError);

impl ApiError {
    pub fn new(code: &str, detail: impl Into<String>) -> Self {
        Self(AppError::new(code, detail))
    }
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self(AppError::bad_request(detail))
    }
}

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        problem_response(self.0.problem())
    }
}

/// A problem as a response: its status, `application/problem+json`.
pub fn problem_response(p: &Problem) -> Response {
    let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(p).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
    );
    response
}
