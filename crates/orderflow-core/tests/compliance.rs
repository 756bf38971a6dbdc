//! `compliance` against docs/product.md: the decision table of its computed status,
//! every action by every kind of user from several statuses, the stage, and
//! a property test that checks the status against an oracle written here in
//! plain Rust.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Sim, code, no_inputs, user};
use orderflow_core::model::{Actor, Order};
use orderflow_core::rejection::Rejection;
use proptest::prelude::*;
use serde_json::{Value as Json, json};

const STATES: [&str; 6] = [
    "pending_data",
    "pending_products",
    "in_progress",
    "compliance_in_progress",
    "products_in_progress",
    "complete",
];

const STAGES: [&str; 4] = ["created", "packed", "dispatched", "received"];

fn editor() -> Actor {
    user("acme", &["edit"])
}
fn other_editor() -> Actor {
    Actor::user("acme-second-user", "acme", &["edit"])
}
fn viewer() -> Actor {
    Actor::user("acme-viewer", "acme", &["view"])
}
fn stranger() -> Actor {
    user("stranger", &["edit"])
}

/// A world for one order owned by `acme`.
fn sim() -> Sim {
    Sim::new("compliance", &[("owner", "acme")], json!({}))
}

/// Runs an action that must be accepted, a minute after the previous one.
fn ok(s: &mut Sim, actor: &Actor, action: &str, inputs: Json) {
    s.tick(1);
    s.act(actor, action, inputs)
        .unwrap_or_else(|e| panic!("{action}: {e}"));
}

fn created(product_types: &[(&str, i64)], requirements: &[&str]) -> Sim {
    let mut s = sim();
    let product_types: Vec<Json> = product_types
        .iter()
        .map(|(p, q)| json!({"product_type": p, "quantity": q}))
        .collect();
    let requirements: Vec<Json> = requirements.iter().map(|r| json!({"name": r})).collect();
    ok(
        &mut s,
        &editor(),
        "create",
        json!({"product_types": product_types, "requirements": requirements}),
    );
    s
}

/// Bolts (10) and nuts (4); a certificate of origin (1) and a test report (2).
fn standard() -> Sim {
    created(
        &[("bolts", 10), ("nuts", 4)],
        &["Certificate of origin", "Test report"],
    )
}

fn allocate(s: &mut Sim, product_type: &str, quantity: i64) {
    ok(
        s,
        &editor(),
        "allocate",
        json!({"product_type": product_type, "quantity": quantity, "batch_reference": format!("B-{}", s.order.version)}),
    );
}

fn provide(s: &mut Sim, requirement: u64) {
    ok(
        s,
        &editor(),
        "provide_evidence",
        json!({"requirement": requirement, "note": "see the certificate"}),
    );
}

fn complete(s: &mut Sim, requirement: u64) {
    provide(s, requirement);
    ok(
        s,
        &editor(),
        "complete_evidence",
        json!({"requirement": requirement}),
    );
}

/// The standard order driven to `state`.
fn at(state: &str) -> Sim {
    let mut s = standard();
    match state {
        "pending_data" => {}
        "pending_products" => provide(&mut s, 1),
        "in_progress" => {
            allocate(&mut s, "bolts", 5);
            provide(&mut s, 1);
        }
        "compliance_in_progress" => {
            allocate(&mut s, "bolts", 10);
            allocate(&mut s, "nuts", 4);
            provide(&mut s, 1);
        }
        "products_in_progress" => {
            allocate(&mut s, "bolts", 5);
            complete(&mut s, 1);
            complete(&mut s, 2);
        }
        "complete" => {
            allocate(&mut s, "bolts", 10);
            allocate(&mut s, "nuts", 4);
            complete(&mut s, 1);
            complete(&mut s, 2);
        }
        other => panic!("no such state {other}"),
    }
    assert_eq!(s.status(), state);
    s
}

fn view(s: &Sim) -> Json {
    orderflow_core::engine::vars::order_value(&s.wf, &s.order, &s.settings).unwrap()
}

// ---------------------------------------------------------------- oracle ---

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Allocation {
    None,
    Partial,
    Full,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Evidence {
    None,
    Partial,
    Complete,
}

/// docs/product.md's table, written out independently of the definition.
fn table(allocation: Allocation, evidence: Evidence) -> &'static str {
    use Allocation as A;
    use Evidence as E;
    match (allocation, evidence) {
        (A::Full, E::Complete) => "complete",
        (A::Full, E::None | E::Partial) => "compliance_in_progress",
        (A::None, E::None) => "pending_data",
        (A::None, E::Partial | E::Complete) => "pending_products",
        (A::Partial, E::Complete) => "products_in_progress",
        (A::Partial, E::None | E::Partial) => "in_progress",
    }
}

/// Allocation from (product type, required) and (product type, quantity).
fn allocation_of(types: &[(String, i64)], allocations: &[(String, i64)]) -> Allocation {
    let allocated = |t: &str| -> i64 {
        allocations
            .iter()
            .filter(|(p, _)| p == t)
            .map(|(_, q)| q)
            .sum()
    };
    if types.iter().all(|(t, required)| allocated(t) >= *required) {
        Allocation::Full
    } else if allocations.is_empty() {
        Allocation::None
    } else {
        Allocation::Partial
    }
}

