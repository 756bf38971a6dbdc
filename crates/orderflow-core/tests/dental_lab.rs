//! `dental-lab` against docs/product.md: every row of its table, and the behaviours
//! the page describes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Sim, code, expect_cell, expected_code, no_inputs, user};
use orderflow_core::model::Actor;
use orderflow_core::rejection::Rejection;
use serde_json::{Value as Json, json};

const STATES: [&str; 8] = [
    "draft",
    "published",
    "production",
    "produced",
    "shipped",
    "delivered",
    "completed",
    "cancelled",
];

fn clinic() -> Actor {
    user("clinic", &[])
}
fn lab() -> Actor {
    user("lab-co", &[])
}
fn stranger() -> Actor {
    user("stranger", &[])
}

fn sim() -> Sim {
    Sim::new(
        "dental-lab",
        &[("customer", "clinic"), ("lab", "lab-co")],
        json!({
            "lab": {
                "payment_instructions": "IBAN DE00 1234; reference: the order id",
                "task_templates": {"crown": ["Model", "Mill", "Glaze"], "*": ["Quality check"]},
            },
        }),
    )
}

fn create_inputs() -> Json {
    json!({
        "lines": [
            {"product": "crown", "quantity": 2, "unit_price": "150.00"},
            {"product": "bridge", "quantity": 1, "unit_price": 400},
        ],
        "due_date": "2026-03-20",
        "notes": "shade A2",
    })
}

/// A new order driven to `state` along the path the page describes.
fn at(state: &str) -> Sim {
    let mut s = sim();
    let path: &[(&str, Actor, Json)] = &[
        ("create", clinic(), create_inputs()),
        ("publish", clinic(), no_inputs()),
        (
            "start_production",
            lab(),
            json!({"production_date": "2026-03-03"}),
        ),
        ("produce", lab(), no_inputs()),
        ("ship", lab(), json!({"tracking_number": "TRK-1"})),
        ("deliver", lab(), no_inputs()),
        ("record_payment", lab(), json!({"amount": "700.00"})),
    ];
    let stop = match state {
        "cancelled" => 2,
        other => STATES.iter().position(|s| s == &other).unwrap() + 1,
    };
    for (action, actor, inputs) in &path[..stop] {
        s.act(actor, action, inputs.clone())
            .unwrap_or_else(|e| panic!("{action} on the way to {state}: {e}"));
    }
    if state == "cancelled" {
        s.act(&lab(), "cancel", json!({"reason": "clinic closed"}))
            .unwrap();
    }
    assert_eq!(s.status(), state);
    s
}

struct Row {
    action: &'static str,
    by: &'static [&'static str],
    from: &'static [&'static str],
    inputs: fn() -> Json,
    required: &'static [&'static str],
    to: Option<&'static str>,
}

const ROWS: &[Row] = &[
    Row {
        action: "publish",
        by: &["customer"],
        from: &["draft"],
        inputs: no_inputs,
        required: &[],
        to: Some("published"),
    },
    Row {
        action: "start_production",
        by: &["lab"],
        from: &["published"],
        inputs: || json!({"production_date": "2026-03-03"}),
        required: &["production_date"],
        to: Some("production"),
    },
    Row {
        action: "produce",
        by: &["lab"],
        from: &["production"],
        inputs: no_inputs,
        required: &[],
        to: Some("produced"),
    },
    Row {
        action: "ship",
        by: &["lab"],
        from: &["produced"],
        inputs: || json!({"tracking_number": "TRK-9"}),
        required: &["tracking_number"],
        to: Some("shipped"),
    },
    Row {
        action: "update_tracking",
        by: &["lab"],
        from: &["shipped", "delivered", "completed"],
        inputs: || json!({"tracking_number": "TRK-2"}),
        required: &["tracking_number"],
        to: None,
    },
    Row {
        action: "deliver",
        by: &["lab"],
        from: &["shipped"],
        inputs: no_inputs,
        required: &[],
        to: Some("delivered"),
    },
    Row {
        action: "record_payment",
        by: &["lab"],
        from: &[
            "published",
            "production",
            "produced",
            "shipped",
            "delivered",
        ],
        inputs: || json!({"amount": "10.00"}),
        required: &["amount"],
        to: None,
    },
    Row {
        action: "cancel",
        by: &["lab"],
        from: &["published", "production", "produced"],
        inputs: || json!({"reason": "no material"}),
        required: &["reason"],
        to: Some("cancelled"),
    },
    Row {
        action: "plan_work",
        by: &["lab"],
        from: &[
            "published",
            "production",
            "produced",
            "shipped",
            "delivered",
            "completed",
            "cancelled",
        ],
        inputs: no_inputs,
        required: &[],
        to: None,
    },
    Row {
        action: "add_task",
        by: &["lab"],
        from: &[
            "published",
            "production",
            "produced",
            "shipped",
            "delivered",
            "completed",
            "cancelled",
        ],
        inputs: || json!({"name": "Scan"}),
        required: &["name"],
        to: None,
    },
    Row {
        action: "print",
        by: &["customer", "lab"],
        from: &STATES,
        inputs: no_inputs,
        required: &[],
        to: None,
    },
];

