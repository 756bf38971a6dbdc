//! Webhooks over real HTTP on both stores: endpoints managed by an
//! organisation's admins, one signed delivery per change and matching
//! endpoint (none about what a party cannot see), a receiver on loopback
//! that is down for a while and still gets every event once it is back,
//! dead-lettering after the attempt limit and redelivery by hand.
//!
//! The deliverer is stepped with a virtual clock: each round is given the
//! time it runs at, so days of backoff pass without sleeping.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use orderflow_notify::{WebhookDeliverer, WebhookPolicy, WebhookRound};
use orderflow_server::{AppState, Limits, SystemClock, Workflows, built_in_workflows, router};
use orderflow_sqlite::{SqliteConfig, SqliteStore};
use orderflow_store::Store;
use serde_json::{Value, json};
use sha2::Sha256;

#[path = "webhooks/tls.rs"]
mod tls;

const ADMIN: &str = "admin-secret-for-tests";

macro_rules! both_backends {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let (store, _guard) = super::sqlite().await;
                    super::$test(store).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let store = orderflow_postgres::testing::fresh_store().await.unwrap();
                    super::$test(std::sync::Arc::new(store)).await
                }
            )*
        }
    };
}

both_backends!(
    a_receiver_down_for_a_while_gets_every_event_once,
    given_up_deliveries_are_dead_until_redelivered,
    endpoints_are_managed_by_their_organisations_admins,
    a_notify_by_webhook_reaches_the_notified_partys_endpoints,
);

async fn sqlite() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = SqliteConfig::new(dir.path());
    config.synchronous_full = false;
    let store = SqliteStore::open_with(config).await.unwrap();
    (Arc::new(store), dir)
}

// ------------------------------------------------------------ receiver ---

/// What a receiver got: every request's id, body and whether its signature
/// verified with the secret of the path it came to.
#[derive(Default)]
struct Received {
    /// Secret per path (`/lab`, `/clinic` ...).
    secrets: BTreeMap<String, String>,
    /// Paths answering 500 instead of 204.
    failing: BTreeSet<String>,
    /// (path, webhook-id, body) per request, duplicates included.
    requests: Vec<(String, String, Value)>,
    bad_signatures: Vec<String>,
}

type Shared = Arc<Mutex<Received>>;

/// Verifies as a receiver would, written apart from the server's signer.
fn verify(secret: &str, headers: &HeaderMap, body: &[u8]) -> Result<String, String> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or(format!("no {name}"))
    };
    let id = header("webhook-id")?;
    let timestamp = header("webhook-timestamp")?;
    timestamp.parse::<i64>().map_err(|e| e.to_string())?;
    let key = BASE64
        .decode(secret.trim_start_matches("whsec_"))
        .map_err(|e| e.to_string())?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    let expected = format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()));
    let signatures = header("webhook-signature")?;
    if signatures.split(' ').any(|s| s == expected) {
        Ok(id)
    } else {
        Err(format!("{id}: {signatures} is not {expected}"))
    }
}

async fn receive(
    State(shared): State<Shared>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let mut r = shared.lock().unwrap();
    let secret = r.secrets.get(&path).cloned().unwrap_or_default();
    match verify(&secret, &headers, &body) {
        Ok(id) => {
            let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
            r.requests.push((path.clone(), id, json));
        }
        Err(e) => r.bad_signatures.push(e),
    }
    if r.failing.contains(&path) {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::NO_CONTENT
    }
}

/// A receiver on a fixed loopback port that can be stopped (connections
/// refused) and started again on the same port.
struct Receiver {
    addr: SocketAddr,
    shared: Shared,
    running: Option<(
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<()>,
    )>,
}

impl Receiver {
    /// A port is reserved, but nothing listens yet.
    async fn down() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        Receiver {
            addr,
            shared: Shared::default(),
            running: None,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}/{path}", self.addr)
    }

    async fn start(&mut self) {
        let listener = tokio::net::TcpListener::bind(self.addr).await.unwrap();
        let app = axum::Router::new()
            .route("/{path}", axum::routing::post(receive))
            .with_state(Arc::clone(&self.shared));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        self.running = Some((stop, task));
    }

    async fn stop(&mut self) {
        if let Some((stop, task)) = self.running.take() {
            let _ = stop.send(());
            let _ = task.await;
        }
    }

    fn received(&self) -> std::sync::MutexGuard<'_, Received> {
        self.shared.lock().unwrap()
    }
}