fn evidence_of<'a>(states: impl IntoIterator<Item = &'a str> + Clone) -> Evidence {
    if states.clone().into_iter().all(|s| s == "completed") {
        Evidence::Complete
    } else if states.into_iter().all(|s| s == "missing") {
        Evidence::None
    } else {
        Evidence::Partial
    }
}

fn records<'a>(order: &'a Order, collection: &str) -> &'a [Json] {
    order
        .data
        .get(collection)
        .and_then(Json::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The status the table gives an order's data, read from its snapshot.
fn oracle(order: &Order) -> &'static str {
    let pair = |r: &Json| {
        (
            r["product_type"].as_str().unwrap().to_owned(),
            r["quantity"].as_i64().unwrap(),
        )
    };
    let types: Vec<_> = records(order, "product_types").iter().map(pair).collect();
    let allocations: Vec<_> = records(order, "allocations").iter().map(pair).collect();
    let states = records(order, "requirements")
        .iter()
        .map(|r| r["state"].as_str().unwrap());
    table(
        allocation_of(&types, &allocations),
        evidence_of(states.collect::<Vec<_>>()),
    )
}

// -------------------------------------------------------- decision table ---

#[test]
fn the_oracle_is_the_table_of_spec_md() {
    use Allocation as A;
    use Evidence as E;
    let rows = [
        (A::Full, E::Complete, "complete"),
        (A::Full, E::None, "compliance_in_progress"),
        (A::Full, E::Partial, "compliance_in_progress"),
        (A::None, E::None, "pending_data"),
        (A::None, E::Partial, "pending_products"),
        (A::None, E::Complete, "pending_products"),
        (A::Partial, E::Complete, "products_in_progress"),
        (A::Partial, E::None, "in_progress"),
        (A::Partial, E::Partial, "in_progress"),
    ];
    for (a, e, status) in rows {
        assert_eq!(table(a, e), status, "{a:?} × {e:?}");
    }
}

/// How to reach one allocation measure on the standard order.
fn reach_allocation(s: &mut Sim, how: &str) {
    match how {
        "none" => {}
        "one type partly" => allocate(s, "bolts", 3),
        "one type full, one empty" => allocate(s, "bolts", 10),
        "both partly" => {
            allocate(s, "bolts", 9);
            allocate(s, "nuts", 3);
        }
        "full" => {
            allocate(s, "bolts", 4);
            allocate(s, "bolts", 6);
            allocate(s, "nuts", 4);
        }
        "over-allocated" => {
            allocate(s, "bolts", 25);
            allocate(s, "nuts", 5);
        }
        other => panic!("{other}"),
    }
}

/// How to reach one evidence measure on the standard order.
fn reach_evidence(s: &mut Sim, how: &str) {
    match how {
        "none" => {}
        "one provided" => provide(s, 1),
        "both provided" => {
            provide(s, 1);
            provide(s, 2);
        }
        "one completed, one missing" => complete(s, 1),
        "one completed, one provided" => {
            complete(s, 1);
            provide(s, 2);
        }
        "all completed" => {
            complete(s, 1);
            complete(s, 2);
        }
        other => panic!("{other}"),
    }
}

#[test]
fn every_cell_of_the_decision_table_and_the_vacuous_cases() {
    let allocations = [
        ("none", "none"),
        ("one type partly", "partial"),
        ("one type full, one empty", "partial"),
        ("both partly", "partial"),
        ("full", "full"),
        ("over-allocated", "full"),
    ];
    let evidences = [
        ("none", "none"),
        ("one provided", "partial"),
        ("both provided", "partial"),
        ("one completed, one missing", "partial"),
        ("one completed, one provided", "partial"),
        ("all completed", "complete"),
    ];
    let mut cells = std::collections::BTreeSet::new();
    for (alloc_how, allocation) in allocations {
        for (evidence_how, evidence) in evidences {
            for allocation_first in [true, false] {
                let mut s = standard();
                if allocation_first {
                    reach_allocation(&mut s, alloc_how);
                    reach_evidence(&mut s, evidence_how);
                } else {
                    reach_evidence(&mut s, evidence_how);
                    reach_allocation(&mut s, alloc_how);
                }
                let v = view(&s);
                let case = format!("{alloc_how} × {evidence_how}");
                assert_eq!(v["allocation"], json!(allocation), "{case}");
                assert_eq!(v["evidence"], json!(evidence), "{case}");
                let expected = expected_status(allocation, evidence);
                assert_eq!(s.status(), expected, "{case}");
                assert_eq!(s.status(), oracle(&s.order), "{case}");
                assert_eq!(s.replay(), s.order, "{case}");
                cells.insert((allocation, evidence));
            }
        }
    }
    assert_eq!(cells.len(), 9, "all nine cells were built");

    // Vacuous cases: no product types means allocation full, no
    // requirements means evidence complete; a type requiring 0 is at 100%.
    let vacuous: [Vacuous; 6] = [
        (&[], &[], "full", "complete", "complete"),
        (&[], &["Permit"], "full", "none", "compliance_in_progress"),
        (&[("bolts", 3)], &[], "none", "complete", "pending_products"),
        (&[("bolts", 0)], &[], "full", "complete", "complete"),
        (
            &[("bolts", 0), ("nuts", 0)],
            &["Permit"],
            "full",
            "none",
            "compliance_in_progress",
        ),
        (
            &[("bolts", 0), ("nuts", 2)],
            &[],
            "none",
            "complete",
            "pending_products",
        ),
    ];
    for (types, requirements, allocation, evidence, status) in vacuous {
        let s = created(types, requirements);
        let v = view(&s);
        let case = format!("{types:?} / {requirements:?}");
        assert_eq!(v["allocation"], json!(allocation), "{case}");
        assert_eq!(v["evidence"], json!(evidence), "{case}");
        assert_eq!(s.status(), status, "{case}");
        assert_eq!(s.status(), oracle(&s.order), "{case}");
        let step = &s.changes[0].steps[0];
        assert_eq!(
            (step.status_before.as_str(), step.status_after.as_str()),
            ("", status),
            "the creating step records the computed status"
        );
    }
}