#[test]
fn every_row_of_the_table_from_every_state_by_every_party() {
    let parties = [
        ("customer", clinic()),
        ("lab", lab()),
        ("stranger", stranger()),
    ];
    for row in ROWS {
        for state in STATES {
            for (slot, actor) in &parties {
                let mut s = at(state);
                let sees = match *slot {
                    "stranger" => false,
                    "lab" => state != "draft",
                    _ => true,
                };
                let expected =
                    expected_code(sees, row.from.contains(&state), row.by.contains(slot));
                expect_cell(
                    &mut s,
                    actor,
                    row.action,
                    (row.inputs)(),
                    expected,
                    row.from,
                    row.to,
                    &format!("{} by {slot} from {state}", row.action),
                );
            }
        }
    }
}

#[test]
fn every_required_input_is_named_when_missing() {
    for row in ROWS.iter().filter(|r| !r.required.is_empty()) {
        let state = row.from[0];
        let actor = if row.by.contains(&"lab") {
            lab()
        } else {
            clinic()
        };
        let mut s = at(state);
        match s.act(&actor, row.action, json!({})) {
            Err(Rejection::InvalidInput { fields }) => {
                let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
                assert_eq!(named, row.required, "{}", row.action);
            }
            other => panic!("{} without inputs: {other:?}", row.action),
        }
    }
}

#[test]
fn mark_task_by_the_lab_only_from_every_state_but_draft() {
    for state in STATES {
        let mut s = at(state);
        if state == "draft" {
            assert_eq!(
                code(&s.act(&lab(), "mark_task", json!({"task": 1, "done": true}))),
                "not_found"
            );
            continue;
        }
        s.act(&lab(), "add_task", json!({"name": "Scan"})).unwrap();
        assert_eq!(
            code(&s.act(&clinic(), "mark_task", json!({"task": 1, "done": true}))),
            "forbidden"
        );
        assert_eq!(
            code(&s.act(&lab(), "mark_task", json!({"task": 99, "done": true}))),
            "invalid_input"
        );
        s.act(&lab(), "mark_task", json!({"task": 1, "done": true}))
            .unwrap();
        assert_eq!(s.field("tasks")[0]["done"], json!(true), "{state}");
    }
}

