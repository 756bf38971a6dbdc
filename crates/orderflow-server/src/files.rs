//! Files (images, invoices, evidence): uploaded once, referred to by their
//! metadata in action inputs, served only to the uploader's organisation
//! or to users who see an order that refers to them.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use orderflow_api::{FileView, Problem};
use orderflow_store::StoredFile;
use serde::Deserialize;
use serde_json::Value as Json_;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::auth::UserCaller;
use crate::orders::{P, Q, load_visible};
use crate::problem::ApiError;

/// The media types accepted, each with the magic bytes that prove it.
pub const MEDIA_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
];

/// The media type `bytes` really are, from their first bytes.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

fn essence(content_type: &str) -> String {
    let e = content_type.split(';').next().unwrap_or("").trim();
    let e = e.to_ascii_lowercase();
    if e == "image/jpg" {
        "image/jpeg".to_owned()
    } else {
        e
    }
}

/// A file's name as given, without path separators or control characters.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(200)
        .collect();
    if cleaned.trim().is_empty() {
        "file".to_owned()
    } else {
        cleaned
    }
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name (raw uploads; multipart parts carry their own).
    pub name: Option<String>,
}

/// Uploads a file: `multipart/form-data` with one `file` part, or the raw
/// bytes with their `Content-Type`. The declared type must be one of the
/// accepted ones and match the content's magic bytes.
#[utoipa::path(post, path = "/api/v1/files", tag = "files",
    params(UploadQuery),
    request_body(content = Vec<u8>, description = "the file (raw, or multipart/form-data with a `file` part)", content_type = "application/octet-stream"),
    responses((status = 201, body = FileView),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    caller: UserCaller,
    Q(q): Q<UploadQuery>,
    req: Request,
) -> Result<(StatusCode, Json<FileView>), ApiError> {
    let limit = state.limits.file_bytes_max;
    let too_large = || {
        ApiError::new(
            "payload_too_large",
            format!("a file is at most {limit} bytes"),
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(essence)
        .unwrap_or_default();
    let (name, media_type, bytes) = if declared == "multipart/form-data" {
        let mut multipart = Multipart::from_request(req, &state)
            .await
            .map_err(|e| ApiError::bad_request(e.body_text()))?;
        let mut found = None;
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
                Err(e) => return Err(ApiError::bad_request(e.body_text())),
            };
            if field.name() != Some("file") {
                continue;
            }
            let name = field.file_name().map(clean_name);
            let ct = field.content_type().map(essence).unwrap_or_default();
            let data = field.bytes().await.map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    too_large()
                } else {
                    ApiError::bad_request(e.body_text())
                }
            })?;
            found = Some((name, ct, data));
            break;
        }
        let (name, ct, data) = found.ok_or_else(|| {
            ApiError::invalid("file", "a multipart part named `file` is required")
        })?;
        (name.or(q.name.as_deref().map(clean_name)), ct, data)
    } else {
        let data = Bytes::from_request(req, &state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                ApiError::bad_request(e.body_text())
            }
        })?;
        (q.name.as_deref().map(clean_name), declared, data)
    };
    if bytes.len() > limit {
        return Err(too_large());
    }
    if !MEDIA_TYPES.contains(&media_type.as_str()) {
        return Err(ApiError::new(
            "unsupported_media_type",
            format!("accepted media types: {}", MEDIA_TYPES.join(", ")),
        ));
    }
    match sniff(&bytes) {
        Some(real) if real == media_type => {}
        _ => {
            return Err(ApiError::new(
                "unsupported_media_type",
                format!("the content is not {media_type}"),
            ));
        }
    }
    let file = StoredFile {
        id: uuid::Uuid::now_v7().to_string(),
        organization: caller.organization().to_owned(),
        uploaded_by: caller.0.id.clone(),
        name: name.unwrap_or_else(|| "file".to_owned()),
        media_type,
        size: bytes.len() as u64,
        sha256: Sha256::digest(&bytes).into(),
        created_at: state.now(),
    };
    state.store.put_file(&file, &bytes).await?;
    Ok((
        StatusCode::CREATED,
        Json(FileView {
            id: file.id,
            name: file.name,
            media_type: file.media_type,
            size: file.size,
        }),
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DownloadQuery {
    /// An order the caller sees that refers to the file (needed by every
    /// organisation but the uploader's).
    pub order: Option<String>,
}

/// Whether `value` holds the string `id` anywhere (a file's metadata in an
/// input or record).
fn refers_to(value: &Json_, id: &str) -> bool {
    match value {
        Json_::String(s) => s == id,
        Json_::Array(items) => items.iter().any(|v| refers_to(v, id)),
        Json_::Object(map) => map.values().any(|v| refers_to(v, id)),
        _ => false,
    }
}

/// A file's bytes, for its uploader's organisation or through an order the
/// caller sees that refers to it; 404 otherwise.
#[utoipa::path(get, path = "/api/v1/files/{id}", tag = "files",
    params(("id" = String, Path), DownloadQuery),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn download(
    State(state): State<AppState>,
    caller: UserCaller,
    P(id): P<String>,
    Q(q): Q<DownloadQuery>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::not_found("file");
    let (file, bytes) = state.store.file(&id).await?.ok_or_else(not_found)?;
    let allowed = if file.organization == caller.organization() {
        true
    } else if let Some(order_id) = q.order.as_deref() {
        match load_visible(&state, &caller, order_id).await {
            Ok(v) => {
                refers_to(&Json_::Object(v.order.data.clone()), &file.id)
                    || v.order
                        .children
                        .iter()
                        .any(|c| refers_to(&Json_::Object(c.data.clone()), &file.id))
            }
            Err(_) => false,
        }
    } else {
        false
    };
    if !allowed {
        return Err(not_found());
    }
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&file.media_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    let ascii: String = file
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{ascii}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_knows_the_accepted_types() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"GIF89a..."), Some("image/gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"%PDF-1.7"), Some("application/pdf"));
        assert_eq!(sniff(b"<html>"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn names_lose_paths_and_controls() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\\b\nc.png"), "bc.png");
        assert_eq!(clean_name(""), "file");
    }

    #[test]
    fn references_are_found_deep() {
        let v = serde_json::json!({"images": [{"id": "f1", "name": "x.png"}]});
        assert!(refers_to(&v, "f1"));
        assert!(!refers_to(&v, "f2"));
    }
}
