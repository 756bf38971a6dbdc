//! Static files compiled into the binary and served under `/static/`: our
//! stylesheet and script, and the vendored front-end files (see
//! `static/vendor/README.md`). Nothing is fetched from elsewhere.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Path under `/static/`, media type, bytes.
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "style.css",
        "text/css; charset=utf-8",
        include_bytes!("../static/style.css"),
    ),
    (
        "print.css",
        "text/css; charset=utf-8",
        include_bytes!("../static/print.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/app.js"),
    ),
    (
        "vendor/htmx.org/htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/vendor/htmx.org/htmx.min.js"),
    ),
    (
        "vendor/htmx-ext-sse/sse.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/vendor/htmx-ext-sse/sse.min.js"),
    ),
    (
        "vendor/axe-core/axe.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/vendor/axe-core/axe.min.js"),
    ),
];

/// The file, or the HTML 404 page.
pub async fn serve(Path(path): Path<String>) -> Response {
    let Some((_, media_type, bytes)) = FILES.iter().find(|(p, _, _)| *p == path) else {
        return crate::error::PageError::NotFound.into_response();
    };
    let mut response = (StatusCode::OK, *bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    // The files change only with the binary; an hour keeps pages fast
    // without pinning an old stylesheet after an upgrade for long.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}