#[test]
fn mark_task_marks_several_tasks_at_once_or_none_when_one_is_unknown() {
    let mut s = at("production");
    s.act(&lab(), "plan_work", no_inputs()).unwrap();
    let done = |s: &Sim| -> Vec<bool> {
        s.field("tasks")
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["done"].as_bool().unwrap())
            .collect()
    };
    let before = s.order.version;
    match s.act(
        &lab(),
        "mark_task",
        json!({"tasks": [1, 9, 2, 7], "done": true}),
    ) {
        Err(Rejection::InvalidInput { fields }) => {
            let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
            assert_eq!(named, ["tasks.1", "tasks.3"]);
            assert_eq!(fields[0].message, "there is no tasks record 9");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.order.version, before, "a refused request changes nothing");
    assert_eq!(done(&s), [false, false, false, false]);
    match s.act(&lab(), "mark_task", json!({"done": true})) {
        Err(Rejection::InvalidInput { fields }) => {
            assert_eq!(fields[0].field, "tasks");
            assert_eq!(
                fields[0].message,
                "Choose at least one task of the work plan to mark."
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        code(&s.act(&lab(), "mark_task", json!({"tasks": ["one"], "done": true}))),
        "invalid_input"
    );
    let change = s
        .act(
            &lab(),
            "mark_task",
            json!({"tasks": [1, 2, 4], "done": true}),
        )
        .unwrap();
    assert_eq!(change.version, before + 1, "one change for every task");
    assert_eq!(done(&s), [true, true, false, true]);
    s.act(&lab(), "mark_task", json!({"task": 2, "done": false}))
        .unwrap();
    assert_eq!(done(&s), [true, false, false, true]);
}

#[test]
fn printing_is_a_read_that_takes_no_version_and_writes_no_history() {
    for state in STATES {
        let mut s = at(state);
        let before = s.order.clone();
        let changes = s.changes.len();
        for actor in [clinic(), lab()] {
            if state == "draft" && actor == lab() {
                assert_eq!(code(&s.act(&actor, "print", no_inputs())), "not_found");
                continue;
            }
            let change = s.act(&actor, "print", no_inputs()).unwrap();
            assert!(change.is_read(), "{state}");
            assert!(change.steps.is_empty());
            assert_eq!(change.version, before.version);
        }
        assert_eq!(s.order, before, "{state}: printing changes nothing");
        assert_eq!(s.changes.len(), changes, "{state}: no history entry");
        assert_eq!(code(&s.act(&stranger(), "print", no_inputs())), "not_found");
    }
}

#[test]
fn create_is_the_clinics_and_starts_a_draft_the_lab_cannot_see() {
    let mut s = sim();
    assert_eq!(code(&s.act(&lab(), "create", create_inputs())), "forbidden");
    let bad = json!({"lines": [{"product": "", "quantity": 0, "unit_price": "1.001"}], "due_date": "2026-03-01"});
    match s.act(&clinic(), "create", bad) {
        Err(Rejection::InvalidInput { fields }) => {
            let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
            assert_eq!(
                named,
                [
                    "lines.0.product",
                    "lines.0.quantity",
                    "lines.0.unit_price",
                    "due_date"
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    s.act(&clinic(), "create", create_inputs()).unwrap();
    assert_eq!(s.status(), "draft");
    assert_eq!(s.order.version, 1);
    assert!(s.available(&lab()).is_err(), "the lab does not see drafts");
    s.act(&clinic(), "publish", no_inputs()).unwrap();
    assert_eq!(
        s.notified(),
        [("lab".to_owned(), "order_published".to_owned())]
    );
    assert!(s.available(&lab()).is_ok());
}

#[test]
fn produce_waits_for_every_task_of_the_work_plan() {
    let mut s = at("production");
    s.act(&lab(), "plan_work", no_inputs()).unwrap();
    let names: Vec<&str> = s
        .field("tasks")
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Model", "Mill", "Glaze", "Quality check"]);
    s.act(&lab(), "plan_work", no_inputs()).unwrap();
    assert_eq!(
        s.field("tasks").as_array().unwrap().len(),
        4,
        "planning twice adds nothing"
    );
    match s.act(&lab(), "produce", no_inputs()) {
        Err(Rejection::GuardFailed {
            rule,
            message,
            values,
            ..
        }) => {
            assert_eq!(rule, "tasks_done");
            assert_eq!(
                message,
                "Mark every task of the work plan done before producing the order: \
                 4 of 4 tasks are still open."
            );
            assert!(values.contains_key("order.tasks"));
        }
        other => panic!("{other:?}"),
    }
    let blocked = s.available(&lab()).unwrap();
    let produce = blocked.iter().find(|a| a.action == "produce").unwrap();
    assert!(
        matches!(produce.blocked, Some(Rejection::GuardFailed { .. })),
        "the blocker is shown before trying"
    );
    s.act(&lab(), "mark_task", json!({"tasks": [1, 3], "done": true}))
        .unwrap();
    match s.act(&lab(), "produce", no_inputs()) {
        Err(Rejection::GuardFailed { message, .. }) => assert!(
            message.ends_with(": 2 of 4 tasks are still open."),
            "{message}"
        ),
        other => panic!("{other:?}"),
    }
    s.act(
        &lab(),
        "mark_task",
        json!({"tasks": [2], "task": 4, "done": true}),
    )
    .unwrap();
    assert!(
        s.available(&lab())
            .unwrap()
            .iter()
            .any(|a| a.action == "produce" && a.blocked.is_none())
    );
    s.act(&lab(), "produce", no_inputs()).unwrap();
    assert_eq!(s.status(), "produced");
}

#[test]
fn tracking_updates_keep_every_number() {
    let mut s = at("shipped");
    s.act(
        &lab(),
        "update_tracking",
        json!({"tracking_number": "TRK-2"}),
    )
    .unwrap();
    s.act(&lab(), "deliver", no_inputs()).unwrap();
    s.act(
        &lab(),
        "update_tracking",
        json!({"tracking_number": "TRK-3"}),
    )
    .unwrap();
    assert_eq!(s.field("tracking_number"), &json!("TRK-3"));
    let numbers: Vec<&str> = s
        .field("tracking")
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["TRK-1", "TRK-2", "TRK-3"]);
    let in_history: Vec<&Json> = s
        .changes
        .iter()
        .flat_map(|c| &c.steps)
        .filter(|st| st.action == "update_tracking")
        .map(|st| &st.inputs["tracking_number"])
        .collect();
    assert_eq!(in_history, [&json!("TRK-2"), &json!("TRK-3")]);
}

#[test]
fn completes_on_its_own_when_delivered_and_paid_in_full() {
    let mut s = at("delivered");
    assert_eq!(view(&s)["paid"], json!(0));
    s.act(&lab(), "record_payment", json!({"amount": "699.99"}))
        .unwrap();
    assert_eq!(s.status(), "delivered");
    assert_eq!(
        code(&s.act(&lab(), "record_payment", json!({"amount": "0.02"}))),
        "guard_failed"
    );
    assert_eq!(
        code(&s.act(&lab(), "record_payment", json!({"amount": "0"}))),
        "invalid_input"
    );
    let change = s
        .act(&lab(), "record_payment", json!({"amount": "0.01"}))
        .unwrap();
    assert_eq!(s.status(), "completed");
    assert_eq!(change.steps.len(), 2, "the payment, then the system's step");
    assert!(change.steps[1].automatic);
    assert_eq!(
        (
            change.steps[1].status_before.as_str(),
            change.steps[1].status_after.as_str()
        ),
        ("delivered", "completed")
    );
}

#[test]
fn prepayment_counts_when_delivered() {
    let mut s = at("produced");
    s.act(&lab(), "record_payment", json!({"amount": "700"}))
        .unwrap();
    s.act(&lab(), "ship", json!({"tracking_number": "T"}))
        .unwrap();
    assert_eq!(s.status(), "shipped", "paid but not delivered");
    s.act(&lab(), "deliver", no_inputs()).unwrap();
    assert_eq!(s.status(), "completed");
}

#[test]
fn payment_instructions_show_once_delivered() {
    let s = at("shipped");
    assert_eq!(view(&s)["payment_instructions"], Json::Null);
    let s = at("delivered");
    let v = view(&s);
    assert_eq!(
        v["payment_instructions"],
        json!("IBAN DE00 1234; reference: the order id")
    );
    assert_eq!(v["balance"], json!(70000));
}

#[test]
fn a_refused_payment_names_the_amounts_as_typed() {
    let mut s = at("delivered");
    s.act(&lab(), "record_payment", json!({"amount": "450.00"}))
        .unwrap();
    let refused = s
        .act(&lab(), "record_payment", json!({"amount": 300}))
        .unwrap_err();
    let Rejection::GuardFailed {
        values, message, ..
    } = &refused
    else {
        panic!("expected a guard, got {refused:?}")
    };
    assert_eq!(values["input.amount"], json!("300.00"));
    assert_eq!(values["order.balance"], json!("250.00"));
    assert!(message.contains("300.00 EUR"), "{message}");
    assert!(
        refused.to_string().contains("input.amount = 300.00"),
        "{refused}"
    );
}

#[test]
fn an_order_carries_its_creators_currency() {
    assert_eq!(view(&at("draft"))["currency"], json!("EUR"));
    let mut s = Sim::new(
        "dental-lab",
        &[("customer", "clinic"), ("lab", "lab-co")],
        json!({"customer": {"currency": "USD"}, "lab": {"currency": "CHF"}}),
    );
    s.act(&clinic(), "create", create_inputs()).unwrap();
    assert_eq!(s.field("currency"), &json!("USD"));
    assert_eq!(view(&s)["currency"], json!("USD"));
}

fn view(s: &Sim) -> Json {
    orderflow_core::engine::vars::order_value(&s.wf, &s.order, &s.settings).unwrap()
}

#[test]
fn history_replays_to_the_same_order() {
    for state in STATES {
        let s = at(state);
        assert_eq!(s.replay(), s.order, "{state}");
    }
}
