//! Pages that say something went wrong: 404 (also for another
//! organisation's order), 403 (a form without its CSRF token), and 500,
//! with the signed-in user's header when there is one. A request that
//! needs a signed-in user and has none goes to `/login`.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use orderflow_api::Problem;

use crate::Web;
use crate::layout::Layout;
use crate::session::{SESSION_COOKIE, cookie, open_session};

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
        let said = Said { heading, message };
        let mut response = said.render(status, Layout::public(heading));
        response.extensions_mut().insert(said);
        response
    }
}

/// What an error page says, kept on its answer: an error is raised where
/// the session is not at hand, and [`with_who`] draws the page again for
/// the signed-in user who got it.
#[derive(Clone)]
struct Said {
    heading: &'static str,
    message: String,
}

impl Said {
    fn render(&self, status: StatusCode, layout: Layout) -> Response {
        let page = ErrorPage {
            layout,
            heading: self.heading.to_owned(),
            message: self.message.clone(),
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "rendering the error page failed");
                (status, [(header::CONTENT_TYPE, "text/plain")], self.heading).into_response()
            }
        }
    }
}

/// An error page keeps the header of the signed-in user who got it (their
/// name, the bell, **Sign out**), so that a 404 for an order that is not
/// theirs is not a dead end: the page is drawn again with their session.
/// Only error pages pay for the look-up.
pub async fn with_who(State(web): State<Web>, request: Request, next: Next) -> Response {
    let secret = cookie(request.headers(), SESSION_COOKIE).map(str::to_owned);
    let response = next.run(request).await;
    let (Some(said), Some(secret)) = (response.extensions().get::<Said>(), secret) else {
        return response;
    };
    match open_session(&web, &secret).await {
        Ok(Some(session)) => {
            said.render(response.status(), Layout::signed_in(said.heading, &session))
        }
        _ => response,
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