// -------------------------------------------------------------- server ---

struct Server {
    store: Arc<dyn Store>,
    base: String,
    http: reqwest::Client,
}

struct Answer {
    status: StatusCode,
    body: Value,
}

impl Answer {
    #[track_caller]
    fn ok(self) -> Value {
        assert!(self.status.is_success(), "{} {}", self.status, self.body);
        self.body
    }

    #[track_caller]
    fn problem(&self, status: u16, code: &str) -> &Value {
        assert_eq!(
            (self.status.as_u16(), self.body["code"].as_str()),
            (status, Some(code)),
            "{}",
            self.body
        );
        &self.body
    }
}

impl Server {
    async fn start(store: Arc<dyn Store>) -> Self {
        Self::with_workflows(store, built_in_workflows().unwrap()).await
    }

    async fn with_workflows(store: Arc<dyn Store>, workflows: Workflows) -> Self {
        let state = AppState::new(
            Arc::clone(&store),
            workflows,
            Some(ADMIN.to_owned()),
            Arc::new(SystemClock),
            Limits::default(),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router(state)).await;
        });
        Server {
            store,
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let response = req.send().await.unwrap();
        let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
        let text = response.text().await.unwrap();
        Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        }
    }

    async fn get(&self, token: &str, path: &str) -> Answer {
        self.send(reqwest::Method::GET, token, path, None).await
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> Answer {
        self.send(reqwest::Method::POST, token, path, Some(body))
            .await
    }

    async fn org(&self, id: &str) {
        self.post(
            ADMIN,
            "/api/v1/organizations",
            json!({"id": id, "name": id, "settings": {}}),
        )
        .await
        .ok();
    }

    async fn user(&self, id: &str, org: &str, roles: &[&str]) -> String {
        let body = self
            .post(
                ADMIN,
                "/api/v1/users",
                json!({"id": id, "name": id, "organization": org, "roles": roles}),
            )
            .await
            .ok();
        body["token"]["token"].as_str().unwrap().to_owned()
    }

    /// A new endpoint; its id and secret.
    async fn webhook(&self, token: &str, body: Value) -> (String, String) {
        let created = self.post(token, "/api/v1/webhooks", body).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        (
            created.body["webhook"]["id"].as_str().unwrap().to_owned(),
            created.body["secret"].as_str().unwrap().to_owned(),
        )
    }

    async fn deliveries(&self, token: &str, webhook: &str) -> Vec<Value> {
        let list = self
            .get(
                token,
                &format!("/api/v1/webhooks/{webhook}/deliveries?limit=200"),
            )
            .await
            .ok();
        list.as_array().unwrap().clone()
    }

    async fn act(&self, token: &str, order: &str, action: &str, inputs: Value) {
        self.post(
            token,
            &format!("/api/v1/orders/{order}/actions/{action}"),
            inputs,
        )
        .await
        .ok();
    }

    /// A draft dental-lab order of the clinic's for the lab.
    async fn dental_order(&self, clinic: &str) -> String {
        let order = self
            .post(
                clinic,
                "/api/v1/orders",
                json!({
                    "workflow": "dental-lab",
                    "parties": {"lab": "lab"},
                    "inputs": {
                        "lines": [{"product": "crown", "quantity": 1, "unit_price": "150.00"}],
                        "due_date": "2099-01-31"
                    }
                }),
            )
            .await
            .ok();
        order["id"].as_str().unwrap().to_owned()
    }
}

/// A clinic, a lab and a stranger, each with an admin; the lab also with
/// a user without the admin role.
struct World {
    s: Server,
    clinic: String,
    lab: String,
    lab_user: String,
    stranger: String,
}

async fn world(store: Arc<dyn Store>) -> World {
    let s = Server::start(store).await;
    for org in ["clinic", "lab", "stranger"] {
        s.org(org).await;
    }
    World {
        clinic: s.user("cara", "clinic", &["admin"]).await,
        lab: s.user("lars", "lab", &["admin"]).await,
        lab_user: s.user("lee", "lab", &[]).await,
        stranger: s.user("sven", "stranger", &["admin"]).await,
        s,
    }
}

