//! Workflows as data over real HTTP on both stores: deploying (and the
//! refusals that change nothing), versions that orders keep, migration
//! with its dry run, retiring and deleting, a built-in replaced by a
//! modified copy, and two servers on one PostgreSQL database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use orderflow_postgres::PgStore;
use orderflow_server::{AppState, Limits, SystemClock, built_in_workflows, router};
use orderflow_sqlite::{SqliteConfig, SqliteStore};
use orderflow_store::Store;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::postgres::PgConnectOptions;

const ADMIN: &str = "admin-secret-for-workflow-tests";

/// The repair-shop workflow of the tutorial, shared with the binary's deploy test.
const REPAIRS: &str = include_str!("../../../docs/examples/repairs.toml");

/// Version 2: `repaired` is now `ready` (a state version 1's orders may
/// be in, so migrating them needs a mapping).
fn repairs_v2() -> String {
    REPAIRS
        .replace("\"repaired\"", "\"ready\"")
        .replace("label = \"Repaired\"", "label = \"Ready\"")
}

#[derive(Debug, Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

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
    deploy_version_migrate_retire_delete,
    refused_definitions_change_nothing,
    a_built_in_replaced_by_a_modified_copy_behaves_as_the_copy_says,
);

/// A server on `store`, started as `orderflow serve` starts one: the
/// built-ins deployed when the store has no workflow yet.
struct Server {
    base: String,
    http: reqwest::Client,
    _guard: Option<tempfile::TempDir>,
}

struct Answer {
    status: StatusCode,
    body: Value,
}

impl Answer {
    fn ok(self) -> Value {
        assert!(self.status.is_success(), "{} {}", self.status, self.body);
        self.body
    }

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
    async fn start(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let mut config = SqliteConfig::new(dir.path());
                config.synchronous_full = false;
                let store = SqliteStore::open_with(config).await.unwrap();
                let mut s = Self::on(Arc::new(store)).await;
                s._guard = Some(dir);
                s
            }
            Backend::Postgres => {
                let store = orderflow_postgres::testing::fresh_store().await.unwrap();
                Self::on(Arc::new(store)).await
            }
        }
    }

    async fn on(store: Arc<dyn Store>) -> Self {
        let state = AppState::new(
            store,
            built_in_workflows().unwrap(),
            Some(ADMIN.to_owned()),
            Arc::new(SystemClock),
            Limits::default(),
        );
        state.deploy_built_ins().await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router(state)).await;
        });
        Server {
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
            _guard: None,
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        let response = req.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Answer { status, body }
    }

    fn req(&self, method: Method, token: &str, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
    }

    async fn get(&self, token: &str, path: &str) -> Answer {
        self.send(self.req(Method::GET, token, path)).await
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> Answer {
        self.send(self.req(Method::POST, token, path).json(&body))
            .await
    }

    async fn deploy(&self, token: &str, id: &str, source: &str) -> Answer {
        let req = self
            .req(Method::PUT, token, &format!("/api/v1/workflows/{id}"))
            .header("content-type", "application/toml")
            .body(source.to_owned());
        self.send(req).await
    }

    /// An organisation and a user of it; the user's token.
    async fn user(&self, org: &str, roles: &[&str]) -> String {
        let exists = self
            .get(ADMIN, &format!("/api/v1/organizations/{org}"))
            .await;
        if exists.status == StatusCode::NOT_FOUND {
            self.post(
                ADMIN,
                "/api/v1/organizations",
                json!({"id": org, "name": org}),
            )
            .await
            .ok();
        }
        let u = self
            .post(
                ADMIN,
                "/api/v1/users",
                json!({"name": format!("{org} user"), "organization": org, "roles": roles}),
            )
            .await
            .ok();
        u["token"]["token"].as_str().unwrap().to_owned()
    }

    async fn create(&self, token: &str, body: Value) -> Value {
        self.post(token, "/api/v1/orders", body).await.ok()
    }

    async fn act(&self, token: &str, id: &str, action: &str, inputs: Value) -> Answer {
        self.post(
            token,
            &format!("/api/v1/orders/{id}/actions/{action}"),
            inputs,
        )
        .await
    }

    async fn status(&self, token: &str, id: &str) -> (String, u64) {
        let o = self.get(token, &format!("/api/v1/orders/{id}")).await.ok();
        (
            o["status"]["id"].as_str().unwrap().to_owned(),
            o["workflow_version"].as_u64().unwrap(),
        )
    }

    async fn workflows(&self) -> Value {
        self.get(ADMIN, "/api/v1/workflows").await.ok()
    }
}

