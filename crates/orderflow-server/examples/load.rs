//! Transitions per second over HTTP, loopback only, bounded in time.
//!
//! ```text
//! cargo run --release -p orderflow-server --example load -- \
//!     --backend sqlite|postgres --clients 1|32 --seconds 10 [--action set_stage|update_tracking]
//! ```
//!
//! Starts the server in-process on 127.0.0.1:0 — SQLite in a temporary
//! directory with `synchronous = FULL` (the `orderflow serve` default), or
//! PostgreSQL from `ORDERFLOW_TEST_POSTGRES_URL`, else a throw-away cluster
//! (`orderflow-postgres`'s `testing` feature; that cluster runs with
//! `fsync=off`, so its figures are not durable ones) — creates an
//! organisation, a user and one order per client, then N clients (one
//! keep-alive connection each, reqwest) take one action after another on
//! their own order until the time is up:
//!
//! - `set_stage` (default): compliance, cycling `created → packed →
//!   dispatched → received`; always available.
//! - `update_tracking`: dental-lab, a shipped order, a new tracking number
//!   each time.
//!
//! Prints transitions per second, latency p50/p90/p99/max and the errors.
//! Server and clients share one process and its cores.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use orderflow_postgres::PgStore;
use orderflow_server::{AppState, Limits, SystemClock, built_in_workflows, router};
use orderflow_sqlite::{SqliteConfig, SqliteStore};
use orderflow_store::Store;
use serde_json::{Value, json};

const ADMIN: &str = "load-admin-token";

struct Args {
    backend: String,
    clients: usize,
    seconds: u64,
    action: String,
}

fn args() -> Args {
    let mut a = Args {
        backend: "sqlite".into(),
        clients: 1,
        seconds: 10,
        action: "set_stage".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .unwrap_or_else(|| usage(&format!("{flag} needs a value")))
        };
        match flag.as_str() {
            "--backend" => a.backend = value(),
            "--clients" => a.clients = value().parse().unwrap_or_else(|_| usage("--clients")),
            "--seconds" => a.seconds = value().parse().unwrap_or_else(|_| usage("--seconds")),
            "--action" => a.action = value(),
            "-h" | "--help" => usage(""),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    if !matches!(a.backend.as_str(), "sqlite" | "postgres") {
        usage("--backend is sqlite or postgres");
    }
    if !matches!(a.action.as_str(), "set_stage" | "update_tracking") {
        usage("--action is set_stage or update_tracking");
    }
    if a.clients == 0 || a.seconds == 0 {
        usage("--clients and --seconds must be at least 1");
    }
    a
}

fn usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("error: {problem}");
    }
    eprintln!(
        "usage: load [--backend sqlite|postgres] [--clients N] [--seconds S] \
         [--action set_stage|update_tracking]"
    );
    std::process::exit(2)
}

/// The store, and what to report about it afterwards.
enum Backend {
    Sqlite(Arc<SqliteStore>, tempfile::TempDir),
    Postgres(PgStore),
}

async fn open(backend: &str, clients: usize) -> Backend {
    match backend {
        "sqlite" => {
            let dir = tempfile::tempdir().unwrap();
            let config = SqliteConfig::new(dir.path());
            assert!(config.synchronous_full);
            Backend::Sqlite(Arc::new(SqliteStore::open_with(config).await.unwrap()), dir)
        }
        _ => {
            let fresh = orderflow_postgres::testing::fresh_store()
                .await
                .expect("PostgreSQL: set ORDERFLOW_TEST_POSTGRES_URL or install postgresql");
            let options = fresh.pool().connect_options();
            fresh.close().await;
            // One connection per client, up to a sane pool.
            let pool = u32::try_from(clients.clamp(4, 32)).unwrap_or(32);
            Backend::Postgres(
                PgStore::connect_with((*options).clone(), pool)
                    .await
                    .unwrap(),
            )
        }
    }
}

async fn post(http: &reqwest::Client, url: String, token: &str, body: Value) -> Value {
    let r = http
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert!(status.is_success(), "{status} {body}");
    body
}

/// One order for a client, ready for `action` to be taken again and again.
async fn order_for(http: &reqwest::Client, base: &str, action: &str, t: &Tokens) -> String {
    let orders = format!("{base}/api/v1/orders");
    if action == "set_stage" {
        let o = post(
            http,
            orders,
            &t.editor,
            json!({"workflow": "compliance",
                   "inputs": {"product_types": [{"product_type": "cotton", "quantity": 10}]}}),
        )
        .await;
        return o["id"].as_str().unwrap().to_owned();
    }
    let o = post(
        http,
        orders,
        &t.clinic,
        json!({"workflow": "dental-lab", "parties": {"lab": "lab"},
               "inputs": {"lines": [{"product": "crown", "quantity": 1, "unit_price": "100.00"}],
                          "due_date": "2099-01-31"}}),
    )
    .await;
    let id = o["id"].as_str().unwrap().to_owned();
    let act = |a: &str| format!("{base}/api/v1/orders/{id}/actions/{a}");
    post(http, act("publish"), &t.clinic, json!({})).await;
    post(
        http,
        act("start_production"),
        &t.lab,
        json!({"production_date": "2025-03-01"}),
    )
    .await;
    post(http, act("produce"), &t.lab, json!({})).await;
    post(http, act("ship"), &t.lab, json!({"tracking_number": "T0"})).await;
    id
}

