//! `/login` (fields **User** and **Password**, button **Sign in**),
//! sign-out, and `/`, which sends a signed-in user to their orders.

use crate::posted::FormData;
use askama::Template;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::Extensions;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use orderflow_app::auth::constant_time_eq;
use serde::Deserialize;

use crate::Web;
use crate::error::{PageError, html};
use crate::layout::Layout;
use crate::session::{
    CSRF_FIELD, LOGIN_COOKIE, MaybeSession, SESSION_COOKIE, Session, cookie, csrf_refused,
    random_secret, set_cookie,
};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    csrf: String,
    next: String,
    user: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct Next {
    #[serde(default)]
    next: String,
}

/// Only a path of this site: never `//elsewhere` or `https://...`.
fn local(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/orders"
    }
}

pub async fn home(MaybeSession(session): MaybeSession) -> Redirect {
    match session {
        Some(_) => Redirect::to("/orders"),
        None => Redirect::to("/login"),
    }
}

/// The sign-in form, with a fresh token for its double-submit check.
fn form(
    headers: &HeaderMap,
    status: StatusCode,
    next: &str,
    user: &str,
    error: Option<String>,
) -> Result<Response, PageError> {
    let csrf = match cookie(headers, LOGIN_COOKIE) {
        Some(t) if t.len() == 64 => t.to_owned(),
        _ => random_secret()?,
    };
    let page = LoginPage {
        layout: Layout::public("Sign in"),
        csrf: csrf.clone(),
        next: next.to_owned(),
        user: user.to_owned(),
        error,
    };
    let mut response = (status, html(&page)?).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(headers, LOGIN_COOKIE, &csrf, "/login", None),
    );
    Ok(response)
}

pub async fn page(
    MaybeSession(session): MaybeSession,
    headers: HeaderMap,
    Query(q): Query<Next>,
) -> Result<Response, PageError> {
    if session.is_some() {
        return Ok(Redirect::to(local(&q.next)).into_response());
    }
    form(&headers, StatusCode::OK, &q.next, "", None)
}

/// The address the connection came from.
fn peer(extensions: &Extensions) -> Option<std::net::IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip())
}

/// What the form says when the application refuses a sign-in; `None`
/// for a failure of the server.
fn refusal_message(code: &str, detail: &str) -> Option<String> {
    match code {
        "unauthorized" => Some("Wrong user or password.".to_owned()),
        "invalid_input" => Some("Enter your user id or e-mail, and your password.".to_owned()),
        "too_many_attempts" => {
            let mut chars = detail.chars();
            let first = chars.next().map(|c| c.to_uppercase().to_string());
            Some(format!("{}{}.", first.unwrap_or_default(), chars.as_str()))
        }
        _ => None,
    }
}

pub async fn submit(
    State(web): State<Web>,
    headers: HeaderMap,
    extensions: Extensions,
    FormData { fields, .. }: FormData,
) -> Result<Response, PageError> {
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    if expected.is_empty() || !constant_time_eq(get(CSRF_FIELD).as_bytes(), expected.as_bytes()) {
        return Err(csrf_refused());
    }
    let (login, next) = (get("user").trim(), get("next"));
    let signed = web
        .app
        .sign_in(
            login,
            get("password"),
            &web.proxies.client(peer(&extensions), &headers),
        )
        .await;
    match signed {
        Ok(signed) => {
            let lifetime = (signed.expires_at - web.app.now()).num_seconds().max(0);
            let mut response = Redirect::to(local(next)).into_response();
            let cookies = response.headers_mut();
            cookies.append(
                header::SET_COOKIE,
                set_cookie(
                    &headers,
                    SESSION_COOKIE,
                    &signed.session_secret,
                    "/",
                    u64::try_from(lifetime).ok(),
                ),
            );
            cookies.append(
                header::SET_COOKIE,
                set_cookie(&headers, LOGIN_COOKIE, "", "/login", Some(0)),
            );
            Ok(response)
        }
        Err(e) => match refusal_message(e.code(), e.detail()) {
            Some(message) => form(
                &headers,
                // 401 asks for HTTP authentication; the page asks again itself.
                match e.status() {
                    429 => StatusCode::TOO_MANY_REQUESTS,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                },
                next,
                login,
                Some(message),
            ),
            None => Err(PageError::from_problem(e.problem())),
        },
    }
}

pub async fn sign_out(
    State(web): State<Web>,
    session: Session,
    headers: HeaderMap,
    FormData { fields, .. }: FormData,
) -> Result<Response, PageError> {
    session.check_csrf(&web, &fields)?;
    if let Err(e) = web.app.sign_out(&session.secret).await {
        return Err(PageError::from_problem(e.problem()));
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&headers, SESSION_COOKIE, "", "/", Some(0)),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::local;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(local("/orders/1"), "/orders/1");
        assert_eq!(local("//evil.example"), "/orders");
        assert_eq!(local("https://evil.example"), "/orders");
        assert_eq!(local(""), "/orders");
    }
}
