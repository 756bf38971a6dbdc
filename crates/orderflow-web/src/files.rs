//! `/orders/{id}/files/{file}`: a file an order refers to (an image of a
//! note, an invoice, evidence), for the thumbnails and links of the
//! order's history. Who may read it is the application's rule, the same
//! as the files API's (`App::download_file`): the uploader's organisation,
//! or a party that sees an order referring to the file; anyone else gets
//! the 404 page.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::Web;
use crate::error::PageError;
use crate::list::refused;
use crate::session::Session;

pub async fn download(
    State(web): State<Web>,
    session: Session,
    Path((order, file)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (file, bytes) = web
        .app
        .download_file(&session.caller(), &file, Some(&order))
        .await
        .map_err(|e| refused(Box::new(e.into_problem())))?;
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&file.media_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    // Read again each time: on a shared computer, whoever signs in next
    // must not get a file from the browser's cache that the server would
    // refuse them.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let ascii: String = file
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
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