/// Product types, requirements, then the allocation, evidence and status
/// the new order has.
type Vacuous = (
    &'static [(&'static str, i64)],
    &'static [&'static str],
    &'static str,
    &'static str,
    &'static str,
);

fn expected_status(allocation: &str, evidence: &str) -> &'static str {
    let a = match allocation {
        "none" => Allocation::None,
        "partial" => Allocation::Partial,
        _ => Allocation::Full,
    };
    let e = match evidence {
        "none" => Evidence::None,
        "partial" => Evidence::Partial,
        _ => Evidence::Complete,
    };
    table(a, e)
}

#[test]
fn required_zero_and_over_allocation() {
    // Allocating to a type that requires 0 is accepted and counts as
    // something allocated: the order leaves `none` but is not full while
    // another type is short.
    let mut s = created(&[("samples", 0), ("bolts", 10)], &[]);
    assert_eq!(s.status(), "pending_products");
    allocate(&mut s, "samples", 2);
    assert_eq!(view(&s)["allocation"], json!("partial"));
    assert_eq!(s.status(), "products_in_progress");
    // Over-allocation is accepted and keeps the type at (over) 100%.
    allocate(&mut s, "bolts", 12);
    assert_eq!(s.status(), "complete");
    assert_eq!(
        view(&s)["allocation_by_type"],
        json!([
            {"product_type": "samples", "required": 0, "allocated": 2},
            {"product_type": "bolts", "required": 10, "allocated": 12},
        ])
    );
}

// ------------------------------------------------------ actions × users ---

struct Row {
    action: &'static str,
    /// `edit` or `system`: who may take it.
    by: &'static str,
    inputs: fn() -> Json,
    required: &'static [&'static str],
    /// For the one allowed: the code in each state of [`STATES`] (the
    /// standard order's records make some refusals expected).
    allowed: [&'static str; 6],
}

const OK: [&str; 6] = ["ok"; 6];

const ROWS: &[Row] = &[
    Row {
        action: "add_product_type",
        by: "edit",
        inputs: || json!({"product_type": "washers", "quantity": 3}),
        required: &["product_type", "quantity"],
        allowed: OK,
    },
    Row {
        action: "allocate",
        by: "edit",
        inputs: || json!({"product_type": "bolts", "quantity": 2, "batch_reference": "B-9"}),
        required: &["product_type", "quantity", "batch_reference"],
        allowed: OK,
    },
    Row {
        action: "deallocate",
        by: "edit",
        inputs: || json!({"allocation": 1}),
        required: &["allocation"],
        // pending_data and pending_products have no allocation 1.
        allowed: ["invalid_input", "invalid_input", "ok", "ok", "ok", "ok"],
    },
    Row {
        action: "add_requirement",
        by: "edit",
        inputs: || json!({"name": "Audit report"}),
        required: &["name"],
        allowed: OK,
    },
    Row {
        action: "provide_evidence",
        by: "edit",
        inputs: || json!({"requirement": 1, "note": "signed by the mill"}),
        required: &["requirement"],
        allowed: OK,
    },
    Row {
        action: "complete_evidence",
        by: "edit",
        inputs: || json!({"requirement": 1}),
        required: &["requirement"],
        // Requirement 1 is missing at pending_data, completed at the last two.
        allowed: [
            "guard_failed",
            "ok",
            "ok",
            "ok",
            "guard_failed",
            "guard_failed",
        ],
    },
    Row {
        action: "remove_evidence",
        by: "edit",
        inputs: || json!({"requirement": 1}),
        required: &["requirement"],
        // Requirement 1 has no evidence at pending_data.
        allowed: ["guard_failed", "ok", "ok", "ok", "ok", "ok"],
    },
    Row {
        action: "set_stage",
        by: "edit",
        inputs: || json!({"stage": "packed"}),
        required: &["stage"],
        allowed: OK,
    },
    Row {
        action: "record_traceability_event",
        by: "system",
        inputs: || json!({"product_type": "nuts", "quantity": 1, "batch_reference": "T-1", "event_id": "evt-1"}),
        required: &["product_type", "quantity", "batch_reference"],
        allowed: OK,
    },
];

