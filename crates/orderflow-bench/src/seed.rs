//! Many orders, fast, written with the store crate on the server's SQLite
//! directory while the server is stopped. The engine decides the creation
//! of each kind of order once (what a real create decides); each seeded
//! order is that commit under a new id, number and time, committed through
//! `Store::commit` as a real create is, so every row a create writes (the
//! snapshot, its history, the counts) is there. Durability is off while
//! seeding (the orders are throw-away); the server opens the file with
//! `synchronous = FULL` again.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context;
use chrono::Utc;
use orderflow_app::{UserCaller, built_in_workflows};
use orderflow_core::engine;
use orderflow_core::model::{Order, PartySettings};
use orderflow_sqlite::{SqliteConfig, SqliteStore};
use orderflow_store::{Commit, Cursor, Store, commit_of};

use crate::fixtures::{EDITOR, OWNER, compliance_order};

/// Commits at once: enough to fill the writer's group commits.
const WRITERS: usize = 64;
/// Seeded numbers start here, far above the organisation's counter, so
/// orders created over the API afterwards never take one of them.
const FIRST_NUMBER: usize = 100_000_000;

/// Where the half-way page of the `pending_data` list (newest first)
/// starts: the cursor of an order created half-way through.
pub struct Seeded {
    pub half_way: String,
}

/// Adds `orders` compliance orders of the editor's organisation to `dir`,
/// alternately `pending_data` and `complete`.
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
    let templates = Arc::new([
        template(&*store, true).await?,
        template(&*store, false).await?,
    ]);
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..WRITERS {
        let (store, templates, next) = (store.clone(), templates.clone(), next.clone());
        tasks.spawn(async move {
            let mut half_way = None;
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= orders {
                    return Ok::<_, anyhow::Error>(half_way);
                }
                let pending = n % 2 == 0;
                let mut commit = templates[usize::from(!pending)].clone();
                let now = Utc::now();
                let order = &mut commit.order;
                order.id = uuid::Uuid::now_v7().to_string();
                order.number = Some(format!("CO-{}", FIRST_NUMBER + n));
                order.created_at = Some(now);
                order.updated_at = Some(now);
                order.status_since = Some(now);
                if pending && n / 2 == orders / 4 {
                    half_way = Some(
                        Cursor {
                            key_micros: now.timestamp_micros(),
                            id: order.id.clone(),
                        }
                        .encode(),
                    );
                }
                store
                    .commit(commit)
                    .await
                    .map_err(|e| anyhow::anyhow!("seeding: {e}"))?;
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

/// The commit creating one compliance order of the editor, as the engine
/// decides it.
async fn template(store: &dyn Store, pending: bool) -> anyhow::Result<Commit> {
    let workflows = built_in_workflows().map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let wf = workflows.get("compliance").context("compliance")?;
    let editor = store
        .user(EDITOR)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .context("the editor made before seeding")?;
    let parties = BTreeMap::from([("owner".to_owned(), OWNER.to_owned())]);
    let blank = Order::blank("template", wf.id(), parties);
    let inputs = &compliance_order(pending)["inputs"];
    let change = engine::decide(
        wf,
        &blank,
        &PartySettings::new(),
        &UserCaller(editor).actor(),
        "create",
        inputs,
        Utc::now(),
    )
    .map_err(|r| anyhow::anyhow!("{r:?}"))?;
    let mut commit = commit_of(wf, &blank, None, &change);
    commit.numbered_by = Some(OWNER.to_owned());
    Ok(commit)
}
