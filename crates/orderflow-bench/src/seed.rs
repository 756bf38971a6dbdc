//! Many orders, fast: created in this process through the application
//! layer on the server's SQLite directory while the server is stopped, so
//! every row (snapshot, history, counters) is what a real create writes.
//! Durability is off while seeding (the orders are throw-away); the server
//! opens the file with `synchronous = FULL` again.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context;
use orderflow_app::auth::UserCaller;
use orderflow_app::json::Body;
use orderflow_app::{App, Limits, SystemClock, built_in_workflows};
use orderflow_sqlite::{SqliteConfig, SqliteStore};
use orderflow_store::{Cursor, Store};

use crate::fixtures::{EDITOR, compliance_order};

/// Creates at once: enough to fill the writer's group commits.
const CREATORS: usize = 64;

/// Where the half-way page of the `pending_data` list (newest first)
/// starts: the cursor of an order created half-way through.
pub struct Seeded {
    pub half_way: String,
}

/// Adds `orders` compliance orders of the editor to `dir`, alternately
/// `pending_data` and `complete`.
pub fn seed(dir: &Path, orders: usize) -> anyhow::Result<Seeded> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(seed_in(dir, orders))
}

async fn seed_in(dir: &Path, orders: usize) -> anyhow::Result<Seeded> {
    let mut config = SqliteConfig::new(dir);
    config.synchronous_full = false;
    let store = Arc::new(SqliteStore::open_with(config).await?);
    let app = App::new(
        store.clone(),
        built_in_workflows().map_err(|e| anyhow::anyhow!("{e:?}"))?,
        None,
        Arc::new(SystemClock),
        Limits::default(),
    );
    let editor = store
        .user(EDITOR)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .context("the editor made before seeding")?;
    let caller = UserCaller(editor);
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CREATORS {
        let (app, caller, next) = (app.clone(), caller.clone(), Arc::clone(&next));
        tasks.spawn(async move {
            let mut half_way = None;
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= orders {
                    return Ok::<_, anyhow::Error>(half_way);
                }
                let pending = n % 2 == 0;
                let answer = app
                    .create_order(&caller, Body::Value(compliance_order(pending)), None)
                    .await
                    .map_err(|e| anyhow::anyhow!("seeding: {}", e.detail()))?;
                if pending && n / 2 == orders / 4 {
                    half_way = Some(cursor(&answer.body)?);
                }
            }
        });
    }
    let mut half_way = None;
    while let Some(done) = tasks.join_next().await {
        half_way = done??.or(half_way);
    }
    Ok(Seeded {
        half_way: half_way.context("no order half-way")?,
    })
}

/// The newest-first cursor after `order`.
fn cursor(order: &serde_json::Value) -> anyhow::Result<String> {
    let created = order["created_at"].as_str().context("created_at")?;
    let created = chrono::DateTime::parse_from_rfc3339(created)?;
    Ok(Cursor {
        key_micros: created.timestamp_micros(),
        id: order["id"].as_str().context("id")?.to_owned(),
    }
    .encode())
}