fn repair_order(problem: &str) -> Value {
    json!({"workflow": "repairs", "parties": {"shop": "shop"}, "inputs": {"problem": problem}})
}

fn summary<'a>(list: &'a Value, id: &str) -> &'a Value {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["id"] == id)
        .unwrap_or_else(|| panic!("{id} is not listed: {list}"))
}

async fn deploy_version_migrate_retire_delete(backend: Backend) {
    let s = Server::start(backend).await;
    let before = s.workflows().await;
    assert_eq!(summary(&before, "dental-lab")["latest_version"], 1);

    // An ordinary user may not deploy; the administrator may.
    let customer = s.user("customer", &[]).await;
    let shop = s.user("shop", &[]).await;
    s.deploy(&customer, "repairs", REPAIRS)
        .await
        .problem(403, "forbidden");
    let d = s.deploy(ADMIN, "repairs", REPAIRS).await;
    assert_eq!(d.status, StatusCode::CREATED);
    assert_eq!(
        d.body,
        json!({"id": "repairs", "version": 1, "changed": true})
    );
    // The same text again is no new version.
    let again = s.deploy(ADMIN, "repairs", REPAIRS).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["changed"], false);

    // Orders of version 1, one of them repaired.
    let a = s.create(&customer, repair_order("screen")).await;
    let a = a["id"].as_str().unwrap().to_owned();
    let b = s.create(&customer, repair_order("battery")).await;
    let b = b["id"].as_str().unwrap().to_owned();
    s.act(&shop, &a, "repair", json!({})).await.ok();
    assert_eq!(s.status(&customer, &a).await, ("repaired".into(), 1));

    // Version 2, deployed by a user holding the workflow_admin role.
    let manager = s.user("head-office", &["workflow_admin"]).await;
    let d = s.deploy(&manager, "repairs", &repairs_v2()).await;
    assert_eq!(d.status, StatusCode::CREATED, "{}", d.body);
    assert_eq!(d.body["version"], 2);

    // Version 1's orders keep version 1's rules; new orders follow 2.
    s.act(&shop, &b, "repair", json!({})).await.ok();
    assert_eq!(s.status(&customer, &b).await, ("repaired".into(), 1));
    let c = s.create(&customer, repair_order("keys")).await;
    let c = c["id"].as_str().unwrap().to_owned();
    s.act(&shop, &c, "repair", json!({})).await.ok();
    assert_eq!(s.status(&customer, &c).await, ("ready".into(), 2));
    let d2 = s.create(&customer, repair_order("hinge")).await;
    let d2 = d2["id"].as_str().unwrap().to_owned();

    let list = s.workflows().await;
    let repairs = summary(&list, "repairs");
    assert_eq!(repairs["latest_version"], 2);
    assert_eq!(
        repairs["orders"],
        json!([{"version": 1, "orders": 2}, {"version": 2, "orders": 2}])
    );
    let detail = s.get(&customer, "/api/v1/workflows/repairs").await.ok();
    assert_eq!(detail["definition"], repairs_v2());
    assert_eq!(detail["versions"].as_array().unwrap().len(), 2);
    assert_eq!(detail["versions"][0]["deployed_by"], "administrator");
    let manager_id = detail["versions"][1]["deployed_by"].as_str().unwrap();
    assert_ne!(manager_id, "administrator");
    let v1 = s
        .get(&customer, "/api/v1/workflows/repairs/versions/1")
        .await
        .ok();
    assert_eq!(v1["definition"], REPAIRS);
    assert!(v1["diagram"].as_str().unwrap().contains("repaired"), "{v1}");
    assert_eq!(v1["orders"], 2);
    s.get(&customer, "/api/v1/workflows/repairs/versions/3")
        .await
        .problem(404, "not_found");

    // The dry run says, order by order, what a migration would do.
    let migrate = |body: Value| s.post(ADMIN, "/api/v1/workflows/repairs/migrate", body);
    let dry = migrate(json!({"from": 1})).await.ok();
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["to"], 2);
    let outcome = |report: &Value, id: &str| {
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["order"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} is not in {report}"))
    };
    assert_eq!(outcome(&dry, &a)["outcome"], "refused");
    assert!(
        outcome(&dry, &a)["reason"]
            .as_str()
            .unwrap()
            .contains("repaired"),
        "{dry}"
    );
    // Nothing moved.
    assert_eq!(s.status(&customer, &a).await, ("repaired".into(), 1));
    migrate(json!({"from": 1, "mapping": {"repaired": "nowhere"}}))
        .await
        .problem(422, "invalid_input");
    s.post(
        &shop,
        "/api/v1/workflows/repairs/migrate",
        json!({"from": 1}),
    )
    .await
    .problem(403, "forbidden");

    let mapping = json!({"from": 1, "to": 2, "mapping": {"repaired": "ready"}});
    let dry = migrate(mapping.clone()).await.ok();
    assert_eq!(outcome(&dry, &a)["outcome"], "mapped");
    assert_eq!(outcome(&dry, &a)["new_status"], "ready");
    assert_eq!(outcome(&dry, &b)["outcome"], "mapped");
    assert_eq!(dry["results"].as_array().unwrap().len(), 2);

    let mut real = mapping;
    real["dry_run"] = json!(false);
    let done = migrate(real).await.ok();
    assert_eq!(done["dry_run"], false);
    assert_eq!(
        done["results"], dry["results"],
        "the migration did what its dry run said"
    );
    assert_eq!(s.status(&customer, &a).await, ("ready".into(), 2));
    assert_eq!(s.status(&customer, &b).await, ("ready".into(), 2));
    let history = s
        .get(&customer, &format!("/api/v1/orders/{a}/history"))
        .await
        .ok();
    let last = history["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "migrate", "{last}");
    // Under version 2 now: its rules apply.
    s.act(&shop, &a, "collect", json!({})).await.ok();
    assert_eq!(s.status(&customer, &a).await, ("collected".into(), 2));
    let list = s.workflows().await;
    assert_eq!(
        summary(&list, "repairs")["orders"],
        json!([{"version": 2, "orders": 4}])
    );

    // Deleting a workflow with orders is refused; retiring stops new ones
    // while its orders run on.
    let delete =
        |id: &'static str| s.send(s.req(Method::DELETE, ADMIN, &format!("/api/v1/workflows/{id}")));
    delete("repairs").await.problem(409, "conflict");
    let retire = s
        .send(s.req(Method::POST, ADMIN, "/api/v1/workflows/repairs/retire"))
        .await;
    assert_eq!(retire.status, StatusCode::NO_CONTENT);
    let refused = s
        .post(&customer, "/api/v1/orders", repair_order("late"))
        .await;
    let p = refused.problem(422, "invalid_input");
    assert!(p["detail"].as_str().unwrap().contains("retired"), "{p}");
    s.act(&shop, &d2, "repair", json!({})).await.ok();
    assert_eq!(summary(&s.workflows().await, "repairs")["retired"], true);
    let back = s
        .send(s.req(Method::DELETE, ADMIN, "/api/v1/workflows/repairs/retire"))
        .await;
    assert_eq!(back.status, StatusCode::NO_CONTENT);
    s.create(&customer, repair_order("again")).await;

    // A workflow without orders can be deleted.
    let unused = REPAIRS.replace("id = \"repairs\"", "id = \"unused\"");
    s.deploy(ADMIN, "unused", &unused).await.ok();
    let gone = delete("unused").await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.body);
    s.get(ADMIN, "/api/v1/workflows/unused")
        .await
        .problem(404, "not_found");
    let orders = s
        .post(
            &customer,
            "/api/v1/orders",
            json!({"workflow": "unused", "inputs": {"problem": "x"}}),
        )
        .await;
    orders.problem(422, "invalid_input");
}

