//! `kill -9` under load loses no acknowledged change and duplicates none:
//! the built `orderflow serve` (SQLite, `synchronous = FULL`, the default)
//! takes changes from several clients, each sent with an idempotency key
//! and recorded in a ledger when acknowledged; the process is killed with
//! SIGKILL mid-load, started again on the same directory, and every order
//! must hold every acknowledged change, in order, with no gap in its
//! history. A request that was in flight at the kill is sent again under
//! its key and must take effect exactly once.
//!
//! This is the short form that runs with every test run (3 kills); set
//! `ORDERFLOW_CRASH_ROUNDS` for a longer run, which prints its figures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const ADMIN: &str = "admin-token-for-crash-tests";
const ORDERS: usize = 6;
const STAGES: [&str; 4] = ["created", "packed", "dispatched", "received"];

#[path = "support/server.rs"]
mod support;

use support::Server;

/// The server as shipped: SQLite with `synchronous = FULL`.
fn start(dir: &Path) -> Server {
    Server::start_with(dir, ADMIN, &[("ORDERFLOW_LOG", "error")])
}

/// SIGKILL: no shutdown, no flush, no goodbye.
fn kill_nine(mut server: Server) {
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}

/// One change the server acknowledged: the order reached `version` with
/// `stage`.
#[derive(Debug, Clone)]
struct Acked {
    version: u64,
    stage: String,
}

/// What the clients saw: acknowledged changes per order, and the request
/// per order that was in flight when the server died (its key and body).
#[derive(Default)]
struct Ledger {
    acked: BTreeMap<String, Vec<Acked>>,
    in_flight: BTreeMap<String, (String, String)>,
}

async fn json(r: reqwest::Response) -> Value {
    let status = r.status();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{status}: {body}");
    body
}

