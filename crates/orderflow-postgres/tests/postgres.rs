//! Racing commits on one order: exactly one wins on PostgreSQL too, the
//! others get `VersionConflict`, and the history has no gap.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::Arc;

use orderflow_core::catalog;
use orderflow_core::engine;
use orderflow_core::model::{Actor, Order, PartySettings};
use orderflow_store::contract::at;
use orderflow_store::{MAX_LIMIT, Store, StoreError, commit_of};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_commits_on_one_order_have_one_winner() {
    let store = Arc::new(orderflow_postgres::testing::fresh_store().await.unwrap());
    let wf = Arc::new(catalog::built_in("dental-lab").unwrap().unwrap());
    let parties: BTreeMap<String, String> = [("customer", "clinic"), ("lab", "lab-co")]
        .iter()
        .map(|(s, o)| ((*s).to_owned(), (*o).to_owned()))
        .collect();
    let clinic = Actor::user("clinic-user", "clinic", &[]);
    let lab = Actor::user("lab-user", "lab-co", &[]);
    let none = PartySettings::new();
    let blank = Order::blank("d1", "dental-lab", parties);
    let inputs = json!({"lines": [{"product": "crown", "quantity": 1, "unit_price": "150.00"}]});
    let created = engine::decide(&wf, &blank, &none, &clinic, "create", &inputs, at(0)).unwrap();
    let c = commit_of(&wf, &blank, None, &created);
    let v1 = c.order.clone();
    store.commit(c).await.unwrap();
    let published = engine::decide(&wf, &v1, &none, &clinic, "publish", &json!({}), at(1)).unwrap();
    store
        .commit(commit_of(&wf, &v1, None, &published))
        .await
        .unwrap();

    for round in 0..3i64 {
        let current = store.order("d1").await.unwrap().unwrap();
        let mut racers = Vec::new();
        for n in 0..16 {
            let store = Arc::clone(&store);
            let change = engine::decide(
                &wf,
                &current,
                &none,
                &lab,
                "add_task",
                &json!({"name": format!("task {round}/{n}")}),
                at(10 + round),
            )
            .unwrap();
            let c = commit_of(&wf, &current, None, &change);
            racers.push(tokio::spawn(async move { store.commit(c).await }));
        }
        let mut wins = 0;
        for r in racers {
            match r.await.unwrap() {
                Ok(()) => wins += 1,
                Err(StoreError::VersionConflict {
                    expected,
                    current: now,
                    ..
                }) => {
                    assert_eq!((expected, now), (current.version, current.version + 1));
                }
                Err(e) => panic!("a racer failed otherwise: {e}"),
            }
        }
        assert_eq!(wins, 1, "round {round}: exactly one racer wins");
    }
    let history = store.history("d1", 0, MAX_LIMIT).await.unwrap();
    let seqs: Vec<u64> = history.iter().map(|h| h.seq).collect();
    assert_eq!(seqs, (1..=history.len() as u64).collect::<Vec<_>>());
    let versions: Vec<u64> = history.iter().map(|h| h.version).collect();
    assert_eq!(versions, vec![1, 2, 3, 4, 5]);
}

/// A fresh store and the dental lab's workflow.
async fn fresh() -> (Arc<orderflow_postgres::PgStore>, Arc<engine::Workflow>) {
    let store = Arc::new(orderflow_postgres::testing::fresh_store().await.unwrap());
    let wf = Arc::new(catalog::built_in("dental-lab").unwrap().unwrap());
    (store, wf)
}

/// `n` dental-lab orders, created and published (version 2).
async fn published(
    store: &orderflow_postgres::PgStore,
    wf: &engine::Workflow,
    n: usize,
) -> Vec<Order> {
    let parties: BTreeMap<String, String> = [("customer", "clinic"), ("lab", "lab-co")]
        .iter()
        .map(|(s, o)| ((*s).to_owned(), (*o).to_owned()))
        .collect();
    let clinic = Actor::user("clinic-user", "clinic", &[]);
    let none = PartySettings::new();
    let inputs = json!({"lines": [{"product": "crown", "quantity": 1, "unit_price": "150.00"}]});
    let mut orders = Vec::new();
    for n in 0..n {
        let blank = Order::blank(&format!("o{n}"), "dental-lab", parties.clone());
        let created = engine::decide(wf, &blank, &none, &clinic, "create", &inputs, at(0)).unwrap();
        let c = commit_of(wf, &blank, None, &created);
        let draft = c.order.clone();
        store.commit(c).await.unwrap();
        let published =
            engine::decide(wf, &draft, &none, &clinic, "publish", &json!({}), at(1)).unwrap();
        let c = commit_of(wf, &draft, None, &published);
        orders.push(c.order.clone());
        store.commit(c).await.unwrap();
    }
    orders
}

/// The lab adds a task to `order`, as a commit.
fn add_task(wf: &engine::Workflow, order: &Order, name: &str) -> orderflow_store::Commit {
    let lab = Actor::user("lab-user", "lab-co", &[]);
    let change = engine::decide(
        wf,
        order,
        &PartySettings::new(),
        &lab,
        "add_task",
        &json!({ "name": name }),
        at(2),
    )
    .unwrap();
    commit_of(wf, order, None, &change)
}