async fn refused_definitions_change_nothing(backend: Backend) {
    let s = Server::start(backend).await;
    s.deploy(ADMIN, "repairs", REPAIRS).await.ok();
    let before = s.workflows().await;

    // Every problem, each with its line and column, as `workflow check`.
    let broken = REPAIRS
        .replace("to = \"collected\"", "to = \"nowhere\"")
        .replace("label = \"Repairs\"", "label = 3");
    let refused = s.deploy(ADMIN, "repairs", &broken).await;
    let p = refused.problem(422, "invalid_definition");
    let problems = p["problems"].as_array().unwrap();
    assert!(!problems.is_empty());
    let expected = orderflow_core::check::check_source("repairs", &broken).unwrap_err();
    assert_eq!(problems.len(), expected.len(), "{p}");
    for (got, want) in problems.iter().zip(&expected) {
        assert_eq!(got["line"], want.line);
        assert_eq!(got["column"], want.column);
        assert_eq!(got["message"], want.message);
    }
    let unknown_state = REPAIRS.replace("to = \"collected\"", "to = \"nowhere\"");
    let p = s.deploy(ADMIN, "repairs", &unknown_state).await;
    let line = REPAIRS
        .lines()
        .position(|l| l == "to = \"collected\"")
        .unwrap()
        + 1;
    let problems = p.problem(422, "invalid_definition")["problems"].clone();
    assert!(
        problems
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["line"] == line && d["message"].as_str().unwrap().contains("nowhere")),
        "{problems}"
    );

    // An id other than the address's, another media type, not UTF-8.
    s.deploy(ADMIN, "other", REPAIRS)
        .await
        .problem(422, "invalid_definition");
    let json_body = s
        .send(
            s.req(Method::PUT, ADMIN, "/api/v1/workflows/repairs")
                .json(&json!({"id": "repairs"})),
        )
        .await;
    json_body.problem(415, "unsupported_media_type");
    let latin1 = s
        .send(
            s.req(Method::PUT, ADMIN, "/api/v1/workflows/repairs")
                .header("content-type", "application/toml")
                .body(vec![b'i', b'd', 0xe9]),
        )
        .await;
    latin1.problem(400, "bad_request");

    assert_eq!(
        s.workflows().await,
        before,
        "a refused definition changes nothing"
    );
    let detail = s.get(ADMIN, "/api/v1/workflows/repairs").await.ok();
    assert_eq!(detail["definition"], REPAIRS);
}

