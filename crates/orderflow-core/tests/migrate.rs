//! Migrating an order to another version of its workflow (`engine::migrate`):
//! a state the new version has is kept, a mapped one moves, a state gone
//! without a mapping is refused, and so is a new version whose status rules
//! would compute another status from the same data. What it decides folds
//! into the snapshot like any change.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use orderflow_core::catalog;
use orderflow_core::engine::{self, Workflow};
use orderflow_core::event::Event;
use orderflow_core::model::{Actor, Order, PartySettings};
use serde_json::json;

/// Statuses computed from `power`: on above 10.
const LAMP: &str = r#"
id = "lamp"
label = "Lamp"

[[parties]]
id = "owner"
label = "Owner"
creates = true

[[states]]
id = "off"
label = "Off"

[[states]]
id = "on"
label = "On"

[[fields]]
id = "power"
type = "number"

[[actions]]
id = "create"
label = "Install"
creates = true
by = ["owner"]
inputs = [{ id = "power", type = "number", required = true }]
effects = [{ do = "set", field = "power", value = "input.power" }]

[[status_rules]]
status = "on"
when = "order.power > 10"

[[status_rules]]
status = "off"
when = "true"
"#;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_772_442_000, 0).unwrap()
}

fn load(text: &str) -> Workflow {
    catalog::load("lamp.toml", text).unwrap()
}

/// A lamp installed with `power` under version 1.
fn lamp(wf: &Workflow, power: u32) -> Order {
    let parties = BTreeMap::from([("owner".to_owned(), "home".to_owned())]);
    let blank = Order::blank(&format!("lamp-{power}"), "lamp", parties);
    let owner = Actor::user("ann", "home", &[]);
    let change = engine::decide(
        wf,
        &blank,
        &PartySettings::new(),
        &owner,
        "create",
        &json!({"power": power}),
        now(),
    )
    .unwrap();
    engine::apply(wf, &blank, &change)
}

fn migrate(
    to: &Workflow,
    version: u32,
    order: &Order,
    mapping: &[(&str, &str)],
) -> Result<Order, String> {
    let mapping = mapping
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    engine::migrate(
        to,
        version,
        order,
        &mapping,
        &PartySettings::new(),
        &Actor::System,
        now(),
    )
    .map(|change| {
        assert_eq!(change.version, order.version + 1);
        assert_eq!(change.steps.len(), 1);
        assert_eq!(change.steps[0].action, engine::MIGRATE_ACTION);
        assert!(change.steps[0].events.contains(&Event::WorkflowMigrated {
            from: order.workflow_version,
            to: version
        }));
        engine::apply(to, order, &change)
    })
}

#[test]
fn a_state_the_new_version_has_is_kept() {
    let v1 = load(LAMP);
    let bright = lamp(&v1, 500);
    assert_eq!(bright.status, "on");
    let v2 = load(&LAMP.replace("order.power > 10", "order.power > 100"));
    let moved = migrate(&v2, 2, &bright, &[]).unwrap();
    assert_eq!((moved.status.as_str(), moved.workflow_version), ("on", 2));
    assert_eq!(moved.data, bright.data, "a migration changes no data");
}

#[test]
fn a_computed_status_that_would_change_is_refused() {
    let v1 = load(LAMP);
    let dim = lamp(&v1, 50);
    assert_eq!(dim.status, "on");
    let v2 = load(&LAMP.replace("order.power > 10", "order.power > 100"));
    let why = migrate(&v2, 2, &dim, &[]).unwrap_err();
    assert!(why.contains("\"off\"") && why.contains("\"on\""), "{why}");
}

#[test]
fn a_state_gone_is_refused_unless_a_mapping_names_it() {
    let v1 = load(LAMP);
    let dark = lamp(&v1, 5);
    assert_eq!(dark.status, "off");
    let v3 = load(
        &LAMP
            .replace("id = \"off\"", "id = \"dark\"")
            .replace("status = \"off\"", "status = \"dark\""),
    );
    let why = migrate(&v3, 3, &dark, &[]).unwrap_err();
    assert!(
        why.contains("\"off\"") && why.contains("no mapping"),
        "{why}"
    );
    let moved = migrate(&v3, 3, &dark, &[("off", "dark")]).unwrap();
    assert_eq!((moved.status.as_str(), moved.workflow_version), ("dark", 3));
}
