//! `purchasing` against docs/product.md: every row of its table, and the behaviours
//! the page describes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{DateTime, Utc};
use common::{Sim, code, expect_cell, expected_code, no_inputs, user};
use orderflow_core::event::Event;
use orderflow_core::model::Actor;
use orderflow_core::rejection::Rejection;
use serde_json::{Value as Json, json};

const STATES: [&str; 10] = [
    "needs_approval",
    "pending",
    "accepted",
    "partially_accepted",
    "scheduled_for_delivery",
    "completed",
    "in_dispute",
    "completed_after_dispute",
    "declined",
    "abandoned",
];

fn buyer() -> Actor {
    user("outlet-co", &["buyer"])
}
fn approver() -> Actor {
    user("outlet-co", &["approver"])
}
fn supplier() -> Actor {
    user("supplier-co", &[])
}
fn stranger() -> Actor {
    user("stranger", &[])
}

/// A purchasing order between `outlet-co` and `supplier-co` with these
/// organisation settings (slot → object).
fn sim_with(settings: Json) -> Sim {
    Sim::new(
        "purchasing",
        &[("outlet", "outlet-co"), ("supplier", "supplier-co")],
        settings,
    )
}

/// The outlet's purchasing limit is 1,000.00 (kept in cents).
fn sim() -> Sim {
    sim_with(json!({
        "outlet": {"purchasing_limit": "1000.00", "time_zone": "Europe/London"},
        "supplier": {"time_zone": "Europe/Paris"},
    }))
}

/// 10 × 2.50 + 4 × 12.00 = 73.00: within the limit.
fn create_inputs() -> Json {
    json!({
        "lines": [
            {"product": "Tomatoes", "quantity": 10, "unit_price": "2.50"},
            {"product": "Olive oil", "quantity": 4, "unit_price": 12},
        ],
        "note": "Deliver at the back door",
    })
}

/// 5 × 300.00 = 1,500.00: over the limit.
fn big_inputs() -> Json {
    json!({"lines": [{"product": "Espresso machine", "quantity": 5, "unit_price": "300.00"}]})
}

fn at_with(mut s: Sim, state: &str) -> Sim {
    let created = if state == "needs_approval" {
        big_inputs()
    } else {
        create_inputs()
    };
    s.act(&buyer(), "create", created)
        .unwrap_or_else(|e| panic!("create on the way to {state}: {e}"));
    let path: &[(&str, Actor, Json)] = match state {
        "needs_approval" | "pending" => &[],
        "accepted" => &[("accept", supplier(), no_inputs())],
        "partially_accepted" => &[(
            "accept",
            supplier(),
            json!({"partial": true, "lines": [{"line": 1, "quantity": 6}]}),
        )],
        "declined" => &[("decline", supplier(), json!({"note": "out of stock"}))],
        "abandoned" => &[("abandon", buyer(), no_inputs())],
        _ => &[
            ("accept", supplier(), no_inputs()),
            (
                "schedule",
                supplier(),
                json!({"delivery_date": "2026-03-04"}),
            ),
            ("complete", approver(), no_inputs()),
            ("dispute", buyer(), json!({"note": "two bottles broken"})),
            ("resolve", buyer(), no_inputs()),
        ],
    };
    let stop = match state {
        "scheduled_for_delivery" => 2,
        "completed" => 3,
        "in_dispute" => 4,
        _ => path.len(),
    };
    for (action, actor, inputs) in &path[..stop] {
        s.act(actor, action, inputs.clone())
            .unwrap_or_else(|e| panic!("{action} on the way to {state}: {e}"));
    }
    assert_eq!(s.status(), state);
    s
}

