//! PostgreSQL stopped and started under load: the built `orderflow serve`
//! on a PostgreSQL cluster of this test's own takes changes from several
//! clients, each under an idempotency key; the cluster is stopped (a clean
//! shutdown, then a crash: `immediate`) and started again while they keep
//! sending. While it is down every answer is a fast 503 `unavailable` and
//! `/healthz` says 503; a client sends the same request again under the
//! same key until it is acknowledged. Once PostgreSQL is back the same
//! server (never restarted) serves again, and every acknowledged change
//! is in its order's history exactly once (docs/reliability.md).
//!
//! The short form (2 outages) runs with every test run; set
//! `ORDERFLOW_PG_OUTAGE_ROUNDS` for more. The figures are printed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use orderflow_postgres::testing::Cluster;
use serde_json::{Value, json};

const ADMIN: &str = "admin-token-for-outage-tests";
/// The longest a request may wait while PostgreSQL is down: the pool's
/// 3 s to get a connection, and a little for a loaded machine.
const FAIL_FAST: Duration = Duration::from_millis(4500);
/// How long each outage lasts.
const DOWN: Duration = Duration::from_secs(5);

#[path = "support/ledger.rs"]
mod ledger;
#[path = "support/server.rs"]
mod support;

use ledger::{Acked, Ledger, ORDERS, STAGES, acknowledged, check, set_stage, setup};
use support::Server;

/// What the clients saw besides acknowledgements.
#[derive(Default)]
struct Seen {
    unavailable: usize,
    slowest_refusal: Duration,
    wrong: Vec<String>,
}

/// One client: sets the stage of its order again and again, each change
/// under a fresh key that it sends again until it is acknowledged, until
/// told to stop.
async fn client(
    http: reqwest::Client,
    url: String,
    token: String,
    order: String,
    ledger: Arc<Mutex<Ledger>>,
    seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicBool>,
) {
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let stage = STAGES[n % STAGES.len()];
        let key = format!("{order}-{n}");
        let body = json!({"stage": stage}).to_string();
        loop {
            let sent = Instant::now();
            let answer = set_stage(&http, &url, &token, &order, &key, &body)
                .send()
                .await;
            let took = sent.elapsed();
            let (status, problem) = match answer {
                Ok(r) => (r.status(), r.json::<Value>().await.unwrap_or(Value::Null)),
                Err(e) => {
                    seen.lock().unwrap().wrong.push(format!("{key}: {e}"));
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            };
            if status.is_success() {
                ledger
                    .lock()
                    .unwrap()
                    .acked
                    .entry(order.clone())
                    .or_default()
                    .push(Acked {
                        version: problem["version"].as_u64().unwrap(),
                        stage: stage.to_owned(),
                    });
                break;
            }
            {
                let mut s = seen.lock().unwrap();
                if status == 503 && problem["code"] == "unavailable" {
                    s.unavailable += 1;
                    s.slowest_refusal = s.slowest_refusal.max(took);
                } else {
                    s.wrong.push(format!("{key}: {status} {problem}"));
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        n += 1;
    }
}

/// `/healthz`'s status and how long it took to say it.
async fn health(http: &reqwest::Client, url: &str) -> (u16, Duration) {
    let asked = Instant::now();
    let status = http
        .get(format!("{url}/healthz"))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0);
    (status, asked.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_and_started_under_load_loses_and_duplicates_nothing() {
    let rounds: usize = std::env::var("ORDERFLOW_PG_OUTAGE_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(2);
    let cluster = Cluster::start().unwrap();
    let database = cluster.database("orderflow").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        dir.path(),
        ADMIN,
        &[
            ("ORDERFLOW_LOG", "error"),
            ("ORDERFLOW_DATABASE", &database),
        ],
    );
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();
    let (token, orders) = setup(&http, &server.url, ADMIN).await;
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = orders
        .iter()
        .map(|o| {
            tokio::spawn(client(
                http.clone(),
                server.url.clone(),
                token.clone(),
                o.clone(),
                Arc::clone(&ledger),
                Arc::clone(&seen),
                Arc::clone(&stop),
            ))
        })
        .collect();

    let mut recovery_max = Duration::ZERO;
    let mut health_down_max = Duration::ZERO;
    for round in 0..rounds {
        tokio::time::sleep(Duration::from_millis(800)).await;
        let crash = round % 2 == 1;
        cluster.stop(crash).unwrap();
        let down = Instant::now();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (status, took) = health(&http, &server.url).await;
        assert_eq!(status, 503, "/healthz while PostgreSQL is down");
        assert!(took < FAIL_FAST, "/healthz took {took:?} while down");
        health_down_max = health_down_max.max(took);
        tokio::time::sleep(DOWN.saturating_sub(down.elapsed())).await;
        cluster.resume().unwrap();
        let back = Instant::now();
        loop {
            if health(&http, &server.url).await.0 == 200 {
                break;
            }
            assert!(
                back.elapsed() < Duration::from_secs(30),
                "the server never served again after PostgreSQL came back"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        recovery_max = recovery_max.max(back.elapsed());
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        tokio::time::timeout(Duration::from_secs(60), t)
            .await
            .expect("a client never got its last change acknowledged")
            .unwrap();
    }

    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert!(
        seen.wrong.is_empty(),
        "answers other than success or 503 unavailable:\n{}",
        seen.wrong.join("\n")
    );
    assert!(seen.unavailable > 0, "the clients saw the outages");
    assert!(
        seen.slowest_refusal < FAIL_FAST,
        "a request waited {:?} while PostgreSQL was down",
        seen.slowest_refusal
    );
    let (acked, versions) = check(&http, &server.url, &token, &acknowledged(&ledger)).await;
    assert!(acked > rounds, "the load made changes: {acked}");
    assert_eq!(
        versions,
        (acked + ORDERS) as u64,
        "duplicated or unacknowledged changes"
    );
    println!(
        "PostgreSQL outages: {rounds} stops of {} s under load, {acked} acknowledged changes, \
         0 lost, 0 duplicated; {} answers 503 unavailable, the slowest in {} ms; /healthz 503 \
         in at most {} ms; serving again at most {} ms after PostgreSQL started",
        DOWN.as_secs(),
        seen.unavailable,
        seen.slowest_refusal.as_millis(),
        health_down_max.as_millis(),
        recovery_max.as_millis()
    );
}