async fn a_built_in_replaced_by_a_modified_copy_behaves_as_the_copy_says(backend: Backend) {
    let s = Server::start(backend).await;
    let clinic = s.user("clinic", &[]).await;
    s.user("lab", &[]).await;
    let old = dental_order(&s, &clinic).await;

    // The lab's copy: publishing needs a purchase order number.
    let original = include_str!("../../../workflows/dental-lab.toml");
    let anchor = "to = \"published\"\nby = [\"customer\"]\n";
    assert!(original.contains(anchor));
    let copy = original.replace(
        anchor,
        &format!("{anchor}inputs = [{{ id = \"po_number\", label = \"PO number\", type = \"text\", required = true }}]\n"),
    );
    let d = s.deploy(ADMIN, "dental-lab", &copy).await.ok();
    assert_eq!(d["version"], 2);

    let new = dental_order(&s, &clinic).await;
    let p = s.act(&clinic, &new, "publish", json!({})).await;
    assert_eq!(
        p.problem(422, "invalid_input")["fields"][0]["field"],
        "po_number"
    );
    s.act(&clinic, &new, "publish", json!({"po_number": "PO-7"}))
        .await
        .ok();
    assert_eq!(s.status(&clinic, &new).await, ("published".into(), 2));
    // The order created under the built-in publishes as the built-in says.
    s.act(&clinic, &old, "publish", json!({})).await.ok();
    assert_eq!(s.status(&clinic, &old).await, ("published".into(), 1));
}

