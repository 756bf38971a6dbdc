//! The HTTP API over real HTTP against a real store: each workflow played
//! end to end by its parties, authorisation (404 for foreign orders),
//! concurrency, idempotency, hostile requests and restarts.
//!
//! Every end-to-end test is one body taking a [`Backend`]; `both_backends!`
//! turns it into `sqlite::<name>` and `postgres::<name>`. PostgreSQL comes
//! from `orderflow-postgres`'s `testing` feature: `ORDERFLOW_TEST_POSTGRES_URL`
//! when set, otherwise one throw-away cluster per test process, and a fresh
//! database per test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use chrono::{DateTime, Utc};
use orderflow_postgres::PgStore;
use orderflow_server::{AppState, Limits, SystemClock, built_in_workflows, router};
use orderflow_sqlite::{SqliteConfig, SqliteStore};
use orderflow_store::Store;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::postgres::PgConnectOptions;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

#[path = "http/numbers.rs"]
mod numbers;
#[path = "http/ties.rs"]
mod ties;

use numbers::orders_have_short_numbers_people_can_use;
use ties::a_tie_by_hand_names_a_purchase_that_can_serve_the_job;

const ADMIN: &str = "admin-secret-for-tests";

/// Which store a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// Generates `mod sqlite` and `mod postgres`, each with one test per body.
macro_rules! both_backends {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(super::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(super::Backend::Postgres).await
                }
            )*
        }
    };
}

both_backends!(
    dental_lab_end_to_end,
    foreign_orders_are_not_found_on_every_endpoint,
    authentication_is_required,
    if_match_and_idempotency_keys,
    concurrent_duplicates_of_one_key_are_one_change,
    answers_are_the_documented_ones,
    an_organisation_cannot_fill_both_seats,
    racing_clients_one_wins,
    hostile_requests_change_nothing,
    bulk_actions_dry_run_then_apply,
    operations_endpoints,
    purchasing_end_to_end,
    compliance_end_to_end,
    server_sent_events_show_visible_changes_only,
    print_production_jobs_over_http,
    restart_keeps_everything,
    traceability_events_allocate,
    create_takes_a_flat_body_too,
    printing_is_a_read,
    settings_that_do_not_fit_are_refused,
    stored_settings_that_do_not_fit_never_answer_500,
    passwords_set_by_the_administrator_and_changed_by_their_user,
    history_names_people_as_they_were,
    abandoned_before_approval_stays_hidden_from_the_supplier,
    money_is_decimal_in_the_orders_currency,
    a_purchasing_limit_is_a_decimal_amount,
    the_inbox_keeps_what_each_user_may_see,
    timers_are_listed_cancelled_and_rescheduled,
    orders_have_short_numbers_people_can_use,
    inventory_and_the_intake_check,
    a_tie_by_hand_names_a_purchase_that_can_serve_the_job,
);

/// Where a server's data lives; it outlives the server, so a new server
/// can be started on it.
enum Data {
    /// A SQLite data directory (removed when dropped).
    Sqlite(tempfile::TempDir),
    /// A PostgreSQL database of its own.
    Postgres(Arc<PgConnectOptions>),
}

/// The store a running server uses, kept to close it on [`Server::stop`].
enum Running {
    Sqlite(Arc<SqliteStore>),
    Postgres(PgStore),
}

struct Server {
    /// The application the server runs, for what has no HTTP route (a web
    /// sign-in).
    app: AppState,
    base: String,
    http: reqwest::Client,
    data: Data,
    store: Running,
    shutdown: oneshot::Sender<()>,
    serving: JoinHandle<()>,
}

/// The answer of one request: status, content type and JSON body.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    content_type: String,
    body: Value,
}

impl Answer {
    fn ok(self) -> Value {
        assert!(
            self.status.is_success(),
            "expected success, got {} {}",
            self.status,
            self.body
        );
        self.body
    }

    /// A problem with this status and code.
    fn problem(&self, status: u16, code: &str) -> &Value {
        assert_eq!(
            (self.status.as_u16(), self.body["code"].as_str()),
            (status, Some(code)),
            "{}",
            self.body
        );
        assert_eq!(self.content_type, "application/problem+json");
        assert_eq!(self.body["status"], json!(status));
        &self.body
    }
}

impl Server {
    /// A server on a new, empty store.
    async fn start(backend: Backend) -> Self {
        let data = match backend {
            Backend::Sqlite => Data::Sqlite(tempfile::tempdir().unwrap()),
            Backend::Postgres => {
                let store = orderflow_postgres::testing::fresh_store().await.unwrap();
                let options = store.pool().connect_options();
                store.close().await;
                Data::Postgres(options)
            }
        };
        Self::on(data).await
    }

