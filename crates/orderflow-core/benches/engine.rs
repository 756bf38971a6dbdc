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
    vec![Path {
        workflow: "dental-lab",
        parties: vec![("customer", "clinic"), ("lab", "lab-co")],
        settings: json!({"lab": {"task_templates": {"*": ["Model", "Glaze"]}}}),
        steps: vec![
            (
                user("clinic", &[]),
                "create",
                json!({"lines": [{"product": "crown", "quantity": 2, "unit_price": "150"}, {"product": "bridge", "quantity": 1, "unit_price": "400"}]}),
            ),
            (user("clinic", &[]), "publish", json!({})),
            (user("lab-co", &[]), "plan_work", json!({})),
            (
                user("lab-co", &[]),
                "start_production",
                json!({"production_date": "2026-03-02"}),
            ),
            (
                user("lab-co", &[]),
                "mark_task",
                json!({"task": 1, "done": true}),
            ),
            (
                user("lab-co", &[]),
                "mark_task",
                json!({"task": 2, "done": true}),
            ),
            (user("lab-co", &[]), "produce", json!({})),
            (
                user("lab-co", &[]),
                "ship",
                json!({"tracking_number": "TRK-1"}),
            ),
            (user("lab-co", &[]), "deliver", json!({})),
            (
                user("lab-co", &[]),
                "record_payment",
                json!({"amount": "700"}),
            ),
        ],
    }]
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
    targets = actions
}
criterion_main!(benches);