async fn dental_order(s: &Server, clinic: &str) -> String {
    let body = json!({"workflow": "dental-lab", "parties": {"lab": "lab"}, "inputs": {
        "lines": [{"product": "crown", "quantity": 1, "unit_price": "150.00"}],
        "due_date": "2099-03-20",
    }});
    s.create(clinic, body).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Two servers on one PostgreSQL database: what one deploys, the other
/// runs, and orders created on either keep their versions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgres_see_each_others_deployments() {
    let store = orderflow_postgres::testing::fresh_store().await.unwrap();
    let options = store.pool().connect_options();
    let second = PgStore::connect_with(PgConnectOptions::clone(&options), 4)
        .await
        .unwrap();
    let one = Server::on(Arc::new(store)).await;
    let two = Server::on(Arc::new(second)).await;
    let customer = one.user("customer", &[]).await;
    let shop = one.user("shop", &[]).await;

    one.deploy(ADMIN, "repairs", REPAIRS).await.ok();
    assert_eq!(
        summary(&two.workflows().await, "repairs")["latest_version"],
        1
    );
    let a = two.create(&customer, repair_order("screen")).await;
    let a = a["id"].as_str().unwrap().to_owned();

    two.deploy(ADMIN, "repairs", &repairs_v2()).await.ok();
    // The first server creates under version 2 and runs `a` under 1.
    let b = one.create(&customer, repair_order("battery")).await;
    assert_eq!(b["workflow_version"], 2);
    let b = b["id"].as_str().unwrap().to_owned();
    one.act(&shop, &a, "repair", json!({})).await.ok();
    one.act(&shop, &b, "repair", json!({})).await.ok();
    assert_eq!(one.status(&customer, &a).await, ("repaired".into(), 1));
    assert_eq!(two.status(&customer, &b).await, ("ready".into(), 2));
    // Nobody deployed the same version twice.
    let detail = one.get(ADMIN, "/api/v1/workflows/repairs").await.ok();
    assert_eq!(detail["versions"].as_array().unwrap().len(), 2);

    // A workflow deleted through one server and deployed again with other
    // text (its versions start from 1 again) runs as the new text on the
    // other, which had the old one in memory.
    let scratch = REPAIRS.replace("id = \"repairs\"", "id = \"scratch\"");
    one.deploy(ADMIN, "scratch", &scratch).await.ok();
    let order =
        json!({"workflow": "scratch", "parties": {"shop": "shop"}, "inputs": {"problem": "x"}});
    let first = two.create(&customer, order.clone()).await;
    assert_eq!(first["status"]["label"], "Booked");
    one.post(
        ADMIN,
        "/api/v1/workflows/scratch/migrate",
        json!({"from": 1}),
    )
    .await
    .problem(422, "invalid_input");
    let gone = one
        .send(one.req(Method::DELETE, ADMIN, "/api/v1/workflows/scratch"))
        .await;
    gone.problem(409, "conflict");
    let renamed = scratch.replace("id = \"scratch\"", "id = \"scratch-2\"");
    one.deploy(ADMIN, "scratch-2", &renamed).await.ok();
    two.workflows().await;
    let gone = one
        .send(one.req(Method::DELETE, ADMIN, "/api/v1/workflows/scratch-2"))
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let again = renamed.replace("label = \"Booked\"", "label = \"Booked again\"");
    let d = one.deploy(ADMIN, "scratch-2", &again).await.ok();
    assert_eq!(d["version"], 1);
    let mut order = order;
    order["workflow"] = json!("scratch-2");
    let second = two.create(&customer, order).await;
    assert_eq!(second["status"]["label"], "Booked again");
}