    /// A server on existing data (opened, and migrated if needed).
    async fn on(data: Data) -> Self {
        let (store, dyn_store): (Running, Arc<dyn Store>) = match &data {
            Data::Sqlite(dir) => {
                let mut config = SqliteConfig::new(dir.path());
                config.synchronous_full = false;
                let store = Arc::new(SqliteStore::open_with(config).await.unwrap());
                (Running::Sqlite(Arc::clone(&store)), store)
            }
            Data::Postgres(options) => {
                let store = PgStore::connect_with(PgConnectOptions::clone(options), 4)
                    .await
                    .unwrap();
                (Running::Postgres(store.clone()), Arc::new(store))
            }
        };
        let state = AppState::new(
            dyn_store,
            built_in_workflows().unwrap(),
            Some(ADMIN.to_owned()),
            Arc::new(SystemClock),
            Limits::default(),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (shutdown, stop) = oneshot::channel::<()>();
        let app = state.clone();
        let serving = tokio::spawn(async move {
            let _ = axum::serve(listener, router(app))
                .with_graceful_shutdown(async move {
                    let _ = stop.await;
                })
                .await;
        });
        Server {
            app: state,
            base: format!("http://{addr}"),
            // No pooled connections: a server that closes one after a 413
            // must not fail the next request.
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap(),
            data,
            store,
            shutdown,
            serving,
        }
    }

    /// Stops serving (graceful shutdown), closes the store — the SQLite
    /// writer finishes its queue and every connection is closed — and
    /// hands back the data for another server.
    async fn stop(self) -> Data {
        let Server {
            app,
            data,
            store,
            shutdown,
            serving,
            ..
        } = self;
        // It holds the store too.
        drop(app);
        let _ = shutdown.send(());
        tokio::time::timeout(std::time::Duration::from_secs(20), serving)
            .await
            .expect("the server did not shut down")
            .unwrap();
        match store {
            Running::Sqlite(store) => {
                // Connection tasks of the stopped server drop their state a
                // moment after `serve` returns: wait for them, bounded.
                let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
                while Arc::strong_count(&store) > 1 && tokio::time::Instant::now() < deadline {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                let store = Arc::into_inner(store)
                    .expect("the stopped server still holds the SQLite store");
                store.close().await.unwrap();
            }
            Running::Postgres(store) => store.close().await,
        }
        data
    }

    /// Stops this server and starts a new one on the same data.
    async fn restart(self) -> Self {
        let data = self.stop().await;
        Self::on(data).await
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        let response = req.send().await.unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer {
            status,
            content_type,
            body,
        }
    }

    /// Sends an oversized body: the server may answer 413 and close the
    /// connection before the client has sent it all, which the client sees
    /// as an error instead of the answer; a few tries get the answer.
    async fn send_oversized(&self, make: impl Fn() -> reqwest::RequestBuilder) -> Answer {
        for _ in 0..10 {
            match make().send().await {
                Ok(response) => {
                    let status = response.status();
                    let content_type = response
                        .headers()
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned();
                    let text = response.text().await.unwrap_or_default();
                    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
                    return Answer {
                        status,
                        content_type,
                        body,
                    };
                }
                Err(e) => assert!(e.is_request(), "{e}"),
            }
        }
        panic!("the server never answered an oversized request");
    }

    fn request(&self, method: Method, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
    }

    async fn get(&self, token: &str, path: &str) -> Answer {
        self.send(self.request(Method::GET, path, token)).await
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> Answer {
        self.send(self.request(Method::POST, path, token).json(&body))
            .await
    }

    async fn org(&self, id: &str, settings: Value) {
        self.post(
            ADMIN,
            "/api/v1/organizations",
            json!({"id": id, "name": format!("{id} Ltd"), "settings": settings}),
        )
        .await
        .ok();
    }

    /// A user of `org` with `roles`; its token.
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

    async fn act(&self, token: &str, order: &str, action: &str, inputs: Value) -> Answer {
        self.post(
            token,
            &format!("/api/v1/orders/{order}/actions/{action}"),
            inputs,
        )
        .await
    }

    async fn patch(&self, token: &str, path: &str, body: Value) -> Answer {
        self.send(self.request(Method::PATCH, path, token).json(&body))
            .await
    }

    /// Writes an organisation's settings straight into the store, as data
    /// from before settings were checked would be.
    async fn store_settings_unchecked(&self, org: &str, settings: Value) {
        let store: &dyn Store = match &self.store {
            Running::Sqlite(store) => store.as_ref(),
            Running::Postgres(store) => store,
        };
        let mut o = store.organization(org).await.unwrap().unwrap();
        o.settings = settings.as_object().unwrap().clone();
        store.update_organization(&o).await.unwrap();
    }

    fn store(&self) -> &dyn Store {
        match &self.store {
            Running::Sqlite(store) => store.as_ref(),
            Running::Postgres(store) => store,
        }
    }

    /// Every undelivered outbox message of `order`: (organisation, template).
    async fn outbox(&self, order: &str) -> Vec<(String, String)> {
        let far = chrono::Utc::now() + chrono::Duration::days(1);
        let mut out: Vec<(String, String)> = self
            .store()
            .claim_outbox(far, 1, 500)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.order_id == order)
            .map(|m| (m.organization, m.template))
            .collect();
        out.sort();
        out
    }

    async fn history(&self, token: &str, order: &str) -> Vec<Value> {
        let h = self
            .get(token, &format!("/api/v1/orders/{order}/history?limit=200"))
            .await
            .ok();
        h["items"].as_array().unwrap().clone()
    }

    async fn history_len(&self, token: &str, order: &str) -> usize {
        let h = self
            .get(token, &format!("/api/v1/orders/{order}/history?limit=200"))
            .await
            .ok();
        h["items"].as_array().unwrap().len()
    }

    async fn version(&self, token: &str, order: &str) -> u64 {
        let o = self
            .get(token, &format!("/api/v1/orders/{order}"))
            .await
            .ok();
        o["version"].as_u64().unwrap()
    }
}

/// A dental-lab world: a clinic, a lab, and a stranger organisation.
struct Dental {
    s: Server,
    clinic: String,
    lab: String,
    stranger: String,
}

async fn dental(backend: Backend) -> Dental {
    let s = Server::start(backend).await;
    s.org("clinic", json!({"time_zone": "Europe/Paris"})).await;
    s.org(
        "lab",
        json!({
            "payment_instructions": "IBAN FR76 0000",
            "task_templates": {"crown": ["scan", "mill"], "*": ["glaze"]}
        }),
    )
    .await;
    s.org("stranger", json!({})).await;
    let clinic = s.user("dr-who", "clinic", &[]).await;
    let lab = s.user("tech", "lab", &[]).await;
    let stranger = s.user("eve", "stranger", &[]).await;
    Dental {
        s,
        clinic,
        lab,
        stranger,
    }
}

async fn new_dental_order(d: &Dental) -> String {
    create_dental_order(&d.s, &d.clinic).await
}

/// A draft dental-lab order of the clinic's for the lab.
async fn create_dental_order(s: &Server, clinic: &str) -> String {
    let order = s
        .post(
            clinic,
            "/api/v1/orders",
            json!({
                "workflow": "dental-lab",
                "parties": {"lab": "lab"},
                "inputs": {
                    "lines": [{"product": "crown", "quantity": 2, "unit_price": "150.00"}],
                    "due_date": "2099-01-31",
                    "notes": "shade A2"
                }
            }),
        )
        .await;
    assert_eq!(order.status, StatusCode::CREATED, "{}", order.body);
    order.body["id"].as_str().unwrap().to_owned()
}

/// `POST /orders` also takes parties and inputs at the top level; an unknown
/// key there is still refused by name.
async fn create_takes_a_flat_body_too(backend: Backend) {
    let d = dental(backend).await;
    let flat = json!({
        "workflow": "dental-lab",
        "lab": "lab",
        "lines": [{"product": "crown", "quantity": 1, "unit_price": "99.90"}],
        "notes": "flat",
    });
    let order = d.s.post(&d.clinic, "/api/v1/orders", flat).await;
    assert_eq!(order.status, StatusCode::CREATED, "{}", order.body);
    assert_eq!(
        order.body["parties"],
        json!({"customer": "clinic", "lab": "lab"})
    );
    assert_eq!(order.body["data"]["total"], "99.90");
    assert_eq!(order.body["data"]["notes"], "flat");

    let typo = json!({"workflow": "dental-lab", "lab": "lab", "lines": [], "nots": "x"});
    let refused = d.s.post(&d.clinic, "/api/v1/orders", typo).await;
    let p = refused.problem(422, "invalid_input");
    let fields: Vec<&str> = p["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"nots"), "{p}");
}

fn action<'a>(order: &'a Value, id: &str) -> &'a Value {
    order["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id)
        .unwrap_or_else(|| panic!("no action {id} in {}", order["actions"]))
}

async fn dental_lab_end_to_end(backend: Backend) {
    let d = dental(backend).await;
    let s = &d.s;
    let id = new_dental_order(&d).await;

    let order = s.get(&d.clinic, &format!("/api/v1/orders/{id}")).await.ok();
    assert_eq!(order["status"]["id"], "draft");
    assert_eq!(order["status"]["label"], "Draft");
    assert_eq!(order["version"], 1);
    assert_eq!(
        order["parties"],
        json!({"customer": "clinic", "lab": "lab"})
    );
    assert_eq!(order["data"]["total"], "300.00");
    assert_eq!(action(&order, "publish")["available"], true);
    // The lab does not see drafts: exactly like a missing order.
    s.get(&d.lab, &format!("/api/v1/orders/{id}"))
        .await
        .problem(404, "not_found");
    s.act(&d.lab, &id, "start_production", json!({}))
        .await
        .problem(404, "not_found");

    let order = s.act(&d.clinic, &id, "publish", json!({})).await.ok();
    assert_eq!(order["status"]["id"], "published");
    assert_eq!(order["version"], 2);

    // Now the lab sees it, with its own actions and why some are blocked.
    let order = s.get(&d.lab, &format!("/api/v1/orders/{id}")).await.ok();
    let ship = action(&order, "ship");
    assert_eq!(ship["available"], false);
    assert_eq!(ship["blocked"]["code"], "not_available");
    assert_eq!(ship["blocked"]["available_in"], json!(["produced"]));
    let start = action(&order, "start_production");
    assert_eq!(start["available"], true);
    assert_eq!(start["inputs"][0]["id"], "production_date");
    // The clinic may not take the lab's actions.
    s.act(
        &d.clinic,
        &id,
        "start_production",
        json!({"production_date": "2025-03-01"}),
    )
    .await
    .problem(403, "forbidden");
    // Required inputs are named.
    let missing = s.act(&d.lab, &id, "start_production", json!({})).await;
    let p = missing.problem(422, "invalid_input");
    assert_eq!(p["fields"][0]["field"], "production_date");

    s.act(
        &d.lab,
        &id,
        "start_production",
        json!({"production_date": "2025-03-01"}),
    )
    .await
    .ok();
    let order = s.act(&d.lab, &id, "plan_work", json!({})).await.ok();
    let tasks = order["data"]["tasks"].as_array().unwrap().clone();
    assert_eq!(tasks.len(), 3, "{tasks:?}");
    // The task gate.
    let refused = s.act(&d.lab, &id, "produce", json!({})).await;
    let p = refused.problem(409, "guard_failed");
    assert_eq!(p["rule"], "tasks_done");
    assert_eq!(
        p["message"],
        "Mark every task of the work plan done before producing the order: \
         3 of 3 tasks are still open."
    );
    let ids: Vec<Value> = tasks.iter().map(|t| t["id"].clone()).collect();
    s.act(
        &d.lab,
        &id,
        "mark_task",
        json!({"tasks": ids, "done": true}),
    )
    .await
    .ok();
    s.act(&d.lab, &id, "produce", json!({})).await.ok();
    s.act(&d.lab, &id, "ship", json!({"tracking_number": "1Z999"}))
        .await
        .ok();
    let order = s.act(&d.lab, &id, "deliver", json!({})).await.ok();
    assert_eq!(order["status"]["id"], "delivered");
    assert_eq!(order["data"]["payment_instructions"], "IBAN FR76 0000");
    // Over the balance: a guard with the values it read.
    let over = s
        .act(&d.lab, &id, "record_payment", json!({"amount": "999.00"}))
        .await;
    over.problem(409, "guard_failed");
    let order = s
        .act(&d.lab, &id, "record_payment", json!({"amount": "300.00"}))
        .await
        .ok();
    assert_eq!(order["status"]["id"], "completed");
    assert_eq!(order["data"]["balance"], "0.00");

    let history = s
        .get(&d.clinic, &format!("/api/v1/orders/{id}/history"))
        .await
        .ok();
    let items = history["items"].as_array().unwrap();
    let seqs: Vec<u64> = items.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
    let last = items.last().unwrap();
    assert_eq!(last["automatic"], true);
    assert_eq!(last["status_after"], "completed");
    assert!(last.get("user").is_none());

    // Lists and counts show it to both parties, not to the stranger.
    for token in [&d.clinic, &d.lab] {
        let list = s
            .get(token, "/api/v1/orders?workflow=dental-lab&status=completed")
            .await
            .ok();
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        let counts = s.get(token, "/api/v1/orders/counts").await.ok();
        assert_eq!(counts["total"], 1);
    }
    let list = s.get(&d.stranger, "/api/v1/orders").await.ok();
    assert_eq!(list["items"], json!([]));
    let counts = s.get(&d.stranger, "/api/v1/orders/counts").await.ok();
    assert_eq!(counts["total"], 0);
}

async fn foreign_orders_are_not_found_on_every_endpoint(backend: Backend) {
    let d = dental(backend).await;
    let s = &d.s;
    let id = new_dental_order(&d).await;
    s.act(&d.clinic, &id, "publish", json!({})).await.ok();
    let png = b"\x89PNG\r\n\x1a\n0000".to_vec();
    let file = s
        .send(
            s.request(Method::POST, "/api/v1/files?name=scan.png", &d.clinic)
                .header("content-type", "image/png")
                .body(png),
        )
        .await
        .ok();
    let file_id = file["id"].as_str().unwrap();

    let endpoints: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/api/v1/orders/{id}"), None),
        (
            Method::POST,
            format!("/api/v1/orders/{id}/actions/print"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/api/v1/orders/{id}/actions/no_such_action"),
            Some(json!({})),
        ),
        (Method::GET, format!("/api/v1/orders/{id}/history"), None),
        (Method::GET, format!("/api/v1/orders/{id}/children"), None),
        (
            Method::GET,
            format!("/api/v1/orders/{id}/children?kind=job"),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/orders/{id}/children/item-1"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/orders/{id}/children/item-1/actions/cancel"),
            Some(json!({})),
        ),
        (Method::GET, format!("/api/v1/files/{file_id}"), None),
        (
            Method::GET,
            format!("/api/v1/files/{file_id}?order={id}"),
            None,
        ),
        (Method::GET, "/api/v1/organizations/clinic".to_owned(), None),
    ];
    let missing = "0190aaaa-0000-7000-8000-000000000000";
    for (method, path, body) in &endpoints {
        let mut req = s.request(method.clone(), path, &d.stranger);
        if let Some(b) = body {
            req = req.json(b);
        }
        let foreign = s.send(req).await;
        foreign.problem(404, "not_found");
        // Identical to an id that does not exist at all.
        let path_missing = path.replace(&id, missing).replace(file_id, missing);
        let mut req = s.request(method.clone(), &path_missing, &d.stranger);
        if let Some(b) = body {
            req = req.json(b);
        }
        let absent = s.send(req).await;
        assert_eq!(absent.body["code"], foreign.body["code"], "{path}");
        assert_eq!(absent.body["detail"], foreign.body["detail"], "{path}");
    }
    // Every order route the OpenAPI document lists, generated from it, so
    // a route added later is probed too: a stranger gets the same 404 for
    // the order as for an id that never existed.
    let doc = s
        .send(s.http.get(format!("{}/api/v1/openapi.json", s.base)))
        .await
        .ok();
    let mut probed = 0;
    for (template, item) in doc["paths"].as_object().unwrap() {
        if !template.starts_with("/api/v1/orders/{id}") {
            continue;
        }
        for (method, _) in item.as_object().unwrap() {
            let method = match method.as_str() {
                "get" => Method::GET,
                "post" => Method::POST,
                "put" => Method::PUT,
                "patch" => Method::PATCH,
                "delete" => Method::DELETE,
                _ => continue,
            };
            for order in [id.as_str(), missing] {
                let path = template
                    .replace("{id}", order)
                    .replace("{child_id}", "item-1")
                    .replace("{action}", "print");
                let mut req = s.request(method.clone(), &path, &d.stranger);
                if method != Method::GET {
                    req = req.json(&json!({}));
                }
                let a = s.send(req).await;
                assert_eq!(
                    (a.status, a.body["code"].as_str()),
                    (StatusCode::NOT_FOUND, Some("not_found")),
                    "{method} {template} as a stranger: {}",
                    a.body
                );
                probed += 1;
            }
        }
    }
    assert!(
        probed >= 16,
        "the document lists the order routes ({probed} probes)"
    );
    // Bulk: per order, the same 404.
    let bulk = s
        .post(
            &d.stranger,
            "/api/v1/orders/bulk/actions/print",
            json!({"orders": [id, missing], "inputs": {}}),
        )
        .await
        .ok();
    for r in bulk["results"].as_array().unwrap() {
        assert_eq!(r["status"], 404);
        assert_eq!(r["problem"]["code"], "not_found");
    }
    // Nothing changed, and the owner still reads its file.
    assert_eq!(s.version(&d.clinic, &id).await, 2);
    let own = s
        .send(s.request(Method::GET, &format!("/api/v1/files/{file_id}"), &d.clinic))
        .await;
    assert_eq!(own.status, StatusCode::OK);
    // The lab sees the order but not the clinic's file unless the order
    // refers to it.
    s.get(&d.lab, &format!("/api/v1/files/{file_id}?order={id}"))
        .await
        .problem(404, "not_found");
}

async fn authentication_is_required(backend: Backend) {
    let d = dental(backend).await;
    let s = &d.s;
    let anonymous = s
        .send(s.http.get(format!("{}/api/v1/orders", s.base)))
        .await;
    anonymous.problem(401, "unauthorized");
    s.get("of_not-a-token", "/api/v1/orders")
        .await
        .problem(401, "unauthorized");
    // Users cannot administer.
    s.post(
        &d.clinic,
        "/api/v1/organizations",
        json!({"id": "x", "name": "x"}),
    )
    .await
    .problem(403, "forbidden");
    // A user makes itself another token, which works.
    let t = s
        .post(&d.clinic, "/api/v1/tokens", json!({"name": "ci"}))
        .await
        .ok();
    let token = t["token"].as_str().unwrap();
    s.get(token, "/api/v1/orders").await.ok();
    s.get(token, "/api/v1/organizations/clinic").await.ok();
}

async fn if_match_and_idempotency_keys(backend: Backend) {
    let d = dental(backend).await;
    let s = &d.s;
    let id = new_dental_order(&d).await;
    let stale = s
        .send(
            s.request(
                Method::POST,
                &format!("/api/v1/orders/{id}/actions/publish"),
                &d.clinic,
            )
            .header("if-match", "\"7\"")
            .json(&json!({})),
        )
        .await;
    assert_eq!(
        stale.problem(412, "precondition_failed")["current_version"],
        1
    );
    assert_eq!(s.version(&d.clinic, &id).await, 1);
    s.send(
        s.request(
            Method::POST,
            &format!("/api/v1/orders/{id}/actions/publish"),
            &d.clinic,
        )
        .header("if-match", "\"1\"")
        .json(&json!({})),
    )
    .await
    .ok();

    let add = |key: &'static str, name: &'static str| {
        s.request(
            Method::POST,
            &format!("/api/v1/orders/{id}/actions/add_task"),
            &d.lab,
        )
        .header("idempotency-key", key)
        .json(&json!({"name": name}))
    };
    let first = s.send(add("key-1", "polish")).await;
    assert_eq!(first.status, StatusCode::OK);
    let len = s.history_len(&d.lab, &id).await;
    let again = s.send(add("key-1", "polish")).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body, first.body);
    assert_eq!(s.history_len(&d.lab, &id).await, len);
    s.send(add("key-1", "another task"))
        .await
        .problem(422, "idempotency_key_reused");
    assert_eq!(s.history_len(&d.lab, &id).await, len);
    let order = s.get(&d.lab, &format!("/api/v1/orders/{id}")).await.ok();
    assert_eq!(order["data"]["tasks"].as_array().unwrap().len(), 1);
}