/// A new order driven to `state` along the path the page describes.
fn at(state: &str) -> Sim {
    at_with(sim(), state)
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
        action: "approve",
        by: &["outlet:approver"],
        from: &["needs_approval"],
        inputs: no_inputs,
        required: &[],
        to: Some("pending"),
    },
    Row {
        action: "accept",
        by: &["supplier"],
        from: &["pending"],
        inputs: || json!({"note": "all good"}),
        required: &[],
        to: Some("accepted"),
    },
    Row {
        action: "decline",
        by: &["supplier"],
        from: &["pending"],
        inputs: || json!({"note": "we do not deliver there"}),
        required: &[],
        to: Some("declined"),
    },
    Row {
        action: "schedule",
        by: &["supplier"],
        from: &["accepted", "partially_accepted"],
        inputs: || json!({"delivery_date": "2026-03-10"}),
        required: &["delivery_date"],
        to: Some("scheduled_for_delivery"),
    },
    Row {
        action: "complete",
        by: &["outlet"],
        from: &["accepted", "partially_accepted", "scheduled_for_delivery"],
        inputs: || json!({"note": "received"}),
        required: &[],
        to: Some("completed"),
    },
    Row {
        action: "dispute",
        by: &["outlet"],
        from: &["completed"],
        inputs: || json!({"note": "wrong oil"}),
        required: &[],
        to: Some("in_dispute"),
    },
    Row {
        action: "resolve",
        by: &["outlet"],
        from: &["in_dispute"],
        inputs: no_inputs,
        required: &[],
        to: Some("completed_after_dispute"),
    },
    Row {
        action: "abandon",
        by: &["outlet"],
        from: &[
            "needs_approval",
            "pending",
            "accepted",
            "partially_accepted",
        ],
        inputs: no_inputs,
        required: &[],
        to: Some("abandoned"),
    },
    Row {
        action: "reorder",
        by: &["outlet:buyer"],
        from: &["completed", "completed_after_dispute"],
        inputs: no_inputs,
        required: &[],
        to: None,
    },
    Row {
        action: "add_note",
        by: &["outlet", "supplier"],
        from: &[
            "needs_approval",
            "pending",
            "accepted",
            "partially_accepted",
            "scheduled_for_delivery",
            "completed",
            "in_dispute",
            "completed_after_dispute",
            "declined",
        ],
        inputs: || json!({"note": "call before delivering"}),
        required: &["note"],
        to: None,
    },
];

/// The `by` entries an actor of the table test satisfies.
fn entries(who: &str) -> &'static [&'static str] {
    match who {
        "buyer" => &["outlet", "outlet:buyer"],
        "approver" => &["outlet", "outlet:approver"],
        "supplier" => &["supplier"],
        _ => &[],
    }
}

#[test]
fn every_row_of_the_table_from_every_state_by_every_party() {
    let parties = [
        ("buyer", buyer()),
        ("approver", approver()),
        ("supplier", supplier()),
        ("stranger", stranger()),
    ];
    for row in ROWS {
        for state in STATES {
            for (who, actor) in &parties {
                let mut s = at(state);
                let sees = match *who {
                    "stranger" => false,
                    "supplier" => state != "needs_approval",
                    _ => true,
                };
                let expected = expected_code(
                    sees,
                    row.from.contains(&state),
                    row.by.iter().any(|b| entries(who).contains(b)),
                );
                expect_cell(
                    &mut s,
                    actor,
                    row.action,
                    (row.inputs)(),
                    expected,
                    row.from,
                    row.to,
                    &format!("{} by {who} from {state}", row.action),
                );
            }
        }
    }
}