#[test]
fn every_action_from_every_status_by_every_kind_of_user() {
    let actors = [
        ("edit", editor()),
        ("view", viewer()),
        ("no role", user("acme", &[])),
        ("stranger", stranger()),
        ("system", Actor::System),
    ];
    for (i, state) in STATES.iter().enumerate() {
        let mut s = at(state);
        for row in ROWS {
            for (who, actor) in &actors {
                let before = s.order.clone();
                let expected = if *who == "stranger" {
                    "not_found"
                } else if *who == row.by {
                    row.allowed[i]
                } else {
                    "forbidden"
                };
                let result = s.act(actor, row.action, (row.inputs)());
                let case = format!("{} by {who} from {state}: {result:?}", row.action);
                assert_eq!(code(&result), expected, "{case}");
                if expected == "ok" {
                    assert_eq!(s.order.version, before.version + 1, "{case}");
                    assert_eq!(s.status(), oracle(&s.order), "{case}");
                    assert_eq!(s.replay(), s.order, "{case}");
                    rewind(&mut s, before);
                } else {
                    assert_eq!(s.order, before, "{case}: a refusal changes nothing");
                }
                if let Err(Rejection::Forbidden { allowed, .. }) = &result {
                    let by = if row.by == "edit" {
                        "owner:edit"
                    } else {
                        "system"
                    };
                    assert_eq!(allowed, &[by.to_owned()], "{case}");
                }
            }
        }
    }
}

/// Takes back the changes made since the order was `before`, so one world
/// serves many attempts.
fn rewind(s: &mut Sim, before: Order) {
    s.changes.truncate(usize::try_from(before.version).unwrap());
    s.order = before;
}

