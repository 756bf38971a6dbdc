//! Print-production's stock under random interleavings of the intake
//! check, receipts, a manager's steps by hand, cancellations and bin
//! adjustments, two at a time racing each other, on a real SQLite store:
//! stock never goes below zero, no unit goes to two jobs, and the stock
//! left matches a model recomputed from scratch from the orders' history.
//! And the intake check's time over 100,000 held jobs (ignored: a figure).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/shop.rs"]
mod shop;

use std::collections::BTreeMap;

use orderflow_app::{Act, AppError, Body};
use proptest::prelude::*;
use serde_json::{Value, json};
use shop::Shop;

const BINS: [(&str, &str, u64); 2] = [("B-TEE", "tee", 2), ("B-CAP", "cap", 1)];
const PURCHASES: [(&str, &str, u64); 2] = [("P-TEE", "tee", 3), ("P-CAP", "cap", 2)];
/// The orders: SKU and units.
const ORDERS: [(&str, u64); 3] = [("tee", 3), ("cap", 2), ("tee", 1)];

#[derive(Debug, Clone)]
enum Op {
    Intake,
    Receive { purchase: usize, quantity: u64 },
    PassFromBin { job: usize, bin: usize },
    PassFromPurchase { job: usize, purchase: usize },
    Tie { job: usize, purchase: usize },
    Cancel { job: usize },
    Adjust { bin: usize, delta: i64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Intake),
        2 => (0..2usize, 1..3u64).prop_map(|(purchase, quantity)| Op::Receive { purchase, quantity }),
        2 => (0..6usize, 0..2usize).prop_map(|(job, bin)| Op::PassFromBin { job, bin }),
        1 => (0..6usize, 0..2usize).prop_map(|(job, purchase)| Op::PassFromPurchase { job, purchase }),
        1 => (0..6usize, 0..2usize).prop_map(|(job, purchase)| Op::Tie { job, purchase }),
        1 => (0..6usize).prop_map(|job| Op::Cancel { job }),
        1 => (0..2usize, -2..3i64).prop_map(|(bin, delta)| Op::Adjust { bin, delta }),
    ]
}

/// What the operations that went through did, beside the jobs' history.
#[derive(Default)]
struct Done {
    adjusted: BTreeMap<&'static str, i64>,
    received: BTreeMap<&'static str, u64>,
}

struct World {
    shop: Shop,
    /// (order, job) by index.
    jobs: Vec<(String, String)>,
}

impl World {
    async fn on(shop: Shop) -> Self {
        for (id, sku, quantity) in BINS {
            shop.bin(id, sku, quantity).await;
        }
        for (id, sku, ordered) in PURCHASES {
            shop.purchase(id, sku, ordered).await;
        }
        let mut jobs = Vec::new();
        for (sku, units) in ORDERS {
            let order = shop.order(sku, units).await;
            for n in 1..=units {
                jobs.push((order.clone(), format!("job-{n}")));
            }
        }
        World { shop, jobs }
    }

    async fn step(&self, job: usize, action: &str, inputs: Value) -> Result<(), AppError> {
        let (order, job) = &self.jobs[job];
        self.shop
            .app
            .act(
                &self.shop.manager,
                Act {
                    order,
                    child: Some(job),
                    action,
                    inputs: Body::Value(inputs),
                    if_match: None,
                    idempotency: None,
                },
            )
            .await
            .map(|_| ())
    }

    /// Runs `op`; what it changed when it went through. A refusal is fine,
    /// a failure of the server is not.
    async fn run(&self, op: &Op) -> (Option<(&'static str, i64)>, Option<(&'static str, u64)>) {
        let app = &self.shop.app;
        let manager = &self.shop.manager;
        let outcome: Result<_, AppError> = match op {
            Op::Intake => app
                .intake_on_demand(manager, None)
                .await
                .map(|_| (None, None)),
            Op::Receive { purchase, quantity } => {
                let id = PURCHASES[*purchase].0;
                app.receive(manager, id, *quantity)
                    .await
                    .map(|_| (None, Some((id, *quantity))))
            }
            Op::PassFromBin { job, bin } => self
                .step(*job, "pass_intake", json!({"bin": BINS[*bin].0}))
                .await
                .map(|()| (None, None)),
            Op::PassFromPurchase { job, purchase } => self
                .step(
                    *job,
                    "pass_intake",
                    json!({"purchase": PURCHASES[*purchase].0}),
                )
                .await
                .map(|()| (None, None)),
            Op::Tie { job, purchase } => self
                .step(
                    *job,
                    "tie_to_purchase",
                    json!({"purchase": PURCHASES[*purchase].0}),
                )
                .await
                .map(|()| (None, None)),
            Op::Cancel { job } => self
                .step(*job, "cancel", json!({"reason": "test"}))
                .await
                .map(|()| (None, None)),
            Op::Adjust { bin, delta } => {
                let id = BINS[*bin].0;
                app.adjust_bin(manager, "chi", id, *delta)
                    .await
                    .map(|_| (Some((id, *delta)), None))
            }
        };
        match outcome {
            Ok(done) => done,
            Err(e) => {
                assert!(e.status() < 500, "{op:?}: {} {}", e.code(), e.detail());
                (None, None)
            }
        }
    }