#[test]
fn every_required_input_is_named_when_missing() {
    for row in ROWS.iter().filter(|r| !r.required.is_empty()) {
        let state = row.from[0];
        let actor = if row.by.contains(&"supplier") && state != "needs_approval" {
            supplier()
        } else {
            buyer()
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
    let mut s = sim();
    match s.act(&buyer(), "create", json!({})) {
        Err(Rejection::InvalidInput { fields }) => {
            let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
            assert_eq!(named, ["lines"]);
        }
        other => panic!("create without inputs: {other:?}"),
    }
}

#[test]
fn create_is_the_buyers_and_checks_every_line() {
    for actor in [approver(), supplier(), stranger()] {
        let mut s = sim();
        assert_eq!(
            code(&s.act(&actor, "create", create_inputs())),
            "forbidden",
            "{actor:?}"
        );
    }
    let mut s = sim();
    let bad = json!({"lines": [{"product": "", "quantity": 0, "unit_price": "1.001"}]});
    match s.act(&buyer(), "create", bad) {
        Err(Rejection::InvalidInput { fields }) => {
            let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
            assert_eq!(
                named,
                ["lines.0.product", "lines.0.quantity", "lines.0.unit_price"]
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        code(&s.act(&buyer(), "create", json!({"lines": []}))),
        "invalid_input"
    );
    s.act(&buyer(), "create", create_inputs()).unwrap();
    assert_eq!(s.status(), "pending");
    assert_eq!(s.order.version, 1);
    assert_eq!(view(&s)["total"], json!(7300));
    let lines: Vec<(&str, i64, i64)> = s
        .field("lines")
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["product"].as_str().unwrap(),
                l["quantity"].as_i64().unwrap(),
                l["unit_price"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(lines, [("Tomatoes", 10, 250), ("Olive oil", 4, 1200)]);
    let note = &s.field("notes")[0];
    assert_eq!(note["text"], json!("Deliver at the back door"));
    assert_eq!(note["party"], json!("outlet"));
    assert_eq!(note["author"], json!("outlet-co-user"));
}

fn lines_worth(cents: i64) -> Json {
    json!({"lines": [
        {"product": "Flour", "quantity": 2, "unit_price": format!("{}.{:02}", cents / 200, (cents / 2) % 100)},
    ]})
}

#[test]
fn a_purchasing_limit_of_500_is_500_00() {
    for limit in [json!(500), json!("500"), json!("500.00")] {
        let mut s = sim_with(json!({ "outlet": { "purchasing_limit": limit } }));
        s.act(&buyer(), "create", lines_worth(50_000)).unwrap();
        assert_eq!(s.status(), "pending", "500.00 is within {limit}");
        let mut s = sim_with(json!({ "outlet": { "purchasing_limit": limit } }));
        s.act(&buyer(), "create", lines_worth(50_002)).unwrap();
        assert_eq!(s.status(), "needs_approval", "500.02 is over {limit}");
    }
}

#[test]
fn the_purchasing_limit_decides_between_approval_and_pending() {
    // Equal to the limit: within it.
    let mut s = sim();
    s.act(&buyer(), "create", lines_worth(100_000)).unwrap();
    assert_eq!(s.status(), "pending");
    assert_eq!(view(&s)["total"], json!(100_000));
    assert_eq!(
        s.notified(),
        [("supplier".to_owned(), "order_pending".to_owned())]
    );
    assert!(s.available(&supplier()).is_ok());

    // One cent over it per unit: approval first.
    let mut s = sim();
    s.act(&buyer(), "create", lines_worth(100_002)).unwrap();
    assert_eq!(s.status(), "needs_approval");
    assert_eq!(
        s.notified(),
        [("outlet".to_owned(), "order_needs_approval".to_owned())],
        "the supplier hears nothing of an order it cannot see"
    );
    assert_eq!(
        s.available(&supplier()).unwrap_err(),
        Rejection::NotFound,
        "the supplier does not see it"
    );

    // An outlet without a limit never needs approval.
    for settings in [json!({}), json!({"outlet": {"purchasing_limit": null}})] {
        let mut s = sim_with(settings);
        s.act(&buyer(), "create", lines_worth(10_000_000)).unwrap();
        assert_eq!(s.status(), "pending");
    }

    // A limit of zero: everything but a free order needs approval.
    let mut s = sim_with(json!({"outlet": {"purchasing_limit": 0}}));
    s.act(&buyer(), "create", lines_worth(2)).unwrap();
    assert_eq!(s.status(), "needs_approval");
}

#[test]
fn an_approver_lets_an_order_over_the_limit_go_to_the_supplier() {
    let mut s = at("needs_approval");
    assert_eq!(
        code(&s.act(&supplier(), "accept", no_inputs())),
        "not_found"
    );
    assert_eq!(
        code(&s.act(&supplier(), "add_note", json!({"note": "hello?"}))),
        "not_found"
    );
    match s.act(&buyer(), "approve", no_inputs()) {
        Err(Rejection::Forbidden { allowed, .. }) => assert_eq!(allowed, ["outlet:approver"]),
        other => panic!("{other:?}"),
    }
    let outlet_actions: Vec<String> = s
        .available(&approver())
        .unwrap()
        .into_iter()
        .filter(|a| a.blocked.is_none())
        .map(|a| a.action)
        .collect();
    assert_eq!(outlet_actions, ["approve", "abandon", "add_note"]);
    s.tick(30);
    s.act(&approver(), "approve", no_inputs()).unwrap();
    assert_eq!(s.status(), "pending");
    assert_eq!(
        s.notified(),
        [("supplier".to_owned(), "order_pending".to_owned())]
    );
    assert_eq!(s.field("approved_by"), &json!("outlet-co-user"));
    assert_eq!(s.field("approved_at"), &json!("2026-03-02T09:30:00Z"));
    let supplier_actions: Vec<String> = s
        .available(&supplier())
        .unwrap()
        .into_iter()
        .filter(|a| a.blocked.is_none())
        .map(|a| a.action)
        .collect();
    assert_eq!(supplier_actions, ["accept", "decline", "add_note"]);
    s.act(&supplier(), "accept", no_inputs()).unwrap();
    assert_eq!(s.status(), "accepted");
    assert_eq!(
        s.notified(),
        [("outlet".to_owned(), "order_accepted".to_owned())]
    );
}

fn accepted(s: &Sim) -> Vec<(u64, i64)> {
    s.field("acceptances")
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["line"].as_u64().unwrap(), a["quantity"].as_i64().unwrap()))
        .collect()
}

fn guard(r: &Result<orderflow_core::engine::Change, Rejection>) -> &str {
    match r {
        Err(Rejection::GuardFailed { rule, .. }) => rule,
        other => panic!("expected a guard to fail: {other:?}"),
    }
}

#[test]
fn a_full_acceptance_keeps_every_ordered_quantity() {
    let mut s = at("pending");
    assert_eq!(view(&s)["accepted_total"], Json::Null);
    s.act(&supplier(), "accept", json!({"note": "see you soon"}))
        .unwrap();
    assert_eq!(s.status(), "accepted");
    assert_eq!(accepted(&s), [(1, 10), (2, 4)]);
    assert_eq!(view(&s)["accepted_total"], json!(7300));
    let notes = s.field("notes").as_array().unwrap();
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[1]["text"], json!("see you soon"));
    assert_eq!(notes[1]["party"], json!("supplier"));
    assert_eq!(notes[1]["action"], json!("accept"));
}

#[test]
fn a_partial_acceptance_records_the_quantity_of_each_line() {
    let mut s = at("pending");
    s.act(
        &supplier(),
        "accept",
        json!({"partial": true, "lines": [{"line": 2, "quantity": 1}, {"line": 1, "quantity": 0}], "note": "short on both"}),
    )
    .unwrap();
    assert_eq!(s.status(), "partially_accepted");
    assert_eq!(accepted(&s), [(1, 0), (2, 1)]);
    assert_eq!(view(&s)["accepted_total"], json!(1200));
    assert_eq!(view(&s)["total"], json!(7300), "the order is unchanged");

    // Lines left out are accepted in full.
    let mut s = at("pending");
    s.act(
        &supplier(),
        "accept",
        json!({"partial": true, "lines": [{"line": 1, "quantity": 6}]}),
    )
    .unwrap();
    assert_eq!(s.status(), "partially_accepted");
    assert_eq!(accepted(&s), [(1, 6), (2, 4)]);
    assert_eq!(view(&s)["accepted_total"], json!(6300));

    // "Partial" with everything in full is a plain acceptance.
    let mut s = at("pending");
    s.act(
        &supplier(),
        "accept",
        json!({"partial": true, "lines": [{"line": 1, "quantity": 10}, {"line": 2, "quantity": 4}]}),
    )
    .unwrap();
    assert_eq!(s.status(), "accepted");
    assert_eq!(accepted(&s), [(1, 10), (2, 4)]);
}

#[test]
fn a_partial_acceptance_refuses_what_does_not_fit_the_order() {
    let mut s = at("pending");
    let refusals = [
        (
            json!({"partial": true, "lines": [{"line": 1, "quantity": 11}]}),
            "within_ordered",
        ),
        (
            json!({"partial": true, "lines": [{"line": 9, "quantity": 1}]}),
            "known_lines",
        ),
        (json!({"partial": true}), "partial_names_lines"),
        (
            json!({"lines": [{"line": 1, "quantity": 5}]}),
            "quantities_need_partial",
        ),
        (
            json!({"partial": true, "lines": [{"line": 1, "quantity": 5}, {"line": 1, "quantity": 4}]}),
            "each_line_once",
        ),
        (
            json!({"partial": true, "lines": [{"line": 1, "quantity": 0}, {"line": 2, "quantity": 0}]}),
            "accepts_something",
        ),
    ];
    let named = [
        (
            json!([{"line": 9, "quantity": 1}]),
            "Line 9 is not one of the order's lines.",
        ),
        (
            json!([{"line": 2, "quantity": 1}, {"line": 2, "quantity": 0}]),
            "Give each line only once: line 2 is given more than once.",
        ),
    ];
    for (lines, expected) in named {
        match s.act(
            &supplier(),
            "accept",
            json!({"partial": true, "lines": lines}),
        ) {
            Err(Rejection::GuardFailed { message, .. }) => assert_eq!(message, expected),
            other => panic!("{other:?}"),
        }
    }
    for (inputs, rule) in refusals {
        assert_eq!(
            guard(&s.act(&supplier(), "accept", inputs.clone())),
            rule,
            "{inputs}"
        );
    }
    match s.act(
        &supplier(),
        "accept",
        json!({"partial": true, "lines": [{"line": 1, "quantity": 11}]}),
    ) {
        Err(Rejection::GuardFailed {
            values, message, ..
        }) => {
            assert_eq!(
                message,
                "An accepted quantity cannot be more than the ordered quantity (line 1)."
            );
            assert!(values.contains_key("input.lines"), "{values:?}");
            assert!(values.contains_key("order.lines"), "{values:?}");
        }
        other => panic!("{other:?}"),
    }
    // Still a conflict with the order, and it names the row it is about,
    // so that a form shows the message beside that row's quantity.
    match s.act(
        &supplier(),
        "accept",
        json!({"partial": true, "lines": [{"line": 1, "quantity": 10}, {"line": 2, "quantity": 5}]}),
    ) {
        Err(Rejection::GuardFailed {
            rule,
            message,
            beside,
            ..
        }) => {
            assert_eq!(rule, "within_ordered");
            assert_eq!(
                message,
                "An accepted quantity cannot be more than the ordered quantity (line 2)."
            );
            assert_eq!(beside.as_deref(), Some("lines.1.quantity"));
        }
        other => panic!("{other:?}"),
    }
    match s.act(
        &supplier(),
        "accept",
        json!({"partial": true, "lines": [{"line": 1, "quantity": -1}, {"quantity": 2}]}),
    ) {
        Err(Rejection::InvalidInput { fields }) => {
            let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
            assert_eq!(named, ["lines.0.quantity", "lines.1.line"]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.status(), "pending", "nothing was accepted");
    assert_eq!(s.changes.len(), 1);
}

/// `today` and `tomorrow` are read in the acting supplier's time zone at
/// the time of the request, and history keeps the date they meant.
#[test]
fn schedule_for_tomorrow_is_resolved_in_the_suppliers_time_zone() {
    let at = |now: &str, supplier: Json| {
        let mut s = at_with(
            sim_with(json!({
                "outlet": {"purchasing_limit": "1000.00", "time_zone": "Europe/London"},
                "supplier": supplier,
            })),
            "accepted",
        );
        s.now = DateTime::parse_from_rfc3339(now)
            .unwrap()
            .with_timezone(&Utc);
        s
    };
    let cases = [
        // 23:30 UTC on 2 March is already 3 March in Auckland.
        (
            "2026-03-02T23:30:00Z",
            json!({"time_zone": "Pacific/Auckland"}),
            "tomorrow",
            "2026-03-04",
        ),
        (
            "2026-03-02T23:30:00Z",
            json!({"time_zone": "Pacific/Auckland"}),
            "today",
            "2026-03-03",
        ),
        // 02:00 UTC on 3 March is still 2 March in Los Angeles.
        (
            "2026-03-03T02:00:00Z",
            json!({"time_zone": "America/Los_Angeles"}),
            "tomorrow",
            "2026-03-03",
        ),
        (
            "2026-03-03T02:00:00Z",
            json!({"time_zone": "America/Los_Angeles"}),
            "today",
            "2026-03-02",
        ),
        // A supplier without a time zone reads the day in UTC.
        ("2026-03-02T23:30:00Z", json!({}), "tomorrow", "2026-03-03"),
    ];
    for (now, supplier_settings, word, date) in cases {
        let mut s = at(now, supplier_settings.clone());
        let change = s
            .act(&supplier(), "schedule", json!({"delivery_date": word}))
            .unwrap_or_else(|e| panic!("{now} {supplier_settings} {word}: {e}"));
        assert_eq!(s.field("delivery_date"), &json!(date), "{now} {word}");
        assert_eq!(
            change.steps[0].inputs["delivery_date"],
            json!(date),
            "history keeps the resolved date"
        );
    }
    let mut s = at("2026-03-02T23:30:00Z", json!({}));
    match s.act(
        &supplier(),
        "schedule",
        json!({"delivery_date": "the day after"}),
    ) {
        Err(Rejection::InvalidInput { fields }) => {
            assert_eq!(fields[0].field, "delivery_date");
            assert_eq!(
                fields[0].message,
                "must be a date written YYYY-MM-DD, today or tomorrow"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_delivery_date_is_today_or_later_in_the_suppliers_time_zone() {
    // 23:30 UTC on 2 March is already 12:30 on 3 March in Auckland, and
    // still 2 March in London where the outlet is.
    let late = |now: &str, supplier_zone: &str| {
        let mut s = at_with(
            sim_with(json!({
                "outlet": {"purchasing_limit": "1000.00", "time_zone": "Europe/London"},
                "supplier": {"time_zone": supplier_zone},
            })),
            "accepted",
        );
        s.now = DateTime::parse_from_rfc3339(now)
            .unwrap()
            .with_timezone(&Utc);
        s
    };
    let mut s = late("2026-03-02T23:30:00Z", "Pacific/Auckland");
    match s.act(
        &supplier(),
        "schedule",
        json!({"delivery_date": "2026-03-02"}),
    ) {
        Err(Rejection::InvalidInput { fields }) => {
            assert_eq!(fields[0].field, "delivery_date");
            assert!(fields[0].message.contains("2026-03-03"), "{fields:?}");
        }
        other => panic!("{other:?}"),
    }
    s.act(
        &supplier(),
        "schedule",
        json!({"delivery_date": "2026-03-03"}),
    )
    .unwrap();
    assert_eq!(s.status(), "scheduled_for_delivery");
    assert_eq!(s.field("delivery_date"), &json!("2026-03-03"));
    assert_eq!(
        s.notified(),
        [("outlet".to_owned(), "order_scheduled".to_owned())]
    );

    // "Tomorrow" is today + 1 there.
    let mut s = late("2026-03-02T23:30:00Z", "Pacific/Auckland");
    s.act(
        &supplier(),
        "schedule",
        json!({"delivery_date": "2026-03-04"}),
    )
    .unwrap();

    // The other way round: 02:00 UTC on 3 March is still 2 March in Los
    // Angeles, so the supplier there may deliver "today", on the 2nd.
    let mut s = late("2026-03-03T02:00:00Z", "America/Los_Angeles");
    s.act(
        &supplier(),
        "schedule",
        json!({"delivery_date": "2026-03-02"}),
    )
    .unwrap();

    // Without a time zone, today is UTC's.
    let mut s = late("2026-03-02T23:30:00Z", "");
    s.act(
        &supplier(),
        "schedule",
        json!({"delivery_date": "2026-03-02"}),
    )
    .unwrap();

    let mut s = late("2026-03-02T23:30:00Z", "Pacific/Auckland");
    assert_eq!(
        code(&s.act(
            &supplier(),
            "schedule",
            json!({"delivery_date": "03/04/2026"})
        )),
        "invalid_input"
    );
}

fn image(n: u32) -> Json {
    json!({"id": format!("file-{n}"), "name": format!("photo-{n}.jpg"), "media_type": "image/jpeg", "size": 1000})
}

fn pdf() -> Json {
    json!({"id": "file-pdf", "name": "invoice.pdf", "media_type": "application/pdf", "size": 2000})
}

#[test]
fn completing_takes_up_to_three_images_and_one_invoice_image() {
    let mut s = at("scheduled_for_delivery");
    let refusals = [
        (
            json!({"images": [image(1), image(2), image(3), image(4)]}),
            "images",
        ),
        (json!({"invoice": [pdf()]}), "invoice.0"),
        (json!({"invoice": [image(1), image(2)]}), "invoice"),
        (json!({"images": [pdf()]}), "images.0"),
    ];
    for (inputs, field) in refusals {
        match s.act(&buyer(), "complete", inputs.clone()) {
            Err(Rejection::InvalidInput { fields }) => {
                let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
                assert_eq!(named, [field], "{inputs}");
            }
            other => panic!("{inputs}: {other:?}"),
        }
    }
    s.act(
        &buyer(),
        "complete",
        json!({
            "images": [image(1), image(2), image(3)],
            "invoice": [image(9)],
            "note": "all there",
        }),
    )
    .unwrap();
    assert_eq!(s.status(), "completed");
    assert_eq!(s.field("invoice"), &json!([image(9)]), "the Invoice tab");
    let note = s.field("notes").as_array().unwrap().last().unwrap().clone();
    assert_eq!(note["action"], json!("complete"), "the Notes tab");
    assert_eq!(note["text"], json!("all there"));
    assert_eq!(note["images"], json!([image(1), image(2), image(3)]));
    assert_eq!(
        s.notified(),
        [("supplier".to_owned(), "order_completed".to_owned())]
    );

    // Nothing given: completed all the same, with no invoice or note.
    let mut s = at("partially_accepted");
    let notes_before = s.field("notes").as_array().unwrap().len();
    s.act(&approver(), "complete", no_inputs()).unwrap();
    assert_eq!(s.status(), "completed");
    assert_eq!(s.field("invoice"), &Json::Null);
    assert_eq!(s.field("notes").as_array().unwrap().len(), notes_before);
}

#[test]
fn a_dispute_emails_the_supplier_and_resolving_it_completes_with_a_red_circle() {
    let mut s = at("completed");
    assert_eq!(
        code(&s.act(
            &buyer(),
            "dispute",
            json!({"images": [image(1), image(2), image(3), image(4)]})
        )),
        "invalid_input"
    );
    assert_eq!(
        code(&s.act(&buyer(), "dispute", json!({"images": [pdf()]}))),
        "invalid_input"
    );
    let change = s
        .act(
            &buyer(),
            "dispute",
            json!({"note": "two bottles broken", "images": [image(1)]}),
        )
        .unwrap();
    assert_eq!(s.status(), "in_dispute");
    let told: Vec<(&str, &str, &str)> = change
        .steps
        .iter()
        .flat_map(|st| &st.events)
        .filter_map(|e| match e {
            Event::Notified {
                party,
                template,
                channel,
            } => Some((party.as_str(), template.as_str(), channel.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(told, [("supplier", "order_disputed", "email")]);
    let note = s.field("notes").as_array().unwrap().last().unwrap().clone();
    assert_eq!(note["action"], json!("dispute"));
    assert_eq!(note["images"], json!([image(1)]));

    s.act(&approver(), "resolve", no_inputs()).unwrap();
    assert_eq!(s.status(), "completed_after_dispute");
    let state = s.wf.def.state("completed_after_dispute").unwrap();
    assert_eq!(state.label, "Completed");
    assert_eq!(state.marker.as_deref(), Some("red-circle"));
    assert!(state.is_final);
    let plain = s.wf.def.state("completed").unwrap();
    assert_eq!(plain.label, "Completed");
    assert_eq!(plain.marker, None);
    assert_eq!(
        code(&s.act(&buyer(), "dispute", no_inputs())),
        "not_available",
        "a resolved dispute is not opened again"
    );
}

fn requested(change: &orderflow_core::engine::Change) -> (String, Json) {
    let found: Vec<(String, Json)> = change
        .steps
        .iter()
        .flat_map(|st| &st.events)
        .filter_map(|e| match e {
            Event::OrderRequested { action, inputs } => Some((action.clone(), inputs.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(found.len(), 1, "{change:?}");
    found.into_iter().next().unwrap()
}

#[test]
fn reorder_asks_for_a_new_order_with_the_same_lines() {
    let odd = json!({"lines": [
        {"product": "Salt", "quantity": 3, "unit_price": "2.05"},
        {"product": "Pepper", "quantity": 1, "unit_price": "0.99"},
        {"product": "Saffron", "quantity": 2, "unit_price": "120"},
        {"product": "Sample", "quantity": 1, "unit_price": "0"},
    ]});
    for state in ["completed", "completed_after_dispute"] {
        let mut s = sim();
        s.act(&buyer(), "create", odd.clone()).unwrap();
        assert_eq!(s.status(), "pending");
        let mut s = {
            // The same path as `at`, from an order of these lines.
            let path: &[(&str, Actor, Json)] = &[
                ("accept", supplier(), no_inputs()),
                ("complete", buyer(), no_inputs()),
                ("dispute", buyer(), no_inputs()),
                ("resolve", buyer(), no_inputs()),
            ];
            let stop = if state == "completed" { 2 } else { 4 };
            for (action, actor, inputs) in &path[..stop] {
                s.act(actor, action, inputs.clone()).unwrap();
            }
            s
        };
        let before = s.order.clone();
        assert_eq!(
            code(&s.act(&approver(), "reorder", no_inputs())),
            "forbidden"
        );
        let change = s.act(&buyer(), "reorder", no_inputs()).unwrap();
        assert_eq!(s.status(), state, "the reordered order stays as it was");
        assert_eq!(s.order.data, before.data);
        let (action, inputs) = requested(&change);
        assert_eq!(action, "create");
        let prices: Vec<&Json> = inputs["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| &l["unit_price"])
            .collect();
        assert_eq!(
            prices,
            [
                &json!("2.05"),
                &json!("0.99"),
                &json!("120.00"),
                &json!("0.00")
            ],
            "money goes back as the decimals `create` reads"
        );

        // The server runs `create` with those inputs as the buyer.
        let mut fresh = sim();
        fresh.act(&buyer(), "create", inputs.clone()).unwrap();
        assert_eq!(fresh.status(), "pending");
        let lines = |s: &Sim| -> Vec<Json> {
            s.field("lines")
                .as_array()
                .unwrap()
                .iter()
                .map(|l| json!([l["product"], l["quantity"], l["unit_price"]]))
                .collect()
        };
        assert_eq!(lines(&fresh), lines(&s), "{inputs}");
        assert_eq!(
            fresh.field("notes")[0]["text"],
            json!("Reorder of order order-1")
        );

        // ... and the limit is checked again.
        let mut strict = sim_with(json!({"outlet": {"purchasing_limit": "100.00"}}));
        strict.act(&buyer(), "create", inputs).unwrap();
        assert_eq!(strict.status(), "needs_approval");
    }
}

#[test]
fn abandoned_is_final() {
    let actions: Vec<String> = sim()
        .wf
        .def
        .actions
        .iter()
        .filter(|a| !a.creates)
        .map(|a| a.id.clone())
        .collect();
    let inputs = json!({
        "note": "x",
        "delivery_date": "2026-03-10",
    });
    for from in [
        "needs_approval",
        "pending",
        "accepted",
        "partially_accepted",
    ] {
        let mut s = at(from);
        s.act(&buyer(), "abandon", json!({"note": "changed our mind"}))
            .unwrap();
        assert_eq!(s.status(), "abandoned");
        assert!(s.wf.def.state("abandoned").unwrap().is_final);
        // The supplier never saw an order abandoned from needs_approval.
        let supplier_sees = from != "needs_approval";
        for action in &actions {
            for actor in [buyer(), approver(), supplier()] {
                let result = s.act(&actor, action, inputs.clone());
                // Refused whoever asks: "not now" to those who could take
                // it before, "not you" (checked first) to the others.
                assert!(
                    matches!(code(&result), "not_available" | "forbidden" | "not_found"),
                    "{action} by {actor:?} after abandoning from {from}: {result:?}"
                );
                assert_eq!(s.status(), "abandoned");
            }
        }
        let open: Vec<String> = [buyer(), supplier()]
            .iter()
            .filter(|a| **a != supplier() || supplier_sees)
            .flat_map(|a| s.available(a).unwrap())
            .filter(|a| a.blocked.is_none())
            .map(|a| a.action)
            .collect();
        assert!(open.is_empty(), "{open:?}");
    }
}

#[test]
fn abandoning_emails_the_supplier_only_when_it_had_the_order() {
    let mut s = at("needs_approval");
    s.act(&approver(), "abandon", no_inputs()).unwrap();
    assert!(s.notified().is_empty());

    for from in ["pending", "accepted", "partially_accepted"] {
        let mut s = at(from);
        let change = s.act(&buyer(), "abandon", no_inputs()).unwrap();
        let told: Vec<(&str, &str, &str)> = change
            .steps
            .iter()
            .flat_map(|st| &st.events)
            .filter_map(|e| match e {
                Event::Notified {
                    party,
                    template,
                    channel,
                } => Some((party.as_str(), template.as_str(), channel.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(told, [("supplier", "order_abandoned", "email")], "{from}");
    }
}

/// docs/product.md's decision: an order abandoned from needs_approval
/// never reached the supplier and stays invisible to it; one abandoned
/// after the supplier had it stays visible to both.
#[test]
fn an_order_abandoned_before_approval_stays_invisible_to_the_supplier() {
    let mut s = at("needs_approval");
    s.act(&buyer(), "add_note", json!({"note": "over budget"}))
        .unwrap();
    s.act(&buyer(), "abandon", no_inputs()).unwrap();
    assert_eq!(s.status(), "abandoned");
    assert!(!s.wf.can_see(&s.order, &supplier()));
    assert!(s.wf.can_see(&s.order, &buyer()));
    assert!(matches!(s.available(&supplier()), Err(Rejection::NotFound)));
    assert!(!s.order.seen_by.contains("supplier"));

    let mut s = at("pending");
    s.act(&buyer(), "abandon", no_inputs()).unwrap();
    assert!(s.wf.can_see(&s.order, &supplier()), "the supplier had it");
    assert!(s.order.seen_by.contains("supplier"));
    assert_eq!(s.replay(), s.order, "seeing is rebuilt from history");
}

/// What the outlet wrote while the order awaited approval is not the
/// supplier's to read once it is approved; what came after is.
#[test]
fn the_supplier_reads_only_notes_written_once_it_could_see_the_order() {
    let mut s = at("needs_approval");
    s.act(&buyer(), "add_note", json!({"note": "ask for a discount"}))
        .unwrap();
    s.act(&approver(), "approve", no_inputs()).unwrap();
    s.act(&supplier(), "add_note", json!({"note": "noted"}))
        .unwrap();
    let texts = |slot: &str| -> Vec<String> {
        s.order.as_seen_by(&[slot.to_owned()]).data["notes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["text"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    assert_eq!(texts("supplier"), ["noted"]);
    assert_eq!(texts("outlet"), ["ask for a discount", "noted"]);
    assert_eq!(s.replay(), s.order);
}

#[test]
fn notes_keep_who_wrote_them_and_when() {
    let mut s = at("scheduled_for_delivery");
    s.tick(5);
    s.act(&supplier(), "add_note", json!({"note": "driver is late"}))
        .unwrap();
    s.tick(5);
    s.act(
        &approver(),
        "add_note",
        json!({"note": "ok", "images": [image(1)]}),
    )
    .unwrap();
    assert_eq!(
        code(&s.act(&buyer(), "add_note", json!({"note": "   "}))),
        "invalid_input"
    );
    let notes = s.field("notes").as_array().unwrap();
    let last: Vec<Json> = notes[notes.len() - 2..]
        .iter()
        .map(|n| json!([n["party"], n["author"], n["at"], n["text"], n["images"]]))
        .collect();
    assert_eq!(
        last,
        [
            json!([
                "supplier",
                "supplier-co-user",
                "2026-03-02T09:05:00Z",
                "driver is late",
                []
            ]),
            json!([
                "outlet",
                "outlet-co-user",
                "2026-03-02T09:10:00Z",
                "ok",
                [image(1)]
            ]),
        ]
    );
    let ids: Vec<u64> = notes.iter().map(|n| n["id"].as_u64().unwrap()).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "every note has its own id: {ids:?}"
    );
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