#[test]
fn every_required_input_is_named_when_missing() {
    for row in ROWS {
        let mut s = at("in_progress");
        let actor = if row.by == "system" {
            Actor::System
        } else {
            editor()
        };
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
fn create_needs_edit_rights_and_names_bad_inputs() {
    let mut s = sim();
    for actor in [viewer(), user("acme", &[])] {
        assert_eq!(code(&s.act(&actor, "create", no_inputs())), "forbidden");
    }
    let bad = json!({
        "product_types": [{"product_type": "", "quantity": -1}, {"quantity": 1.5}],
        "requirements": [{"name": ""}],
        "colour": "red",
    });
    match s.act(&editor(), "create", bad) {
        Err(Rejection::InvalidInput { fields }) => {
            let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
            assert_eq!(
                named,
                [
                    "colour",
                    "product_types.0.product_type",
                    "product_types.0.quantity",
                    "product_types.1.product_type",
                    "product_types.1.quantity",
                    "requirements.0.name",
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    let twice = json!({"product_types": [
        {"product_type": "bolts", "quantity": 1},
        {"product_type": "bolts", "quantity": 2},
    ]});
    match s.act(&editor(), "create", twice) {
        Err(Rejection::GuardFailed { rule, .. }) => assert_eq!(rule, "distinct_product_types"),
        other => panic!("{other:?}"),
    }
    assert_eq!(s.order.version, 0, "refusals create nothing");
    ok(&mut s, &editor(), "create", no_inputs());
    assert_eq!(s.status(), "complete", "nothing to allocate or prove");
    assert_eq!(s.field("stage"), &json!("created"));
    assert_eq!(s.order.version, 1);
}

#[test]
fn view_only_users_read_everything_and_may_take_nothing() {
    for state in STATES {
        let s = at(state);
        let listed = s.available(&viewer()).expect("a viewer sees the order");
        assert!(!listed.is_empty());
        for a in &listed {
            assert!(
                matches!(a.blocked, Some(Rejection::Forbidden { .. })),
                "{} from {state} for a viewer: {:?}",
                a.action,
                a.blocked
            );
        }
        let editable = s.available(&editor()).unwrap();
        assert!(
            editable
                .iter()
                .any(|a| a.action == "set_stage" && a.blocked.is_none()),
            "the stage control is the editor's"
        );
        assert!(
            !editable
                .iter()
                .any(|a| matches!(a.blocked, Some(Rejection::Forbidden { .. }))),
            "an editor may take every action of the owner from {state}"
        );
        assert!(matches!(s.available(&stranger()), Err(Rejection::NotFound)));
    }
}

#[test]
fn no_action_sets_the_status_and_no_state_is_final() {
    let s = sim();
    let ids: Vec<&str> = s.wf.def.states.iter().map(|st| st.id.as_str()).collect();
    assert_eq!(ids, STATES);
    let labels: Vec<&str> = s.wf.def.states.iter().map(|st| st.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "Pending data",
            "Pending products",
            "In progress",
            "Compliance in progress",
            "Products in progress",
            "Complete",
        ]
    );
    assert!(s.wf.def.states.iter().all(|st| !st.is_final));
    for a in &s.wf.def.actions {
        assert!(a.to.is_none(), "{} sets no status", a.id);
        if !a.creates {
            assert_eq!(a.from, ["*"], "{} is open in every status", a.id);
        }
    }
    assert!(s.wf.def.status_rules.iter().all(|r| r.from.is_empty()));
    for banned in [
        "approve", "accept", "reject", "cancel", "submit", "publish", "lock",
    ] {
        assert!(s.wf.def.action(banned).is_none(), "{banned}");
    }
}

// ------------------------------------------------------------ behaviours ---

#[test]
fn allocation_needs_a_listed_type_and_a_positive_quantity() {
    let mut s = at("pending_data");
    let refused = [
        (
            json!({"product_type": "rivets", "quantity": 1, "batch_reference": "B"}),
            "guard_failed",
        ),
        (
            json!({"product_type": "bolts", "quantity": 0, "batch_reference": "B"}),
            "invalid_input",
        ),
        (
            json!({"product_type": "bolts", "quantity": -3, "batch_reference": "B"}),
            "invalid_input",
        ),
        (
            json!({"product_type": "bolts", "quantity": 1.5, "batch_reference": "B"}),
            "invalid_input",
        ),
        (
            json!({"product_type": "bolts", "quantity": 1, "batch_reference": " "}),
            "invalid_input",
        ),
    ];
    for (inputs, expected) in refused {
        let result = s.act(&editor(), "allocate", inputs.clone());
        assert_eq!(code(&result), expected, "{inputs}");
        if let Err(Rejection::GuardFailed { rule, values, .. }) = &result {
            assert_eq!(rule, "product_type_listed");
            assert_eq!(values["input.product_type"], json!("rivets"));
        }
    }
    assert_eq!(s.order.version, 1);
    let trace = json!({"product_type": "rivets", "quantity": 1, "batch_reference": "T"});
    assert_eq!(
        code(&s.act(&Actor::System, "record_traceability_event", trace)),
        "guard_failed"
    );
    ok(
        &mut s,
        &editor(),
        "add_product_type",
        json!({"product_type": "rivets", "quantity": 5}),
    );
    assert_eq!(
        code(&s.act(
            &editor(),
            "add_product_type",
            json!({"product_type": "rivets", "quantity": 1})
        )),
        "guard_failed"
    );
    allocate(&mut s, "rivets", 5);
    assert_eq!(s.status(), "in_progress");
    let batch = &s.field("allocations")[0];
    assert_eq!(batch["source"], json!("manual"));
    assert_eq!(batch["by"], json!("acme-user"));
    assert_eq!(batch["id"], json!(1));
}

#[test]
fn traceability_events_allocate_automatically() {
    let mut s = at("pending_data");
    s.tick(1);
    let change = s
        .act(
            &Actor::System,
            "record_traceability_event",
            json!({"product_type": "bolts", "quantity": 10, "batch_reference": "LOT-7", "event_id": "evt-42"}),
        )
        .unwrap();
    assert_eq!(change.actor, Actor::System);
    assert_eq!(s.status(), "in_progress");
    s.tick(1);
    s.act(
        &Actor::System,
        "record_traceability_event",
        json!({"product_type": "nuts", "quantity": 4, "batch_reference": "LOT-8"}),
    )
    .unwrap();
    assert_eq!(s.status(), "compliance_in_progress");
    let batches = s.field("allocations").as_array().unwrap();
    assert_eq!(batches.len(), 2);
    assert!(batches.iter().all(|b| b["source"] == json!("traceability")));
    assert_eq!(batches[0]["event_id"], json!("evt-42"));
    assert_eq!(batches[0]["batch_reference"], json!("LOT-7"));
    // A wrong event can be undone by hand.
    ok(&mut s, &editor(), "deallocate", json!({"allocation": 2}));
    assert_eq!(s.status(), "in_progress");
}

#[test]
fn evidence_needs_a_file_or_a_note() {
    let mut s = at("pending_data");
    let file =
        json!({"id": "f-1", "name": "origin.pdf", "media_type": "application/pdf", "size": 2048});
    match s.act(&editor(), "provide_evidence", json!({"requirement": 1})) {
        Err(Rejection::GuardFailed { rule, .. }) => assert_eq!(rule, "file_or_note"),
        other => panic!("{other:?}"),
    }
    for bad in [
        json!({"requirement": 1, "note": ""}),
        json!({"requirement": 1, "file": [file.clone(), file.clone()]}),
        json!({"requirement": 1, "file": [{"name": "no id"}]}),
    ] {
        assert_eq!(
            code(&s.act(&editor(), "provide_evidence", bad.clone())),
            "invalid_input",
            "{bad}"
        );
    }
    assert_eq!(
        code(&s.act(
            &editor(),
            "provide_evidence",
            json!({"requirement": 9, "note": "x"})
        )),
        "invalid_input",
        "an unknown requirement is named"
    );
    assert_eq!(s.order.version, 1);
    ok(
        &mut s,
        &editor(),
        "provide_evidence",
        json!({"requirement": 1, "file": [file.clone()]}),
    );
    assert_eq!(s.status(), "pending_products");
    ok(
        &mut s,
        &editor(),
        "provide_evidence",
        json!({"requirement": 2, "note": "on file since 2025"}),
    );
    let reqs = s.field("requirements").as_array().unwrap().clone();
    assert_eq!(reqs[0]["state"], json!("provided"));
    assert_eq!(reqs[0]["file"], json!([file]));
    assert_eq!(reqs[1]["note"], json!("on file since 2025"));
    assert_eq!(reqs[1]["provided_by"], json!("acme-user"));
}

#[test]
fn completing_needs_evidence_and_new_evidence_must_be_completed_again() {
    let mut s = at("pending_data");
    match s.act(&editor(), "complete_evidence", json!({"requirement": 1})) {
        Err(Rejection::GuardFailed { rule, .. }) => assert_eq!(rule, "evidence_provided"),
        other => panic!("{other:?}"),
    }
    complete(&mut s, 1);
    match s.act(&editor(), "complete_evidence", json!({"requirement": 1})) {
        Err(Rejection::GuardFailed { rule, .. }) => assert_eq!(rule, "not_completed"),
        other => panic!("{other:?}"),
    }
    complete(&mut s, 2);
    assert_eq!(s.status(), "pending_products");
    assert_eq!(view(&s)["evidence"], json!("complete"));
    provide(&mut s, 2);
    assert_eq!(view(&s)["evidence"], json!("partial"));
    assert_eq!(s.field("requirements")[1]["state"], json!("provided"));
    assert_eq!(s.field("requirements")[1]["completed_at"], Json::Null);
}

#[test]
fn the_status_moves_in_both_directions() {
    let mut s = at("complete");
    let trail = |s: &Sim| s.status().to_owned();
    ok(
        &mut s,
        &editor(),
        "remove_evidence",
        json!({"requirement": 2}),
    );
    assert_eq!(trail(&s), "compliance_in_progress", "complete drops back");
    assert_eq!(s.field("requirements")[1]["state"], json!("missing"));
    complete(&mut s, 2);
    assert_eq!(trail(&s), "complete");
    ok(&mut s, &editor(), "deallocate", json!({"allocation": 2}));
    assert_eq!(trail(&s), "products_in_progress");
    ok(&mut s, &editor(), "deallocate", json!({"allocation": 1}));
    assert_eq!(trail(&s), "pending_products");
    ok(
        &mut s,
        &editor(),
        "remove_evidence",
        json!({"requirement": 1}),
    );
    ok(
        &mut s,
        &editor(),
        "remove_evidence",
        json!({"requirement": 2}),
    );
    assert_eq!(trail(&s), "pending_data");
    assert_eq!(
        code(&s.act(&editor(), "deallocate", json!({"allocation": 1}))),
        "invalid_input",
        "a removed allocation is gone"
    );
    allocate(&mut s, "bolts", 10);
    allocate(&mut s, "nuts", 4);
    assert_eq!(
        s.field("allocations")[0]["id"],
        json!(3),
        "ids are not reused"
    );
    assert_eq!(trail(&s), "compliance_in_progress");
    complete(&mut s, 1);
    complete(&mut s, 2);
    assert_eq!(trail(&s), "complete");
    ok(
        &mut s,
        &editor(),
        "add_product_type",
        json!({"product_type": "washers", "quantity": 100}),
    );
    assert_eq!(
        trail(&s),
        "products_in_progress",
        "a new type is unallocated"
    );
    allocate(&mut s, "washers", 100);
    ok(
        &mut s,
        &editor(),
        "add_requirement",
        json!({"name": "Audit"}),
    );
    assert_eq!(
        trail(&s),
        "compliance_in_progress",
        "a new requirement is missing"
    );
    // Every step recorded the status it moved between.
    let moves: Vec<(String, String)> = s
        .changes
        .iter()
        .flat_map(|c| &c.steps)
        .map(|st| (st.status_before.clone(), st.status_after.clone()))
        .collect();
    assert!(moves.contains(&("complete".into(), "compliance_in_progress".into())));
    assert!(moves.contains(&("complete".into(), "products_in_progress".into())));
    assert_eq!(s.replay(), s.order);
}

#[test]
fn the_stage_moves_freely_and_never_moves_the_status() {
    for state in STATES {
        let mut s = at(state);
        let start = s.order.clone();
        for from in STAGES {
            for to in STAGES {
                rewind(&mut s, start.clone());
                ok(&mut s, &editor(), "set_stage", json!({"stage": from}));
                let stamped = s.field("dispatched_at").clone();
                s.tick(5);
                let change = s
                    .act(&editor(), "set_stage", json!({"stage": to}))
                    .unwrap_or_else(|e| panic!("{from} → {to} at {state}: {e}"));
                assert_eq!(s.field("stage"), &json!(to));
                assert_eq!(
                    s.status(),
                    state,
                    "{from} → {to}: the stage is not the status"
                );
                let step = &change.steps[0];
                assert_eq!(step.status_before, step.status_after);
                let expected = if to == "dispatched" && from != "dispatched" {
                    json!(s.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                } else {
                    stamped
                };
                assert_eq!(
                    s.field("dispatched_at"),
                    &expected,
                    "{from} → {to} at {state}"
                );
            }
        }
    }
    let mut s = at("pending_data");
    assert_eq!(s.field("dispatched_at"), &Json::Null);
    assert_eq!(
        code(&s.act(&editor(), "set_stage", json!({"stage": "lost"}))),
        "invalid_input"
    );
    // Created at 09:01; one stage a minute from 09:02.
    for stage in ["received", "created", "dispatched", "dispatched"] {
        ok(&mut s, &editor(), "set_stage", json!({"stage": stage}));
    }
    assert_eq!(
        s.field("dispatched_at"),
        &json!("2026-03-02T09:04:00Z"),
        "dispatching a dispatched order keeps its dispatch time"
    );
    for stage in ["packed", "dispatched", "received"] {
        ok(&mut s, &editor(), "set_stage", json!({"stage": stage}));
    }
    assert_eq!(
        s.field("dispatched_at"),
        &json!("2026-03-02T09:07:00Z"),
        "a new dispatch is recorded, and kept once received"
    );
    assert_eq!(s.status(), "pending_data");
}

#[test]
fn history_names_the_user_of_every_change() {
    let mut s = at("pending_data");
    ok(
        &mut s,
        &other_editor(),
        "allocate",
        json!({"product_type": "bolts", "quantity": 1, "batch_reference": "B"}),
    );
    ok(
        &mut s,
        &editor(),
        "provide_evidence",
        json!({"requirement": 1, "note": "n"}),
    );
    s.act(
        &Actor::System,
        "record_traceability_event",
        json!({"product_type": "nuts", "quantity": 1, "batch_reference": "T"}),
    )
    .unwrap();
    ok(
        &mut s,
        &other_editor(),
        "set_stage",
        json!({"stage": "packed"}),
    );
    let who: Vec<(String, &str)> = s
        .changes
        .iter()
        .map(|c| {
            let name = match &c.actor {
                Actor::User { user, .. } => user.clone(),
                Actor::System => "system".to_owned(),
            };
            (name, c.steps[0].action.as_str())
        })
        .collect();
    assert_eq!(
        who,
        [
            ("acme-user".to_owned(), "create"),
            ("acme-second-user".to_owned(), "allocate"),
            ("acme-user".to_owned(), "provide_evidence"),
            ("system".to_owned(), "record_traceability_event"),
            ("acme-second-user".to_owned(), "set_stage"),
        ]
    );
    let versions: Vec<u64> = s.changes.iter().map(|c| c.version).collect();
    assert_eq!(versions, [1, 2, 3, 4, 5]);
    assert!(
        s.changes
            .iter()
            .all(|c| c.steps.len() == 1 && !c.steps[0].automatic),
        "the status is recomputed inside the step itself"
    );
    assert_eq!(s.changes[1].steps[0].inputs["batch_reference"], json!("B"));
}

#[test]
fn history_replays_to_the_same_order() {
    for state in STATES {
        let s = at(state);
        assert_eq!(s.replay(), s.order, "{state}");
    }
}

// -------------------------------------------------------------- property ---

#[derive(Debug, Clone)]
enum Op {
    Allocate { ty: usize, quantity: i64 },
    Trace { ty: usize, quantity: i64 },
    Deallocate { id: u64 },
    AddRequirement,
    Provide { id: u64, file: bool, note: bool },
    Complete { id: u64 },
    Remove { id: u64 },
    SetStage { stage: usize },
}

/// The product types ops may name; the last is never listed.
const TYPE_NAMES: [&str; 4] = ["bolts", "nuts", "washers", "ghost"];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..TYPE_NAMES.len(), -1i64..7).prop_map(|(ty, quantity)| Op::Allocate { ty, quantity }),
        1 => (0..TYPE_NAMES.len(), -1i64..7).prop_map(|(ty, quantity)| Op::Trace { ty, quantity }),
        2 => (0u64..10).prop_map(|id| Op::Deallocate { id }),
        1 => Just(Op::AddRequirement),
        3 => (0u64..6, any::<bool>(), any::<bool>()).prop_map(|(id, file, note)| Op::Provide { id, file, note }),
        3 => (0u64..6).prop_map(|id| Op::Complete { id }),
        2 => (0u64..6).prop_map(|id| Op::Remove { id }),
        1 => (0..STAGES.len()).prop_map(|stage| Op::SetStage { stage }),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Req {
    Missing,
    Provided,
    Completed,
}

impl Req {
    fn id(self) -> &'static str {
        match self {
            Req::Missing => "missing",
            Req::Provided => "provided",
            Req::Completed => "completed",
        }
    }
}

/// What the order should hold, kept by hand beside the engine.
#[derive(Debug, Default)]
struct Model {
    types: Vec<(String, i64)>,
    /// (record id, product type, quantity)
    allocations: Vec<(u64, String, i64)>,
    next_allocation: u64,
    requirements: Vec<(u64, Req)>,
    next_requirement: u64,
}

impl Model {
    fn new(types: &[(String, i64)], requirements: usize) -> Self {
        Self {
            types: types.to_vec(),
            allocations: Vec::new(),
            next_allocation: 1,
            requirements: (1..=requirements as u64)
                .map(|id| (id, Req::Missing))
                .collect(),
            next_requirement: requirements as u64 + 1,
        }
    }

    fn requirement(&mut self, id: u64) -> Option<&mut Req> {
        self.requirements
            .iter_mut()
            .find(|(r, _)| *r == id)
            .map(|(_, state)| state)
    }

    /// Applies `op` to the model: `Ok` when the engine must accept it, the
    /// refusal's code when it must not (and then the model is unchanged).
    fn step(&mut self, op: &Op) -> Result<(), &'static str> {
        match *op {
            Op::Allocate { ty, quantity } | Op::Trace { ty, quantity } => {
                let name = TYPE_NAMES[ty];
                if quantity <= 0 {
                    return Err("invalid_input");
                }
                if !self.types.iter().any(|(t, _)| t == name) {
                    return Err("guard_failed");
                }
                self.allocations
                    .push((self.next_allocation, name.to_owned(), quantity));
                self.next_allocation += 1;
                Ok(())
            }
            Op::Deallocate { id } => {
                let before = self.allocations.len();
                self.allocations.retain(|(a, _, _)| *a != id);
                if self.allocations.len() == before {
                    Err("invalid_input")
                } else {
                    Ok(())
                }
            }
            Op::AddRequirement => {
                self.requirements
                    .push((self.next_requirement, Req::Missing));
                self.next_requirement += 1;
                Ok(())
            }
            Op::Provide { id, file, note } => {
                if !file && !note {
                    return Err("guard_failed");
                }
                let state = self.requirement(id).ok_or("invalid_input")?;
                *state = Req::Provided;
                Ok(())
            }
            Op::Complete { id } => {
                let state = self.requirement(id).ok_or("invalid_input")?;
                if *state != Req::Provided {
                    return Err("guard_failed");
                }
                *state = Req::Completed;
                Ok(())
            }
            Op::Remove { id } => {
                let state = self.requirement(id).ok_or("invalid_input")?;
                if *state == Req::Missing {
                    return Err("guard_failed");
                }
                *state = Req::Missing;
                Ok(())
            }
            Op::SetStage { .. } => Ok(()),
        }
    }

    fn status(&self) -> &'static str {
        let allocations: Vec<(String, i64)> = self
            .allocations
            .iter()
            .map(|(_, t, q)| (t.clone(), *q))
            .collect();
        let states: Vec<&str> = self.requirements.iter().map(|(_, s)| s.id()).collect();
        table(
            allocation_of(&self.types, &allocations),
            evidence_of(states),
        )
    }
}

fn run(s: &mut Sim, op: &Op) -> Result<orderflow_core::engine::Change, Rejection> {
    let file =
        json!({"id": "f-1", "name": "proof.pdf", "media_type": "application/pdf", "size": 10});
    match *op {
        Op::Allocate { ty, quantity } => s.act(
            &editor(),
            "allocate",
            json!({"product_type": TYPE_NAMES[ty], "quantity": quantity, "batch_reference": "B"}),
        ),
        Op::Trace { ty, quantity } => s.act(
            &Actor::System,
            "record_traceability_event",
            json!({"product_type": TYPE_NAMES[ty], "quantity": quantity, "batch_reference": "T"}),
        ),
        Op::Deallocate { id } => s.act(&editor(), "deallocate", json!({"allocation": id})),
        Op::AddRequirement => s.act(&editor(), "add_requirement", json!({"name": "Extra"})),
        Op::Provide {
            id,
            file: with_file,
            note,
        } => {
            let mut inputs = json!({"requirement": id});
            if with_file {
                inputs["file"] = json!([file]);
            }
            if note {
                inputs["note"] = json!("noted");
            }
            s.act(&editor(), "provide_evidence", inputs)
        }
        Op::Complete { id } => s.act(&editor(), "complete_evidence", json!({"requirement": id})),
        Op::Remove { id } => s.act(&editor(), "remove_evidence", json!({"requirement": id})),
        Op::SetStage { stage } => s.act(&editor(), "set_stage", json!({"stage": STAGES[stage]})),
    }
}

/// Initial product types: each of the first three names, listed or not,
/// with a requirement of 0 to 5.
fn initial_types() -> impl Strategy<Value = Vec<(String, i64)>> {
    proptest::collection::vec((any::<bool>(), 0i64..6), 3).prop_map(|picks| {
        picks
            .into_iter()
            .enumerate()
            .filter(|(_, (listed, _))| *listed)
            .map(|(i, (_, required))| (TYPE_NAMES[i].to_owned(), required))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_status_is_always_the_table_of_the_data(
        types in initial_types(),
        requirements in 0usize..4,
        ops in proptest::collection::vec(op(), 0..=30),
    ) {
        let names: Vec<String> = (1..=requirements).map(|i| format!("Requirement {i}")).collect();
        let type_refs: Vec<(&str, i64)> = types.iter().map(|(t, q)| (t.as_str(), *q)).collect();
        let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut s = created(&type_refs, &name_refs);
        let mut model = Model::new(&types, requirements);
        prop_assert_eq!(s.status(), model.status());
        let mut accepted = 0u64;
        for op in &ops {
            s.tick(1);
            let before = s.order.clone();
            let expected = model.step(op);
            let result = run(&mut s, op);
            match expected {
                Ok(()) => {
                    prop_assert!(result.is_ok(), "{:?} was refused: {:?}", op, result);
                    prop_assert_eq!(s.order.version, before.version + 1);
                    accepted += 1;
                }
                Err(refusal) => {
                    prop_assert_eq!(code(&result), refusal, "{:?}", op);
                    prop_assert_eq!(&s.order, &before, "a refusal changes nothing");
                }
            }
            prop_assert_eq!(s.status(), model.status(), "after {:?}", op);
            prop_assert_eq!(s.status(), oracle(&s.order), "after {:?}", op);
            let states: Vec<(u64, String)> = records(&s.order, "requirements")
                .iter()
                .map(|r| (r["id"].as_u64().unwrap(), r["state"].as_str().unwrap().to_owned()))
                .collect();
            let expected_states: Vec<(u64, String)> = model
                .requirements
                .iter()
                .map(|(id, st)| (*id, st.id().to_owned()))
                .collect();
            prop_assert_eq!(states, expected_states);
            let allocations: Vec<(u64, String, i64)> = records(&s.order, "allocations")
                .iter()
                .map(|a| {
                    (
                        a["id"].as_u64().unwrap(),
                        a["product_type"].as_str().unwrap().to_owned(),
                        a["quantity"].as_i64().unwrap(),
                    )
                })
                .collect();
            prop_assert_eq!(&allocations, &model.allocations);
        }
        prop_assert_eq!(s.changes.len() as u64, 1 + accepted, "one change per accepted step");
        prop_assert_eq!(s.order.version, s.changes.len() as u64);
        prop_assert_eq!(s.replay(), s.order);
    }
}
