//! JSON documents handed to the application: malformed → `bad_request`,
//! nested too deep → `bad_request` before anything walks them, the wrong
//! shape → `invalid_input`.

use serde::de::DeserializeOwned;
use serde_json::Value as Json;

use crate::error::AppError;

/// Nesting of JSON values we accept; deeper documents are refused before
/// anything walks them recursively.
pub const JSON_DEPTH_MAX: usize = 64;

/// A request body: raw JSON (parsed only when the request gets that far,
/// so an earlier refusal — a missing order, a stale version — answers
/// first) or a value built by the caller (the web UI's forms).
#[derive(Debug, Clone)]
pub enum Body<'a> {
    Json(&'a [u8]),
    Value(Json),
}

impl Body<'_> {
    /// The document as a JSON value: empty raw JSON means `{}`.
    pub fn value(self) -> Result<Json, AppError> {
        match self {
            Body::Json(bytes) => parse_value(bytes),
            Body::Value(v) => Ok(v),
        }
    }
}

/// Parses `bytes` as a JSON value: empty means `{}`.
pub fn parse_value(bytes: &[u8]) -> Result<Json, AppError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Json::Object(serde_json::Map::new()));
    }
    check_depth(bytes)?;
    serde_json::from_slice(bytes)
        .map_err(|e| AppError::bad_request(format!("the body is not valid JSON: {e}")))
}

/// Parses `bytes` as a `T`, a request body: malformed JSON is 400, the
/// wrong shape 422. Every body is an object: serde would also read a
/// struct from an array of its fields in order (`[]` as all defaults).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let value = parse_value(bytes)?;
    if !value.is_object() {
        return Err(AppError::invalid("body", "a JSON object"));
    }
    serde_json::from_value(value).map_err(|e| AppError::invalid("body", e.to_string()))
}

/// Refuses documents nested deeper than [`JSON_DEPTH_MAX`] (counted over
/// brackets outside strings).
fn check_depth(bytes: &[u8]) -> Result<(), AppError> {
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
                    return Err(AppError::bad_request(format!(
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
