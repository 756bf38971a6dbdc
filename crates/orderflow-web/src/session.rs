//! Who is signed in: the session cookie, its CSRF token, and the check
//! every form post goes through.
//!
//! The session cookie is `HttpOnly`, `SameSite=Lax` and `Secure` when the
//! request came over TLS (`X-Forwarded-Proto: https` from the proxy in
//! front). Every form carries the session's CSRF token in a hidden `csrf`
//! field; the sign-in form, which has no session yet, carries one that
//! must match a cookie of its own (double submit).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use orderflow_app::UserCaller;
use orderflow_store::User;

use crate::Web;
use crate::error::PageError;

/// The cookie that holds the session's secret.
pub const SESSION_COOKIE: &str = "orderflow_session";
/// The cookie the sign-in form's CSRF token is checked against.
pub const LOGIN_COOKIE: &str = "orderflow_login";
/// The hidden form field with the CSRF token.
pub const CSRF_FIELD: &str = "csrf";

/// A signed-in user's session.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub organization_name: String,
    pub csrf: String,
    pub secret: String,
    /// The user works on a shop floor (a role that may take a job's step):
    /// the navigation shows the station.
    pub floor: bool,
    /// Notifications the user has not read (the bell's count).
    pub unread: u64,
    /// The user manages a print shop's stock (a stock role in an
    /// organisation with production locations): the navigation shows the
    /// inventory.
    pub stock: bool,
}

impl Session {
    pub fn caller(&self) -> UserCaller {
        UserCaller(self.user.clone())
    }

    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, web: &Web, form: &[(String, String)]) -> Result<(), PageError> {
        let sent = form
            .iter()
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        web.app
            .check_csrf(&self.csrf, sent)
            .map_err(|_| csrf_refused())
    }
}

pub fn csrf_refused() -> PageError {
    PageError::Forbidden(
        "This form was refused: its security token is missing or out of date. \
         Go back, reload the page and send it again."
            .to_owned(),
    )
}

/// 32 random bytes in hex (the sign-in form's token).
pub fn random_secret() -> Result<String, PageError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        tracing::error!(error = %e, "no randomness");
        PageError::Internal
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The session `secret` names, if it is still open.
pub async fn open_session(web: &Web, secret: &str) -> Result<Option<Session>, PageError> {
    let (caller, csrf) = match web.app.session(secret).await {
        Ok(found) => found,
        Err(e) if e.status() == 401 => return Ok(None),
        Err(e) => return Err(PageError::from_problem(e.problem())),
    };
    let floor = !web.app.station_steps(&caller).is_empty();
    let unread = web
        .app
        .unread_notifications(&caller)
        .await
        .map_err(|e| PageError::from_problem(e.problem()))?;
    let keeper = web.app.stock_keeper(&caller).is_ok();
    let user = caller.0;
    let (organization_name, stock) = match web.app.store.organization(&user.organization).await {
        Ok(Some(o)) => (o.name, keeper && o.settings.contains_key("locations")),
        Ok(None) => (user.organization.clone(), false),
        Err(e) => {
            tracing::error!(error = %e, "the store failed");
            return Err(PageError::Internal);
        }
    };
    Ok(Some(Session {
        user,
        organization_name,
        csrf,
        secret: secret.to_owned(),
        floor,
        unread,
        stock,
    }))
}

/// The value of cookie `name`.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Whether the request reached the proxy in front over TLS.
fn behind_tls(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value; `max_age` 0 deletes it.
pub fn set_cookie(
    headers: &HeaderMap,
    name: &str,
    value: &str,
    path: &str,
    max_age: Option<u64>,
) -> HeaderValue {
    let mut text = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        text.push_str(&format!("; Max-Age={age}"));
    }
    if behind_tls(headers) {
        text.push_str("; Secure");
    }
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Percent-encodes everything but unreserved characters and `/`.
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A page that needs a signed-in user; without one, the sign-in page,
/// then back here.
impl FromRequestParts<Web> for Session {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Self, PageError> {
        let sign_in = || PageError::SignIn {
            next: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
        };
        let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(sign_in());
        };
        open_session(web, secret).await?.ok_or_else(sign_in)
    }
}

/// The session, if any (pages that also serve visitors).
pub struct MaybeSession(pub Option<Session>);

impl FromRequestParts<Web> for MaybeSession {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Self, PageError> {
        match cookie(&parts.headers, SESSION_COOKIE) {
            Some(secret) => Ok(MaybeSession(open_session(web, secret).await?)),
            None => Ok(MaybeSession(None)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_name() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; orderflow_session=xyz"),
        );
        h.append(header::COOKIE, HeaderValue::from_static("b=2"));
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&h, "b"), Some("2"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn the_cookie_is_secure_behind_tls_only() {
        let mut h = HeaderMap::new();
        let plain = set_cookie(&h, SESSION_COOKIE, "s", "/", None);
        assert_eq!(
            plain.to_str().unwrap_or(""),
            "orderflow_session=s; Path=/; HttpOnly; SameSite=Lax"
        );
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        let tls = set_cookie(&h, SESSION_COOKIE, "s", "/", Some(0));
        assert!(tls.to_str().unwrap_or("").ends_with("; Max-Age=0; Secure"));
    }

    #[test]
    fn next_urls_are_encoded() {
        assert_eq!(
            url_encode("/orders?status=a b&x"),
            "/orders%3Fstatus%3Da%20b%26x"
        );
    }
}
