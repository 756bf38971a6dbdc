//! Reading JSON bodies with problem answers: malformed → 400
//! `bad_request`, over the limit → 413 `payload_too_large`, another media
//! type → 415 `unsupported_media_type`, the wrong shape → 422
//! `invalid_input`. A body is read whole (bounded by the route's limit)
//! before anything is decided, so a bad one never makes a partial change.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::Value as Json;

use crate::AppState;
use crate::problem::ApiError;

/// Nesting of JSON values we accept; deeper documents are refused before
/// anything walks them recursively.
pub const JSON_DEPTH_MAX: usize = 64;

/// The raw body, checked for size and media type.
pub struct RawJson(pub Bytes);

impl FromRequest<AppState> for RawJson {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        if let Some(ct) = req.headers().get(header::CONTENT_TYPE) {
            let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
            let essence = ct.split(';').next().unwrap_or("").trim();
            if !(essence == "application/json" || essence.ends_with("+json")) {
                return Err(ApiError::new(
                    "unsupported_media_type",
                    format!("send application/json, not {essence:?}"),
                ));
            }
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
        Ok(RawJson(bytes))
    }
}

/// Parses `bytes` as a JSON value: empty means `{}`.
pub fn parse_value(bytes: &[u8]) -> Result<Json, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Json::Object(serde_json::Map::new()));
    }
    check_depth(bytes)?;
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request(format!("the body is not valid JSON: {e}")))
}

/// Parses `bytes` as a `T`: malformed JSON is 400, the wrong shape 422.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value = parse_value(bytes)?;
    serde_json::from_value(value).map_err(|e| ApiError::invalid("body", e.to_string()))
}

/// Refuses documents nested deeper than [`JSON_DEPTH_MAX`] (counted over
/// brackets outside strings).
fn check_depth(bytes: &[u8]) -> Result<(), ApiError> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in bytes {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > JSON_DEPTH_MAX {
                    return Err(ApiError::bad_request(format!(
                        "the body is nested deeper than {JSON_DEPTH_MAX} levels"
                    )));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// A JSON body of type `T`.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let RawJson(bytes) = RawJson::from_request(req, state).await?;
        parse(&bytes).map(JsonBody)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_an_empty_object() {
        assert_eq!(parse_value(b"  ").ok(), Some(serde_json::json!({})));
    }

    #[test]
    fn malformed_is_bad_request() {
        let e = parse_value(b"{\"a\":").err();
        assert_eq!(e.map(|e| e.status()), Some(400));
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let deep = "[".repeat(100_000);
        let e = parse_value(deep.as_bytes()).err();
        assert_eq!(e.map(|e| e.status()), Some(400));
        let fine = format!("{}{}", "[".repeat(10), "]".repeat(10));
        assert!(parse_value(fine.as_bytes()).is_ok());
        // Brackets inside strings do not count.
        let text = format!("{{\"a\":\"{}\"}}", "[".repeat(1000));
        assert!(parse_value(text.as_bytes()).is_ok());
    }

    #[test]
    fn wrong_shape_is_invalid_input() {
        let e = parse::<orderflow_api::CreateOrder>(b"{\"workflow\": 3}").err();
        assert_eq!(e.map(|e| e.status()), Some(422));
    }
}