    /// Every unit taken, from the jobs' history: `(job, bin or purchase)`.
    async fn taken(&self) -> Vec<(usize, Option<String>, Option<String>)> {
        let mut out = Vec::new();
        let mut orders: Vec<&String> = self.jobs.iter().map(|(o, _)| o).collect();
        orders.dedup();
        for order in orders {
            let history = self.shop.app.store.history(order, 0, 500).await.unwrap();
            for entry in history {
                let step = &entry.step;
                if step.action != "pass_intake" {
                    continue;
                }
                let job = self
                    .jobs
                    .iter()
                    .position(|(o, j)| o == order && Some(j) == step.child.as_ref())
                    .unwrap();
                let text = |k: &str| {
                    step.inputs
                        .get(k)
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                };
                out.push((job, text("bin"), text("purchase")));
            }
        }
        out
    }
}

async fn check(shop: Shop, ops: Vec<(Op, Option<Op>)>) {
    let w = World::on(shop).await;
    let mut done = Done::default();
    for (a, b) in &ops {
        let (x, y) = match b {
            Some(b) => tokio::join!(w.run(a), w.run(b)),
            None => (w.run(a).await, (None, None)),
        };
        for (adjusted, received) in [x, y] {
            if let Some((bin, delta)) = adjusted {
                *done.adjusted.entry(bin).or_insert(0) += delta;
            }
            if let Some((purchase, quantity)) = received {
                *done.received.entry(purchase).or_insert(0) += quantity;
            }
        }
    }

    let taken = w.taken().await;
    // No job passed intake twice: one unit per job at most.
    let mut per_job = BTreeMap::new();
    for (job, _, _) in &taken {
        *per_job.entry(*job).or_insert(0) += 1;
    }
    assert!(
        per_job.values().all(|n| *n == 1),
        "{per_job:?} after {ops:?}"
    );

    // The stock left is the stock recomputed from scratch.
    let store = &w.shop.app.store;
    let bins = store.bins("shop", Some("chi")).await.unwrap();
    for (id, sku, start) in BINS {
        let bin = bins.iter().find(|b| b.id == id).unwrap();
        let given = taken
            .iter()
            .filter(|(_, bin, _)| bin.as_deref() == Some(id))
            .count() as i64;
        let model = start as i64 + done.adjusted.get(id).copied().unwrap_or(0) - given;
        assert!(model >= 0, "{id}: the model went below zero after {ops:?}");
        assert_eq!(bin.quantity as i64, model, "{id} ({sku}) after {ops:?}");
    }
    for (id, _, _) in PURCHASES {
        let p = store.purchase("shop", id).await.unwrap().unwrap();
        let given = taken
            .iter()
            .filter(|(_, bin, purchase)| bin.is_none() && purchase.as_deref() == Some(id))
            .count() as u64;
        assert_eq!(p.consumed, given, "{id} after {ops:?}");
        assert_eq!(p.received, done.received.get(id).copied().unwrap_or(0));
        assert!(p.consumed <= p.received, "{id} gave more than it received");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn stock_is_never_negative_nor_given_twice(
        ops in prop::collection::vec((op(), prop::option::of(op())), 1..14)
    ) {
        runtime().block_on(async { check(Shop::new().await, ops).await });
    }
}

proptest! {
    // Fewer cases: each makes a database. Two operations at once race on
    // PostgreSQL's row locks here, where SQLite has one writer.
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn stock_is_never_negative_nor_given_twice_on_postgres(
        ops in prop::collection::vec((op(), prop::option::of(op())), 1..14)
    ) {
        runtime().block_on(async { check(Shop::on_postgres().await, ops).await });
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The intake check's time over 100,000 held jobs (100 orders of 1,000
/// units), with stock for 1,000 of them. Run on demand:
/// `cargo test --release -p orderflow-app --test intake -- --ignored --nocapture held_jobs`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: creates 100,000 jobs"]
async fn intake_check_over_100000_held_jobs() {
    let shop = Shop::new().await;
    let started = std::time::Instant::now();
    for _ in 0..100 {
        shop.order("tee", 1000).await;
    }
    println!("100,000 held jobs created in {:?}", started.elapsed());

    let report = shop
        .app
        .intake_on_demand(&shop.manager, None)
        .await
        .unwrap();
    assert_eq!((report.jobs, report.waiting), (100_000, 100_000));
    println!(
        "intake check, no stock: {} jobs looked at, {} waiting, {} ms",
        report.jobs, report.waiting, report.millis
    );

    shop.bin("B-1", "tee", 1000).await;
    let report = shop
        .app
        .intake_on_demand(&shop.manager, None)
        .await
        .unwrap();
    assert_eq!((report.reserved, report.waiting), (1000, 99_000));
    println!(
        "intake check, stock for 1,000: {} reserved, {} waiting, {} ms",
        report.reserved, report.waiting, report.millis
    );
}
