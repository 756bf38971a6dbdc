//! Pages that say something went wrong: 404 (also for another
//! organisation's order), 403 (a form without its CSRF token), and 500.
//! A request that needs a signed-in user and has none goes to `/login`.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use orderflow_api::Problem;

use crate::layout::Layout;

#[derive(Debug)]
pub enum PageError {
    NotFound,
    Forbidden(String),
    /// Not signed in: `next` is where to come back to.
    SignIn {
        next: String,
    },
    Internal,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    heading: String,
    message: String,
}

impl PageError {
    fn page(&self) -> (StatusCode, &'static str, String) {
        match self {
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing here, or it is not yours to see.".to_owned(),
            ),
            PageError::Forbidden(why) => (StatusCode::FORBIDDEN, "Refused", why.clone()),
            PageError::SignIn { .. } | PageError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The server failed; the failure is logged. Try again in a moment.".to_owned(),
            ),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let PageError::SignIn { next } = &self {
            let to = if next.is_empty() || next == "/" {
                "/login".to_owned()
            } else {
                format!("/login?next={}", crate::session::url_encode(next))
            };
            return Redirect::to(&to).into_response();
        }
        let (status, heading, message) = self.page();
        let page = ErrorPage {
            layout: Layout::public(heading),
            heading: heading.to_owned(),
            message,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "rendering the error page failed");
                (status, [(header::CONTENT_TYPE, "text/plain")], heading).into_response()
            }
        }
    }
}

impl PageError {
    /// The application's refusals as pages: 404 stays 404 (a foreign
    /// order looks missing), 401 asks to sign in, 403 says why; anything
    /// else is a server failure here, since pages that take input show its
    /// refusals beside the fields instead.
    pub fn from_problem(p: &Problem) -> Self {
        match p.status {
            404 => PageError::NotFound,
            401 => PageError::SignIn {
                next: String::new(),
            },
            403 => PageError::Forbidden(p.detail.clone()),
            _ => {
                tracing::error!(code = %p.code, detail = %p.detail, "page failed");
                PageError::Internal
            }
        }
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        tracing::error!(error = %e, "rendering a page failed");
        PageError::Internal
    }
}

/// The fallback of every path outside `/api` that no page takes.
pub async fn not_found() -> PageError {
    PageError::NotFound
}

/// Renders a page template as HTML.
pub fn html<T: Template>(page: &T) -> Result<Html<String>, PageError> {
    Ok(Html(page.render()?))
}
