//! Invariants of the engine itself, over random request sequences on the
//! dental-lab workflow: the version grows by exactly one per accepted change
//! and not at all per refused one, a refusal changes nothing, the status is
//! always a declared state, and replaying history rebuilds the snapshot.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Sim, user};
use orderflow_core::model::Actor;
use proptest::prelude::*;
use serde_json::{Value as Json, json};

fn actors() -> Vec<Actor> {
    vec![
        user("clinic", &[]),
        user("lab-co", &[]),
        user("stranger", &[]),
    ]
}

/// Requests a person could send, valid and invalid alike.
fn requests() -> Vec<(&'static str, Json)> {
    vec![
        ("publish", json!({})),
        ("start_production", json!({"production_date": "2026-03-03"})),
        ("start_production", json!({})),
        ("produce", json!({})),
        ("ship", json!({"tracking_number": "T-1"})),
        ("ship", json!({"tracking_number": 5})),
        ("update_tracking", json!({"tracking_number": "T-2"})),
        ("deliver", json!({})),
        ("record_payment", json!({"amount": "100.00"})),
        ("record_payment", json!({"amount": "700.00"})),
        ("record_payment", json!({"amount": "-1"})),
        ("cancel", json!({"reason": "no"})),
        ("plan_work", json!({})),
        ("add_task", json!({"name": "Model"})),
        ("mark_task", json!({"task": 1, "done": true})),
        ("mark_task", json!({"task": 2, "done": true})),
        ("mark_task", json!({"task": 1, "done": false})),
        ("print", json!({})),
        ("no_such_action", json!({})),
        ("publish", json!({"unexpected": 1})),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn versions_refusals_and_replay(steps in proptest::collection::vec((0usize..3, 0usize..20, 0i64..600), 1..40)) {
        let mut s = Sim::new("dental-lab", &[("customer", "clinic"), ("lab", "lab-co")], json!({"lab": {"task_templates": {"*": ["Model", "Glaze"]}}}));
        s.act(&user("clinic", &[]), "create", json!({"lines": [{"product": "crown", "quantity": 1, "unit_price": "700"}]})).unwrap();
        let actors = actors();
        let requests = requests();
        let states: Vec<String> = s.wf.def.states.iter().map(|st| st.id.clone()).collect();
        for (who, what, minutes) in steps {
            s.tick(minutes);
            let before = s.order.clone();
            let (action, inputs) = &requests[what];
            match s.act(&actors[who], action, inputs.clone()) {
                Ok(change) if change.is_read() => prop_assert_eq!(&s.order, &before, "a read changes nothing"),
                Ok(change) => {
                    prop_assert_eq!(s.order.version, before.version + 1);
                    prop_assert_eq!(change.version, s.order.version);
                    prop_assert_eq!(&change.steps[0].status_before, &before.status);
                    prop_assert_eq!(&change.steps.last().unwrap().status_after, &s.order.status);
                }
                Err(_) => prop_assert_eq!(&s.order, &before, "a refusal changes nothing"),
            }
            prop_assert!(states.contains(&s.order.status), "{} is a declared state", s.order.status);
        }
        prop_assert_eq!(s.replay(), s.order.clone());
    }
}
