//! The authorisation matrix: every route of the API (read from its own
//! OpenAPI document, so a route added later fails this test until it has
//! a row) and every page and form post of the web UI, asked by a user of a
//! foreign organisation, by a user of the right organisation without the
//! role it needs and by a view-only user. Each row names who may and who
//! must be refused; a refusal is 403 or 404 (404 wherever the thing asked
//! for belongs to another organisation, docs/security.md), anything else
//! is an unexpected allow. The user who may is asked too, so a row whose
//! path is wrong cannot pass by being refused for the wrong reason.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "browser/harness.rs"]
mod harness;
#[path = "support/session.rs"]
mod session;
#[path = "browser/worlds.rs"]
mod worlds;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use harness::{ADMIN, Server};
use reqwest::Method;
use reqwest::header::COOKIE;
use serde_json::{Value, json};

/// Who asks: an API token, and a signed-in session for the pages.
struct Who {
    token: String,
    cookie: String,
    csrf: String,
}

/// How a probe is sent.
enum Via {
    /// The API under `/api/v1` (the template is the OpenAPI path) with a
    /// JSON body, or a TOML one when the value is a string (a workflow).
    Api(Value),
    /// A page, or a form post with these fields (the CSRF token added).
    Page(Vec<(&'static str, String)>),
}

/// One row: a route, who may use it (and the statuses that user may get:
/// refusals of the input, not of the user), and who must be refused.
struct Row {
    method: Method,
    template: &'static str,
    path: String,
    via: Via,
    may: (&'static str, &'static [u16]),
    refused: &'static [&'static str],
}

/// `template` with each `{name}` replaced.
fn fill(template: &str, params: &[(&str, &str)]) -> String {
    params.iter().fold(template.to_owned(), |p, (k, v)| {
        p.replace(&format!("{{{k}}}"), v)
    })
}

fn api(
    method: Method,
    template: &'static str,
    params: &[(&str, &str)],
    body: Value,
    may: (&'static str, &'static [u16]),
    refused: &'static [&'static str],
) -> Row {
    Row {
        path: fill(&format!("/api/v1{template}"), params),
        method,
        template,
        via: Via::Api(body),
        may,
        refused,
    }
}