struct Tokens {
    editor: String,
    clinic: String,
    lab: String,
}

async fn user(http: &reqwest::Client, base: &str, id: &str, org: &str, roles: &[&str]) -> String {
    let u = post(
        http,
        format!("{base}/api/v1/users"),
        ADMIN,
        json!({"id": id, "name": id, "organization": org, "roles": roles}),
    )
    .await;
    u["token"]["token"].as_str().unwrap().to_owned()
}

#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    errors: u64,
    first_error: Option<String>,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let a = args();
    let backend = open(&a.backend, a.clients).await;
    let store: Arc<dyn Store> = match &backend {
        Backend::Sqlite(s, _) => s.clone(),
        Backend::Postgres(p) => Arc::new(p.clone()),
    };
    let state = AppState::new(
        store,
        built_in_workflows().unwrap(),
        Some(ADMIN.to_owned()),
        Arc::new(SystemClock),
        Limits::default(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, router(state)).await.unwrap();
    });

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(a.clients.max(1))
        .build()
        .unwrap();
    for (id, settings) in [
        ("brand", json!({})),
        ("clinic", json!({})),
        ("lab", json!({})),
    ] {
        post(
            &http,
            format!("{base}/api/v1/organizations"),
            ADMIN,
            json!({"id": id, "name": id, "settings": settings}),
        )
        .await;
    }
    let tokens = Tokens {
        editor: user(&http, &base, "editor", "brand", &["edit"]).await,
        clinic: user(&http, &base, "clinician", "clinic", &[]).await,
        lab: user(&http, &base, "technician", "lab", &[]).await,
    };
    let mut orders = Vec::new();
    for _ in 0..a.clients {
        orders.push(order_for(&http, &base, &a.action, &tokens).await);
    }
    let token = if a.action == "set_stage" {
        tokens.editor.clone()
    } else {
        tokens.lab.clone()
    };

    let started = Instant::now();
    let deadline = started + Duration::from_secs(a.seconds);
    let mut tasks = Vec::new();
    for order in orders {
        let http = http.clone();
        let url = format!("{base}/api/v1/orders/{order}/actions/{}", a.action);
        let token = token.clone();
        let action = a.action.clone();
        tasks.push(tokio::spawn(async move {
            const STAGES: [&str; 4] = ["created", "packed", "dispatched", "received"];
            let mut tally = Tally::default();
            let mut n = 0usize;
            while Instant::now() < deadline {
                n += 1;
                let body = if action == "set_stage" {
                    json!({"stage": STAGES[n % STAGES.len()]})
                } else {
                    json!({"tracking_number": format!("T{n}")})
                };
                let t0 = Instant::now();
                let outcome = http.post(&url).bearer_auth(&token).json(&body).send().await;
                let error = match outcome {
                    Ok(r) if r.status().is_success() => {
                        // Read the answer, as a client would.
                        match r.bytes().await {
                            Ok(_) => None,
                            Err(e) => Some(e.to_string()),
                        }
                    }
                    Ok(r) => {
                        let status = r.status();
                        Some(format!("{status} {}", r.text().await.unwrap_or_default()))
                    }
                    Err(e) => Some(e.to_string()),
                };
                match error {
                    None => tally.latencies.push(t0.elapsed()),
                    Some(e) => {
                        tally.errors += 1;
                        tally.first_error.get_or_insert(e);
                    }
                }
            }
            tally
        }));
    }
    let mut all = Tally::default();
    for t in tasks {
        let t = t.await.unwrap();
        all.latencies.extend(t.latencies);
        all.errors += t.errors;
        if all.first_error.is_none() {
            all.first_error = t.first_error;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.latencies.sort();
    let ok = all.latencies.len();
    println!(
        "backend={} clients={} seconds={} action={}",
        a.backend, a.clients, a.seconds, a.action
    );
    println!(
        "transitions: {ok} in {elapsed:.2} s = {:.0}/s; errors: {}",
        ok as f64 / elapsed,
        all.errors
    );
    println!(
        "latency: p50 {} p90 {} p99 {} max {}",
        ms(percentile(&all.latencies, 50.0)),
        ms(percentile(&all.latencies, 90.0)),
        ms(percentile(&all.latencies, 99.0)),
        ms(all.latencies.last().copied().unwrap_or_default()),
    );
    if let Some(e) = &all.first_error {
        println!("first error: {e}");
    }
    match &backend {
        Backend::Sqlite(s, dir) => {
            let w = s.writer_stats();
            println!(
                "sqlite: synchronous=FULL, {} in {}: {} writes in {} transactions (group commit)",
                orderflow_sqlite::FILE_NAME,
                dir.path().display(),
                w.writes,
                w.transactions,
            );
        }
        Backend::Postgres(_) => {
            if std::env::var(orderflow_postgres::testing::URL_VARIABLE).is_err() {
                println!(
                    "postgres: throw-away test cluster (fsync=off, synchronous_commit=off: not durable figures)"
                );
            } else {
                println!("postgres: {}", orderflow_postgres::testing::URL_VARIABLE);
            }
        }
    }
}
