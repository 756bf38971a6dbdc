//! The pages over plain HTTP, without a browser: what answers HTML and
//! what answers problem JSON, the sign-in form's checks, the session
//! cookie's attributes and the CSRF check on every form post.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "browser/harness.rs"]
mod harness;
#[path = "support/session.rs"]
mod session;

use harness::Server;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION};
use serde_json::json;
use session::{client, cookies, csrf_of, login_form};

fn content_type(r: &reqwest::Response) -> String {
    r.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

#[tokio::test]
async fn unknown_paths_answer_html_outside_the_api_and_problems_inside() {
    let server = Server::start().await;
    let http = client();

    let page = http
        .get(format!("{}/no/such/page", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
    assert!(content_type(&page).starts_with("text/html"));
    assert!(page.text().await.unwrap().contains("Not found"));

    for path in ["/api/v1/no-such-route", "/api/v2/orders"] {
        let api = http
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), 404, "{path}");
        assert_eq!(content_type(&api), "application/problem+json", "{path}");
    }

    let home = http.get(format!("{}/", server.base)).send().await.unwrap();
    assert!(home.status().is_redirection());
    assert_eq!(home.headers()[LOCATION], "/login");
    let orders = http
        .get(format!("{}/orders", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(orders.headers()[LOCATION], "/login?next=/orders");

    let css = http
        .get(format!("{}/static/style.css", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), 200);
    assert_eq!(content_type(&css), "text/css; charset=utf-8");
    let htmx = http
        .get(format!(
            "{}/static/vendor/htmx.org/htmx.min.js",
            server.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(htmx.status(), 200);
    let missing = http
        .get(format!("{}/static/nope.js", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn sign_in_checks_its_token_sets_a_safe_cookie_and_posts_need_the_session_token() {
    let server = Server::start().await;
    server
        .organization("clinic", "Smile Clinic", json!({}))
        .await;
    let login = server.user("carla", "clinic", &[]).await;
    let http = client();
    let base = &server.base;

    let (pair, token) = login_form(&http, base).await;

    // Without the form's token: refused, with an HTML page.
    let refused = http
        .post(format!("{base}/login"))
        .header(COOKIE, &pair)
        .form(&[
            ("user", login.user.as_str()),
            ("password", login.password.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert!(content_type(&refused).starts_with("text/html"));

    // A wrong password: the form again with the message.
    let wrong = http
        .post(format!("{base}/login"))
        .header(COOKIE, &pair)
        .form(&[
            ("csrf", token.as_str()),
            ("user", "carla"),
            ("password", "nope"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 422);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("Wrong user or password.")
    );

    // Behind TLS the session cookie is Secure too.
    let signed = http
        .post(format!("{base}/login"))
        .header(COOKIE, &pair)
        .header("x-forwarded-proto", "https")
        .form(&[
            ("csrf", token.as_str()),
            ("user", "carla"),
            ("password", login.password.as_str()),
            ("next", "/orders"),
        ])
        .send()
        .await
        .unwrap();
    assert!(signed.status().is_redirection());
    let session = cookies(&signed)
        .into_iter()
        .find(|c| c.starts_with("orderflow_session="))
        .expect("a session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    assert!(session.contains("Secure"), "{session}");
    let session = session.split(';').next().unwrap().to_owned();

    let page = http
        .get(format!("{base}/orders"))
        .header(COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let csrf = csrf_of(&page.text().await.unwrap());

    // Sign-out without the session's token is refused; with it, the
    // session ends on the server.
    let no_token = http
        .post(format!("{base}/logout"))
        .header(COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 403);
    let out = http
        .post(format!("{base}/logout"))
        .header(COOKIE, &session)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(out.status().is_redirection());
    let after = http
        .get(format!("{base}/orders"))
        .header(COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert!(
        after.status().is_redirection(),
        "the old cookie no longer signs in"
    );
}

#[tokio::test]
async fn repeated_wrong_passwords_are_slowed_down_with_a_message() {
    let server = Server::start().await;
    server
        .organization("clinic", "Smile Clinic", json!({}))
        .await;
    let login = server.user("carla", "clinic", &[]).await;
    let http = client();
    let base = &server.base;
    let (pair, token) = login_form(&http, base).await;
    let attempt = |password: &'static str| {
        http.post(format!("{base}/login"))
            .header(COOKIE, &pair)
            .form(&[
                ("csrf", token.as_str()),
                ("user", "carla"),
                ("password", password),
            ])
            .send()
    };
    let mut last = String::new();
    for _ in 0..6 {
        last = attempt("wrong-password")
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
    }
    assert!(
        last.contains("Too many failed sign-ins: try again in"),
        "the form says to wait"
    );
    // Even the right password waits now.
    let _ = login;
    let right = attempt("carla-password-1").await.unwrap();
    assert_eq!(right.status(), 429);
}

#[tokio::test]
async fn behind_a_proxy_failed_sign_ins_slow_down_their_client_not_everyone() {
    let server = Server::start().await;
    server
        .organization("clinic", "Smile Clinic", json!({}))
        .await;
    let carla = server.user("carla", "clinic", &[]).await;
    for n in 0..6 {
        server.user(&format!("guess{n}"), "clinic", &[]).await;
    }
    let http = client();
    let base = &server.base;
    let (pair, token) = login_form(&http, base).await;
    // The test's requests come from loopback, where the default trusts a
    // TLS proxy: X-Forwarded-For names the client.
    let attempt = |client: &'static str, user: String, password: String| {
        http.post(format!("{base}/login"))
            .header(COOKIE, &pair)
            .header("x-forwarded-for", client)
            .form(&[
                ("csrf", token.clone()),
                ("user", user),
                ("password", password),
            ])
            .send()
    };
    // One client tries a wrong password on six users, one each: no user
    // is slowed down, the client is.
    let mut last = 0;
    for n in 0..6 {
        let r = attempt("203.0.113.5", format!("guess{n}"), "wrong-password".into())
            .await
            .unwrap();
        last = r.status().as_u16();
    }
    assert_eq!(last, 429, "the guessing client waits");
    // Another client behind the same proxy signs in at once.
    let other = attempt("198.51.100.7", "carla".into(), carla.password.clone())
        .await
        .unwrap();
    assert_eq!(other.status(), 303, "the other client is not slowed down");
    // What a client writes into the header itself is not believed: the
    // proxy appends the address it heard from, and that one counts.
    let spoofed = attempt(
        "198.51.100.7, 203.0.113.5",
        "carla".into(),
        carla.password.clone(),
    )
    .await
    .unwrap();
    assert_eq!(spoofed.status(), 429, "the guessing client still waits");
}

#[tokio::test]
async fn a_user_changes_their_own_password() {
    let server = Server::start().await;
    server
        .organization("clinic", "Smile Clinic", json!({}))
        .await;
    let login = server.user("carla", "clinic", &[]).await;
    let http = client();
    let base = &server.base;
    let (session, csrf) = session::sign_in(&http, base, "carla", &login.password).await;
    let change = |current: &'static str, new: &'static str| {
        http.post(format!("{base}/account"))
            .header(COOKIE, &session)
            .form(&[
                ("csrf", csrf.as_str()),
                ("current_password", current),
                ("new_password", new),
            ])
            .send()
    };
    let wrong = change("not-my-password", "a-new-password").await.unwrap();
    assert_eq!(wrong.status(), 422);
    let text = wrong.text().await.unwrap();
    assert!(
        text.contains(r#"id="current-password-error""#),
        "the message is beside the field"
    );
    let right = change("carla-password-1", "a-new-password").await.unwrap();
    assert_eq!(right.status(), 200);
    assert!(
        right
            .text()
            .await
            .unwrap()
            .contains("Your password is changed.")
    );
    session::sign_in(&http, base, "carla", "a-new-password").await;
}

#[tokio::test]
async fn the_order_downloads_as_a_pdf_for_its_parties_only_and_reading_it_changes_nothing() {
    let server = Server::start().await;
    server
        .organization("clinic", "Smile Clinic", json!({}))
        .await;
    server
        .organization("other-clinic", "Other Clinic", json!({}))
        .await;
    server.organization("lab", "Dental Lab Co", json!({})).await;
    let carla = server.user("carla", "clinic", &[]).await;
    let otto = server.user("otto", "other-clinic", &[]).await;
    let order = server
        .api(
            "POST",
            "/orders",
            &carla.token,
            json!({"workflow": "dental-lab", "parties": {"lab": "lab"},
                   "inputs": {"lines": [{"product": "Zirconia crown", "quantity": 2, "unit_price": "120.00"}]}}),
        )
        .await;
    let id = order["id"].as_str().unwrap();
    let version = order["version"].as_u64().unwrap();
    let http = client();
    let base = &server.base;
    let pdf = format!("{base}/orders/{id}/print.pdf");

    let anonymous = http.get(&pdf).send().await.unwrap();
    assert_eq!(anonymous.status(), 303);
    assert!(
        anonymous.headers()[LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );

    let (session, _) = session::sign_in(&http, base, "carla", &carla.password).await;
    let print = http
        .get(format!("{base}/orders/{id}/print"))
        .header(COOKIE, &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        print.contains(&format!(
            r#"href="/orders/{id}/print.pdf">Download PDF</a>"#
        )),
        "the print view links the PDF"
    );
    let got = http
        .get(&pdf)
        .header(COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(content_type(&got), "application/pdf");
    let disposition = got.headers()["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with(r#"inline; filename="Dental-lab-order-"#)
            && disposition.ends_with(r#".pdf""#),
        "{disposition}"
    );
    let body = got.bytes().await.unwrap();
    assert!(body.starts_with(b"%PDF-"));
    // The content streams are not compressed: the line's product is there.
    assert!(body.windows(14).any(|w| w == b"Zirconia crown"));

    let (other, _) = session::sign_in(&http, base, "otto", &otto.password).await;
    let foreign = http.get(&pdf).header(COOKIE, &other).send().await.unwrap();
    assert_eq!(foreign.status(), 404);
    assert!(content_type(&foreign).starts_with("text/html"));

    let after = server
        .api("GET", &format!("/orders/{id}"), &carla.token, json!(null))
        .await;
    assert_eq!(after["version"].as_u64().unwrap(), version);
    let history = server
        .api(
            "GET",
            &format!("/orders/{id}/history"),
            &carla.token,
            json!(null),
        )
        .await;
    assert_eq!(
        history["items"].as_array().map(Vec::len),
        Some(1),
        "{history}"
    );
}

#[tokio::test]
async fn marking_notifications_read_needs_the_session_token_and_changes_only_the_callers() {
    let server = Server::start().await;
    server.organization("cafe", "Corner Café", json!({})).await;
    server
        .organization("beans", "Bean Supplier", json!({}))
        .await;
    let buyer = server.user("bea", "cafe", &["buyer"]).await;
    let supplier = server.user("sam", "beans", &[]).await;
    server
        .api(
            "POST",
            "/orders",
            &buyer.token,
            json!({"workflow": "purchasing", "parties": {"supplier": "beans"},
                   "inputs": {"lines": [{"product": "Beans", "quantity": 1, "unit_price": "2.00"}]}}),
        )
        .await;
    let http = client();
    let base = &server.base;
    let (session, csrf) = session::sign_in(&http, base, "sam", &supplier.password).await;
    let unread = || async {
        server
            .api("GET", "/notifications", &supplier.token, json!(null))
            .await["unread"]
            .as_u64()
            .unwrap()
    };
    let inbox = http
        .get(format!("{base}/inbox"))
        .header(COOKIE, &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        inbox.contains(r#"aria-label="Notifications, 1 unread""#),
        "{inbox}"
    );
    let forged = http
        .post(format!("{base}/inbox/read"))
        .header(COOKIE, &session)
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(unread().await, 1, "a refused form changes nothing");
    let done = http
        .post(format!("{base}/inbox/read"))
        .header(COOKIE, &session)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(done.status().is_redirection());
    assert_eq!(done.headers()[LOCATION], "/inbox");
    assert_eq!(unread().await, 0);
    let unknown = http
        .post(format!("{base}/inbox/nope/read"))
        .header(COOKIE, &session)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

/// `/webhooks` for an organisation's admins: adding shows the secret once
/// and a refused URL beside its field; an endpoint's page lists its
/// deliveries with a Redeliver button; removing empties the list. Users
/// without the admin role have no link and are refused.
#[tokio::test]
async fn an_admin_manages_webhooks_on_their_page() {
    let server = Server::start().await;
    server
        .organization("clinic", "Smile Clinic", json!({}))
        .await;
    server.organization("lab", "Crown Lab", json!({})).await;
    let admin = server.user("lara", "lab", &["admin"]).await;
    let plain = server.user("leo", "lab", &[]).await;
    let clinic = server.user("carla", "clinic", &[]).await;
    let http = client();
    let base = &server.base;
    let (cookie, csrf) = session::sign_in(&http, base, &admin.user, &admin.password).await;
    let get = |path: &str, cookie: &str| {
        http.get(format!("{base}{path}"))
            .header(COOKIE, cookie)
            .send()
    };

    let page = get("/webhooks", &cookie).await.unwrap();
    assert_eq!(page.status(), 200);
    let text = page.text().await.unwrap();
    assert!(text.contains(r#"<a href="/webhooks">Webhooks</a>"#));
    assert!(text.contains("No webhooks yet."));

    let post = |path: String, form: Vec<(&'static str, String)>| {
        http.post(format!("{base}{path}"))
            .header(COOKIE, &cookie)
            .form(&form)
            .send()
    };
    let refused = post(
        "/webhooks".into(),
        vec![("csrf", csrf.clone()), ("url", "ftp://nowhere".into())],
    )
    .await
    .unwrap();
    assert_eq!(refused.status(), 422);
    let text = refused.text().await.unwrap();
    assert!(text.contains(r#"id="webhook-url-error""#), "{text}");
    assert!(text.contains("ftp://nowhere"), "what was typed is kept");

    let added = post(
        "/webhooks".into(),
        vec![
            ("csrf", csrf.clone()),
            ("url", "http://127.0.0.1:9/hook".into()),
            ("workflows", "dental-lab".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(added.status(), 201);
    let text = added.text().await.unwrap();
    let at = text.find("whsec_").expect("the secret, once");
    let secret: String = text[at..].chars().take_while(|c| *c != '"').collect();
    let listed = get("/webhooks", &cookie)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(listed.contains("http://127.0.0.1:9/hook"));
    assert!(!listed.contains(&secret), "the secret is shown once");
    let hooks = server
        .api("GET", "/webhooks", &admin.token, json!(null))
        .await;
    let id = hooks[0]["id"].as_str().unwrap().to_owned();

    // A change the lab sees is a delivery on the endpoint's page.
    let order = server
        .api(
            "POST",
            "/orders",
            &clinic.token,
            json!({"workflow": "dental-lab", "parties": {"lab": "lab"},
                   "inputs": {"lines": [{"product": "crown", "quantity": 1, "unit_price": "10.00"}], "due_date": "2099-01-31"}}),
        )
        .await;
    let order_id = order["id"].as_str().unwrap();
    server
        .api(
            "POST",
            &format!("/orders/{order_id}/actions/publish"),
            &clinic.token,
            json!({}),
        )
        .await;
    let endpoint = get(&format!("/webhooks/{id}"), &cookie).await.unwrap();
    assert_eq!(endpoint.status(), 200);
    let text = endpoint.text().await.unwrap();
    assert!(text.contains("order.status_changed"), "{text}");
    assert!(text.contains("pending"));
    let delivery = server
        .api(
            "GET",
            &format!("/webhooks/{id}/deliveries"),
            &admin.token,
            json!(null),
        )
        .await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(text.contains(&format!("Redeliver {delivery}")));
    let again = post(
        format!("/webhooks/{id}/deliveries/{delivery}/redeliver"),
        vec![("csrf", csrf.clone())],
    )
    .await
    .unwrap();
    assert!(again.status().is_redirection(), "{}", again.status());
    let without_token = post(format!("/webhooks/{id}/remove"), vec![])
        .await
        .unwrap();
    assert_eq!(without_token.status(), 403);

    // Not for users without the admin role.
    let (plain_cookie, _) = session::sign_in(&http, base, &plain.user, &plain.password).await;
    let orders = get("/orders", &plain_cookie)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!orders.contains(r#"<a href="/webhooks">"#));
    assert_eq!(get("/webhooks", &plain_cookie).await.unwrap().status(), 403);
    assert_eq!(
        get(&format!("/webhooks/{id}"), &plain_cookie)
            .await
            .unwrap()
            .status(),
        403
    );

    let removed = post(
        format!("/webhooks/{id}/remove"),
        vec![("csrf", csrf.clone())],
    )
    .await
    .unwrap();
    assert!(removed.status().is_redirection());
    let listed = get("/webhooks", &cookie)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(listed.contains("No webhooks yet."));
}