fn page(
    method: Method,
    template: &'static str,
    params: &[(&str, &str)],
    fields: &[(&'static str, &str)],
    may: (&'static str, &'static [u16]),
    refused: &'static [&'static str],
) -> Row {
    Row {
        path: fill(template, params),
        method,
        template,
        via: Via::Page(fields.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()),
        may,
        refused,
    }
}

const GET: Method = Method::GET;
const POST: Method = Method::POST;
const PUT: Method = Method::PUT;
const PATCH: Method = Method::PATCH;
const DELETE: Method = Method::DELETE;

/// A definition deployed again as the next version of its workflow.
const COMPLIANCE: &str = include_str!("../../../workflows/compliance.toml");

/// The answer's status and, for the API, its problem code; the body of a
/// stream is not waited for.
async fn send(http: &reqwest::Client, base: &str, row: &Row, who: Option<&Who>) -> (u16, Value) {
    let url = format!("{base}{}", row.path);
    let mut req = http.request(row.method.clone(), &url);
    match (&row.via, who) {
        (Via::Api(body), who) => {
            if let Some(w) = who {
                req = req.bearer_auth(&w.token);
            }
            if let Value::String(toml) = body {
                req = req
                    .header("content-type", "application/toml")
                    .body(toml.clone());
            } else if row.method != Method::GET && row.method != Method::DELETE {
                req = req.json(body);
            }
        }
        (Via::Page(fields), who) => {
            if let Some(w) = who {
                req = req.header(COOKIE, &w.cookie);
            }
            if row.method == Method::POST {
                let mut form = fields.clone();
                form.push(("csrf", who.map(|w| w.csrf.clone()).unwrap_or_default()));
                req = req.form(&form);
            }
        }
    }
    let response = req.send().await.unwrap();
    let status = response.status().as_u16();
    let streams = response
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    let body = if streams {
        Value::Null
    } else {
        let text = tokio::time::timeout(Duration::from_secs(10), response.text())
            .await
            .unwrap()
            .unwrap_or_default();
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

/// An answer's first 300 characters, for a failure's message.
fn short(body: &Value) -> String {
    let text = match body {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    text.chars().take(300).collect()
}

/// Refused: 403 or 404, with the matching problem code on the API; a bulk
/// action answers per order, each of which must be refused.
fn is_refusal(row: &Row, status: u16, body: &Value) -> bool {
    if let Some(results) = body["results"].as_array()
        && status == 200
        && row.template.starts_with("/orders/bulk")
    {
        return results
            .iter()
            .all(|r| matches!(r["status"].as_u64(), Some(403 | 404)));
    }
    match (&row.via, status) {
        (Via::Api(_), 403) => body["code"] == "forbidden",
        (Via::Api(_), 404) => body["code"] == "not_found",
        (Via::Page(_), 403 | 404) => true,
        // The station's batch answers a line per job: none may be taken.
        (Via::Page(_), 200) if row.template == "/station/batch" => body
            .as_str()
            .is_some_and(|html| !html.contains(r#"<li class="ok">"#)),
        _ => false,
    }
}

/// The world the matrix runs in, and its rows.
struct World {
    server: Server,
    users: BTreeMap<&'static str, Who>,
    rows: Vec<Row>,
}

async fn world() -> World {
    let s = Server::start().await;
    let http = session::client();
    s.organization("acme", "Acme", json!({})).await;
    s.organization("globex", "Globex", json!({})).await;
    s.organization("merch", "Merch", json!({})).await;
    s.organization(
        "shop",
        "Shop",
        json!({"time_zone": "America/Chicago", "locations": [
            {"id": "chi", "name": "Chicago", "latitude": 41.88, "longitude": -87.63,
             "capacity_units": 500, "uses_pretreat": false,
             "decorations": ["dtg", "dtf", "embroidery"], "stock": {},
             "address1": "2200 W Fulton St", "city": "Chicago", "region": "IL",
             "postal_code": "60612", "country": "US"}]}),
    )
    .await;
    s.organization("outlet", "Outlet", json!({"abandon_pending_after_days": 3}))
        .await;
    s.organization("supplier", "Supplier", json!({})).await;
    // Rightful users hold every role their rows need; the refused ones
    // are a foreign organisation's user holding every role but
    // `workflow_admin` (which is not an organisation's), users of the
    // right organisation with no role, and view-only users.
    let all = [
        "edit", "admin", "manager", "operator", "shipper", "buyer", "approver",
    ];
    let people: [(&str, &str, &[&str]); 12] = [
        (
            "owner",
            "acme",
            &["edit", "admin", "manager", "workflow_admin"],
        ),
        ("viewer", "acme", &["view"]),
        ("norole", "acme", &[]),
        ("foreign", "globex", &all),
        ("merchant", "merch", &[]),
        ("shop", "shop", &["manager", "operator", "shipper", "admin"]),
        ("shop_norole", "shop", &[]),
        ("shop_viewer", "shop", &["view"]),
        ("buyer", "outlet", &["buyer", "approver"]),
        ("outlet_norole", "outlet", &[]),
        ("outlet_viewer", "outlet", &["view"]),
        ("supplier", "supplier", &[]),
    ];
    let mut users = BTreeMap::new();
    for (id, org, roles) in people {
        let login = s.user(id, org, roles).await;
        let (cookie, csrf) = session::sign_in(&http, &s.base, &login.user, &login.password).await;
        users.insert(
            id,
            Who {
                token: login.token,
                cookie,
                csrf,
            },
        );
    }
    let tok = |id: &str| users[id].token.clone();

    // Acme: a compliance order, a webhook with a delivery, stock, a file.
    let hook = s
        .api(
            "POST",
            "/webhooks",
            &tok("owner"),
            json!({"url": "http://127.0.0.1:9/hook"}),
        )
        .await;
    let hook = hook["webhook"]["id"].as_str().unwrap().to_owned();
    let co = s
        .api(
            "POST",
            "/orders",
            &tok("owner"),
            json!({"workflow": "compliance", "inputs": {"reference": "PO-1"}}),
        )
        .await;
    let co = co["id"].as_str().unwrap().to_owned();
    let deliveries = s
        .api(
            "GET",
            &format!("/webhooks/{hook}/deliveries"),
            &tok("owner"),
            json!({}),
        )
        .await;
    let delivery = deliveries[0]["id"].as_str().unwrap().to_owned();
    s.api(
        "POST",
        "/inventory/locations",
        &tok("owner"),
        json!({"id": "loc"}),
    )
    .await;
    s.api(
        "POST",
        "/inventory/locations/loc/bins",
        &tok("owner"),
        json!({"id": "b1", "sku": "tee", "quantity": 5}),
    )
    .await;
    let purchase = s
        .api(
            "POST",
            "/inventory/purchases",
            &tok("owner"),
            json!({"id": "p1", "location": "loc", "sku": "tee", "ordered": 5}),
        )
        .await;
    let purchase = purchase["id"].as_str().unwrap().to_owned();
    let file = s
        .upload(
            &tok("owner"),
            "scan.png",
            "image/png",
            worlds::png(3000, 3000),
        )
        .await;

    // Merch and Shop: a print-production order with jobs in intake.
    let design = s
        .upload(
            &tok("merchant"),
            "tee.png",
            "image/png",
            worlds::png(3000, 3000),
        )
        .await;
    let pp = s
        .api(
            "POST",
            "/orders",
            &tok("merchant"),
            json!({"workflow": "print-production", "parties": {"shop": "shop"},
                   "inputs": {"reference": "SO-1", "recipient": "Ada Lovelace",
                   "address1": "1 Lake Dr", "city": "Milwaukee", "region": "WI",
                   "postal_code": "53202", "country": "US", "latitude": 43.04, "longitude": -87.91,
                   "items": [{"sku": "tee", "quantity": 1, "decoration": "dtg", "design": [design]}]}}),
        )
        .await;
    let pp = pp["id"].as_str().unwrap().to_owned();
    let jobs = s
        .api(
            "GET",
            &format!("/orders/{pp}/children?kind=job"),
            &tok("shop"),
            json!({}),
        )
        .await;
    let job = jobs["items"][0]["id"].as_str().unwrap().to_owned();
    let job_code = format!("{pp}/{job}");

    // Outlet and Supplier: a purchasing order with a timer; the supplier's
    // notification.
    let po = s
        .api(
            "POST",
            "/orders",
            &tok("buyer"),
            json!({"workflow": "purchasing", "parties": {"supplier": "supplier"},
                   "inputs": {"lines": [{"product": "flour", "quantity": 4, "unit_price": "50.00"}]}}),
        )
        .await;
    let po = po["id"].as_str().unwrap().to_owned();
    // The pages' timer forms act on a second one.
    let po2 = s
        .api(
            "POST",
            "/orders",
            &tok("buyer"),
            json!({"workflow": "purchasing", "parties": {"supplier": "supplier"},
                   "inputs": {"lines": [{"product": "salt", "quantity": 1, "unit_price": "5.00"}]}}),
        )
        .await;
    let po2 = po2["id"].as_str().unwrap().to_owned();
    let inbox = s
        .api("GET", "/notifications", &tok("supplier"), json!({}))
        .await;
    let note = inbox["items"][0]["id"].as_str().unwrap().to_owned();

    let (co, pp, po, po2) = (co.as_str(), pp.as_str(), po.as_str(), po2.as_str());
    let (hook, delivery, purchase, file, job) = (
        hook.as_str(),
        delivery.as_str(),
        purchase.as_str(),
        file.as_str(),
        job.as_str(),
    );
    let order_refused: &[&str] = &["foreign"];
    let acme_refused: &[&str] = &["foreign", "viewer", "norole"];
    let acme_roles: &[&str] = &["viewer", "norole"];
    let shop_refused: &[&str] = &["foreign", "shop_norole", "shop_viewer", "merchant"];
    let outlet_refused: &[&str] = &["foreign", "outlet_norole", "outlet_viewer", "supplier"];
    let admin_only: &[&str] = &["owner", "viewer", "norole", "foreign"];
    let workflow_admin: &[&str] = &["viewer", "norole", "foreign"];
    let anyone: &[&str] = &[];
    const OK: &[u16] = &[200, 201, 204];
    const INPUT: &[u16] = &[200, 201, 204, 409, 422];
    const PAGE_OK: &[u16] = &[200, 303];
    // One row a line: the method, the route (its OpenAPI template), the
    // values of its parameters, the body, who may and with what answers,
    // who must be refused.
    #[rustfmt::skip]
    let rows = vec![
        // Orders.
        api(GET, "/orders", &[], json!({}), ("viewer", OK), anyone),
        api(POST, "/orders", &[], json!({"workflow": "compliance", "inputs": {"reference": 1}}), ("owner", &[422]), acme_roles),
        api(GET, "/orders/counts", &[], json!({}), ("viewer", OK), anyone),
        api(POST, "/orders/bulk/actions/{action}", &[("action", "set_stage")], json!({"orders": [co], "inputs": {"stage": "packed"}, "dry_run": true}), ("owner", OK), acme_refused),
        api(GET, "/orders/{id}", &[("id", co)], json!({}), ("viewer", OK), order_refused),
        api(POST, "/orders/{id}/actions/{action}", &[("id", co), ("action", "set_stage")], json!({"stage": "nowhere"}), ("owner", &[422]), acme_refused),
        api(GET, "/orders/{id}/history", &[("id", co)], json!({}), ("viewer", OK), order_refused),
        api(POST, "/orders/{id}/traceability", &[("id", co)], json!({}), ("owner", &[422]), acme_refused),
        api(GET, "/orders/{id}/children", &[("id", pp)], json!({}), ("merchant", OK), order_refused),
        api(GET, "/orders/{id}/children/{child_id}", &[("id", pp), ("child_id", job)], json!({}), ("shop_viewer", OK), order_refused),
        // Not shipped yet: no label, but only once the order is seen.
        api(GET, "/orders/{id}/children/{child_id}/label.pdf", &[("id", pp), ("child_id", job)], json!({}), ("shop", &[404]), order_refused),
        api(POST, "/orders/{id}/children/{child_id}/actions/{action}", &[("id", pp), ("child_id", job), ("action", "pass_intake")], json!({"bin": 7}), ("shop", &[422]), shop_refused),
        api(GET, "/orders/{id}/timers", &[("id", po)], json!({}), ("supplier", OK), order_refused),
        api(PATCH, "/orders/{id}/timers/{timer}", &[("id", po), ("timer", "abandon_unaccepted")], json!({"at": "2031-01-02T03:04:05Z"}), ("buyer", OK), outlet_refused),
        api(DELETE, "/orders/{id}/timers/{timer}", &[("id", po), ("timer", "abandon_unaccepted")], json!({}), ("buyer", OK), outlet_refused),
        api(GET, "/schedules", &[], json!({}), ("shop", OK), anyone),
        // Files: anyone uploads for their organisation (docs/security.md).
        api(POST, "/files", &[], json!({}), ("viewer", &[400, 415]), anyone),
        api(GET, "/files/{id}", &[("id", file)], json!({}), ("norole", OK), order_refused),
        // Inventory: managers and admins of the organisation.
        api(GET, "/inventory/locations", &[], json!({}), ("owner", OK), acme_roles),
        api(POST, "/inventory/locations", &[], json!({"id": "loc2"}), ("owner", OK), acme_roles),
        api(GET, "/inventory/locations/{location}/bins", &[("location", "loc")], json!({}), ("owner", OK), acme_refused),
        api(POST, "/inventory/locations/{location}/bins", &[("location", "loc")], json!({"id": "b2", "sku": "tee", "quantity": 1}), ("owner", OK), acme_refused),
        api(POST, "/inventory/locations/{location}/bins/{bin}/adjust", &[("location", "loc"), ("bin", "b1")], json!({"delta": 1}), ("owner", OK), acme_refused),
        api(GET, "/inventory/purchases", &[], json!({}), ("owner", OK), acme_roles),
        api(POST, "/inventory/purchases", &[], json!({"id": "p2", "location": "loc", "sku": "tee", "ordered": 1}), ("owner", OK), acme_roles),
        api(POST, "/inventory/purchases/{id}/receipts", &[("id", purchase)], json!({"quantity": 1}), ("owner", OK), acme_refused),
        api(POST, "/inventory/intake", &[], json!({}), ("shop", OK), &["shop_norole", "shop_viewer"]),
        // Organisations, users, tokens: the administrator, an
        // organisation's admin for its own organisation.
        api(POST, "/organizations", &[], json!({"id": "x", "name": ""}), ("admin", &[422]), admin_only),
        api(GET, "/organizations/{id}", &[("id", "acme")], json!({}), ("viewer", OK), order_refused),
        api(PATCH, "/organizations/{id}", &[("id", "acme")], json!({"name": ""}), ("owner", &[422]), acme_refused),
        api(POST, "/users", &[], json!({"id": "y", "name": "", "organization": "acme"}), ("admin", &[422]), admin_only),
        api(PATCH, "/users/{id}", &[("id", "viewer")], json!({"name": ""}), ("admin", &[422]), admin_only),
        api(PUT, "/users/{id}/password", &[("id", "viewer")], json!({"password": "x"}), ("admin", &[422]), admin_only),
        api(POST, "/me/password", &[], json!({"current": "x", "new": "y"}), ("viewer", &[403, 422]), anyone),
        api(POST, "/tokens", &[], json!({"name": "script"}), ("viewer", OK), anyone),
        // Each user's own inbox.
        api(GET, "/notifications", &[], json!({}), ("viewer", OK), anyone),
        api(POST, "/notifications/read", &[], json!({}), ("viewer", OK), anyone),
        api(POST, "/notifications/{id}/read", &[("id", &note)], json!({}), ("supplier", OK), &["foreign", "buyer"]),
        api(GET, "/me/email-preferences", &[], json!({}), ("viewer", OK), anyone),
        api(PUT, "/me/email-preferences", &[], json!({"opt_out": 3}), ("viewer", &[422]), anyone),
        api(GET, "/outbox/dead", &[], json!({}), ("admin", OK), admin_only),
        // Workflows: read by anyone, managed by `workflow_admin`.
        api(GET, "/workflows", &[], json!({}), ("viewer", OK), anyone),
        api(GET, "/workflows/{id}", &[("id", "compliance")], json!({}), ("viewer", OK), anyone),
        api(GET, "/workflows/{id}/versions/{version}", &[("id", "compliance"), ("version", "1")], json!({}), ("viewer", OK), anyone),
        api(PUT, "/workflows/{id}", &[("id", "compliance")], Value::String(COMPLIANCE.to_owned()), ("owner", OK), workflow_admin),
        // Refused for what it asks (version 1 is the latest), after the
        // permission.
        api(POST, "/workflows/{id}/migrate", &[("id", "compliance")], json!({"from": 1}), ("owner", &[422]), workflow_admin),
        api(POST, "/workflows/{id}/retire", &[("id", "compliance")], json!({}), ("owner", OK), workflow_admin),
        api(DELETE, "/workflows/{id}/retire", &[("id", "compliance")], json!({}), ("owner", OK), workflow_admin),
        api(DELETE, "/workflows/{id}", &[("id", "compliance")], json!({}), ("owner", &[409]), workflow_admin),
        // Webhooks: an organisation's admins.
        api(GET, "/webhooks", &[], json!({}), ("owner", OK), acme_roles),
        api(POST, "/webhooks", &[], json!({"url": "ftp://x"}), ("owner", &[422]), acme_roles),
        api(GET, "/webhooks/{id}", &[("id", hook)], json!({}), ("owner", OK), acme_refused),
        api(GET, "/webhooks/{id}/deliveries", &[("id", hook)], json!({}), ("owner", OK), acme_refused),
        api(POST, "/webhooks/{id}/deliveries/{delivery}/redeliver", &[("id", hook), ("delivery", delivery)], json!({}), ("owner", OK), acme_refused),
        api(GET, "/events", &[], json!({}), ("viewer", OK), anyone),
        api(DELETE, "/webhooks/{id}", &[("id", hook)], json!({}), ("owner", OK), acme_refused),
        // The web UI.
        page(GET, "/orders/{id}", &[("id", co)], &[], ("viewer", OK), order_refused),
        page(GET, "/orders/{id}/files/{file}", &[("id", co), ("file", file)], &[], ("viewer", OK), order_refused),
        page(POST, "/orders/{id}/timers/{timer}/reschedule", &[("id", po2), ("timer", "abandon_unaccepted")], &[("at", "2031-01-02T03:04")], ("buyer", PAGE_OK), outlet_refused),
        page(POST, "/orders/{id}/timers/{timer}/cancel", &[("id", po2), ("timer", "abandon_unaccepted")], &[], ("buyer", PAGE_OK), outlet_refused),
        page(GET, "/orders/{id}/print", &[("id", co)], &[], ("viewer", OK), order_refused),
        page(GET, "/orders/{id}/print.pdf", &[("id", co)], &[], ("viewer", OK), order_refused),
        // Not shipped yet: no label, but only once the order is seen.
        page(GET, "/orders/{id}/children/{job}/label.pdf", &[("id", pp), ("job", job)], &[], ("shop", &[404]), order_refused),
        page(GET, "/orders/{id}/live", &[("id", co)], &[], ("viewer", OK), order_refused),
        page(GET, "/orders/{id}/actions/{action}", &[("id", co), ("action", "set_stage")], &[], ("owner", OK), acme_refused),
        page(POST, "/orders/{id}/actions/{action}", &[("id", co), ("action", "set_stage")], &[("stage", "nowhere")], ("owner", &[422]), acme_refused),
        page(GET, "/orders/{id}/children/{child}/actions/{action}", &[("id", pp), ("child", job), ("action", "pass_intake")], &[], ("shop", OK), shop_refused),
        page(POST, "/orders/{id}/children/{child}/actions/{action}", &[("id", pp), ("child", job), ("action", "pass_intake")], &[("bin", "")], ("shop", &[422]), shop_refused),
        page(GET, "/inventory", &[], &[], ("owner", OK), acme_roles),
        page(POST, "/inventory/{form}", &[("form", "location")], &[("id", "loc3")], ("owner", PAGE_OK), acme_roles),
        page(POST, "/inventory/{form}", &[("form", "bin")], &[ ("location", "loc"), ("id", "b3"), ("sku", "tee"), ("quantity", "1"), ], ("owner", PAGE_OK), acme_refused),
        page(POST, "/inventory/{form}", &[("form", "adjust")], &[("location", "loc"), ("bin", "b1"), ("delta", "1")], ("owner", PAGE_OK), acme_refused),
        page(POST, "/inventory/{form}", &[("form", "purchase")], &[ ("id", "p3"), ("location", "loc"), ("sku", "tee"), ("ordered", "1"), ], ("owner", PAGE_OK), acme_roles),
        page(POST, "/inventory/{form}", &[("form", "receipt")], &[("purchase", purchase), ("quantity", "1")], ("owner", PAGE_OK), acme_refused),
        page(POST, "/inventory/{form}", &[("form", "intake")], &[], ("shop", PAGE_OK), &["shop_norole", "shop_viewer"]),
        // The merchant sees its own order's jobs (and takes no step).
        page(GET, "/station?job={code}", &[("code", &job_code)], &[], ("merchant", OK), &["foreign"]),
        page(POST, "/station/step", &[], &[("job", &job_code), ("action", "pass_intake"), ("bin", "")], ("shop", &[409, 422]), shop_refused),
        page(POST, "/station/batch", &[], &[("jobs", &job_code), ("step", "pass_intake")], ("shop", INPUT), shop_refused),
        page(GET, "/webhooks", &[], &[], ("owner", OK), acme_roles),
        page(POST, "/webhooks", &[], &[("url", "ftp://x")], ("owner", &[422]), acme_roles),
        page(GET, "/webhooks/{id}", &[("id", hook)], &[], ("owner", &[404]), acme_refused),
        page(GET, "/workflows/deploy", &[], &[], ("owner", OK), workflow_admin),
        page(POST, "/workflows/deploy", &[], &[("definition", "x"), ("intent", "deploy")], ("owner", &[422]), workflow_admin),
    ];
    World {
        server: s,
        users,
        rows,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_refuses_foreign_roleless_and_view_only_users() {
    let World {
        server,
        users,
        rows,
    } = world().await;
    let http = session::client();
    let admin = Who {
        token: ADMIN.to_owned(),
        cookie: String::new(),
        csrf: String::new(),
    };
    let who = |name: &str| {
        if name == "admin" {
            &admin
        } else {
            &users[name]
        }
    };

    // Every route of the OpenAPI document has a row.
    let doc: Value = http
        .get(format!("{}/api/v1/openapi.json", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(template) = path.strip_prefix("/api/v1") else {
            continue;
        };
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), template.to_owned()));
        }
    }
    let probed: BTreeSet<(String, String)> = rows
        .iter()
        .filter(|r| matches!(r.via, Via::Api(_)))
        .map(|r| (r.method.to_string(), r.template.to_owned()))
        .collect();
    let missing: Vec<_> = documented.difference(&probed).collect();
    assert!(missing.is_empty(), "routes without a row: {missing:?}");

    let mut unexpected = Vec::new();
    let mut probes = 0;
    for row in &rows {
        let label = format!("{} {}", row.method, row.path);
        // Without credentials: 401 on the API, never a page.
        let (status, _) = send(&http, &server.base, row, None).await;
        let anonymous_ok = match row.via {
            Via::Api(_) => status == 401,
            Via::Page(_) => (300..400).contains(&status) || status == 403,
        };
        if !anonymous_ok {
            unexpected.push(format!("{label} anonymous: {status}"));
        }
        for name in row.refused {
            let (status, body) = send(&http, &server.base, row, Some(who(name))).await;
            probes += 1;
            if !is_refusal(row, status, &body) {
                let body = short(&body);
                unexpected.push(format!("{label} as {name}: {status} {body}"));
            }
        }
        // Last, as it may change what it is allowed to.
        let (name, statuses) = row.may;
        let (status, body) = send(&http, &server.base, row, Some(who(name))).await;
        let body = short(&body);
        if !statuses.contains(&status) {
            unexpected.push(format!(
                "{label} as {name} (who may): {status} {body}, expected one of {statuses:?}"
            ));
        }
    }
    assert!(
        unexpected.is_empty(),
        "{} of {probes} probes answered unexpectedly:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    println!(
        "authorisation matrix: {} routes and pages, {probes} refusals probed, 0 unexpected allows",
        rows.len()
    );
}