/// Printing answers the order but changes nothing: a colleague's update
/// sent with the version seen before the print still applies, and history
/// has no print in it. Visibility and permission are still checked.
async fn printing_is_a_read(backend: Backend) {
    let d = dental(backend).await;
    let s = &d.s;
    let id = new_dental_order(&d).await;
    let print = format!("/api/v1/orders/{id}/actions/print");
    s.post(&d.lab, &print, json!({}))
        .await
        .problem(404, "not_found");
    s.act(&d.clinic, &id, "publish", json!({})).await.ok();
    let seen = s.version(&d.lab, &id).await;
    let history = s.history_len(&d.clinic, &id).await;

    let printed = s.post(&d.clinic, &print, json!({})).await.ok();
    assert_eq!(printed["id"], id.as_str());
    assert_eq!(printed["version"], seen);
    s.post(&d.lab, &print, json!({})).await.ok();
    s.post(&d.stranger, &print, json!({}))
        .await
        .problem(404, "not_found");
    assert_eq!(s.version(&d.clinic, &id).await, seen);
    assert_eq!(s.history_len(&d.clinic, &id).await, history);

    let update = s
        .send(
            s.request(
                Method::POST,
                &format!("/api/v1/orders/{id}/actions/add_task"),
                &d.lab,
            )
            .header("if-match", format!("\"{seen}\""))
            .json(&json!({"name": "scan"})),
        )
        .await
        .ok();
    assert_eq!(update["version"], seen + 1);
    let entries = s
        .get(&d.clinic, &format!("/api/v1/orders/{id}/history"))
        .await
        .ok();
    let actions: Vec<&str> = entries["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "publish", "add_task"]);
}

/// A client that retries on a timeout may send its request again while the
/// first is still running: every copy under one key is answered with the
/// first one's answer, and the change happens once.
async fn concurrent_duplicates_of_one_key_are_one_change(backend: Backend) {
    let d = dental(backend).await;
    let id = new_dental_order(&d).await;
    let s = Arc::new(d.s);
    let mut tasks = Vec::new();
    for _ in 0..48 {
        let s = Arc::clone(&s);
        let token = d.clinic.clone();
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            s.send(
                s.request(
                    Method::POST,
                    &format!("/api/v1/orders/{id}/actions/publish"),
                    &token,
                )
                .header("idempotency-key", "retry-after-timeout")
                .json(&json!({})),
            )
            .await
        }));
    }
    let mut bodies = Vec::new();
    for t in tasks {
        let a = t.await.unwrap();
        assert_eq!(
            a.status,
            StatusCode::OK,
            "every copy is answered: {}",
            a.body
        );
        bodies.push(a.body);
    }
    assert!(bodies.iter().all(|b| *b == bodies[0]), "one answer for all");
    assert_eq!(s.version(&d.clinic, &id).await, 2, "one change");
    assert_eq!(s.history_len(&d.clinic, &id).await, 2);
}

/// Bad requests get the answer the OpenAPI document promises for their
/// route: each status checked here is listed there, and nothing is
/// quietly changed (a page size clamped, a year -1 read as a date).
async fn answers_are_the_documented_ones(backend: Backend) {
    let d = dental(backend).await;
    let s = &d.s;
    let id = new_dental_order(&d).await;
    let doc = s
        .send(s.http.get(format!("{}/api/v1/openapi.json", s.base)))
        .await
        .ok();
    let documented = |method: &str, path: &str, status: u16| {
        let statuses = &doc["paths"][path][method]["responses"];
        assert!(
            statuses.get(status.to_string()).is_some(),
            "{method} {path} answers {status}, which the document does not list: {statuses}"
        );
    };
    let list = "/api/v1/orders";
    for query in [
        "limit=201",
        "limit=0",
        "created_from=",
        "created_from=-001-01-01",
        "updated_to=2026-13-01",
    ] {
        let a = s.get(&d.clinic, &format!("{list}?{query}")).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{query}: {}", a.body);
        documented("get", list, 400);
    }
    let a = s.get(&d.clinic, &format!("{list}?limit=200")).await;
    assert_eq!(a.status, StatusCode::OK);

    let a = s.send(s.http.get(format!("{}{list}", s.base))).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    documented("get", list, 401);
    let a = s
        .send(
            s.http
                .get(format!("{}/api/v1/orders/{id}/history", s.base))
                .bearer_auth("not-a-token"),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    documented("get", "/api/v1/orders/{id}/history", 401);

    let act = "/api/v1/orders/{id}/actions/{action}";
    let a = s
        .send(
            s.request(
                Method::POST,
                &format!("/api/v1/orders/{id}/actions/publish"),
                &d.clinic,
            )
            .body("{}"),
        )
        .await;
    assert_eq!(
        a.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "JSON needs its type"
    );
    documented("post", act, 415);
    let a = s
        .send(
            s.request(
                Method::POST,
                &format!("/api/v1/orders/{id}/actions/publish"),
                &d.clinic,
            )
            .header("if-match", "\"9\"")
            .json(&json!({})),
        )
        .await;
    assert_eq!(a.status, StatusCode::PRECONDITION_FAILED);
    documented("post", act, 412);
    let a = s
        .send(
            s.request(
                Method::POST,
                &format!("/api/v1/orders/{id}/actions/publish"),
                &d.clinic,
            )
            .header("if-match", "version nine"),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    documented("post", act, 400);
    let a = s.act(&d.lab, &id, "publish", json!({})).await;
    assert_eq!(
        a.status,
        StatusCode::NOT_FOUND,
        "the lab does not see drafts"
    );
    s.act(&d.clinic, &id, "publish", json!({})).await.ok();
    let a = s
        .act(&d.clinic, &id, "ship", json!({"tracking_number": "1Z"}))
        .await;
    // The clinic may never ship: permission is checked before state.
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    documented("post", act, a.status.as_u16());
    assert_eq!(
        s.version(&d.clinic, &id).await,
        2,
        "only the publish changed it"
    );
}

/// The other seat of an order is another organisation's: a clinic cannot
/// name itself as the lab and then produce, ship and be paid alone.
async fn an_organisation_cannot_fill_both_seats(backend: Backend) {
    let d = dental(backend).await;
    let s = &d.s;
    let refused = s
        .post(
            &d.clinic,
            "/api/v1/orders",
            json!({
                "workflow": "dental-lab",
                "parties": {"lab": "clinic"},
                "inputs": {
                    "lines": [{"product": "crown", "quantity": 1, "unit_price": "150.00"}],
                    "due_date": "2099-01-31"
                }
            }),
        )
        .await;
    let p = refused.problem(422, "invalid_input");
    assert_eq!(p["fields"][0]["field"], "parties.lab", "{p}");
    let listed = s.get(&d.clinic, "/api/v1/orders").await.ok();
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        0,
        "nothing created"
    );
}

/// A purchasing world: an outlet over a limit of 1,000.00, a buyer, an
/// approver and a supplier; the tokens.
async fn purchasing(backend: Backend) -> (Server, String, String, String) {
    let s = Server::start(backend).await;
    s.org(
        "outlet",
        json!({"purchasing_limit": "1000.00", "time_zone": "Europe/London"}),
    )
    .await;
    s.org("supplier", json!({})).await;
    let buyer = s.user("bob", "outlet", &["buyer"]).await;
    let approver = s.user("ann", "outlet", &["approver"]).await;
    let supplier = s.user("sam", "supplier", &[]).await;
    (s, buyer, approver, supplier)
}

/// A purchasing order of 40 × 50.00 (over the limit when `big`, else
/// 4 × 50.00) with a note; its id.
async fn purchase(s: &Server, buyer: &str, big: bool, note: &str) -> String {
    let quantity = if big { 40 } else { 4 };
    let order = s
        .post(
            buyer,
            "/api/v1/orders",
            json!({
                "workflow": "purchasing",
                "parties": {"supplier": "supplier"},
                "inputs": {"lines": [{"product": "flour", "quantity": quantity, "unit_price": "50.00"}], "note": note}
            }),
        )
        .await
        .ok();
    order["id"].as_str().unwrap().to_owned()
}

/// History entries and notes name the user and the organisation as they
/// were when written; a rename changes what comes after, not the past.
/// The system's own steps say `orderflow`.
async fn history_names_people_as_they_were(backend: Backend) {
    let (s, buyer, _, supplier) = purchasing(backend).await;
    s.send(
        s.request(Method::PATCH, "/api/v1/users/bob", ADMIN)
            .json(&json!({"name": "Bob Baker"})),
    )
    .await
    .ok();
    let id = purchase(&s, &buyer, false, "weekly").await;
    let renamed = s
        .send(
            s.request(Method::PATCH, "/api/v1/users/bob", ADMIN)
                .json(&json!({"name": "Robert Baker"})),
        )
        .await
        .ok();
    assert_eq!(renamed["name"], "Robert Baker");
    s.send(
        s.request(Method::PATCH, "/api/v1/organizations/outlet", ADMIN)
            .json(&json!({"name": "Outlet & Sons"})),
    )
    .await
    .ok();
    s.send(
        s.request(Method::PATCH, "/api/v1/users/nobody", ADMIN)
            .json(&json!({"name": "X"})),
    )
    .await
    .problem(404, "not_found");
    s.send(
        s.request(Method::PATCH, "/api/v1/users/bob", &buyer)
            .json(&json!({"name": "Me"})),
    )
    .await
    .problem(403, "forbidden");
    s.act(&buyer, &id, "add_note", json!({"note": "back door"}))
        .await
        .ok();
    s.act(&supplier, &id, "accept", json!({})).await.ok();

    let names: Vec<(Value, Value)> = s
        .history(&supplier, &id)
        .await
        .iter()
        .map(|e| (e["user_name"].clone(), e["organization_name"].clone()))
        .collect();
    assert_eq!(
        names,
        [
            (json!("Bob Baker"), json!("outlet Ltd")),
            (json!("Robert Baker"), json!("Outlet & Sons")),
            (json!("sam"), json!("supplier Ltd")),
        ]
    );
    let order = s.get(&buyer, &format!("/api/v1/orders/{id}")).await.ok();
    let authors: Vec<&str> = order["data"]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["author_name"].as_str().unwrap())
        .collect();
    assert_eq!(authors, ["Bob Baker", "Robert Baker"]);

    // An automatic step is the system's: dental-lab's paid_in_full.
    s.org("clinic", json!({})).await;
    s.org("lab", json!({})).await;
    let clinic = s.user("dr-who", "clinic", &[]).await;
    let lab = s.user("tech", "lab", &[]).await;
    let order = create_dental_order(&s, &clinic).await;
    s.act(&clinic, &order, "publish", json!({})).await.ok();
    s.act(
        &lab,
        &order,
        "start_production",
        json!({"production_date": "2026-01-05"}),
    )
    .await
    .ok();
    for (action, inputs) in [
        ("produce", json!({})),
        ("ship", json!({"tracking_number": "T1"})),
        ("deliver", json!({})),
        ("record_payment", json!({"amount": "300.00"})),
    ] {
        s.act(&lab, &order, action, inputs).await.ok();
    }
    let last = s.history(&clinic, &order).await.pop().unwrap();
    assert_eq!(last["action"], "paid_in_full");
    assert_eq!(last["user_name"], "orderflow");
    assert!(last.get("user").is_none(), "{last}");
}

/// An order abandoned while it awaited approval never reached the
/// supplier: it stays out of the supplier's reach everywhere, and nobody
/// e-mails the supplier about it. A supplier reads only what was written
/// once it could see the order.
async fn abandoned_before_approval_stays_hidden_from_the_supplier(backend: Backend) {
    let (s, buyer, approver, supplier) = purchasing(backend).await;
    let never = purchase(&s, &buyer, true, "our budget is tight").await;
    s.act(&buyer, &never, "abandon", json!({"note": "too dear"}))
        .await
        .ok();
    for path in [
        format!("/api/v1/orders/{never}"),
        format!("/api/v1/orders/{never}/history"),
        format!("/api/v1/orders/{never}/children"),
    ] {
        s.get(&supplier, &path).await.problem(404, "not_found");
    }
    s.act(&supplier, &never, "add_note", json!({"note": "hello?"}))
        .await
        .problem(404, "not_found");
    let list = s.get(&supplier, "/api/v1/orders").await.ok();
    assert_eq!(list["items"], json!([]));
    let counts = s.get(&supplier, "/api/v1/orders/counts").await.ok();
    assert_eq!(counts["total"], 0, "{counts}");
    let outlet = s.get(&buyer, &format!("/api/v1/orders/{never}")).await.ok();
    assert_eq!(outlet["status"]["id"], "abandoned");
    assert!(
        s.outbox(&never)
            .await
            .iter()
            .all(|(org, _)| org != "supplier"),
        "{:?}",
        s.outbox(&never).await
    );

    // Abandoned after the supplier had it: the supplier still sees it, and
    // is e-mailed.
    let seen = purchase(&s, &buyer, false, "weekly").await;
    s.act(&buyer, &seen, "abandon", json!({})).await.ok();
    let order = s
        .get(&supplier, &format!("/api/v1/orders/{seen}"))
        .await
        .ok();
    assert_eq!(order["status"]["id"], "abandoned");
    let list = s.get(&supplier, "/api/v1/orders").await.ok();
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [seen.as_str()]);
    assert!(
        s.outbox(&seen)
            .await
            .contains(&("supplier".to_owned(), "order_abandoned".to_owned()))
    );

    // Approved after the outlet wrote notes: the supplier reads the order
    // from the approval on.
    let approved = purchase(&s, &buyer, true, "our budget is tight").await;
    s.act(
        &buyer,
        &approved,
        "add_note",
        json!({"note": "ask for a discount"}),
    )
    .await
    .ok();
    s.act(&approver, &approved, "approve", json!({})).await.ok();
    s.act(&supplier, &approved, "add_note", json!({"note": "noted"}))
        .await
        .ok();
    let theirs: Vec<Value> = s
        .history(&supplier, &approved)
        .await
        .iter()
        .map(|e| e["action"].clone())
        .collect();
    assert_eq!(theirs, [json!("approve"), json!("add_note")]);
    assert_eq!(s.history_len(&buyer, &approved).await, 4);
    let notes = |order: &Value| -> Vec<String> {
        order["data"]["notes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["text"].as_str().unwrap().to_owned())
            .collect()
    };
    let order = s
        .get(&supplier, &format!("/api/v1/orders/{approved}"))
        .await
        .ok();
    assert_eq!(notes(&order), ["noted"]);
    let order = s
        .get(&buyer, &format!("/api/v1/orders/{approved}"))
        .await
        .ok();
    assert_eq!(
        notes(&order),
        ["our budget is tight", "ask for a discount", "noted"]
    );
}

