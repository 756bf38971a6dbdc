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
