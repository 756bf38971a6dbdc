//! Signing in over plain HTTP: the sign-in form's cookie and CSRF token,
//! the cookies an answer sets, and a whole sign-in.

#![allow(dead_code)]

use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::redirect::Policy;

/// A client that shows redirects instead of following them.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// The value of `name="csrf"` in a page.
pub fn csrf_of(html: &str) -> String {
    let at = html.find(r#"name="csrf" value=""#).expect("a CSRF field");
    let rest = &html[at + r#"name="csrf" value=""#.len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// `name=value` of each `Set-Cookie`.
pub fn cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// The sign-in form's own cookie (`name=value`) and its CSRF token.
pub async fn login_form(http: &reqwest::Client, base: &str) -> (String, String) {
    let form = http.get(format!("{base}/login")).send().await.unwrap();
    let status = form.status();
    let pair = cookies(&form)
        .into_iter()
        .find(|c| c.starts_with("orderflow_login="))
        .unwrap_or_else(|| panic!("the sign-in form answered {status} without its cookie"))
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    (pair, csrf_of(&form.text().await.unwrap()))
}

/// Signs `user` in with `password`: the session cookie (`name=value`)
/// and the session's CSRF token, read from a page it opens.
pub async fn sign_in(
    http: &reqwest::Client,
    base: &str,
    user: &str,
    password: &str,
) -> (String, String) {
    let (pair, token) = login_form(http, base).await;
    let signed = http
        .post(format!("{base}/login"))
        .header(COOKIE, &pair)
        .form(&[
            ("csrf", token.as_str()),
            ("user", user),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    let status = signed.status();
    let set = cookies(&signed);
    if !status.is_redirection() {
        let page = signed.text().await.unwrap_or_default();
        panic!("{user} could not sign in: {status}, the page says:\n{page}");
    }
    let session = set
        .into_iter()
        .find(|c| c.starts_with("orderflow_session="))
        .unwrap_or_else(|| panic!("{user} could not sign in: {status} without a session cookie"))
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let page = http
        .get(format!("{base}/account"))
        .header(COOKIE, &session)
        .send()
        .await
        .unwrap();
    (session, csrf_of(&page.text().await.unwrap()))
}
