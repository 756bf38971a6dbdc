//! Reading JSON bodies with problem answers: over the limit → 413
//! `payload_too_large`, another media type → 415 `unsupported_media_type`;
//! parsing (malformed → 400, the wrong shape → 422) is the application
//! layer's ([`orderflow_app::json`]). A body is read whole (bounded by the
//! route's limit) before anything is decided, so a bad one never makes a
//! partial change.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use orderflow_app::json::parse;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::problem::ApiError;

/// The raw body, checked for size and media type.
pub struct RawJson(pub Bytes);

impl FromRequest<AppState> for RawJson {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let declared = req.headers().get(header::CONTENT_TYPE).map(|ct| {
            let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
            ct.split(';').next().unwrap_or("").trim().to_owned()
        });
        if let Some(essence) = &declared
            && !(essence == "application/json" || essence.ends_with("+json"))
        {
            return Err(ApiError::new(
                "unsupported_media_type",
                format!("send application/json, not {essence:?}"),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    "payload_too_large",
                    format!(
                        "the body is over {} bytes",
                        state.limits.json_body_bytes_max
                    ),
                )
            } else {
                ApiError::bad_request(format!("the body could not be read: {e}"))
            }
        })?;
        // A body needs its media type: JSON sent as form data or text is a
        // client bug to report, not to guess through. No body (an action
        // without inputs) needs none.
        if declared.is_none() && !bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::new(
                "unsupported_media_type",
                "a body needs Content-Type: application/json",
            ));
        }
        Ok(RawJson(bytes))
    }
}

/// A JSON body of type `T`.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let RawJson(bytes) = RawJson::from_request(req, state).await?;
        Ok(JsonBody(parse(&bytes)?))
    }
}
