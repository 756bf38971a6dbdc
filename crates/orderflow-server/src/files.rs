//! File routes: the upload's framing (raw bytes or `multipart/form-data`)
//! and the download's headers; who may store or read a file is the
//! application layer's ([`orderflow_app::files`]).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use orderflow_api::{FileView, Problem};
use orderflow_app::files::{essence, too_large};
use serde::Deserialize;

use crate::AppState;
use crate::auth::AuthUser;
use crate::extract::{P, Q};
use crate::problem::ApiError;

/// A multipart upload as the document describes it: one `file` part and
/// no other.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct UploadForm {
    /// The file's bytes; the part's file name is kept as the name.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
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
    request_body(description = "the file, raw (its type checked against its content) or multipart/form-data with a `file` part",
        content(
            (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/gif"),
            (Vec<u8> = "image/webp"), (Vec<u8> = "application/pdf"), (UploadForm = "multipart/form-data"))),
    responses((status = 201, body = FileView),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "a multipart body without its `file` part", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    Q(q): Q<UploadQuery>,
    req: Request,
) -> Result<(StatusCode, Json<FileView>), ApiError> {
    let limit = state.limits.file_bytes_max;
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
        let only_file = || {
            ApiError::from(orderflow_app::AppError::invalid(
                "file",
                "one multipart part, named `file`, and no other",
            ))
        };
        let unreadable = |e: axum::extract::multipart::MultipartError| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large(limit).into()
            } else {
                ApiError::bad_request(e.body_text())
            }
        };
        let field = multipart
            .next_field()
            .await
            .map_err(unreadable)?
            .ok_or_else(only_file)?;
        if field.name() != Some("file") {
            return Err(only_file());
        }
        let name = field.file_name().map(str::to_owned);
        let ct = field.content_type().map(str::to_owned).unwrap_or_default();
        let data = field.bytes().await.map_err(unreadable)?;
        if multipart.next_field().await.map_err(unreadable)?.is_some() {
            return Err(only_file());
        }
        (name.or(q.name), ct, data)
    } else {
        let data = Bytes::from_request(req, &state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large(limit).into()
            } else {
                ApiError::bad_request(e.body_text())
            }
        })?;
        (q.name, declared, data)
    };
    let file = state
        .upload_file(&caller, name.as_deref(), &media_type, &bytes)
        .await?;
    Ok((StatusCode::CREATED, Json(file)))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DownloadQuery {
    /// An order the caller sees that refers to the file (needed by every
    /// organisation but the uploader's).
    pub order: Option<String>,
}

/// A file's bytes, for its uploader's organisation or through an order the
/// caller sees that refers to it; 404 otherwise.
#[utoipa::path(get, path = "/api/v1/files/{id}", tag = "files",
    params(("id" = String, Path), DownloadQuery),
    responses((status = 200, description = "the file, with the type it was stored as",
            content((Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/gif"),
                (Vec<u8> = "image/webp"), (Vec<u8> = "application/pdf"))),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn download(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    P(id): P<String>,
    Q(q): Q<DownloadQuery>,
) -> Result<Response, ApiError> {
    let (file, bytes) = state
        .download_file(&caller, &id, q.order.as_deref())
        .await?;
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