async fn setup(http: &reqwest::Client, url: &str) -> (String, Vec<String>) {
    json(
        http.post(format!("{url}/api/v1/organizations"))
            .bearer_auth(ADMIN)
            .json(&json!({"id": "acme", "name": "Acme"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let user = json(
        http.post(format!("{url}/api/v1/users"))
            .bearer_auth(ADMIN)
            .json(&json!({"id": "ed", "name": "Ed", "organization": "acme", "roles": ["edit"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let token = user["token"]["token"].as_str().unwrap().to_owned();
    let mut orders = Vec::new();
    for i in 0..ORDERS {
        let o = json(
            http.post(format!("{url}/api/v1/orders"))
                .bearer_auth(&token)
                .json(
                    &json!({"workflow": "compliance", "inputs": {"reference": format!("PO-{i}")}}),
                )
                .send()
                .await
                .unwrap(),
        )
        .await;
        orders.push(o["id"].as_str().unwrap().to_owned());
    }
    (token, orders)
}

/// `set_stage` on `order` under the idempotency key `key`.
fn set_stage(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    order: &str,
    key: &str,
    body: &str,
) -> reqwest::RequestBuilder {
    http.post(format!("{url}/api/v1/orders/{order}/actions/set_stage"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .header("content-type", "application/json")
        .body(body.to_owned())
}

/// One client: sets the stage of its order again and again, each request
/// under a fresh key, until the server stops answering.
async fn client(
    http: reqwest::Client,
    url: String,
    token: String,
    order: String,
    ledger: Arc<Mutex<Ledger>>,
    round: usize,
) {
    for n in 0.. {
        let stage = STAGES[(n + round) % STAGES.len()];
        let key = format!("{order}-{round}-{n}");
        let body = json!({"stage": stage}).to_string();
        ledger
            .lock()
            .unwrap()
            .in_flight
            .insert(order.clone(), (key.clone(), body.clone()));
        let sent = set_stage(&http, &url, &token, &order, &key, &body)
            .send()
            .await;
        let Ok(response) = sent else { return };
        let status = response.status();
        let Ok(answer) = response.json::<Value>().await else {
            return;
        };
        assert!(status.is_success(), "{status}: {answer}");
        let mut l = ledger.lock().unwrap();
        l.in_flight.remove(&order);
        l.acked.entry(order.clone()).or_default().push(Acked {
            version: answer["version"].as_u64().unwrap(),
            stage: stage.to_owned(),
        });
    }
}

/// A copy of what was acknowledged, so no lock is held while it is checked.
fn acknowledged(ledger: &Mutex<Ledger>) -> Ledger {
    Ledger {
        acked: ledger.lock().unwrap().acked.clone(),
        in_flight: BTreeMap::new(),
    }
}

/// Every acknowledged change is in the order's history at its version,
/// with its stage, and the history runs 1..=version without a gap.
async fn check(http: &reqwest::Client, url: &str, token: &str, ledger: &Ledger) -> (usize, u64) {
    let mut acked = 0;
    let mut versions = 0;
    for (order, changes) in &ledger.acked {
        let o = json(
            http.get(format!("{url}/api/v1/orders/{order}"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        let version = o["version"].as_u64().unwrap();
        let mut entries: Vec<Value> = Vec::new();
        let mut after = 0;
        loop {
            let page = json(
                http.get(format!(
                    "{url}/api/v1/orders/{order}/history?after={after}&limit=200"
                ))
                .bearer_auth(token)
                .send()
                .await
                .unwrap(),
            )
            .await;
            let items = page["items"].as_array().unwrap().clone();
            let Some(last) = items.last() else { break };
            after = last["seq"].as_u64().unwrap();
            entries.extend(items);
            if page["next_after"].is_null() {
                break;
            }
        }
        let seqs: Vec<u64> = entries.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
        assert_eq!(seqs, (1..=version).collect::<Vec<_>>(), "{order}: a gap");
        for a in changes {
            assert!(
                a.version <= version,
                "{order}: acknowledged v{} lost",
                a.version
            );
            let entry = &entries[usize::try_from(a.version).unwrap() - 1];
            assert_eq!(entry["version"].as_u64(), Some(a.version));
            assert_eq!(entry["inputs"]["stage"], a.stage, "{order} v{}", a.version);
            acked += 1;
        }
        versions += version;
    }
    (acked, versions)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_nine_under_load_loses_and_duplicates_nothing() {
    let rounds: usize = std::env::var("ORDERFLOW_CRASH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut server = start(dir.path());
    let (token, orders) = setup(&http, &server.url).await;
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut recovery_ms_max = 0u128;
    for round in 0..rounds {
        let tasks: Vec<_> = orders
            .iter()
            .map(|o| {
                tokio::spawn(client(
                    http.clone(),
                    server.url.clone(),
                    token.clone(),
                    o.clone(),
                    Arc::clone(&ledger),
                    round,
                ))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(700 + 150 * (round as u64 % 4))).await;
        kill_nine(server);
        for t in tasks {
            t.await.unwrap();
        }
        let restarted = Instant::now();
        server = start(dir.path());
        recovery_ms_max = recovery_ms_max.max(restarted.elapsed().as_millis());

        // What was in flight is sent again under its key: applied once,
        // whether or not it had landed before the kill.
        let in_flight = std::mem::take(&mut ledger.lock().unwrap().in_flight);
        for (order, (key, body)) in in_flight {
            let send = || async {
                json(
                    set_stage(&http, &server.url, &token, &order, &key, &body)
                        .send()
                        .await
                        .unwrap(),
                )
                .await
            };
            let answer = send().await;
            let again = send().await;
            assert_eq!(
                answer["version"], again["version"],
                "{order}: {key} applied twice"
            );
            let stage: Value = serde_json::from_str(&body).unwrap();
            let mut l = ledger.lock().unwrap();
            l.acked.entry(order.clone()).or_default().push(Acked {
                version: answer["version"].as_u64().unwrap(),
                stage: stage["stage"].as_str().unwrap().to_owned(),
            });
        }
        check(&http, &server.url, &token, &acknowledged(&ledger)).await;
    }
    let (acked, versions) = check(&http, &server.url, &token, &acknowledged(&ledger)).await;
    assert!(acked > rounds, "the load made changes: {acked}");
    // Every version is a creation or a change some client was told about:
    // nothing landed twice or behind anyone's back.
    assert_eq!(
        versions,
        (acked + ORDERS) as u64,
        "duplicated or unacknowledged changes"
    );
    println!(
        "kill -9: {rounds} kills, {acked} acknowledged changes, 0 lost, 0 duplicated, \
         {versions} versions in all, restart to serving at most {recovery_ms_max} ms"
    );
}