fn policy() -> WebhookPolicy {
    WebhookPolicy {
        backoff_base: Duration::minutes(1),
        attempts_max: 5,
        timeout: std::time::Duration::from_secs(5),
        ..WebhookPolicy::default()
    }
}

async fn round(deliverer: &WebhookDeliverer, at: DateTime<Utc>) -> WebhookRound {
    deliverer.round(at).await.unwrap()
}

// --------------------------------------------------------------- tests ---

async fn a_receiver_down_for_a_while_gets_every_event_once(store: Arc<dyn Store>) {
    let w = world(store).await;
    let mut receiver = Receiver::down().await;
    let (lab_hook, lab_secret) =
        w.s.webhook(
            &w.lab,
            json!({"url": receiver.url("lab"), "workflows": ["dental-lab"]}),
        )
        .await;
    let (clinic_hook, clinic_secret) =
        w.s.webhook(&w.clinic, json!({"url": receiver.url("clinic")}))
            .await;
    let (stranger_hook, stranger_secret) =
        w.s.webhook(&w.stranger, json!({"url": receiver.url("stranger")}))
            .await;
    // Only status changes, for the filter's sake.
    let (moves_hook, moves_secret) =
        w.s.webhook(
            &w.lab,
            json!({"url": receiver.url("moves"), "events": ["order.status_changed"]}),
        )
        .await;
    {
        let mut r = receiver.received();
        r.secrets.insert("lab".into(), lab_secret);
        r.secrets.insert("clinic".into(), clinic_secret);
        r.secrets.insert("stranger".into(), stranger_secret);
        r.secrets.insert("moves".into(), moves_secret);
    }

    let id = w.s.dental_order(&w.clinic).await;
    w.s.act(&w.clinic, &id, "publish", json!({})).await;
    w.s.act(
        &w.lab,
        &id,
        "start_production",
        json!({"production_date": "2026-01-05"}),
    )
    .await;
    w.s.act(&w.lab, &id, "add_task", json!({"name": "scan"}))
        .await;

    // The lab never hears of the draft: its first event is the publication,
    // without the status it could not see.
    let lab = w.s.deliveries(&w.lab, &lab_hook).await;
    let mut lab_events: Vec<(String, Value, Value)> = lab
        .iter()
        .map(|d| {
            let data = &d["payload"]["data"];
            (
                d["event"].as_str().unwrap().to_owned(),
                data["previous_status"].clone(),
                data["status"].clone(),
            )
        })
        .collect();
    lab_events.reverse();
    assert_eq!(
        lab_events,
        [
            (
                "order.status_changed".to_owned(),
                Value::Null,
                json!("published")
            ),
            (
                "order.status_changed".to_owned(),
                json!("published"),
                json!("production")
            ),
            (
                "order.updated".to_owned(),
                json!("production"),
                json!("production")
            ),
        ]
    );
    let clinic = w.s.deliveries(&w.clinic, &clinic_hook).await;
    assert_eq!(clinic.len(), 4, "the clinic sees all four changes");
    let created = &clinic[3]["payload"];
    assert_eq!(created["type"], "order.created");
    assert_eq!(created["data"]["order_id"], json!(id));
    assert_eq!(created["data"]["workflow"], "dental-lab");
    assert!(created["data"].get("number").is_some(), "{created}");
    assert_eq!(created["data"]["version"], 1);
    assert_eq!(created["data"]["action"], "create");
    assert_eq!(created["id"], clinic[3]["id"]);
    assert!(created["timestamp"].as_str().is_some());
    assert_eq!(w.s.deliveries(&w.lab, &moves_hook).await.len(), 2);
    assert!(w.s.deliveries(&w.stranger, &stranger_hook).await.is_empty());
    let mut expected: BTreeSet<String> = BTreeSet::new();
    for hook in [
        (&w.lab, &lab_hook),
        (&w.clinic, &clinic_hook),
        (&w.lab, &moves_hook),
    ] {
        for d in w.s.deliveries(hook.0, hook.1).await {
            assert_eq!(d["state"], "pending");
            expected.insert(d["id"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(expected.len(), 9);

    // Down: every attempt fails and is kept with its error.
    let deliverer = WebhookDeliverer::new(Arc::clone(&w.s.store), policy()).unwrap();
    let t0 = Utc::now();
    assert_eq!(
        round(&deliverer, t0).await,
        WebhookRound {
            failed: 9,
            ..Default::default()
        }
    );
    assert_eq!(
        round(&deliverer, t0).await,
        WebhookRound::default(),
        "nothing is due before its backoff"
    );
    let failed = &w.s.deliveries(&w.lab, &lab_hook).await[0];
    assert_eq!(
        (failed["state"].as_str(), failed["attempts"].as_u64()),
        (Some("pending"), Some(1))
    );
    assert!(
        failed["last_error"].as_str().unwrap().contains("connect"),
        "{failed}"
    );
    assert!(failed["next_attempt_at"].as_str().is_some());
    assert_eq!(round(&deliverer, t0 + Duration::minutes(1)).await.failed, 9);

    // Back up: within the attempt limit, everything arrives.
    receiver.start().await;
    let mut at = t0 + Duration::minutes(1);
    let mut delivered = 0;
    for _ in 0..4 {
        at += Duration::minutes(10);
        delivered += round(&deliverer, at).await.delivered;
    }
    assert_eq!(delivered, 9);
    // Another server picking a delivery up again (a lost mark) would send a
    // duplicate: receivers tell them apart by id.
    {
        let r = receiver.received();
        assert!(r.bad_signatures.is_empty(), "{:?}", r.bad_signatures);
        let got: BTreeSet<String> = r.requests.iter().map(|(_, id, _)| id.clone()).collect();
        assert_eq!(got, expected, "each event once, after removing duplicates");
        assert!(r.requests.iter().all(|(path, _, _)| path != "stranger"));
        for (_, id, body) in &r.requests {
            assert_eq!(body["id"], json!(id));
        }
    }
    for d in w.s.deliveries(&w.lab, &lab_hook).await {
        assert_eq!(d["state"], "delivered", "{d}");
    }
    receiver.stop().await;
}

async fn given_up_deliveries_are_dead_until_redelivered(store: Arc<dyn Store>) {
    let w = world(store).await;
    let mut receiver = Receiver::down().await;
    receiver.start().await;
    let (hook, secret) =
        w.s.webhook(&w.lab, json!({"url": receiver.url("flaky")}))
            .await;
    {
        let mut r = receiver.received();
        r.secrets.insert("flaky".into(), secret);
        r.failing.insert("flaky".into());
    }
    let id = w.s.dental_order(&w.clinic).await;
    w.s.act(&w.clinic, &id, "publish", json!({})).await;

    let deliverer = WebhookDeliverer::new(Arc::clone(&w.s.store), policy()).unwrap();
    let mut at = Utc::now();
    let mut rounds = Vec::new();
    for _ in 0..8 {
        rounds.push(round(&deliverer, at).await);
        at += Duration::hours(1);
    }
    let dead: u32 = rounds.iter().map(|r| r.dead).sum();
    let failed: u32 = rounds.iter().map(|r| r.failed).sum();
    assert_eq!(
        (failed, dead),
        (4, 1),
        "four retries, then given up: {rounds:?}"
    );
    let list = w.s.deliveries(&w.lab, &hook).await;
    assert_eq!(list.len(), 1);
    let d = &list[0];
    assert_eq!(d["state"], "dead", "{d}");
    assert_eq!(d["attempts"], 5);
    assert_eq!(d["next_attempt_at"], Value::Null);
    assert!(d["dead_at"].as_str().is_some());
    assert!(d["last_error"].as_str().unwrap().contains("500"), "{d}");
    assert_eq!(receiver.received().requests.len(), 5);
    // Never again by itself.
    assert_eq!(
        round(&deliverer, at + Duration::days(10)).await,
        WebhookRound::default()
    );

    // Redelivered ten days after the event, the receiver still failing:
    // retried afresh, not given up at its first failure (the 3 days count
    // from the redelivery).
    let delivery = d["id"].as_str().unwrap();
    let later = at + Duration::days(10);
    w.s.store.redeliver_webhook(delivery, later).await.unwrap();
    let retried = round(&deliverer, later + Duration::minutes(1)).await;
    assert_eq!(
        (retried.failed, retried.dead),
        (1, 0),
        "retried, not dead: {retried:?}"
    );
    assert_eq!(w.s.deliveries(&w.lab, &hook).await[0]["state"], "pending");

    // Redelivered by hand once the receiver is fixed.
    receiver.received().failing.clear();
    let path = format!("/api/v1/webhooks/{hook}/deliveries/{delivery}/redeliver");
    w.s.post(&w.lab_user, &path, json!({}))
        .await
        .problem(403, "forbidden");
    w.s.post(&w.clinic, &path, json!({}))
        .await
        .problem(404, "not_found");
    let again = w.s.post(&w.lab, &path, json!({})).await.ok();
    assert_eq!(
        (again["state"].as_str(), again["attempts"].as_u64()),
        (Some("pending"), Some(0))
    );
    assert_eq!(round(&deliverer, Utc::now()).await.delivered, 1);
    assert_eq!(w.s.deliveries(&w.lab, &hook).await[0]["state"], "delivered");
    {
        let r = receiver.received();
        assert!(r.bad_signatures.is_empty(), "{:?}", r.bad_signatures);
        assert_eq!(r.requests.len(), 7);
        assert!(r.requests.iter().all(|(_, id, _)| id == delivery));
    }
    receiver.stop().await;
}

async fn endpoints_are_managed_by_their_organisations_admins(store: Arc<dyn Store>) {
    let w = world(store).await;
    let body = json!({"url": "https://hooks.example/lab"});
    w.s.post(&w.lab_user, "/api/v1/webhooks", body.clone())
        .await
        .problem(403, "forbidden");
    w.s.post(ADMIN, "/api/v1/webhooks", body.clone())
        .await
        .problem(403, "forbidden");
    let p =
        w.s.post(
            &w.lab,
            "/api/v1/webhooks",
            json!({"url": "ftp://x", "events": ["order.eaten"], "workflows": ["bakery"]}),
        )
        .await;
    let fields: BTreeSet<&str> = p.problem(422, "invalid_input")["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        BTreeSet::from(["url", "events", "workflows"]),
        "{}",
        p.body
    );
    w.s.post(
        &w.lab,
        "/api/v1/webhooks",
        json!({"url": "https://h", "actions": ["fly"]}),
    )
    .await
    .problem(422, "invalid_input");

    let (id, secret) =
        w.s.webhook(
            &w.lab,
            json!({"url": "https://hooks.example/lab", "actions": ["ship"]}),
        )
        .await;
    assert!(secret.starts_with("whsec_"));
    assert_eq!(BASE64.decode(&secret["whsec_".len()..]).unwrap().len(), 32);
    let list = w.s.get(&w.lab, "/api/v1/webhooks").await.ok();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], json!(id));
    assert_eq!(list[0]["actions"], json!(["ship"]));
    assert!(
        !list.to_string().contains(&secret),
        "the secret is shown once"
    );
    let one = format!("/api/v1/webhooks/{id}");
    assert_eq!(
        w.s.get(&w.lab, &one).await.ok()["url"],
        "https://hooks.example/lab"
    );
    // Another organisation's endpoint is missing, not forbidden.
    w.s.get(&w.clinic, &one).await.problem(404, "not_found");
    w.s.get(&w.clinic, &format!("{one}/deliveries"))
        .await
        .problem(404, "not_found");
    w.s.send(reqwest::Method::DELETE, &w.clinic, &one, None)
        .await
        .problem(404, "not_found");
    assert!(
        w.s.get(&w.clinic, "/api/v1/webhooks")
            .await
            .ok()
            .as_array()
            .unwrap()
            .is_empty()
    );

    let removed = w.s.send(reqwest::Method::DELETE, &w.lab, &one, None).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    w.s.get(&w.lab, &one).await.problem(404, "not_found");
}

/// Purchasing with its dispute notification sent by webhook instead of
/// e-mail: the supplier's endpoints get an `order.notification` naming
/// the template, and nothing waits in the e-mail outbox for it.
async fn a_notify_by_webhook_reaches_the_notified_partys_endpoints(store: Arc<dyn Store>) {
    let (_, text) = orderflow_core::catalog::BUILT_IN
        .iter()
        .find(|(id, _)| *id == "purchasing")
        .unwrap();
    let email = r#"template = "order_disputed", channel = "email""#;
    assert!(text.contains(email));
    let by_webhook = text.replace(email, r#"template = "order_disputed", channel = "webhook""#);
    let mut workflows = built_in_workflows().unwrap();
    workflows.insert(
        "purchasing".into(),
        Arc::new(orderflow_core::catalog::load("purchasing.toml", &by_webhook).unwrap()),
    );
    let s = Server::with_workflows(store, workflows).await;
    s.post(
        ADMIN,
        "/api/v1/organizations",
        json!({"id": "outlet", "name": "Outlet", "settings": {"purchasing_limit": "1000.00", "time_zone": "Europe/London"}}),
    )
    .await
    .ok();
    s.org("supplier").await;
    let buyer = s.user("bob", "outlet", &["buyer", "approver"]).await;
    let supplier = s.user("sam", "supplier", &["admin"]).await;
    let (hook, _) = s
        .webhook(
            &supplier,
            json!({"url": "http://127.0.0.1:9/none", "events": ["order.notification"]}),
        )
        .await;
    let order = s
        .post(
            &buyer,
            "/api/v1/orders",
            json!({"workflow": "purchasing", "parties": {"supplier": "supplier"},
                   "inputs": {"lines": [{"product": "flour", "quantity": 1, "unit_price": "5.00"}]}}),
        )
        .await
        .ok();
    let id = order["id"].as_str().unwrap().to_owned();
    s.act(&supplier, &id, "accept", json!({"note": "ok"})).await;
    s.act(&buyer, &id, "complete", json!({"note": "fine"}))
        .await;
    // Messages to people so far are in the outbox, none by webhook.
    let before = s.store.claim_outbox(Utc::now(), 60, 100).await.unwrap();
    assert!(before.iter().all(|m| m.channel != "webhook"), "{before:?}");
    s.act(&buyer, &id, "dispute", json!({"note": "torn bags"}))
        .await;

    let list = s.deliveries(&supplier, &hook).await;
    assert_eq!(
        list.len(),
        1,
        "only the notification passes the filter: {list:?}"
    );
    let data = &list[0]["payload"]["data"];
    assert_eq!(list[0]["event"], "order.notification");
    assert_eq!(
        (
            data["template"].as_str(),
            data["party"].as_str(),
            data["status"].as_str(),
            data["action"].as_str()
        ),
        (
            Some("order_disputed"),
            Some("supplier"),
            Some("in_dispute"),
            Some("dispute")
        )
    );
    let after = s
        .store
        .claim_outbox(Utc::now() + Duration::hours(1), 60, 100)
        .await
        .unwrap();
    assert!(
        after.iter().all(|m| m.template != "order_disputed"),
        "the webhook notification is not an outbox message: {after:?}"
    );
}

/// Webhook deliveries per second to a local receiver that verifies every
/// signature, on SQLite as `serve` opens it (synchronous FULL): 1,000
/// orders created over HTTP for 5 endpoints, then rounds until all 5,000
/// are delivered. Run with
/// `cargo test --release -p orderflow-server --test webhooks -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement; prints deliveries per second"]
async fn deliveries_per_second() {
    const ORDERS: usize = 1000;
    const ENDPOINTS: usize = 5;
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open_with(SqliteConfig::new(dir.path()))
            .await
            .unwrap(),
    );
    let w = world(Arc::clone(&store)).await;
    let mut receiver = Receiver::down().await;
    receiver.start().await;
    for n in 0..ENDPOINTS {
        let path = format!("e{n}");
        let (_, secret) =
            w.s.webhook(&w.clinic, json!({"url": receiver.url(&path)}))
                .await;
        receiver.received().secrets.insert(path, secret);
    }
    for _ in 0..ORDERS {
        w.s.dental_order(&w.clinic).await;
    }
    let deliverer = WebhookDeliverer::new(Arc::clone(&store), WebhookPolicy::default()).unwrap();
    let started = std::time::Instant::now();
    let mut delivered = 0;
    while delivered < ORDERS * ENDPOINTS {
        let r = round(&deliverer, Utc::now()).await;
        assert_eq!((r.failed, r.dead), (0, 0));
        delivered += r.delivered as usize;
    }
    let secs = started.elapsed().as_secs_f64();
    {
        let r = receiver.received();
        assert!(r.bad_signatures.is_empty());
        assert_eq!(r.requests.len(), ORDERS * ENDPOINTS);
    }
    println!(
        "{delivered} webhook deliveries in {secs:.2} s: {:.0} per second",
        delivered as f64 / secs
    );
    receiver.stop().await;
}