async fn racing_clients_one_wins(backend: Backend) {
    let d = dental(backend).await;
    let id = new_dental_order(&d).await;
    let s = Arc::new(d.s);
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let s = Arc::clone(&s);
        let token = d.clinic.clone();
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            s.act(&token, &id, "publish", json!({})).await
        }));
    }
    let mut wins = 0;
    for t in tasks {
        let a = t.await.unwrap();
        if a.status.is_success() {
            wins += 1;
        } else {
            assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
            assert!(a.body["current_version"].as_u64().is_some(), "{}", a.body);
        }
    }
    assert_eq!(wins, 1);
    let history = s
        .get(&d.clinic, &format!("/api/v1/orders/{id}/history"))
        .await
        .ok();
    let seqs: Vec<u64> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, vec![1, 2]);
    assert_eq!(s.version(&d.clinic, &id).await, 2);
}

async fn hostile_requests_change_nothing(backend: Backend) {
    let d = dental(backend).await;
    let s = &d.s;
    let id = new_dental_order(&d).await;
    s.act(&d.clinic, &id, "publish", json!({})).await.ok();
    let path = format!("/api/v1/orders/{id}/actions/add_task");
    let before = s.history_len(&d.lab, &id).await;

    let malformed = s
        .send(
            s.request(Method::POST, &path, &d.lab)
                .header("content-type", "application/json")
                .body("{\"name\": "),
        )
        .await;
    malformed.problem(400, "bad_request");
    let deep = s
        .send(
            s.request(Method::POST, &path, &d.lab)
                .header("content-type", "application/json")
                .body("[".repeat(50_000)),
        )
        .await;
    deep.problem(400, "bad_request");
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let oversized = s
        .send_oversized(|| {
            s.request(Method::POST, &path, &d.lab)
                .header("content-type", "application/json")
                .body(big.clone())
        })
        .await;
    oversized.problem(413, "payload_too_large");
    let wrong_type = s
        .send(
            s.request(Method::POST, &path, &d.lab)
                .header("content-type", "text/plain")
                .body("name=x"),
        )
        .await;
    wrong_type.problem(415, "unsupported_media_type");
    s.act(&d.lab, &id, "add_task", json!({"name": 42}))
        .await
        .problem(422, "invalid_input");
    s.act(&d.lab, &id, "add_task", json!(["not", "an", "object"]))
        .await
        .problem(422, "invalid_input");
    s.act(&d.lab, &id, "no_such_action", json!({}))
        .await
        .problem(404, "unknown_action");
    s.post(
        &d.clinic,
        "/api/v1/orders",
        json!({"workflow": "dental-lab", "parties": {"lab": "lab"}, "inputs": {"lines": []}}),
    )
    .await
    .problem(422, "invalid_input");
    s.post(
        &d.clinic,
        "/api/v1/orders",
        json!({"workflow": "nope", "inputs": {}}),
    )
    .await
    .problem(422, "invalid_input");
    s.post(
        &d.clinic,
        "/api/v1/orders",
        json!({"workflow": "dental-lab", "parties": {"lab": "no-such-org"}, "inputs": {}}),
    )
    .await
    .problem(422, "invalid_input");
    s.send(
        s.request(Method::POST, &path, &d.lab)
            .header("if-match", "banana")
            .json(&json!({"name": "x"})),
    )
    .await
    .problem(400, "bad_request");
    s.get(&d.lab, "/api/v1/orders?limit=abc")
        .await
        .problem(400, "bad_request");
    s.get(&d.lab, "/api/v1/orders?created_from=yesterday")
        .await
        .problem(400, "bad_request");
    s.get(&d.lab, "/api/v1/nowhere")
        .await
        .problem(404, "not_found");
    // Files: the content must be what it claims.
    let fake = s
        .send(
            s.request(Method::POST, "/api/v1/files", &d.lab)
                .header("content-type", "image/png")
                .body("<script>alert(1)</script>"),
        )
        .await;
    fake.problem(415, "unsupported_media_type");
    let too_big = s
        .send_oversized(|| {
            s.request(Method::POST, "/api/v1/files", &d.lab)
                .header("content-type", "application/pdf")
                .body(vec![b'%'; 11 * 1024 * 1024])
        })
        .await;
    too_big.problem(413, "payload_too_large");

    assert_eq!(s.history_len(&d.lab, &id).await, before);
    assert_eq!(s.version(&d.lab, &id).await, 2);
    let list = s.get(&d.clinic, "/api/v1/orders").await.ok();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

async fn bulk_actions_dry_run_then_apply(backend: Backend) {
    let d = dental(backend).await;
    let s = &d.s;
    let a = new_dental_order(&d).await;
    let b = new_dental_order(&d).await;
    s.act(&d.clinic, &b, "publish", json!({})).await.ok();
    let dry = s
        .post(
            &d.clinic,
            "/api/v1/orders/bulk/actions/publish",
            json!({"orders": [a, b], "dry_run": true}),
        )
        .await
        .ok();
    assert_eq!(dry["results"][0]["outcome"], "would_apply");
    assert_eq!(dry["results"][0]["order_status"], "published");
    assert_eq!(dry["results"][1]["outcome"], "refused");
    assert_eq!(dry["results"][1]["problem"]["code"], "not_available");
    assert_eq!(s.version(&d.clinic, &a).await, 1);
    let done = s
        .post(
            &d.clinic,
            "/api/v1/orders/bulk/actions/publish",
            json!({"orders": [a, b]}),
        )
        .await
        .ok();
    assert_eq!(done["results"][0]["outcome"], "applied");
    assert_eq!(s.version(&d.clinic, &a).await, 2);
}

async fn operations_endpoints(backend: Backend) {
    let s = Server::start(backend).await;
    let health = s.send(s.http.get(format!("{}/healthz", s.base))).await.ok();
    assert_eq!(health["status"], "ok");
    let r = s
        .http
        .get(format!("{}/healthz", s.base))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "abc-123");
    let r = s
        .http
        .get(format!("{}/healthz", s.base))
        .send()
        .await
        .unwrap();
    assert!(r.headers().contains_key("x-request-id"));
    let metrics = s
        .http
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("orderflow_http_requests_total"),
        "{metrics}"
    );
    let doc = s
        .send(s.http.get(format!("{}/api/v1/openapi.json", s.base)))
        .await
        .ok();
    assert!(doc["paths"]["/api/v1/orders/{id}/actions/{action}"].is_object());
    let ui = s
        .http
        .get(format!("{}/api/docs/", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ui.status(), StatusCode::OK);
}

async fn upload_png(s: &Server, token: &str, name: &str) -> String {
    let file = s
        .send(
            s.request(Method::POST, &format!("/api/v1/files?name={name}"), token)
                .header("content-type", "image/png")
                .body(b"\x89PNG\r\n\x1a\n-image-".to_vec()),
        )
        .await
        .ok();
    assert_eq!(file["media_type"], "image/png");
    file["id"].as_str().unwrap().to_owned()
}

/// Uploads the first bytes of a PNG of `width` x `height` pixels: the
/// signature and the header chunk, all the server reads of it.
async fn upload_image(s: &Server, token: &str, name: &str, width: u32, height: u32) -> String {
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    png.extend(width.to_be_bytes());
    png.extend(height.to_be_bytes());
    png.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
    let file = s
        .send(
            s.request(Method::POST, &format!("/api/v1/files?name={name}"), token)
                .header("content-type", "image/png")
                .body(png),
        )
        .await
        .ok();
    file["id"].as_str().unwrap().to_owned()
}

async fn purchasing_end_to_end(backend: Backend) {
    let s = Server::start(backend).await;
    s.org(
        "outlet",
        json!({"purchasing_limit": "1000.00", "time_zone": "Europe/London"}),
    )
    .await;
    s.org("supplier", json!({})).await;
    let buyer = s.user("bob", "outlet", &["buyer"]).await;
    let approver = s.user("ann", "outlet", &["approver"]).await;
    let supplier = s.user("sam", "supplier", &[]).await;

    // Over the limit: it needs approval, and the supplier does not see it.
    let order = s
        .post(
            &buyer,
            "/api/v1/orders",
            json!({
                "workflow": "purchasing",
                "parties": {"supplier": "supplier"},
                "inputs": {"lines": [{"product": "flour", "quantity": 40, "unit_price": "50.00"}], "note": "weekly"}
            }),
        )
        .await
        .ok();
    let id = order["id"].as_str().unwrap().to_owned();
    assert_eq!(order["status"]["id"], "needs_approval");
    s.get(&supplier, &format!("/api/v1/orders/{id}"))
        .await
        .problem(404, "not_found");
    let list = s.get(&supplier, "/api/v1/orders").await.ok();
    assert_eq!(list["items"], json!([]));
    // Only approvers approve.
    let p = s.act(&buyer, &id, "approve", json!({})).await;
    assert_eq!(
        p.problem(403, "forbidden")["allowed"],
        json!(["outlet:approver"])
    );
    s.act(&approver, &id, "approve", json!({})).await.ok();

    let order = s.get(&supplier, &format!("/api/v1/orders/{id}")).await.ok();
    assert_eq!(order["status"]["id"], "pending");
    assert_eq!(action(&order, "accept")["available"], true);
    s.act(&supplier, &id, "accept", json!({"note": "ok"}))
        .await
        .ok();
    s.act(
        &supplier,
        &id,
        "schedule",
        json!({"delivery_date": "2020-01-01"}),
    )
    .await
    .problem(422, "invalid_input");
    s.act(
        &supplier,
        &id,
        "schedule",
        json!({"delivery_date": "2099-06-01"}),
    )
    .await
    .ok();

    // Completion with an image uploaded by the outlet: the supplier may
    // fetch it through the order, and a file of another organisation
    // cannot be attached.
    let image = upload_png(&s, &buyer, "delivery.png").await;
    let foreign_image = upload_png(&s, &supplier, "mine.png").await;
    s.act(&buyer, &id, "complete", json!({"images": [foreign_image]}))
        .await
        .problem(422, "invalid_input");
    let order = s
        .act(
            &approver,
            &id,
            "complete",
            json!({"images": [image], "note": "all there"}),
        )
        .await
        .ok();
    assert_eq!(order["status"]["id"], "completed");
    let notes = order["data"]["notes"].as_array().unwrap();
    let completion = notes.iter().find(|n| n["action"] == "complete").unwrap();
    assert_eq!(completion["images"][0]["media_type"], "image/png");
    assert_eq!(completion["images"][0]["name"], "delivery.png");
    let fetched = s
        .send(s.request(
            Method::GET,
            &format!("/api/v1/files/{image}?order={id}"),
            &supplier,
        ))
        .await;
    assert_eq!(fetched.status, StatusCode::OK);

    // Reorder: a new order through the creating action, checked against
    // the limit again.
    let version = order["version"].as_u64().unwrap();
    let reordered = s.act(&buyer, &id, "reorder", json!({})).await.ok();
    let created = reordered["created_orders"].as_array().unwrap();
    assert_eq!(created.len(), 1);
    let new_id = created[0].as_str().unwrap();
    assert_ne!(new_id, id);
    assert_eq!(reordered["status"]["id"], "completed");
    assert_eq!(reordered["version"].as_u64().unwrap(), version + 1);
    let new_order = s
        .get(&buyer, &format!("/api/v1/orders/{new_id}"))
        .await
        .ok();
    assert_eq!(new_order["status"]["id"], "needs_approval");
    assert_eq!(new_order["data"]["total"], "2000.00");

    // Dispute and resolution: Completed, with a red circle.
    s.act(&buyer, &id, "dispute", json!({"note": "two bags torn"}))
        .await
        .ok();
    let order = s.act(&buyer, &id, "resolve", json!({})).await.ok();
    assert_eq!(order["status"]["id"], "completed_after_dispute");
    assert!(order["status"]["marker"].is_string(), "{}", order["status"]);
}

