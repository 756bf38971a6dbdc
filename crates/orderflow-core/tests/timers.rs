//! Per-order timers (`[[timers]]`): the two purchasing examples, set when
//! the order enters their state with their setting on, cleared when it
//! leaves, never set with the setting off.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{DateTime, Utc};
use common::{Sim, no_inputs, t0, user};
use orderflow_core::engine::may_manage_timer;
use orderflow_core::event::Event;
use orderflow_core::model::Actor;
use serde_json::{Value as Json, json};

fn buyer() -> Actor {
    user("outlet-co", &["buyer"])
}
fn supplier() -> Actor {
    user("supplier-co", &[])
}

fn sim(outlet: Json, supplier: Json) -> Sim {
    Sim::new(
        "purchasing",
        &[("outlet", "outlet-co"), ("supplier", "supplier-co")],
        json!({"outlet": outlet, "supplier": supplier}),
    )
}

fn create(s: &mut Sim) {
    s.act(
        &buyer(),
        "create",
        json!({"lines": [{"product": "Tomatoes", "quantity": 10, "unit_price": "2.50"}]}),
    )
    .unwrap();
}

/// The timer events of the last change.
fn timer_events(s: &Sim) -> Vec<Event> {
    s.changes
        .last()
        .unwrap()
        .steps
        .iter()
        .flat_map(|step| step.events.iter())
        .filter(|e| matches!(e, Event::TimerSet { .. } | Event::TimerCleared { .. }))
        .cloned()
        .collect()
}

fn time(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn a_pending_order_gets_the_abandon_timer_only_when_the_outlet_set_its_days() {
    let mut off = sim(json!({}), json!({}));
    create(&mut off);
    assert_eq!(off.status(), "pending");
    assert_eq!(timer_events(&off), vec![]);

    let mut on = sim(json!({"abandon_pending_after_days": 3}), json!({}));
    create(&mut on);
    assert_eq!(
        timer_events(&on),
        vec![Event::TimerSet {
            timer: "abandon_unaccepted".into(),
            action: "abandon".into(),
            at: t0() + chrono::Duration::days(3),
        }]
    );
    // Accepting leaves `pending`: the timer is cleared in the same change.
    on.act(&supplier(), "accept", no_inputs()).unwrap();
    assert_eq!(
        timer_events(&on),
        vec![Event::TimerCleared {
            timer: "abandon_unaccepted".into()
        }]
    );
}

#[test]
fn the_system_abandons_a_pending_order_when_its_timer_fires() {
    let mut s = sim(json!({"abandon_pending_after_days": 3}), json!({}));
    create(&mut s);
    s.tick(3 * 24 * 60);
    s.act(&Actor::System, "abandon", no_inputs()).unwrap();
    assert_eq!(s.status(), "abandoned");
    assert_eq!(
        timer_events(&s),
        vec![Event::TimerCleared {
            timer: "abandon_unaccepted".into()
        }]
    );
    assert!(
        s.notified()
            .contains(&("supplier".to_owned(), "order_abandoned".to_owned())),
        "the supplier is told: {:?}",
        s.notified()
    );
}

#[test]
fn scheduling_a_delivery_sets_the_reminder_for_the_day_before_when_the_supplier_wants_it() {
    let mut s = sim(json!({}), json!({"delivery_reminders": true}));
    create(&mut s);
    s.act(&supplier(), "accept", no_inputs()).unwrap();
    s.act(
        &supplier(),
        "schedule",
        json!({"delivery_date": "2026-03-10"}),
    )
    .unwrap();
    assert_eq!(
        timer_events(&s),
        vec![Event::TimerSet {
            timer: "delivery_reminder".into(),
            action: "remind_delivery".into(),
            at: time("2026-03-09T09:00:00Z"),
        }]
    );
    s.act(&Actor::System, "remind_delivery", no_inputs())
        .unwrap();
    assert_eq!(s.status(), "scheduled_for_delivery");
    assert!(
        s.notified()
            .contains(&("supplier".to_owned(), "delivery_reminder".to_owned()))
    );
    // Only the system reminds.
    assert!(s.act(&supplier(), "remind_delivery", no_inputs()).is_err());

    let mut quiet = sim(json!({}), json!({}));
    create(&mut quiet);
    quiet.act(&supplier(), "accept", no_inputs()).unwrap();
    quiet
        .act(
            &supplier(),
            "schedule",
            json!({"delivery_date": "2026-03-10"}),
        )
        .unwrap();
    assert_eq!(timer_events(&quiet), vec![]);
}

#[test]
fn a_delivery_today_sets_no_reminder() {
    let mut s = sim(json!({}), json!({"delivery_reminders": true}));
    create(&mut s);
    s.act(&supplier(), "accept", no_inputs()).unwrap();
    s.act(
        &supplier(),
        "schedule",
        json!({"delivery_date": "2026-03-02"}),
    )
    .unwrap();
    assert_eq!(timer_events(&s), vec![]);
}

#[test]
fn the_parties_in_by_manage_a_timer_and_nobody_else() {
    let mut s = sim(json!({"abandon_pending_after_days": 3}), json!({}));
    create(&mut s);
    assert!(may_manage_timer(
        &s.wf,
        &s.order,
        &buyer(),
        "abandon_unaccepted"
    ));
    assert!(!may_manage_timer(
        &s.wf,
        &s.order,
        &supplier(),
        "abandon_unaccepted"
    ));
    assert!(!may_manage_timer(
        &s.wf,
        &s.order,
        &buyer(),
        "no_such_timer"
    ));
    assert!(may_manage_timer(
        &s.wf,
        &s.order,
        &supplier(),
        "delivery_reminder"
    ));
}