/// Changes of different orders, several of them stale, committed at once:
/// batches of plain changes are written a table at a time, and a stale
/// change among them sends its batch down the change-by-change path, where
/// only it is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stale_changes_among_plain_ones_are_refused_alone() {
    let (store, wf) = fresh().await;
    let orders = published(&store, &wf, 32).await;
    for order in orders.iter().step_by(4) {
        store.commit(add_task(&wf, order, "first")).await.unwrap();
    }
    let racers: Vec<_> = orders
        .iter()
        .map(|order| {
            let (store, c) = (Arc::clone(&store), add_task(&wf, order, "second"));
            tokio::spawn(async move { store.commit(c).await })
        })
        .collect();
    for (n, (order, racer)) in orders.iter().zip(racers).enumerate() {
        let result = racer.await.unwrap();
        let stored = store.order(&order.id).await.unwrap().unwrap();
        let history = store.history(&order.id, 0, MAX_LIMIT).await.unwrap();
        let seqs: Vec<u64> = history.iter().map(|h| h.seq).collect();
        assert_eq!(seqs, vec![1, 2, 3], "{}", order.id);
        assert_eq!(stored.version, 3, "{}: read as last committed", order.id);
        let tasks = stored.data["tasks"].as_array().unwrap();
        assert_eq!(tasks.len(), 1, "{}", order.id);
        if n % 4 == 0 {
            match result {
                Err(StoreError::VersionConflict {
                    expected, current, ..
                }) => {
                    assert_eq!((expected, current), (2, 3));
                }
                other => panic!("{}: a stale change was not refused: {other:?}", order.id),
            }
            assert_eq!(tasks[0]["name"], "first");
        } else {
            result.unwrap();
            assert_eq!(tasks[0]["name"], "second");
        }
    }
}

/// Racers on many orders at once share the writers' transactions: a
/// batch holding one order's winner and another order's losers commits
/// the winners (the batch is run again with a savepoint per change once
/// a loser breaks it), and no loser leaves a trace.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn losers_in_a_shared_batch_undo_only_themselves() {
    let (store, wf) = fresh().await;
    let orders = published(&store, &wf, 24).await;
    let mut racers = Vec::new();
    for order in &orders {
        for n in 0..4 {
            let c = add_task(&wf, order, &format!("task {n}"));
            let store = Arc::clone(&store);
            racers.push((
                order.id.clone(),
                tokio::spawn(async move { store.commit(c).await }),
            ));
        }
    }
    let mut wins: BTreeMap<String, usize> = BTreeMap::new();
    for (id, racer) in racers {
        match racer.await.unwrap() {
            Ok(()) => *wins.entry(id).or_default() += 1,
            Err(StoreError::VersionConflict {
                expected, current, ..
            }) => {
                assert_eq!((expected, current), (2, 3), "{id}");
            }
            Err(e) => panic!("a racer on {id} failed otherwise: {e}"),
        }
    }
    for order in &orders {
        assert_eq!(wins.get(&order.id), Some(&1), "{}: one winner", order.id);
        let stored = store.order(&order.id).await.unwrap().unwrap();
        assert_eq!(stored.version, 3);
        let versions: Vec<u64> = store
            .history(&order.id, 0, MAX_LIMIT)
            .await
            .unwrap()
            .iter()
            .map(|h| h.version)
            .collect();
        assert_eq!(versions, vec![1, 2, 3], "{}: no loser's history", order.id);
    }
}

/// Changes per second through the store (no HTTP), 64 writers each on an
/// order of its own, for 5 seconds; prints the figure. A measurement, not
/// a check: `ORDERFLOW_TEST_POSTGRES_URL` should name a server with
/// `fsync = on` (the throw-away cluster runs without it).
///
/// `cargo test --release -p orderflow-postgres --test postgres -- --ignored --nocapture`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: run by hand"]
async fn commits_per_second() {
    let fresh = orderflow_postgres::testing::fresh_store().await.unwrap();
    let options = fresh.pool().connect_options();
    fresh.close().await;
    let store = Arc::new(
        orderflow_postgres::PgStore::connect_with((*options).clone(), 16)
            .await
            .unwrap(),
    );
    let wf = Arc::new(catalog::built_in("dental-lab").unwrap().unwrap());
    let parties: BTreeMap<String, String> = [("customer", "clinic"), ("lab", "lab-co")]
        .iter()
        .map(|(s, o)| ((*s).to_owned(), (*o).to_owned()))
        .collect();
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut writers = Vec::new();
    for n in 0..64 {
        let (store, wf, parties) = (Arc::clone(&store), Arc::clone(&wf), parties.clone());
        writers.push(tokio::spawn(async move {
            let clinic = Actor::user("clinic-user", "clinic", &[]);
            let lab = Actor::user("lab-user", "lab-co", &[]);
            let none = PartySettings::new();
            let blank = Order::blank(&format!("d{n}"), "dental-lab", parties);
            let inputs =
                json!({"lines": [{"product": "crown", "quantity": 1, "unit_price": "150.00"}]});
            let created =
                engine::decide(&wf, &blank, &none, &clinic, "create", &inputs, at(0)).unwrap();
            let c = commit_of(&wf, &blank, None, &created);
            let draft = c.order.clone();
            store.commit(c).await.unwrap();
            let published =
                engine::decide(&wf, &draft, &none, &clinic, "publish", &json!({}), at(1)).unwrap();
            let c = commit_of(&wf, &draft, None, &published);
            let mut order = c.order.clone();
            store.commit(c).await.unwrap();
            let mut changes = 0u64;
            while std::time::Instant::now() < until {
                let change = engine::decide(
                    &wf,
                    &order,
                    &none,
                    &lab,
                    "add_task",
                    &json!({"name": format!("task {changes}")}),
                    at(1),
                )
                .unwrap();
                let c = commit_of(&wf, &order, None, &change);
                let next = c.order.clone();
                store.commit(c).await.unwrap();
                order = next;
                changes += 1;
            }
            changes
        }));
    }
    let mut total = 0;
    for w in writers {
        total += w.await.unwrap();
    }
    println!("{} changes in 5 s: {} per second", total, total / 5);
}
