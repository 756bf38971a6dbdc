//! `kill -9` under load loses no acknowledged change and duplicates none:
//! the built `orderflow serve` takes changes from several clients, each
//! sent with an idempotency key and recorded in a ledger when
//! acknowledged; the process is killed with SIGKILL mid-load, started
//! again on the same data, and every order must hold every acknowledged
//! change, in order, with no gap in its history. A request that was in
//! flight at the kill is sent again under its key and must take effect
//! exactly once. On SQLite (`synchronous = FULL`, the default) and on
//! PostgreSQL (a throw-away cluster's database).
//!
//! This is the short form that runs with every test run (3 kills on each
//! backend); set `ORDERFLOW_CRASH_ROUNDS` for a longer run. Both print
//! their figures (`--nocapture` shows them).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

const ADMIN: &str = "admin-token-for-crash-tests";

#[path = "support/ledger.rs"]
mod ledger;
#[path = "support/server.rs"]
mod support;

use ledger::{Acked, Ledger, ORDERS, STAGES, acknowledged, check, json, set_stage, setup};
use support::Server;

/// The server as shipped, on SQLite (`synchronous = FULL`) in `dir`, or
/// on the PostgreSQL `database` when given.
fn start(dir: &Path, database: Option<&str>) -> Server {
    let mut env = vec![("ORDERFLOW_LOG", "error")];
    if let Some(url) = database {
        env.push(("ORDERFLOW_DATABASE", url));
    }
    Server::start_with(dir, ADMIN, &env)
}

/// SIGKILL: no shutdown, no flush, no goodbye.
fn kill_nine(mut server: Server) {
    server.child.kill().unwrap();
    server.child.wait().unwrap();
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
        let body = serde_json::json!({"stage": stage}).to_string();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_nine_under_load_loses_and_duplicates_nothing() {
    kill_nine_under_load(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_nine_under_load_on_postgres_loses_and_duplicates_nothing() {
    let url = orderflow_postgres::testing::fresh_database_url()
        .await
        .unwrap();
    kill_nine_under_load(Some(&url)).await;
}

/// Rounds of load and SIGKILL on one backend; the figures printed.
async fn kill_nine_under_load(database: Option<&str>) {
    let rounds: usize = std::env::var("ORDERFLOW_CRASH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut server = start(dir.path(), database);
    let (token, orders) = setup(&http, &server.url, ADMIN).await;
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
        server = start(dir.path(), database);
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
    let backend = if database.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "kill -9 on {backend}: {rounds} kills, {acked} acknowledged changes, 0 lost, 0 duplicated, \
         {versions} versions in all, restart to serving at most {recovery_ms_max} ms"
    );
}