async fn compliance_end_to_end(backend: Backend) {
    let s = Server::start(backend).await;
    s.org("brand", json!({})).await;
    let editor = s.user("ed", "brand", &["edit"]).await;
    let viewer = s.user("vi", "brand", &["view"]).await;
    let order = s
        .post(
            &editor,
            "/api/v1/orders",
            json!({
                "workflow": "compliance",
                "inputs": {
                    "product_types": [{"product_type": "cotton", "quantity": 100}],
                    "requirements": [{"name": "origin certificate"}],
                    "reference": "PO-7"
                }
            }),
        )
        .await
        .ok();
    let id = order["id"].as_str().unwrap().to_owned();
    assert_eq!(order["status"]["id"], "pending_data");
    // View-only users read everything and change nothing.
    s.get(&viewer, &format!("/api/v1/orders/{id}")).await.ok();
    s.act(&viewer, &id, "set_stage", json!({"stage": "packed"}))
        .await
        .problem(403, "forbidden");
    s.post(
        &viewer,
        "/api/v1/orders",
        json!({"workflow": "compliance", "inputs": {}}),
    )
    .await
    .problem(403, "forbidden");

    let order = s
        .act(
            &editor,
            &id,
            "allocate",
            json!({"product_type": "cotton", "quantity": 40, "batch_reference": "B1"}),
        )
        .await
        .ok();
    assert_eq!(order["status"]["id"], "in_progress");
    let order = s
        .act(
            &editor,
            &id,
            "allocate",
            json!({"product_type": "cotton", "quantity": 60, "batch_reference": "B2"}),
        )
        .await
        .ok();
    assert_eq!(order["status"]["id"], "compliance_in_progress");
    let certificate = upload_png(&s, &editor, "cert.png").await;
    s.act(
        &editor,
        &id,
        "provide_evidence",
        json!({"requirement": 1, "file": [certificate]}),
    )
    .await
    .ok();
    let order = s
        .act(&editor, &id, "complete_evidence", json!({"requirement": 1}))
        .await
        .ok();
    assert_eq!(order["status"]["id"], "complete");
    // Removing evidence drops it back.
    let order = s
        .act(&editor, &id, "remove_evidence", json!({"requirement": 1}))
        .await
        .ok();
    assert_eq!(order["status"]["id"], "compliance_in_progress");
    let counts = s
        .get(&viewer, "/api/v1/orders/counts?workflow=compliance")
        .await
        .ok();
    assert_eq!(
        counts["counts"][0]["status"]["id"],
        "compliance_in_progress"
    );
    assert_eq!(counts["counts"][0]["count"], 1);
}

async fn server_sent_events_show_visible_changes_only(backend: Backend) {
    let d = dental(backend).await;
    let s = &d.s;
    let mut lab_events = s
        .request(Method::GET, "/api/v1/events", &d.lab)
        .send()
        .await
        .unwrap();
    assert_eq!(lab_events.status(), StatusCode::OK);
    let mut stranger_events = s
        .request(Method::GET, "/api/v1/events", &d.stranger)
        .send()
        .await
        .unwrap();
    let id = new_dental_order(&d).await; // a draft: the lab does not see it
    s.act(&d.clinic, &id, "publish", json!({})).await.ok();
    let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        let mut text = String::new();
        while !text.contains("\n\n") {
            let bytes = lab_events.chunk().await.unwrap().unwrap();
            text.push_str(&String::from_utf8_lossy(&bytes));
        }
        text
    })
    .await
    .unwrap();
    assert!(chunk.contains("event: order"), "{chunk}");
    assert!(chunk.contains("\"status\":\"published\""), "{chunk}");
    assert!(chunk.contains("\"version\":2"), "{chunk}");
    let nothing = tokio::time::timeout(
        std::time::Duration::from_millis(300),
        stranger_events.chunk(),
    )
    .await;
    assert!(nothing.is_err(), "the stranger was told: {nothing:?}");
}

