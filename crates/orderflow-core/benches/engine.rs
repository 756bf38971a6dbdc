//! decide + apply per action of each built-in workflow, and one job step in
//! orders of 1, 1,000 and 100,000 jobs. `cargo bench -p orderflow-core`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use orderflow_core::catalog;
use orderflow_core::engine::{self, Workflow};
use orderflow_core::model::{Actor, Order, PartySettings};
use serde_json::{Value as Json, json};

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn settings(v: Json) -> PartySettings {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_object().cloned().unwrap_or_default()))
        .collect()
}

fn user(org: &str, roles: &[&str]) -> Actor {
    Actor::user(&format!("{org}-user"), org, roles)
}

/// One workflow's path through its life: each step benchmarked from the
/// order as the steps before it left it.
struct Path {
    workflow: &'static str,
    parties: Vec<(&'static str, &'static str)>,
    settings: Json,
    steps: Vec<(Actor, &'static str, Json)>,
}

fn paths() -> Vec<Path> {
    let clinic = || user("clinic", &[]);
    let lab = || user("lab-co", &[]);
    let editor = || user("acme", &["edit"]);
    let buyer = || user("outlet-co", &["buyer"]);
    let supplier = || user("supplier-co", &[]);
    vec![
        Path {
            workflow: "dental-lab",
            parties: vec![("customer", "clinic"), ("lab", "lab-co")],
            settings: json!({"lab": {"task_templates": {"*": ["Model", "Glaze"]}}}),
            steps: vec![
                (
                    clinic(),
                    "create",
                    json!({"lines": [{"product": "crown", "quantity": 2, "unit_price": "150"}, {"product": "bridge", "quantity": 1, "unit_price": "400"}]}),
                ),
                (clinic(), "publish", json!({})),
                (lab(), "plan_work", json!({})),
                (
                    lab(),
                    "start_production",
                    json!({"production_date": "2026-03-02"}),
                ),
                (lab(), "mark_task", json!({"task": 1, "done": true})),
                (lab(), "mark_task", json!({"task": 2, "done": true})),
                (lab(), "produce", json!({})),
                (lab(), "ship", json!({"tracking_number": "TRK-1"})),
                (lab(), "deliver", json!({})),
                (lab(), "record_payment", json!({"amount": "700"})),
            ],
        },
        Path {
            workflow: "compliance",
            parties: vec![("owner", "acme")],
            settings: json!({}),
            steps: vec![
                (
                    editor(),
                    "create",
                    json!({"product_types": [{"product_type": "bolts", "quantity": 10}, {"product_type": "nuts", "quantity": 4}],
                           "requirements": [{"name": "Certificate of origin"}, {"name": "Test report"}]}),
                ),
                (
                    editor(),
                    "allocate",
                    json!({"product_type": "bolts", "quantity": 10, "batch_reference": "B-1"}),
                ),
                (
                    editor(),
                    "allocate",
                    json!({"product_type": "nuts", "quantity": 4, "batch_reference": "B-2"}),
                ),
                (
                    editor(),
                    "provide_evidence",
                    json!({"requirement": 1, "note": "attached"}),
                ),
                (editor(), "complete_evidence", json!({"requirement": 1})),
                (
                    editor(),
                    "provide_evidence",
                    json!({"requirement": 2, "note": "attached"}),
                ),
                (editor(), "complete_evidence", json!({"requirement": 2})),
                (editor(), "set_stage", json!({"stage": "dispatched"})),
            ],
        },
        Path {
            workflow: "purchasing",
            parties: vec![("outlet", "outlet-co"), ("supplier", "supplier-co")],
            settings: json!({"outlet": {"purchasing_limit": "1000.00"}, "supplier": {"time_zone": "Europe/Paris"}}),
            steps: vec![
                (
                    buyer(),
                    "create",
                    json!({"lines": [{"product": "Tomatoes", "quantity": 10, "unit_price": "2.50"}, {"product": "Olive oil", "quantity": 4, "unit_price": 12}]}),
                ),
                (
                    supplier(),
                    "accept",
                    json!({"partial": true, "lines": [{"line": 1, "quantity": 6}]}),
                ),
                (
                    supplier(),
                    "schedule",
                    json!({"delivery_date": "2026-03-04"}),
                ),
                (buyer(), "add_note", json!({"note": "back door"})),
                (buyer(), "complete", json!({})),
                (buyer(), "dispute", json!({"note": "two bottles broken"})),
                (buyer(), "resolve", json!({})),
            ],
        },
        Path {
            workflow: "print-production",
            parties: vec![("merchant", "merch"), ("shop", "shop-co")],
            settings: shop_settings(),
            steps: vec![(merchant(), "create", print_order(3))],
        },
    ]
}

fn merchant() -> Actor {
    user("merch", &[])
}

fn shop_settings() -> Json {
    json!({"shop": {"locations": [
        {"id": "chi", "name": "Chicago", "latitude": 41.88, "longitude": -87.63, "capacity_units": 200_000,
         "uses_pretreat": false, "decorations": ["dtg", "dtf", "embroidery"], "stock": {}}
    ]}})
}

/// An order of one item of `units` units: one job per unit.
fn print_order(units: u64) -> Json {
    json!({
        "recipient": "Ada Lovelace", "address1": "1 Lake Dr", "city": "Milwaukee", "region": "WI",
        "postal_code": "53202", "country": "US", "latitude": 43.04, "longitude": -87.91,
        "items": [{"sku": "tee", "quantity": units, "decoration": "dtf", "design": [{"id": "file-tee", "name": "tee.png", "media_type": "image/png", "size": 40000, "width": 4500, "height": 5400}]}],
    })
}

/// One job's step (`batch`: pending → open) in an order of `jobs` jobs: the
/// order and its item carry counters, not the jobs, so the cost should not
/// grow with the order.
fn job_step(c: &mut Criterion) {
    let wf: Workflow = catalog::built_in("print-production").unwrap().unwrap();
    let settings = settings(shop_settings());
    let parties: std::collections::BTreeMap<String, String> =
        [("merchant", "merch"), ("shop", "shop-co")]
            .iter()
            .map(|(s, o)| ((*s).to_owned(), (*o).to_owned()))
            .collect();
    let operator = user("shop-co", &["operator"]);
    let mut group = c.benchmark_group("job step");
    for jobs in [1u64, 1_000, 100_000] {
        let blank = Order::blank("order-1", "print-production", parties.clone());
        let change = engine::decide(
            &wf,
            &blank,
            &settings,
            &merchant(),
            "create",
            &print_order(jobs),
            now(),
        )
        .unwrap();
        let mut order = engine::apply(&wf, &blank, &change);
        // Only the job acted on is needed: the others are rows a store keeps.
        let mut job = engine::created_children(&wf, &change)[0]
            .each()
            .next()
            .unwrap();
        let pass = engine::decide_child(
            &wf,
            &order,
            &job,
            &settings,
            &Actor::System,
            "pass_intake",
            &json!({"bin": "A1"}),
            now(),
        )
        .unwrap();
        order = engine::apply(&wf, &order, &pass);
        job = engine::apply_child(&job, &pass);
        assert_eq!(order.counts["job"]["intake_hold"], jobs - 1);
        group.bench_function(format!("{jobs} jobs"), |b| {
            b.iter(|| {
                let change = engine::decide_child(
                    &wf,
                    black_box(&order),
                    &job,
                    &settings,
                    &operator,
                    "batch",
                    &json!({}),
                    now(),
                )
                .unwrap();
                black_box((
                    engine::apply(&wf, &order, &change),
                    engine::apply_child(&job, &change),
                ))
            });
        });
    }
    group.finish();
}

fn actions(c: &mut Criterion) {
    for path in paths() {
        let wf: Workflow = catalog::built_in(path.workflow).unwrap().unwrap();
        let settings = settings(path.settings.clone());
        let parties = path
            .parties
            .iter()
            .map(|(s, o)| ((*s).to_owned(), (*o).to_owned()))
            .collect();
        let mut order = Order::blank("order-1", path.workflow, parties);
        let mut group = c.benchmark_group(format!("decide+apply/{}", path.workflow));
        for (n, (actor, action, inputs)) in path.steps.iter().enumerate() {
            group.bench_function(format!("{n:02} {action}"), |b| {
                b.iter(|| {
                    let change = engine::decide(
                        &wf,
                        black_box(&order),
                        &settings,
                        actor,
                        action,
                        inputs,
                        now(),
                    )
                    .unwrap();
                    black_box(engine::apply(&wf, &order, &change))
                });
            });
            let change =
                engine::decide(&wf, &order, &settings, actor, action, inputs, now()).unwrap();
            order = engine::apply(&wf, &order, &change);
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(std::time::Duration::from_millis(300)).measurement_time(std::time::Duration::from_secs(1));
    targets = actions, job_step
}
criterion_main!(benches);