async fn print_production_jobs_over_http(backend: Backend) {
    let s = Server::start(backend).await;
    s.org("merch", json!({})).await;
    s.org(
        "shop-co",
        json!({
            "time_zone": "America/Chicago",
            "locations": [
                {"id": "chi", "name": "Chicago", "latitude": 41.88, "longitude": -87.63,
                 "capacity_units": 500, "uses_pretreat": true,
                 "decorations": ["dtg", "dtf", "embroidery"], "stock": {},
                 "address1": "2200 W Fulton St", "city": "Chicago", "region": "IL",
                 "postal_code": "60612", "country": "US"}
            ]
        }),
    )
    .await;
    s.org("other", json!({})).await;
    let merchant = s.user("mia", "merch", &[]).await;
    let shop = s
        .user("sid", "shop-co", &["manager", "operator", "shipper"])
        .await;
    let stranger = s
        .user("olga", "other", &["manager", "operator", "shipper"])
        .await;
    // The merchant's design is 600 x 600 px, whatever the client claims:
    // too small for DTF, so the order waits in production hold.
    let small = upload_image(&s, &merchant, "tee.png", 600, 600).await;
    let order = s
        .post(
            &merchant,
            "/api/v1/orders",
            json!({
                "workflow": "print-production",
                "parties": {"shop": "shop-co"},
                "inputs": {
                    "reference": "SO-1", "recipient": "Ada Lovelace", "address1": "1 Lake Dr",
                    "city": "Milwaukee", "region": "WI", "postal_code": "53202", "country": "US",
                    "latitude": 43.04, "longitude": -87.91,
                    "items": [{"sku": "tee", "quantity": 2, "decoration": "dtf",
                               "design": [{"id": small, "width": 9000, "height": 9000}]}]
                }
            }),
        )
        .await
        .ok();
    let id = order["id"].as_str().unwrap().to_owned();
    assert_eq!(order["status"]["id"], "production_hold");
    let design = &order["items"][0]["data"]["design"][0];
    assert_eq!(
        (&design["width"], &design["height"]),
        (&json!(600), &json!(600))
    );
    assert_eq!(
        order["data"]["artwork_problems"],
        json!([{"item": "item-1", "sku": "tee",
                "problem": "the design is 600 x 600 px; dtf needs at least 1200 px on each side"}])
    );
    // The shop's manager replaces it with a large enough file of the shop's.
    s.post(
        &shop,
        &format!("/api/v1/orders/{id}/children/item-1/actions/replace_design"),
        json!({"design": [small]}),
    )
    .await
    .problem(422, "invalid_input");
    let large = upload_image(&s, &shop, "tee-large.png", 3000, 3000).await;
    let order = s
        .post(
            &shop,
            &format!("/api/v1/orders/{id}/children/item-1/actions/replace_design"),
            json!({"design": [large]}),
        )
        .await
        .ok();
    assert_eq!(order["status"]["id"], "intake_hold");
    assert_eq!(order["data"]["artwork_problems"], json!([]));
    assert_eq!(order["items"].as_array().unwrap().len(), 1);
    let jobs = s
        .get(&shop, &format!("/api/v1/orders/{id}/children?kind=job"))
        .await
        .ok();
    let jobs: Vec<String> = jobs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(jobs.len(), 2);
    let job = s
        .get(&shop, &format!("/api/v1/orders/{id}/children/{}", jobs[0]))
        .await
        .ok();
    assert_eq!(job["status"]["id"], "intake_hold");
    assert!(
        job["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == "pass_intake")
    );
    // Foreign ids of jobs are 404 like everything else.
    for path in [
        format!("/api/v1/orders/{id}/children/{}", jobs[0]),
        format!("/api/v1/orders/{id}/children?kind=job"),
    ] {
        s.get(&stranger, &path).await.problem(404, "not_found");
    }
    s.post(
        &stranger,
        &format!(
            "/api/v1/orders/{id}/children/{}/actions/pass_intake",
            jobs[0]
        ),
        json!({"bin": "A-01"}),
    )
    .await
    .problem(404, "not_found");

    // The unit each job passes intake with comes out of a bin of its SKU.
    s.post(&shop, "/api/v1/inventory/locations", json!({"id": "chi"}))
        .await
        .ok();
    s.post(
        &shop,
        "/api/v1/inventory/locations/chi/bins",
        json!({"id": "A-01", "sku": "tee", "quantity": 2}),
    )
    .await
    .ok();
    let steps: [(&str, Value); 8] = [
        ("pass_intake", json!({"bin": "A-01"})),
        ("batch", json!({"batch": "B-12"})),
        ("label", json!({})),
        ("pick", json!({})),
        ("scan", json!({})),
        ("print", json!({})),
        ("complete", json!({})),
        (
            "ship",
            json!({"tracking_number": "1Z999", "carrier": "UPS"}),
        ),
    ];
    // No label before the job is shipped.
    let label = |job: &str| format!("/api/v1/orders/{id}/children/{job}/label.pdf");
    s.get(&shop, &label(&jobs[0]))
        .await
        .problem(404, "not_found");
    let mut last = Value::Null;
    for job in &jobs {
        for (action, inputs) in &steps {
            last = s
                .post(
                    &shop,
                    &format!("/api/v1/orders/{id}/children/{job}/actions/{action}"),
                    inputs.clone(),
                )
                .await
                .ok();
        }
    }
    assert_eq!(last["status"]["id"], "shipped");
    assert_eq!(last["items"][0]["status"]["id"], "shipped");
    let job = s
        .get(
            &merchant,
            &format!("/api/v1/orders/{id}/children/{}", jobs[1]),
        )
        .await
        .ok();
    assert_eq!(job["status"]["id"], "shipped");
    // The shipped job's label, for the shop and the merchant, never for a
    // stranger: a 4 x 6 in PDF with the tracking number and the addresses.
    let response = s
        .request(Method::GET, &label(&jobs[1]), &merchant)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let pdf = response.bytes().await.unwrap().to_vec();
    assert_eq!(file_bytes(&s, &shop, &label(&jobs[1])).await, pdf);
    assert!(pdf.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(&pdf);
    for expected in [
        "/MediaBox [0 0 288 432]",
        "(1Z999) Tj",
        "(Ada Lovelace) Tj",
        "(2200 W Fulton St) Tj",
        "(Chicago IL 60612) Tj",
    ] {
        assert!(text.contains(expected), "{expected} not in the label");
    }
    assert!(text.contains(&format!("({id}) Tj")), "the order number");
    s.get(&stranger, &label(&jobs[1]))
        .await
        .problem(404, "not_found");
    s.get(
        &shop,
        &format!("/api/v1/orders/{id}/children/item-1/label.pdf"),
    )
    .await
    .problem(404, "not_found");
    let history = s
        .get(&merchant, &format!("/api/v1/orders/{id}/history?limit=200"))
        .await
        .ok();
    let seqs: Vec<u64> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
}

/// Everything a client can read about an order, to compare across a restart.
async fn snapshot_of(s: &Server, token: &str, id: &str) -> (Value, Value) {
    let order = s.get(token, &format!("/api/v1/orders/{id}")).await.ok();
    let history = s
        .get(token, &format!("/api/v1/orders/{id}/history?limit=200"))
        .await
        .ok();
    (order, history)
}

async fn file_bytes(s: &Server, token: &str, path: &str) -> Vec<u8> {
    let r = s.request(Method::GET, path, token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.bytes().await.unwrap().to_vec()
}

/// Stop the server, close the store, start a new server on the same data:
/// orders, versions, statuses, history, tokens, files and idempotency
/// records are all still there, and the workflows carry on.
async fn restart_keeps_everything(backend: Backend) {
    let Dental {
        s,
        clinic,
        lab,
        stranger,
    } = dental(backend).await;
    // A second token made over HTTP.
    let extra = s
        .post(&clinic, "/api/v1/tokens", json!({"name": "ci"}))
        .await
        .ok()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    // dental-lab: one order shipped, one still a draft.
    let shipped = create_dental_order(&s, &clinic).await;
    let draft = create_dental_order(&s, &clinic).await;
    s.act(&clinic, &shipped, "publish", json!({})).await.ok();
    s.act(
        &lab,
        &shipped,
        "start_production",
        json!({"production_date": "2025-03-01"}),
    )
    .await
    .ok();
    let order = s.act(&lab, &shipped, "plan_work", json!({})).await.ok();
    for t in order["data"]["tasks"].as_array().unwrap() {
        s.act(
            &lab,
            &shipped,
            "mark_task",
            json!({"task": t["id"], "done": true}),
        )
        .await
        .ok();
    }
    s.act(&lab, &shipped, "produce", json!({})).await.ok();
    s.act(&lab, &shipped, "ship", json!({"tracking_number": "1Z001"}))
        .await
        .ok();
    let keyed = || {
        s.request(
            Method::POST,
            &format!("/api/v1/orders/{shipped}/actions/update_tracking"),
            &lab,
        )
        .header("idempotency-key", "track-2")
        .json(&json!({"tracking_number": "1Z002"}))
    };
    let first = s.send(keyed()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);

    // compliance: allocated, with evidence on file.
    s.org("brand", json!({})).await;
    let editor = s.user("ed", "brand", &["edit"]).await;
    let viewer = s.user("vi", "brand", &["view"]).await;
    let compliance = s
        .post(
            &editor,
            "/api/v1/orders",
            json!({
                "workflow": "compliance",
                "inputs": {
                    "product_types": [{"product_type": "cotton", "quantity": 10}],
                    "requirements": [{"name": "origin certificate"}]
                }
            }),
        )
        .await
        .ok()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.act(
        &editor,
        &compliance,
        "allocate",
        json!({"product_type": "cotton", "quantity": 10, "batch_reference": "B1"}),
    )
    .await
    .ok();
    let certificate = upload_png(&s, &editor, "cert.png").await;
    s.act(
        &editor,
        &compliance,
        "provide_evidence",
        json!({"requirement": 1, "file": [certificate]}),
    )
    .await
    .ok();
    let file_path = format!("/api/v1/files/{certificate}");
    let file_before = file_bytes(&s, &editor, &file_path).await;

    let readers = [
        (&clinic, &shipped),
        (&lab, &shipped),
        (&clinic, &draft),
        (&viewer, &compliance),
    ];
    let mut before = Vec::new();
    for (token, id) in readers {
        before.push(snapshot_of(&s, token, id).await);
    }
    let lists_before = (
        s.get(&clinic, "/api/v1/orders").await.ok(),
        s.get(&lab, "/api/v1/orders/counts").await.ok(),
        s.get(&viewer, "/api/v1/orders/counts").await.ok(),
    );

    let s = s.restart().await;

    // Every order as it was: version, status, data, history, lists.
    for ((token, id), (order, history)) in readers.into_iter().zip(&before) {
        let (order_after, history_after) = snapshot_of(&s, token, id).await;
        assert_eq!(&order_after, order, "order {id} changed over a restart");
        assert_eq!(&history_after, history, "history of {id} changed");
    }
    assert_eq!(before[0].0["version"].as_u64().unwrap(), 10);
    assert_eq!(before[0].0["status"]["id"], "shipped");
    assert_eq!(before[0].0["data"]["tracking_number"], "1Z002");
    assert_eq!(before[3].0["status"]["id"], "compliance_in_progress");
    let lists_after = (
        s.get(&clinic, "/api/v1/orders").await.ok(),
        s.get(&lab, "/api/v1/orders/counts").await.ok(),
        s.get(&viewer, "/api/v1/orders/counts").await.ok(),
    );
    assert_eq!(lists_after, lists_before);
    // Tokens: both of the clinic's work, unknown ones still do not, and
    // visibility holds.
    s.get(&extra, "/api/v1/organizations/clinic").await.ok();
    s.get("of_not-a-token", "/api/v1/orders")
        .await
        .problem(401, "unauthorized");
    s.get(&lab, &format!("/api/v1/orders/{draft}"))
        .await
        .problem(404, "not_found");
    s.get(&stranger, &format!("/api/v1/orders/{shipped}"))
        .await
        .problem(404, "not_found");
    // The file, byte for byte.
    assert_eq!(file_bytes(&s, &editor, &file_path).await, file_before);
    assert_eq!(
        file_bytes(
            &s,
            &viewer,
            &format!("/api/v1/files/{certificate}?order={compliance}")
        )
        .await,
        file_before
    );
    // The idempotency record: the retry replays the first answer.
    let keyed = || {
        s.request(
            Method::POST,
            &format!("/api/v1/orders/{shipped}/actions/update_tracking"),
            &lab,
        )
        .header("idempotency-key", "track-2")
        .json(&json!({"tracking_number": "1Z002"}))
    };
    let again = s.send(keyed()).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body, first.body);
    assert_eq!(s.version(&lab, &shipped).await, 10);

    // The workflows carry on, versions and history sequence unbroken.
    s.act(&lab, &shipped, "deliver", json!({})).await.ok();
    let order = s
        .send(
            s.request(
                Method::POST,
                &format!("/api/v1/orders/{shipped}/actions/record_payment"),
                &lab,
            )
            .header("if-match", "\"11\"")
            .json(&json!({"amount": "300.00"})),
        )
        .await
        .ok();
    assert_eq!(order["status"]["id"], "completed");
    assert_eq!(order["version"], 12);
    let history = s
        .get(
            &clinic,
            &format!("/api/v1/orders/{shipped}/history?limit=200"),
        )
        .await
        .ok();
    let seqs: Vec<u64> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
    s.act(&clinic, &draft, "publish", json!({})).await.ok();
    let order = s
        .act(
            &editor,
            &compliance,
            "complete_evidence",
            json!({"requirement": 1}),
        )
        .await
        .ok();
    assert_eq!(order["status"]["id"], "complete");

    // And once more: the new changes survive a second restart.
    let s = s.restart().await;
    let order = s
        .get(&viewer, &format!("/api/v1/orders/{compliance}"))
        .await
        .ok();
    assert_eq!(order["status"]["id"], "complete");
    let order = s.get(&lab, &format!("/api/v1/orders/{draft}")).await.ok();
    assert_eq!(order["status"]["id"], "published");
    assert_eq!(s.version(&clinic, &shipped).await, 12);
}

/// `POST /orders/{id}/traceability`: the compliance workflow's system
/// action allocates the batch; the status follows; duplicates of an event
/// change nothing.
async fn traceability_events_allocate(backend: Backend) {
    let d = dental(backend).await;
    let s = &d.s;
    s.org("brand", json!({})).await;
    let editor = s.user("ed", "brand", &["edit"]).await;
    let viewer = s.user("vi", "brand", &["view"]).await;
    let id = s
        .post(
            &editor,
            "/api/v1/orders",
            json!({
                "workflow": "compliance",
                "inputs": {"product_types": [{"product_type": "cotton", "quantity": 100}]}
            }),
        )
        .await
        .ok()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/orders/{id}/traceability");
    let event = |quantity: u64, event_id: &str| {
        json!({"product_type": "cotton", "quantity": quantity,
               "batch_reference": format!("LOT-{event_id}"), "event_id": event_id})
    };

    // A user with edit rights posts an event: allocated, status computed
    // (no requirements: the evidence is complete).
    let order = s.post(&editor, &path, event(40, "ev-1")).await.ok();
    assert_eq!(order["status"]["id"], "products_in_progress");
    assert_eq!(order["version"], 2);
    let allocation = &order["data"]["allocations"][0];
    assert_eq!(allocation["source"], "traceability");
    assert_eq!(allocation["event_id"], "ev-1");
    assert_eq!(allocation["batch_reference"], "LOT-ev-1");
    assert_eq!(allocation["quantity"], 40);
    // The same event again (feeds deliver at least once): nothing changes.
    let again = s
        .send(
            s.request(Method::POST, &path, &editor)
                .json(&event(40, "ev-1")),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["version"], 2);
    assert_eq!(
        again.body["data"]["allocations"].as_array().unwrap().len(),
        1
    );

    // Refusals: view-only users (403), strangers (404, as for any order
    // of theirs), a product type the order does not list (409), missing
    // inputs (422), a stale If-Match (412), a workflow without
    // traceability (404 unknown_action). None changes anything.
    let p = s.post(&viewer, &path, event(1, "ev-x")).await;
    assert_eq!(
        p.problem(403, "forbidden")["allowed"],
        json!(["owner:edit"])
    );
    s.post(&d.stranger, &path, event(1, "ev-x"))
        .await
        .problem(404, "not_found");
    let unlisted = s
        .post(
            &editor,
            &path,
            json!({"product_type": "wool", "quantity": 5, "batch_reference": "W1"}),
        )
        .await;
    assert_eq!(
        unlisted.problem(409, "guard_failed")["rule"],
        "product_type_listed"
    );
    let missing = s
        .post(&editor, &path, json!({"product_type": "cotton"}))
        .await;
    let fields: Vec<&str> = missing.problem(422, "invalid_input")["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"quantity"), "{fields:?}");
    assert!(fields.contains(&"batch_reference"), "{fields:?}");
    let stale = s
        .send(
            s.request(Method::POST, &path, &editor)
                .header("if-match", "\"1\"")
                .json(&event(1, "ev-x")),
        )
        .await;
    assert_eq!(
        stale.problem(412, "precondition_failed")["current_version"],
        2
    );
    let dental_order = new_dental_order(&d).await;
    s.post(
        &d.clinic,
        &format!("/api/v1/orders/{dental_order}/traceability"),
        event(1, "ev-x"),
    )
    .await
    .problem(404, "unknown_action");
    assert_eq!(s.version(&editor, &id).await, 2);

    // The administrator token posts too (an integration's feed): full.
    let order = s.post(ADMIN, &path, event(60, "ev-2")).await.ok();
    assert_eq!(order["status"]["id"], "complete");
    assert_eq!(order["version"], 3);
    assert_eq!(order["actions"], json!([]));

    // History: the user who posted, then the system for the administrator.
    let history = s
        .get(&viewer, &format!("/api/v1/orders/{id}/history"))
        .await
        .ok();
    let items = history["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[1]["action"], "record_traceability_event");
    assert_eq!(items[1]["user"], "ed");
    assert_eq!(items[1]["organization"], "brand");
    assert_eq!(items[1]["status_after"], "products_in_progress");
    assert_eq!(items[2]["action"], "record_traceability_event");
    assert!(items[2].get("user").is_none(), "{}", items[2]);
    assert_eq!(items[2]["status_after"], "complete");

    // A wrong event is undone like a manual batch, and the status drops.
    let second = order["data"]["allocations"][1]["id"].clone();
    let order = s
        .act(&editor, &id, "deallocate", json!({"allocation": second}))
        .await
        .ok();
    assert_eq!(order["status"]["id"], "products_in_progress");
}

/// The `fields` a problem names.
fn problem_fields(p: &Value) -> Vec<&str> {
    p["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect()
}

/// A setting that does not fit the workflows' declaration of it is refused
/// with 422 naming it, on create and on change, and nothing is written.
async fn settings_that_do_not_fit_are_refused(backend: Backend) {
    let s = Server::start(backend).await;
    for (setting, value) in [
        ("purchasing_limit", json!("500,00")),
        ("locations", json!("chi")),
        ("active", json!("false")),
        (
            "locations",
            json!([{"id": "chi", "latitude": 41.88, "longitude": -87.63, "capacity_units": "lots"}]),
        ),
        ("allowed_locations", json!("chi")),
        ("task_templates", json!({"crown": "mill"})),
    ] {
        let body = json!({"id": "acme", "name": "Acme", "settings": {setting: value}});
        let refused = s.post(ADMIN, "/api/v1/organizations", body).await;
        let p = refused.problem(422, "invalid_input");
        let fields = problem_fields(p);
        assert!(
            fields
                .iter()
                .all(|f| f.starts_with(&format!("settings.{setting}")))
                && !fields.is_empty(),
            "{setting} = {value}: {p}"
        );
        s.get(ADMIN, "/api/v1/organizations/acme")
            .await
            .problem(404, "not_found");
    }
    let p = s
        .post(
            ADMIN,
            "/api/v1/organizations",
            json!({"id": "acme", "name": "Acme", "settings": {"active": "false"}}),
        )
        .await;
    assert!(
        p.body["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("true or false"),
        "{}",
        p.body
    );

    // Settings that fit are kept; a change that does not fit changes nothing.
    s.org(
        "acme",
        json!({"purchasing_limit": 500, "active": false, "time_zone": "Europe/Paris"}),
    )
    .await;
    let refused = s
        .patch(
            ADMIN,
            "/api/v1/organizations/acme",
            json!({"name": "Renamed", "settings": {"purchasing_limit": "a lot", "time_zone": "UTC"}}),
        )
        .await;
    assert_eq!(
        problem_fields(refused.problem(422, "invalid_input")),
        ["settings.purchasing_limit"]
    );
    let org = s.get(ADMIN, "/api/v1/organizations/acme").await.ok();
    assert_eq!(org["name"], "acme Ltd");
    assert_eq!(
        org["settings"],
        json!({"purchasing_limit": "500.00", "active": false, "time_zone": "Europe/Paris"})
    );
    let org = s
        .patch(
            ADMIN,
            "/api/v1/organizations/acme",
            json!({"settings": {"active": true, "purchasing_limit": null}}),
        )
        .await
        .ok();
    assert_eq!(
        org["settings"],
        json!({"active": true, "time_zone": "Europe/Paris"})
    );
}

/// Settings stored before they were checked may not fit: reading the
/// organisation's orders still works, and actions are refused with 409
/// naming the setting, never a 500.
async fn stored_settings_that_do_not_fit_never_answer_500(backend: Backend) {
    let s = Server::start(backend).await;
    s.org("outlet", json!({"purchasing_limit": "1000.00"}))
        .await;
    s.org("supplier", json!({})).await;
    let buyer = s.user("bob", "outlet", &["buyer"]).await;
    let supplier = s.user("sam", "supplier", &[]).await;
    let create = json!({
        "workflow": "purchasing",
        "parties": {"supplier": "supplier"},
        "inputs": {"lines": [{"product": "crown", "quantity": 2, "unit_price": "120.00"}]}
    });
    let order = s.post(&buyer, "/api/v1/orders", create.clone()).await.ok();
    let id = order["id"].as_str().unwrap().to_owned();

    s.store_settings_unchecked("outlet", json!({"purchasing_limit": "lots"}))
        .await;
    for token in [&buyer, &supplier] {
        let order = s.get(token, &format!("/api/v1/orders/{id}")).await.ok();
        assert_eq!(order["status"]["id"], "pending");
        let list = s.get(token, "/api/v1/orders").await.ok();
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
    }
    let refused = s.act(&supplier, &id, "accept", json!({})).await;
    let p = refused.problem(409, "invalid_setting");
    assert_eq!(problem_fields(p), ["parties.outlet.purchasing_limit"]);
    let refused = s.post(&buyer, "/api/v1/orders", create.clone()).await;
    refused.problem(409, "invalid_setting");
    assert_eq!(s.version(&buyer, &id).await, 1);

    // Once corrected, the order carries on.
    s.patch(
        ADMIN,
        "/api/v1/organizations/outlet",
        json!({"settings": {"purchasing_limit": "1000.00"}}),
    )
    .await
    .ok();
    let order = s.act(&supplier, &id, "accept", json!({})).await.ok();
    assert_eq!(order["status"]["id"], "accepted");
}

/// Passwords: given at creation or set by the administrator (which ends
/// the user's web sessions), changed by the user with the current one;
/// every refusal names its field and changes nothing.
async fn passwords_set_by_the_administrator_and_changed_by_their_user(backend: Backend) {
    let s = Server::start(backend).await;
    s.org("lab", json!({})).await;
    let signs_in = |login: &'static str, password: &'static str| {
        let app = s.app.clone();
        async move { app.sign_in(login, password, "192.0.2.1").await }
    };

    // At creation: too short is refused by name, and no user is made.
    let short = s
        .post(
            ADMIN,
            "/api/v1/users",
            json!({"id": "ann", "name": "Ann", "organization": "lab", "password": "seven77"}),
        )
        .await;
    assert_eq!(
        short.problem(422, "invalid_input")["fields"][0]["field"],
        "password"
    );
    assert_eq!(s.app.store.user("ann").await.unwrap(), None);
    let created = s
        .post(
            ADMIN,
            "/api/v1/users",
            json!({"id": "ann", "name": "Ann", "organization": "lab",
                   "email": "ann@lab.example", "password": "first password"}),
        )
        .await
        .ok();
    assert!(created["user"].get("password").is_none(), "{created}");
    let ann = created["token"]["token"].as_str().unwrap().to_owned();
    let signed = signs_in("ann", "first password").await.unwrap();
    assert_eq!(signed.caller.0.id, "ann");
    assert_eq!(
        signs_in("ANN@lab.example", "first password")
            .await
            .unwrap()
            .caller
            .0
            .id,
        "ann",
        "the e-mail signs in too, in any case"
    );
    assert_eq!(
        signs_in("ann", "wrong password").await.unwrap_err().code(),
        "unauthorized"
    );

    // The administrator sets another: the old one and Ann's sessions end.
    let path = "/api/v1/users/ann/password";
    let set = |token: &str, body: Value| s.send(s.request(Method::PUT, path, token).json(&body));
    let refused = set(&ann, json!({"password": "by ann herself"})).await;
    refused.problem(403, "forbidden");
    let refused = set(ADMIN, json!({"password": "short"})).await;
    assert_eq!(
        refused.problem(422, "invalid_input")["fields"][0]["field"],
        "password"
    );
    let missing = s
        .send(
            s.request(Method::PUT, "/api/v1/users/nobody/password", ADMIN)
                .json(&json!({"password": "long enough"})),
        )
        .await;
    missing.problem(404, "not_found");
    assert_eq!(
        s.app.session(&signed.session_secret).await.unwrap().0.0.id,
        "ann"
    );
    let done = set(ADMIN, json!({"password": "second password"})).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT);
    assert!(signs_in("ann", "first password").await.is_err());
    assert!(signs_in("ann", "second password").await.is_ok());
    assert_eq!(
        s.app
            .session(&signed.session_secret)
            .await
            .unwrap_err()
            .code(),
        "unauthorized",
        "a reset ends the sessions signed in before it"
    );

    // Ann changes her own: a wrong current password changes nothing.
    let change = |body: Value| s.post(&ann, "/api/v1/me/password", body);
    let wrong =
        change(json!({"current_password": "first password", "new_password": "third password"}))
            .await;
    assert_eq!(
        wrong.problem(422, "invalid_input")["fields"][0]["field"],
        "current_password"
    );
    assert!(signs_in("ann", "second password").await.is_ok());
    assert!(signs_in("ann", "third password").await.is_err());
    let short =
        change(json!({"current_password": "second password", "new_password": "tiny"})).await;
    assert_eq!(
        short.problem(422, "invalid_input")["fields"][0]["field"],
        "new_password"
    );
    assert!(signs_in("ann", "second password").await.is_ok());
    let done =
        change(json!({"current_password": "second password", "new_password": "third password"}))
            .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT);
    assert!(signs_in("ann", "second password").await.is_err());
    let third = signs_in("ann", "third password").await.unwrap();

    // Signing out ends the session on the server.
    assert!(s.app.session(&third.session_secret).await.is_ok());
    s.app.sign_out(&third.session_secret).await.unwrap();
    assert_eq!(
        s.app
            .session(&third.session_secret)
            .await
            .unwrap_err()
            .code(),
        "unauthorized"
    );
    // The administrator has no password of their own to change.
    s.post(
        ADMIN,
        "/api/v1/me/password",
        json!({"new_password": "whatever you like"}),
    )
    .await
    .problem(403, "forbidden");
}

/// Money is written and read as decimal amounts in the order's currency:
/// inputs, order data, history and refusals.
async fn money_is_decimal_in_the_orders_currency(backend: Backend) {
    let s = Server::start(backend).await;
    s.org("clinic", json!({})).await;
    s.org("clinic-us", json!({"currency": "USD"})).await;
    s.org("lab", json!({})).await;
    let clinic = s.user("dr-who", "clinic", &[]).await;
    let clinic_us = s.user("dr-us", "clinic-us", &[]).await;
    let lab = s.user("tech", "lab", &[]).await;
    let crowns = |price: Value| {
        json!({
            "workflow": "dental-lab",
            "parties": {"lab": "lab"},
            "inputs": {"lines": [{"product": "crown", "quantity": 2, "unit_price": price}]}
        })
    };
    let order = s
        .post(&clinic, "/api/v1/orders", crowns(json!(120)))
        .await
        .ok();
    let id = order["id"].as_str().unwrap().to_owned();
    assert_eq!(order["currency"], "EUR");
    assert_eq!(order["data"]["total"], "240.00");
    assert_eq!(order["data"]["balance"], "240.00");
    assert_eq!(order["data"]["lines"][0]["unit_price"], "120.00");
    assert!(order["data"].get("currency").is_none(), "{}", order["data"]);
    let history = s
        .get(&clinic, &format!("/api/v1/orders/{id}/history"))
        .await
        .ok();
    assert_eq!(
        history["items"][0]["inputs"]["lines"][0]["unit_price"],
        "120.00"
    );

    let us = s
        .post(&clinic_us, "/api/v1/orders", crowns(json!("99.5")))
        .await
        .ok();
    assert_eq!(us["currency"], "USD");
    assert_eq!(us["data"]["total"], "199.00");

    // A refusal names the amounts as they were typed.
    s.act(&clinic, &id, "publish", json!({})).await.ok();
    let refused = s
        .act(&lab, &id, "record_payment", json!({"amount": 300}))
        .await;
    let p = refused.problem(409, "guard_failed");
    assert_eq!(p["values"]["input.amount"], "300.00", "{p}");
    assert_eq!(p["values"]["order.balance"], "240.00", "{p}");
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.contains("300.00 EUR"), "{detail}");
    assert!(detail.contains("input.amount = 300.00"), "{detail}");
    assert!(!detail.contains("30000"), "{detail}");

    let order = s
        .act(&lab, &id, "record_payment", json!({"amount": "40"}))
        .await
        .ok();
    assert_eq!(order["data"]["paid"], "40.00");
    assert_eq!(order["data"]["balance"], "200.00");
    assert_eq!(order["data"]["payments"][0]["amount"], "40.00");
    let history = s
        .get(&lab, &format!("/api/v1/orders/{id}/history"))
        .await
        .ok();
    let payment = history["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(payment["inputs"]["amount"], "40.00");
    assert_eq!(payment["events"][0]["record"]["amount"], "40.00");

    // A currency that is not an ISO 4217 code is refused.
    let refused = s
        .post(
            ADMIN,
            "/api/v1/organizations",
            json!({"id": "x", "name": "X", "settings": {"currency": "euro"}}),
        )
        .await;
    assert_eq!(
        problem_fields(refused.problem(422, "invalid_input")),
        ["settings.currency"]
    );
}

/// A purchasing limit of 500 is 500.00, like every amount.
async fn a_purchasing_limit_is_a_decimal_amount(backend: Backend) {
    let s = Server::start(backend).await;
    s.org("outlet", json!({"purchasing_limit": 500})).await;
    s.org("supplier", json!({})).await;
    let buyer = s.user("bob", "outlet", &["buyer"]).await;
    let org = s.get(ADMIN, "/api/v1/organizations/outlet").await.ok();
    assert_eq!(org["settings"]["purchasing_limit"], "500.00");
    let create = |quantity: u64| {
        json!({
            "workflow": "purchasing",
            "parties": {"supplier": "supplier"},
            "inputs": {"lines": [{"product": "flour", "quantity": quantity, "unit_price": "100.00"}]}
        })
    };
    let within = s.post(&buyer, "/api/v1/orders", create(5)).await.ok();
    assert_eq!(within["status"]["id"], "pending");
    assert_eq!(within["data"]["total"], "500.00");
    let over = s.post(&buyer, "/api/v1/orders", create(6)).await.ok();
    assert_eq!(over["status"]["id"], "needs_approval");
    assert_eq!(over["data"]["total"], "600.00");
}

/// The subjects and read flags of a user's inbox, in its order.
async fn inbox(s: &Server, token: &str) -> (Vec<(String, bool)>, u64) {
    let page = s.get(token, "/api/v1/notifications").await.ok();
    let items = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["subject"].as_str().unwrap().to_owned(),
                n.get("read_at").is_some(),
            )
        })
        .collect();
    (items, page["unread"].as_u64().unwrap())
}

/// Every notification is kept in the inbox of each user of the party told,
/// unread first then newest first, read per user; an order the supplier
/// never saw (over the limit, abandoned before approval) is never in its
/// inbox; another organisation's notification cannot be marked; e-mail
/// preferences are the caller's own and refuse unknown kinds; dead letters
/// are the administrator's.
async fn the_inbox_keeps_what_each_user_may_see(backend: Backend) {
    let (s, buyer, approver, supplier) = purchasing(backend).await;
    let other_supplier = s.user("sue", "supplier", &[]).await;
    let hidden = purchase(&s, &buyer, true, "big one").await;
    s.act(&buyer, &hidden, "abandon", json!({})).await.ok();
    let first = purchase(&s, &buyer, false, "first").await;
    let second = purchase(&s, &buyer, false, "second").await;
    s.act(&supplier, &first, "accept", json!({})).await.ok();

    // Messages name an order by its number (its id where it has none).
    let mut numbers = std::collections::BTreeMap::new();
    for id in [&hidden, &first, &second] {
        let order = s.get(&buyer, &format!("/api/v1/orders/{id}")).await.ok();
        let number = order["number"].as_str().unwrap_or(id).to_owned();
        numbers.insert(id.clone(), number);
    }
    let no = |id: &str| numbers[id].clone();
    let pending = |id: &str| (format!("New order {} from outlet Ltd", no(id)), false);
    let (items, unread) = inbox(&s, &supplier).await;
    assert_eq!(items, vec![pending(&second), pending(&first)]);
    assert_eq!(unread, 2);
    let page = s.get(&supplier, "/api/v1/notifications?limit=1").await.ok();
    assert_eq!(page["items"][0]["href"], json!(format!("/orders/{second}")));
    assert_eq!(page["items"][0]["order_id"], json!(second));
    assert_eq!(page["items"][0]["template"], json!("order_pending"));
    assert_eq!(page["items"][0]["status_label"], json!("Pending"));
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let rest = s
        .get(
            &supplier,
            &format!("/api/v1/notifications?limit=1&cursor={cursor}"),
        )
        .await
        .ok();
    assert_eq!(rest["items"][0]["order_id"], json!(first));
    assert!(rest.get("next_cursor").is_none());
    for (token, who) in [(&buyer, "buyer"), (&approver, "approver")] {
        let (items, _) = inbox(&s, token).await;
        assert_eq!(
            items,
            vec![
                (format!("Order {} is Accepted", no(&first)), false),
                (format!("Order {} needs approval", no(&hidden)), false),
            ],
            "{who}"
        );
    }

    // Read per user; the read one goes below the unread ones.
    let id = page["items"][0]["id"].as_str().unwrap().to_owned();
    let read = s
        .post(
            &supplier,
            &format!("/api/v1/notifications/{id}/read"),
            json!({}),
        )
        .await;
    assert_eq!(read.status, StatusCode::NO_CONTENT);
    let (items, unread) = inbox(&s, &supplier).await;
    assert_eq!(items, vec![pending(&first), (pending(&second).0, true)]);
    assert_eq!(unread, 1);
    assert_eq!(inbox(&s, &other_supplier).await.1, 2, "per user");
    let buyers_own = s.get(&buyer, "/api/v1/notifications").await.ok()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.post(
        &supplier,
        &format!("/api/v1/notifications/{buyers_own}/read"),
        json!({}),
    )
    .await
    .problem(404, "not_found");
    s.post(&supplier, "/api/v1/notifications/nope/read", json!({}))
        .await
        .problem(404, "not_found");
    let all = s
        .post(&supplier, "/api/v1/notifications/read", json!({}))
        .await
        .ok();
    assert_eq!(all, json!({"marked": 1}));
    assert_eq!(inbox(&s, &supplier).await.1, 0);
    assert_eq!(inbox(&s, &buyer).await.1, 2, "the outlet's are its own");
    s.get(ADMIN, "/api/v1/notifications")
        .await
        .problem(403, "forbidden");

    // E-mail preferences: the caller's own, unknown kinds refused.
    let prefs = s.get(&supplier, "/api/v1/me/email-preferences").await.ok();
    let pending_kind = prefs["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == json!("order_pending"))
        .unwrap();
    assert_eq!(pending_kind["opted_out"], json!(false));
    assert_eq!(pending_kind["workflows"], json!(["purchasing"]));
    let put = |body: Value| {
        s.send(
            s.request(Method::PUT, "/api/v1/me/email-preferences", &supplier)
                .json(&body),
        )
    };
    let set = put(json!({"opted_out": ["order_pending"]})).await.ok();
    let opted: Vec<&str> = set["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["opted_out"] == json!(true))
        .map(|k| k["id"].as_str().unwrap())
        .collect();
    assert_eq!(opted, ["order_pending"]);
    let refused = put(json!({"opted_out": ["order_pending", "spam"]})).await;
    let p = refused.problem(422, "invalid_input");
    assert_eq!(problem_fields(p), ["opted_out[1]"]);
    let still = s.get(&supplier, "/api/v1/me/email-preferences").await.ok();
    assert_eq!(still, set, "a refused change changes nothing");
    let others = s
        .get(&other_supplier, "/api/v1/me/email-preferences")
        .await
        .ok();
    assert!(
        others["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["opted_out"] == json!(false))
    );

    // Dead letters: the administrator's only.
    assert_eq!(
        s.get(ADMIN, "/api/v1/outbox/dead").await.ok(),
        json!({"items": []})
    );
    s.get(&supplier, "/api/v1/outbox/dead")
        .await
        .problem(403, "forbidden");
}

/// Print-production's inventory over the API: locations, bins and a
/// purchase by a manager; the intake check oldest first (a bin's unit,
/// then ties to the purchase); a unit never taken twice nor below zero;
/// receipts handing units to the tied jobs in order.
async fn inventory_and_the_intake_check(backend: Backend) {
    let s = Server::start(backend).await;
    s.org("merch", json!({})).await;
    s.org(
        "shop-co",
        json!({"locations": [{"id": "chi", "name": "Chicago", "latitude": 41.88,
               "longitude": -87.63, "capacity_units": 500, "decorations": ["dtf"]}]}),
    )
    .await;
    s.org("other", json!({})).await;
    let merchant = s.user("mia", "merch", &[]).await;
    let manager = s.user("meg", "shop-co", &["manager"]).await;
    let operator = s.user("otis", "shop-co", &["operator"]).await;
    let stranger = s.user("olga", "other", &["manager"]).await;

    s.post(
        &operator,
        "/api/v1/inventory/locations",
        json!({"id": "chi"}),
    )
    .await
    .problem(403, "forbidden");
    s.post(
        &manager,
        "/api/v1/inventory/locations",
        json!({"id": "chi", "name": "Chicago"}),
    )
    .await
    .ok();
    s.post(
        &manager,
        "/api/v1/inventory/locations",
        json!({"id": "chi"}),
    )
    .await
    .problem(409, "conflict");
    s.post(
        &manager,
        "/api/v1/inventory/locations/nowhere/bins",
        json!({"id": "A-01", "sku": "tee", "quantity": 1}),
    )
    .await
    .problem(404, "not_found");
    s.post(
        &manager,
        "/api/v1/inventory/locations/chi/bins",
        json!({"id": "A-01", "sku": "tee", "quantity": 1}),
    )
    .await
    .ok();
    s.post(
        &manager,
        "/api/v1/inventory/purchases",
        json!({"id": "PO-1", "location": "chi", "sku": "tee", "ordered": 2, "supplier": "Blanks Inc"}),
    )
    .await
    .ok();
    s.post(
        &manager,
        "/api/v1/inventory/purchases",
        json!({"id": "PO-2", "location": "chi", "sku": "tee", "ordered": 0}),
    )
    .await
    .problem(422, "invalid_input");

    let design = upload_image(&s, &merchant, "tee.png", 3000, 3000).await;
    let order = s
        .post(
            &merchant,
            "/api/v1/orders",
            json!({"workflow": "print-production", "parties": {"shop": "shop-co"},
                   "inputs": {"recipient": "Ada Lovelace", "address1": "1 Lake Dr",
                     "city": "Milwaukee", "country": "US", "latitude": 43.04, "longitude": -87.91,
                     "items": [{"sku": "tee", "quantity": 3, "decoration": "dtf", "design": [design]}]}}),
        )
        .await
        .ok();
    assert_eq!(order["status"]["id"], "intake_hold");
    let id = order["id"].as_str().unwrap().to_owned();
    let job = |n: u32| format!("/api/v1/orders/{id}/children/job-{n}");
    let status = |v: Value| v["status"]["id"].as_str().unwrap().to_owned();

    s.post(&operator, "/api/v1/inventory/intake", json!({}))
        .await
        .problem(403, "forbidden");
    let report = s
        .post(&manager, "/api/v1/inventory/intake", json!({}))
        .await
        .ok();
    assert_eq!(
        (
            &report["jobs"],
            &report["reserved"],
            &report["tied"],
            &report["waiting"]
        ),
        (&json!(3), &json!(1), &json!(2), &json!(0)),
        "{report}"
    );
    assert_eq!(status(s.get(&manager, &job(1)).await.ok()), "pending");
    assert_eq!(s.get(&manager, &job(1)).await.ok()["data"]["bin"], "A-01");
    for n in [2, 3] {
        let j = s.get(&manager, &job(n)).await.ok();
        assert_eq!(
            (status(j.clone()), &j["data"]["purchase"]),
            ("on_order".to_owned(), &json!("PO-1"))
        );
    }
    let bins = s
        .get(&manager, "/api/v1/inventory/locations/chi/bins")
        .await
        .ok();
    assert_eq!(bins[0]["quantity"], 0);
    let purchases = s.get(&manager, "/api/v1/inventory/purchases").await.ok();
    assert_eq!(
        (
            &purchases[0]["tied"],
            &purchases[0]["received"],
            &purchases[0]["consumed"]
        ),
        (&json!(2), &json!(0), &json!(0))
    );

    // The bin is empty: a manager's step by hand naming it is refused and
    // changes nothing, and no adjustment takes it below zero.
    let before = s.get(&manager, &format!("/api/v1/orders/{id}")).await.ok()["version"].clone();
    let refused = s
        .post(
            &manager,
            &format!("{}/actions/pass_intake", job(2)),
            json!({"bin": "A-01"}),
        )
        .await;
    let detail = refused.problem(409, "conflict")["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(detail.contains("A-01"), "{detail}");
    assert_eq!(
        s.get(&manager, &format!("/api/v1/orders/{id}")).await.ok()["version"],
        before
    );
    assert_eq!(status(s.get(&manager, &job(2)).await.ok()), "on_order");
    s.post(
        &manager,
        "/api/v1/inventory/locations/chi/bins/A-01/adjust",
        json!({"delta": -1}),
    )
    .await
    .problem(409, "conflict");

    // Deliveries go to the tied jobs, oldest first.
    s.post(
        &manager,
        "/api/v1/inventory/purchases/PO-9/receipts",
        json!({"quantity": 1}),
    )
    .await
    .problem(404, "not_found");
    s.post(
        &manager,
        "/api/v1/inventory/purchases/PO-1/receipts",
        json!({"quantity": 0}),
    )
    .await
    .problem(422, "invalid_input");
    // Numbers past what a purchase or a bin holds are refused by name,
    // never stored as something else.
    for (path, body, field) in [
        (
            "purchases/PO-1/receipts",
            json!({"quantity": 1_000_000_001_u64}),
            "quantity",
        ),
        (
            "locations/chi/bins/A-01/adjust",
            json!({"delta": i64::MAX - 1}),
            "delta",
        ),
    ] {
        let refused = s
            .post(&manager, &format!("/api/v1/inventory/{path}"), body)
            .await;
        let problem = refused.problem(422, "invalid_input");
        assert!(problem.to_string().contains(field), "{problem}");
    }
    let receipt = s
        .post(
            &manager,
            "/api/v1/inventory/purchases/PO-1/receipts",
            json!({"quantity": 1}),
        )
        .await
        .ok();
    assert_eq!(receipt["intake"]["received"], 1, "{receipt}");
    assert_eq!(
        (
            &receipt["purchase"]["received"],
            &receipt["purchase"]["consumed"],
            &receipt["purchase"]["tied"]
        ),
        (&json!(1), &json!(1), &json!(1))
    );
    assert_eq!(status(s.get(&manager, &job(2)).await.ok()), "pending");
    assert_eq!(status(s.get(&manager, &job(3)).await.ok()), "on_order");
    // A unit of the purchase is not taken twice: none is left.
    s.post(
        &manager,
        &format!("{}/actions/pass_intake", job(3)),
        json!({"purchase": "PO-1"}),
    )
    .await
    .problem(409, "conflict");
    s.post(
        &manager,
        "/api/v1/inventory/purchases/PO-1/receipts",
        json!({"quantity": 1}),
    )
    .await
    .ok();
    assert_eq!(status(s.get(&manager, &job(3)).await.ok()), "pending");
    let order = s.get(&merchant, &format!("/api/v1/orders/{id}")).await.ok();
    assert_eq!(order["status"]["id"], "open");

    // Another organisation sees none of it.
    let theirs = s.get(&stranger, "/api/v1/inventory/purchases").await.ok();
    assert_eq!(theirs, json!([]));
    let theirs = s.get(&stranger, "/api/v1/inventory/locations").await.ok();
    assert_eq!(theirs, json!([]));
}

/// An order's timers over HTTP: shown with the order and listed; the
/// parties their `by` names reschedule and cancel them while pending;
/// everyone else is refused, and a refusal changes nothing.
async fn timers_are_listed_cancelled_and_rescheduled(backend: Backend) {
    let s = Server::start(backend).await;
    s.org("outlet", json!({"abandon_pending_after_days": 3}))
        .await;
    s.org("supplier", json!({})).await;
    s.org("other", json!({})).await;
    let buyer = s.user("bob", "outlet", &["buyer"]).await;
    let supplier = s.user("sam", "supplier", &[]).await;
    let stranger = s.user("olga", "other", &["buyer"]).await;
    let id = purchase(&s, &buyer, false, "").await;
    let order = s.get(&buyer, &format!("/api/v1/orders/{id}")).await.ok();
    let timer = &order["timers"][0];
    assert_eq!(timer["timer"], "abandon_unaccepted");
    assert_eq!(timer["label"], "Abandon if not accepted");
    assert_eq!(timer["action"], "abandon");
    assert_eq!(timer["status"], "pending");
    assert_eq!(timer["can_manage"], true);
    let created: DateTime<Utc> = order["created_at"].as_str().unwrap().parse().unwrap();
    let due: DateTime<Utc> = timer["due_at"].as_str().unwrap().parse().unwrap();
    // `now` reads in whole seconds.
    let after = (due - created).num_milliseconds();
    assert!((259_199_000..=259_200_000).contains(&after), "{after}");
    let path = format!("/api/v1/orders/{id}/timers/abandon_unaccepted");
    let listed = s
        .get(&supplier, &format!("/api/v1/orders/{id}/timers"))
        .await
        .ok();
    assert_eq!(listed["items"][0]["can_manage"], false);
    s.get(&stranger, &format!("/api/v1/orders/{id}/timers"))
        .await
        .problem(404, "not_found");

    let later = "2031-01-02T03:04:05Z";
    s.patch(&supplier, &path, json!({"at": later}))
        .await
        .problem(403, "forbidden");
    s.patch(&stranger, &path, json!({"at": later}))
        .await
        .problem(404, "not_found");
    s.patch(&buyer, &path, json!({"at": "next tuesday"}))
        .await
        .problem(422, "invalid_input");
    s.patch(
        &buyer,
        &format!("/api/v1/orders/{id}/timers/nope"),
        json!({"at": later}),
    )
    .await
    .problem(404, "not_found");
    let listed = s
        .get(&buyer, &format!("/api/v1/orders/{id}/timers"))
        .await
        .ok();
    assert_eq!(
        listed["items"][0]["due_at"], timer["due_at"],
        "refusals changed nothing"
    );

    let moved = s.patch(&buyer, &path, json!({"at": later})).await.ok();
    assert_eq!(moved["status"], "pending");
    assert_eq!(moved["due_at"], later);
    let cancel = |token: &str| s.send(s.request(Method::DELETE, &path, token));
    cancel(&supplier).await.problem(403, "forbidden");
    let canceled = cancel(&buyer).await.ok();
    assert_eq!(canceled["status"], "canceled");
    assert_eq!(canceled["can_manage"], false);
    cancel(&buyer).await.problem(409, "conflict");
    s.patch(&buyer, &path, json!({"at": later}))
        .await
        .problem(409, "conflict");
    let order = s.get(&buyer, &format!("/api/v1/orders/{id}")).await.ok();
    assert_eq!(order["timers"][0]["status"], "canceled");
    assert_eq!(order["version"], 1, "a timer is not a change of the order");

    let schedules = s.get(&buyer, "/api/v1/schedules").await.ok();
    assert_eq!(schedules["items"][0]["key"], "print-production.fifo_intake");
    assert_eq!(schedules["items"][0]["every_minutes_min"], 30);
}
