//! `print-production` against docs/product.md: orders → items → jobs, the location
//! choice, the decoration paths of a job, the roll-up of job states into
//! items and orders, the cancel cascade, FIFO intake applied as job actions,
//! and every action from every state by every party.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use common::{Sim, code, expected_code, no_inputs, user};
use orderflow_core::builtins::intake::{self, Bin, Decision, IntakeJob, Inventory, JobIntakeState};
use orderflow_core::builtins::location::{self, AccountSettings, Demand, DemandLine, Location};
use orderflow_core::engine::{self, Change};
use orderflow_core::event::Event;
use orderflow_core::model::{Actor, Child, PartySettings};
use orderflow_core::rejection::Rejection;
use proptest::prelude::*;
use serde_json::{Value as Json, json};

const ID: &str = "print-production";

const ORDER_STATES: [&str; 7] = [
    "received",
    "production_hold",
    "intake_hold",
    "open",
    "completed",
    "shipped",
    "canceled",
];

const JOB_STATES: [&str; 14] = [
    "intake_hold",
    "on_order",
    "pending",
    "open",
    "labeled",
    "picked",
    "queued_for_pretreat",
    "pretreated",
    "scanned",
    "printed",
    "embroidered",
    "completed",
    "shipped",
    "canceled",
];

// ----------------------------------------------------------------- world ---

fn merchant() -> Actor {
    user("merch", &[])
}
fn operator() -> Actor {
    user("shop-co", &["operator"])
}
fn shipper() -> Actor {
    user("shop-co", &["shipper"])
}
fn manager() -> Actor {
    user("shop-co", &["manager"])
}
fn stranger() -> Actor {
    user("stranger", &["manager", "operator", "shipper"])
}

/// Chicago (pretreat, every decoration) and Dallas (no pretreat, no
/// embroidery), with room for 500 units each and nothing in stock.
fn locations() -> Json {
    json!([
        {"id": "chi", "name": "Chicago", "latitude": 41.88, "longitude": -87.63,
         "capacity_units": 500, "uses_pretreat": true,
         "decorations": ["dtg", "dtf", "embroidery"], "stock": {}},
        {"id": "dal", "name": "Dallas", "latitude": 32.78, "longitude": -96.80,
         "capacity_units": 500, "uses_pretreat": false,
         "decorations": ["dtg", "dtf"], "stock": {}},
    ])
}

fn settings_with(locations: Json, merchant: Json) -> Json {
    json!({
        "shop": {"locations": locations, "time_zone": "America/Chicago"},
        "merchant": merchant,
    })
}

fn party_settings(settings: &Json) -> PartySettings {
    settings
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_object().cloned().unwrap_or_default()))
        .collect()
}

fn sim_with(settings: Json) -> Sim {
    Sim::new(ID, &[("merchant", "merch"), ("shop", "shop-co")], settings)
}

fn sim() -> Sim {
    sim_with(settings_with(locations(), json!({})))
}

/// An address near Milwaukee (nearest to Chicago) and the given items.
fn order_inputs(items: Json) -> Json {
    json!({
        "reference": "SO-1001",
        "recipient": "Ada Lovelace",
        "address1": "1 Lake Dr",
        "city": "Milwaukee",
        "region": "WI",
        "postal_code": "53202",
        "country": "US",
        "latitude": 43.04,
        "longitude": -87.91,
        "items": items,
    })
}

/// An uploaded file's metadata, as the server passes it to the engine.
fn design(name: &str, media_type: &str, width: u64, height: u64) -> Json {
    json!([{"id": format!("file-{name}"), "name": name, "media_type": media_type,
            "size": 40_000, "width": width, "height": height}])
}

/// An item whose design passes the artwork check for every decoration.
fn item(sku: &str, quantity: u64, decoration: &str) -> Json {
    json!({"sku": sku, "quantity": quantity, "decoration": decoration,
           "design": design(&format!("{sku}.png"), "image/png", 4500, 5400)})
}

fn create_inputs() -> Json {
    order_inputs(json!([item("tee", 3, "dtg"), item("cap", 2, "embroidery")]))
}

/// One job of each decoration, produced in Chicago (pretreat): `job-1` dtg,
/// `job-2` dtf, `job-3` embroidery.
fn three_jobs() -> Sim {
    let mut s = sim();
    s.act(
        &merchant(),
        "create",
        order_inputs(json!([
            item("tee", 1, "dtg"),
            item("tote", 1, "dtf"),
            item("cap", 1, "embroidery")
        ])),
    )
    .unwrap();
    assert_eq!(s.status(), "intake_hold");
    s
}

fn job(s: &Sim, id: &str) -> Child {
    s.rows
        .get(id)
        .cloned()
        .unwrap_or_else(|| panic!("no job {id}"))
}

fn job_status(s: &Sim, id: &str) -> String {
    job(s, id).status
}

fn item_status(s: &Sim, id: &str) -> String {
    s.order.child(id).unwrap().status.clone()
}

/// Non-zero counters of one kind.
fn nonzero(counts: Option<&BTreeMap<String, u64>>) -> BTreeMap<String, u64> {
    counts
        .into_iter()
        .flatten()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| (k.clone(), *n))
        .collect()
}

fn order_jobs(s: &Sim) -> BTreeMap<String, u64> {
    nonzero(s.order.counts.get("job"))
}

fn item_jobs(s: &Sim, item: &str) -> BTreeMap<String, u64> {
    nonzero(s.order.child(item).unwrap().counts.get("job"))
}

fn counted(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()
}

/// The steps that take a job of `decoration` (at a pretreat location when
/// `pretreat`) from `intake_hold` to `shipped`: (action, state after).
fn production_path(decoration: &str, pretreat: bool) -> Vec<(&'static str, &'static str)> {
    let mut path = vec![
        ("pass_intake", "pending"),
        ("batch", "open"),
        ("label", "labeled"),
        ("pick", "picked"),
    ];
    if decoration == "dtg" && pretreat {
        path.push(("queue_pretreat", "queued_for_pretreat"));
        path.push(("pretreat", "pretreated"));
    }
    path.push(("scan", "scanned"));
    path.push(if decoration == "embroidery" {
        ("embroider", "embroidered")
    } else {
        ("print", "printed")
    });
    path.push(("complete", "completed"));
    path.push(("ship", "shipped"));
    path
}

/// Who takes a job action along the way, with inputs that pass.
fn step_by(action: &str) -> (Actor, Json) {
    match action {
        "pass_intake" => (manager(), json!({"bin": "A-01"})),
        "tie_to_purchase" => (manager(), json!({"purchase": "PO-7"})),
        "check_design" => (operator(), json!({"printable": true})),
        "cancel" => (manager(), json!({"reason": "customer changed mind"})),
        "ship" => (
            shipper(),
            json!({"tracking_number": "1Z999", "carrier": "UPS"}),
        ),
        "batch" => (operator(), json!({"batch": "B-12"})),
        _ => (operator(), no_inputs()),
    }
}

fn step(s: &mut Sim, id: &str, action: &str) -> Change {
    let (actor, inputs) = step_by(action);
    s.act_child(&actor, id, action, inputs)
        .unwrap_or_else(|e| panic!("{action} on {id}: {e}"))
}

/// Drives job `id` from `intake_hold` to `state`, or returns false when its
/// decoration never reaches that state.
fn drive(s: &mut Sim, id: &str, state: &str) -> bool {
    let j = job(s, id);
    assert_eq!(j.status, "intake_hold", "{id} starts in intake");
    match state {
        "intake_hold" => return true,
        "on_order" => {
            step(s, id, "tie_to_purchase");
            return true;
        }
        "canceled" => {
            step(s, id, "cancel");
            return true;
        }
        _ => {}
    }
    let decoration = j.data["decoration"].as_str().unwrap();
    let path = production_path(decoration, j.data["pretreat"] == json!(true));
    let Some(stop) = path.iter().position(|(_, to)| *to == state) else {
        return false;
    };
    for (action, _) in &path[..=stop] {
        step(s, id, action);
    }
    assert_eq!(job_status(s, id), state);
    true
}

fn fields_named(r: Result<Change, Rejection>) -> Vec<String> {
    match r {
        Err(Rejection::InvalidInput { fields }) => fields.into_iter().map(|f| f.field).collect(),
        other => panic!("expected invalid_input, got {other:?}"),
    }
}

fn guard_rule(r: &Result<Change, Rejection>) -> String {
    match r {
        Err(Rejection::GuardFailed { rule, .. }) => rule.clone(),
        other => panic!("expected guard_failed, got {other:?}"),
    }
}

// ---------------------------------------------------------------- create ---

#[test]
fn create_runs_the_address_checks_and_names_each_failed_one() {
    let mut s = sim();
    let bad = json!({
        "recipient": "",
        "address1": "1 Lake Dr",
        "country": "USA",
        "latitude": 91,
        "longitude": -87.9,
        "items": [
            {"sku": "tee", "quantity": 0, "decoration": "screen", "design": "x"},
            {"sku": "cap", "quantity": 1.5, "decoration": "dtg"},
        ],
    });
    assert_eq!(
        fields_named(s.act(&merchant(), "create", bad)),
        [
            "recipient",
            "city",
            "country",
            "latitude",
            "items.0.quantity",
            "items.0.decoration",
            "items.0.design",
            "items.1.quantity",
        ]
    );
    assert_eq!(
        fields_named(s.act(&merchant(), "create", order_inputs(json!([])))),
        ["items"]
    );
    let mut far = create_inputs();
    far["longitude"] = json!(-181);
    assert_eq!(
        fields_named(s.act(&merchant(), "create", far)),
        ["longitude"]
    );
    assert_eq!(
        s.order.version, 0,
        "an order failing its checks is not created"
    );
    assert!(s.changes.is_empty());
    assert_eq!(
        code(&s.act(&manager(), "create", create_inputs())),
        "forbidden",
        "the merchant creates orders"
    );
}

#[test]
fn a_suspended_account_cannot_create() {
    let mut s = sim_with(settings_with(locations(), json!({"active": false})));
    match s.act(&merchant(), "create", create_inputs()) {
        Err(Rejection::InvalidInput { fields }) => {
            assert_eq!(fields.len(), 1);
            assert_eq!(fields[0].field, "account");
            assert_eq!(
                fields[0].message,
                "The merchant account is not active: reactivate it before placing orders."
            );
        }
        other => panic!("a suspended account is refused as invalid input: {other:?}"),
    }
    assert_eq!(s.order.version, 0);
    let mut s = sim_with(settings_with(locations(), json!({"active": true})));
    s.act(&merchant(), "create", create_inputs()).unwrap();
}

#[test]
fn an_order_flows_to_intake_hold_with_one_job_per_unit() {
    let mut s = sim();
    let change = s.act(&merchant(), "create", create_inputs()).unwrap();
    let steps: Vec<(&str, bool, &str, &str)> = change
        .steps
        .iter()
        .map(|st| {
            (
                st.action.as_str(),
                st.automatic,
                st.status_before.as_str(),
                st.status_after.as_str(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("create", false, "", "received"),
            ("hold_for_production", true, "received", "production_hold"),
            ("release_to_intake", true, "production_hold", "intake_hold"),
        ]
    );
    assert_eq!(s.status(), "intake_hold");
    assert_eq!(s.order.version, 1, "one request, one version");
    assert_eq!(s.field("location"), &json!("chi"));
    assert_eq!(s.field("locations"), &json!(["chi"]));
    assert_eq!(s.field("location_problem"), &Json::Null);
    for item in &s.order.children {
        assert_eq!(item.data["location"], json!("chi"));
        assert_eq!(item.data["uses_pretreat"], json!(true));
    }
    assert_eq!(s.field("reference"), &json!("SO-1001"));
    assert_eq!(s.field("ship_to")["country"], json!("US"));
    assert_eq!(s.field("ship_to")["latitude"], json!(43.04));
    assert_eq!(
        s.notified(),
        [("shop".to_owned(), "order_received".to_owned())]
    );

    let items: Vec<(&str, &str, &Json)> = s
        .order
        .children
        .iter()
        .map(|c| (c.id.as_str(), c.status.as_str(), &c.data["quantity"]))
        .collect();
    assert_eq!(
        items,
        [
            ("item-1", "intake_hold", &json!(3)),
            ("item-2", "intake_hold", &json!(2))
        ]
    );
    assert_eq!(s.rows.len(), 5, "3 + 2 units, one job each");
    for (id, parent, sku, decoration, pretreat) in [
        ("job-1", "item-1", "tee", "dtg", true),
        ("job-2", "item-1", "tee", "dtg", true),
        ("job-3", "item-1", "tee", "dtg", true),
        ("job-4", "item-2", "cap", "embroidery", false),
        ("job-5", "item-2", "cap", "embroidery", false),
    ] {
        let j = job(&s, id);
        assert_eq!(j.status, "intake_hold");
        assert_eq!(j.parent.as_deref(), Some(parent));
        assert_eq!(j.data["sku"], json!(sku));
        assert_eq!(j.data["decoration"], json!(decoration));
        assert_eq!(j.data["pretreat"], json!(pretreat), "{id}");
        assert_eq!(j.data["printable"], json!(true));
        assert_eq!(j.data["location"], json!("chi"));
        assert_eq!(j.data["design"][0]["name"], json!(format!("{sku}.png")));
    }
    assert_eq!(order_jobs(&s), counted(&[("intake_hold", 5)]));
    assert_eq!(item_jobs(&s, "item-1"), counted(&[("intake_hold", 3)]));
    assert_eq!(item_jobs(&s, "item-2"), counted(&[("intake_hold", 2)]));
    assert_eq!(s.replay(), s.order);
}

// -------------------------------------------------------------- location ---

/// The location an order of `items` shipped to (`lat`, `lon`) goes to.
fn placed(locations: Json, merchant: Json, items: Json, lat: f64, lon: f64) -> Sim {
    let mut s = sim_with(settings_with(locations, merchant));
    let mut inputs = order_inputs(items);
    inputs["latitude"] = json!(lat);
    inputs["longitude"] = json!(lon);
    s.act(&self::merchant(), "create", inputs).unwrap();
    s
}

const DALLAS: (f64, f64) = (32.9, -96.9);
const MILWAUKEE: (f64, f64) = (43.04, -87.91);

#[test]
fn the_location_follows_preference_capacity_stock_and_distance() {
    let tees = || json!([item("tee", 5, "dtg")]);
    // Nearest when nothing else decides.
    let s = placed(locations(), json!({}), tees(), DALLAS.0, DALLAS.1);
    assert_eq!(s.field("location"), &json!("dal"));
    assert_eq!(s.order.children[0].data["uses_pretreat"], json!(false));
    assert_eq!(job(&s, "job-1").data["pretreat"], json!(false));
    let s = placed(locations(), json!({}), tees(), MILWAUKEE.0, MILWAUKEE.1);
    assert_eq!(s.field("location"), &json!("chi"));
    assert_eq!(job(&s, "job-1").data["pretreat"], json!(true));

    // The account's preferred location wins when it can take the order ...
    let preferred = json!({"preferred_location": "chi"});
    let s = placed(locations(), preferred.clone(), tees(), DALLAS.0, DALLAS.1);
    assert_eq!(s.field("location"), &json!("chi"));
    // ... not when it has no room for the order's units.
    let mut small = locations();
    small[0]["capacity_units"] = json!(4);
    let s = placed(small, preferred, tees(), MILWAUKEE.0, MILWAUKEE.1);
    assert_eq!(s.field("location"), &json!("dal"));

    // Allowed locations restrict the choice.
    let s = placed(
        locations(),
        json!({"allowed_locations": ["dal"]}),
        tees(),
        MILWAUKEE.0,
        MILWAUKEE.1,
    );
    assert_eq!(s.field("location"), &json!("dal"));

    // Stock beats distance.
    let mut stocked = locations();
    stocked[0]["stock"] = json!({"tee": 5});
    let s = placed(stocked, json!({}), tees(), DALLAS.0, DALLAS.1);
    assert_eq!(s.field("location"), &json!("chi"));

    // Only Chicago embroiders.
    let s = placed(
        locations(),
        json!({}),
        json!([item("tee", 1, "dtf"), item("cap", 1, "embroidery")]),
        DALLAS.0,
        DALLAS.1,
    );
    assert_eq!(s.field("location"), &json!("chi"));
    assert_eq!(job(&s, "job-1").data["pretreat"], json!(false), "dtf");
}

#[test]
fn an_order_no_location_can_make_alone_is_split_across_locations() {
    // Chicago embroiders but has room for 2 units; Dallas does not embroider.
    let mut small = locations();
    small[0]["capacity_units"] = json!(2);
    let mut s = sim_with(settings_with(small, json!({})));
    s.act(&merchant(), "create", create_inputs()).unwrap();
    assert_eq!(s.status(), "intake_hold");
    assert_eq!(s.field("location"), &Json::Null, "no single location");
    assert_eq!(s.field("locations"), &json!(["dal", "chi"]));
    let items: Vec<(&str, &Json, &Json)> = s
        .order
        .children
        .iter()
        .map(|c| (c.id.as_str(), &c.data["location"], &c.data["uses_pretreat"]))
        .collect();
    assert_eq!(
        items,
        [
            ("item-1", &json!("dal"), &json!(false)),
            ("item-2", &json!("chi"), &json!(true)),
        ]
    );
    for (id, location) in [
        ("job-1", "dal"),
        ("job-2", "dal"),
        ("job-3", "dal"),
        ("job-4", "chi"),
        ("job-5", "chi"),
    ] {
        assert_eq!(job(&s, id).data["location"], json!(location), "{id}");
    }
    assert_eq!(
        job(&s, "job-1").data["pretreat"],
        json!(false),
        "dtg at Dallas"
    );
    assert_eq!(s.replay(), s.order);
}

#[test]
fn without_a_location_the_order_waits_in_production_hold_for_the_manager() {
    let mut tight = locations();
    tight[0]["capacity_units"] = json!(2);
    tight[1]["capacity_units"] = json!(2);
    let mut s = sim_with(settings_with(tight, json!({})));
    let change = s.act(&merchant(), "create", create_inputs()).unwrap();
    assert_eq!(change.steps.len(), 2, "create, then production hold");
    assert_eq!(s.status(), "production_hold");
    assert_eq!(s.field("location"), &Json::Null);
    assert_eq!(s.field("locations"), &json!([]));
    let problem = s.field("location_problem").as_str().unwrap().to_owned();
    assert!(problem.contains("3 units of tee"), "{problem}");
    assert!(s.rows.is_empty(), "no jobs before a location");
    assert!(
        s.order
            .children
            .iter()
            .all(|c| c.status == "production_hold")
    );

    // Asking again keeps the order waiting, with the reason, while no
    // location has room.
    s.act(&manager(), "choose_location", no_inputs()).unwrap();
    assert_eq!(s.status(), "production_hold");
    assert_eq!(s.field("location_problem"), &json!(problem));
    assert_eq!(
        code(&s.act(&merchant(), "choose_location", no_inputs())),
        "forbidden"
    );
    assert_eq!(
        code(&s.act(&operator(), "assign_location", json!({"location": "chi"}))),
        "forbidden"
    );

    // By hand: a location the shop has, the account allows, and that can
    // do every decoration of the order.
    assert_eq!(
        fields_named(s.act(&manager(), "assign_location", no_inputs())),
        ["location"]
    );
    let r = s.act(&manager(), "assign_location", json!({"location": "nyc"}));
    assert_eq!(guard_rule(&r), "known_location");
    let r = s.act(&manager(), "assign_location", json!({"location": "dal"}));
    assert_eq!(guard_rule(&r), "can_decorate", "Dallas does not embroider");
    let change = s
        .act(&manager(), "assign_location", json!({"location": "chi"}))
        .unwrap();
    assert_eq!(change.steps[1].action, "release_to_intake");
    assert_eq!(s.status(), "intake_hold");
    assert_eq!(s.field("location"), &json!("chi"));
    assert_eq!(s.field("locations"), &json!(["chi"]));
    assert_eq!(s.field("location_problem"), &Json::Null);
    assert_eq!(s.rows.len(), 5);
    assert_eq!(job(&s, "job-1").data["pretreat"], json!(true));
    assert!(s.order.children.iter().all(|c| c.status == "intake_hold"));
    assert!(s.order.children.iter().all(|c| c.data["location"] == "chi"));
    assert_eq!(
        code(&s.act(&manager(), "assign_location", json!({"location": "chi"}))),
        "not_available"
    );
    assert_eq!(s.replay(), s.order);
}

#[test]
fn the_manager_asks_for_the_choice_again_after_the_settings_changed() {
    let mut tight = locations();
    tight[0]["capacity_units"] = json!(0);
    let mut s = sim_with(settings_with(
        tight,
        json!({"allowed_locations": ["chi", "dal"]}),
    ));
    s.act(&merchant(), "create", create_inputs()).unwrap();
    assert_eq!(s.status(), "production_hold");
    s.settings = party_settings(&settings_with(
        locations(),
        json!({"allowed_locations": ["dal"]}),
    ));
    let r = s.act(&manager(), "assign_location", json!({"location": "chi"}));
    assert_eq!(guard_rule(&r), "allowed_location");
    s.act(&manager(), "choose_location", no_inputs()).unwrap();
    assert_eq!(s.status(), "production_hold", "Dallas does not embroider");
    assert_eq!(
        s.field("location_problem"),
        &json!("no allowed location can do embroidery")
    );
    s.settings = party_settings(&settings_with(locations(), json!({})));
    s.act(&manager(), "choose_location", no_inputs()).unwrap();
    assert_eq!(s.status(), "intake_hold");
    assert_eq!(s.field("location"), &json!("chi"));
    assert_eq!(s.rows.len(), 5);
}

#[test]
fn a_shop_without_locations_holds_the_order() {
    let mut s = sim_with(json!({"shop": {}, "merchant": {}}));
    s.act(&merchant(), "create", create_inputs()).unwrap();
    assert_eq!(s.status(), "production_hold");
    let r = s.act(&manager(), "choose_location", no_inputs());
    assert_eq!(guard_rule(&r), "locations_set");
    let r = s.act(&manager(), "assign_location", json!({"location": "chi"}));
    assert_eq!(guard_rule(&r), "known_location");
}

// --------------------------------------------------------------- artwork ---

/// The order's artwork problems, as the order shows them.
fn artwork_problems(s: &Sim) -> Vec<(String, String)> {
    let order = engine::vars::order_value(&s.wf, &s.order, &s.settings).unwrap();
    order["artwork_problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["item"].as_str().unwrap().to_owned(),
                p["problem"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn with_design(mut item: Json, design: Json) -> Json {
    item["design"] = design;
    item
}

fn problems(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(i, p)| ((*i).to_owned(), (*p).to_owned()))
        .collect()
}

/// An order whose artwork fails for every reason the check knows: a GIF
/// (item-1), no design (item-2), a JPEG for DTF (item-3), too small for DTG
/// (item-4), no size known (item-5); item-6 passes.
fn bad_artwork() -> Sim {
    let mut s = sim();
    let mut unsized_design = design("logo.png", "image/png", 0, 0);
    let file = unsized_design[0].as_object_mut().unwrap();
    file.remove("width");
    file.remove("height");
    s.act(
        &merchant(),
        "create",
        order_inputs(json!([
            with_design(
                item("tee", 2, "dtg"),
                design("tee.gif", "image/gif", 4000, 4000)
            ),
            with_design(item("cap", 1, "embroidery"), json!([])),
            with_design(
                item("tote", 1, "dtf"),
                design("tote.jpg", "image/jpeg", 3000, 3000)
            ),
            with_design(
                item("hoodie", 1, "dtg"),
                design("hoodie.png", "image/png", 800, 3000)
            ),
            with_design(item("polo", 1, "embroidery"), unsized_design),
            with_design(
                item("patch", 1, "embroidery"),
                design("patch.jpg", "image/jpeg", 500, 500)
            ),
        ])),
    )
    .unwrap();
    s
}

#[test]
fn artwork_that_fails_the_check_holds_the_order_with_the_reasons() {
    let s = bad_artwork();
    assert_eq!(s.status(), "production_hold");
    assert_eq!(s.field("location"), &json!("chi"), "the location is chosen");
    assert!(s.rows.is_empty(), "no job before the artwork passes");
    assert_eq!(
        artwork_problems(&s),
        problems(&[
            ("item-1", "the design is image/gif; dtg takes PNG or JPEG"),
            ("item-2", "no design"),
            ("item-3", "the design is image/jpeg; dtf takes PNG"),
            (
                "item-4",
                "the design is 800 x 3000 px; dtg needs at least 1200 px on each side"
            ),
            ("item-5", "the size of the design is unknown"),
        ])
    );
    let order = engine::vars::order_value(&s.wf, &s.order, &s.settings).unwrap();
    assert_eq!(
        order["artwork_requirements"]["embroidery"]["min_pixels"],
        json!(500)
    );
}

#[test]
fn replacing_every_failed_design_releases_the_order() {
    let mut s = bad_artwork();
    let good = || json!({"design": design("new.png", "image/png", 2400, 2400)});
    // Only the shop's manager replaces a design, only in production hold.
    for who in ["merchant", "operator", "shipper", "system"] {
        assert_eq!(
            code(&s.act_child(&party(who), "item-1", "replace_design", good())),
            "forbidden",
            "{who}"
        );
    }
    assert_eq!(
        code(&s.act_child(&stranger(), "item-1", "replace_design", good())),
        "not_found"
    );
    assert_eq!(
        fields_named(s.act_child(
            &manager(),
            "item-1",
            "replace_design",
            json!({"design": []})
        )),
        ["design"]
    );
    assert_eq!(
        fields_named(s.act_child(&manager(), "item-1", "replace_design", json!({}))),
        ["design"]
    );
    for id in ["item-1", "item-2", "item-3", "item-4"] {
        s.act_child(&manager(), id, "replace_design", good())
            .unwrap();
        assert_eq!(s.status(), "production_hold", "after {id}");
    }
    assert_eq!(
        artwork_problems(&s),
        problems(&[("item-5", "the size of the design is unknown")])
    );
    assert_eq!(
        s.order.child("item-1").unwrap().data["design"][0]["name"],
        "new.png"
    );
    let change = s
        .act_child(&manager(), "item-5", "replace_design", good())
        .unwrap();
    assert_eq!(change.steps[1].action, "release_to_intake");
    assert_eq!(s.status(), "intake_hold");
    assert_eq!(s.rows.len(), 7);
    assert!(s.rows.values().all(|j| j.data["printable"] == true));
    assert_eq!(job(&s, "job-1").data["design"][0]["name"], "new.png");
    assert!(artwork_problems(&s).is_empty());
    assert_eq!(
        code(&s.act_child(&manager(), "item-1", "replace_design", good())),
        "not_available"
    );
    assert_eq!(s.replay(), s.order);
}

#[test]
fn the_manager_approves_artwork_by_hand() {
    let mut s = bad_artwork();
    for who in ["merchant", "operator", "shipper"] {
        assert_eq!(
            code(&s.act(&party(who), "approve_artwork", no_inputs())),
            "forbidden",
            "{who}"
        );
    }
    let change = s.act(&manager(), "approve_artwork", no_inputs()).unwrap();
    assert_eq!(change.steps[1].action, "release_to_intake");
    assert_eq!(s.status(), "intake_hold");
    assert_eq!(s.field("artwork_approved"), &json!(true));
    assert_eq!(
        s.field("artwork_approved_at"),
        &json!(s.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    );
    assert_eq!(s.rows.len(), 7, "every unit, approved designs too");
    assert!(s.rows.values().all(|j| j.data["printable"] == true));
    assert_eq!(artwork_problems(&s).len(), 5, "the problems stay on record");
    assert_eq!(
        code(&s.act(&manager(), "approve_artwork", no_inputs())),
        "not_available"
    );
    assert_eq!(s.replay(), s.order);

    // Artwork that passed needs no approval: the order waits for a location.
    let mut tight = locations();
    tight[0]["capacity_units"] = json!(0);
    let mut s = sim_with(settings_with(tight, json!({})));
    s.act(&merchant(), "create", create_inputs()).unwrap();
    assert_eq!(s.status(), "production_hold");
    let r = s.act(&manager(), "approve_artwork", no_inputs());
    assert_eq!(guard_rule(&r), "artwork_has_problems");
}

// ------------------------------------------------------------ decoration ---

#[test]
fn dtg_at_a_pretreat_location_is_pretreated_before_it_is_scanned() {
    let mut s = three_jobs();
    drive(&mut s, "job-1", "picked");
    let r = s.act_child(&operator(), "job-1", "scan", no_inputs());
    assert_eq!(guard_rule(&r), "pretreated_first");
    let blocked = engine::available_child_actions(
        &s.wf,
        &s.order,
        &job(&s, "job-1"),
        &s.settings,
        &operator(),
        s.now,
    )
    .unwrap();
    let scan = blocked.iter().find(|a| a.action == "scan").unwrap();
    assert!(
        matches!(&scan.blocked, Some(Rejection::GuardFailed { rule, .. }) if rule == "pretreated_first"),
        "the blocker is shown before trying: {:?}",
        scan.blocked
    );
    for (action, to) in [
        ("queue_pretreat", "queued_for_pretreat"),
        ("pretreat", "pretreated"),
        ("scan", "scanned"),
    ] {
        step(&mut s, "job-1", action);
        assert_eq!(job_status(&s, "job-1"), to);
    }
    let r = s.act_child(&operator(), "job-1", "embroider", no_inputs());
    assert_eq!(guard_rule(&r), "embroidered_decoration");
    step(&mut s, "job-1", "print");
    assert_eq!(job_status(&s, "job-1"), "printed");
}

#[test]
fn dtf_and_dtg_without_a_pretreat_system_cannot_queue_for_pretreat() {
    let mut s = three_jobs();
    drive(&mut s, "job-2", "picked");
    let r = s.act_child(&operator(), "job-2", "queue_pretreat", no_inputs());
    assert_eq!(guard_rule(&r), "pretreat_job", "dtf");
    step(&mut s, "job-2", "scan");
    step(&mut s, "job-2", "print");
    assert_eq!(job_status(&s, "job-2"), "printed");

    let mut s = placed(
        locations(),
        json!({}),
        json!([item("tee", 1, "dtg")]),
        DALLAS.0,
        DALLAS.1,
    );
    assert_eq!(s.field("location"), &json!("dal"));
    drive(&mut s, "job-1", "picked");
    let r = s.act_child(&operator(), "job-1", "queue_pretreat", no_inputs());
    assert_eq!(guard_rule(&r), "pretreat_job", "dtg in Dallas");
    step(&mut s, "job-1", "scan");
    assert_eq!(job_status(&s, "job-1"), "scanned");
}

#[test]
fn embroidery_is_embroidered_not_printed() {
    let mut s = three_jobs();
    drive(&mut s, "job-3", "scanned");
    let r = s.act_child(&operator(), "job-3", "print", no_inputs());
    assert_eq!(guard_rule(&r), "printed_decoration");
    let r = s.act_child(&operator(), "job-3", "queue_pretreat", no_inputs());
    assert_eq!(code(&r), "not_available");
    step(&mut s, "job-3", "embroider");
    step(&mut s, "job-3", "complete");
    assert_eq!(job_status(&s, "job-3"), "completed");
}

#[test]
fn a_design_found_unprintable_does_not_pass_intake() {
    let mut s = three_jobs();
    s.act_child(
        &operator(),
        "job-1",
        "check_design",
        json!({"printable": false}),
    )
    .unwrap();
    assert_eq!(job(&s, "job-1").data["printable"], json!(false));
    let r = s.act_child(
        &Actor::System,
        "job-1",
        "pass_intake",
        json!({"bin": "A-01"}),
    );
    assert_eq!(guard_rule(&r), "design_printable");
    let r = s.act_child(&Actor::System, "job-2", "pass_intake", no_inputs());
    assert_eq!(guard_rule(&r), "unit_source");
    s.act_child(
        &manager(),
        "job-1",
        "check_design",
        json!({"printable": true}),
    )
    .unwrap();
    s.act_child(
        &Actor::System,
        "job-1",
        "pass_intake",
        json!({"bin": "A-01"}),
    )
    .unwrap();
    assert_eq!(job(&s, "job-1").data["bin"], json!("A-01"));
}

// --------------------------------------------------------------- roll-up ---

#[test]
fn items_and_the_order_mirror_their_jobs() {
    let mut s = sim();
    s.act(
        &merchant(),
        "create",
        order_inputs(json!([item("tee", 2, "dtf"), item("cap", 1, "embroidery")])),
    )
    .unwrap();
    // job-1, job-2: item-1 (dtf); job-3: item-2 (embroidery).
    step(&mut s, "job-3", "tie_to_purchase");
    assert_eq!(s.status(), "intake_hold", "on order has not passed intake");
    assert_eq!(item_status(&s, "item-2"), "intake_hold");

    step(&mut s, "job-1", "pass_intake");
    assert_eq!(s.status(), "open", "one job passed intake");
    assert_eq!(item_status(&s, "item-1"), "open");
    assert_eq!(item_status(&s, "item-2"), "intake_hold");
    assert_eq!(
        order_jobs(&s),
        counted(&[("intake_hold", 1), ("on_order", 1), ("pending", 1)])
    );
    assert_eq!(
        item_jobs(&s, "item-1"),
        counted(&[("intake_hold", 1), ("pending", 1)])
    );

    for action in ["batch", "label", "pick", "scan", "print", "complete"] {
        step(&mut s, "job-1", action);
    }
    assert_eq!(
        item_status(&s, "item-1"),
        "open",
        "job-2 is still in intake"
    );
    drive(&mut s, "job-2", "completed");
    assert_eq!(item_status(&s, "item-1"), "completed");
    assert_eq!(s.status(), "open", "job-3 is on order");

    let change = step(&mut s, "job-3", "cancel");
    assert_eq!(item_status(&s, "item-2"), "canceled", "its only job is");
    assert_eq!(
        s.status(),
        "completed",
        "a canceled job is left out of the roll-up"
    );
    assert_eq!(
        change.steps.len(),
        1,
        "roll-ups are events of the job's step"
    );
    assert!(change.steps[0].events.iter().any(|e| matches!(
        e,
        Event::StatusChanged { from, to } if from == "open" && to == "completed"
    )));

    step(&mut s, "job-1", "ship");
    assert_eq!(item_status(&s, "item-1"), "completed", "job-2 not shipped");
    assert_eq!(s.status(), "completed");
    step(&mut s, "job-2", "ship");
    assert_eq!(item_status(&s, "item-1"), "shipped");
    assert_eq!(s.status(), "shipped");
    assert_eq!(order_jobs(&s), counted(&[("shipped", 2), ("canceled", 1)]));
    assert_eq!(job(&s, "job-2").data["tracking_number"], json!("1Z999"));
    assert_eq!(
        code(&s.act(&merchant(), "cancel", no_inputs())),
        "not_available"
    );
    assert_eq!(s.replay(), s.order);
}

#[test]
fn an_order_whose_only_passed_job_is_canceled_is_back_in_intake_hold() {
    let mut s = three_jobs();
    step(&mut s, "job-1", "pass_intake");
    assert_eq!(s.status(), "open");
    step(&mut s, "job-1", "cancel");
    assert_eq!(s.status(), "intake_hold");
    assert_eq!(item_status(&s, "item-1"), "canceled");
    step(&mut s, "job-2", "cancel");
    step(&mut s, "job-3", "cancel");
    assert_eq!(s.status(), "canceled", "every job canceled");
}

// ---------------------------------------------------------------- cancel ---

#[test]
fn cancel_moves_the_order_its_items_and_its_jobs_out_of_production() {
    let mut s = sim();
    s.act(&merchant(), "create", create_inputs()).unwrap();
    drive(&mut s, "job-1", "scanned");
    drive(&mut s, "job-2", "completed");
    drive(&mut s, "job-4", "on_order");
    assert_eq!(s.status(), "open");
    let change = s
        .act(&merchant(), "cancel", json!({"reason": "customer refund"}))
        .unwrap();
    assert_eq!(s.status(), "canceled");
    assert_eq!(s.field("cancel_reason"), &json!("customer refund"));
    assert_eq!(s.field("canceled_at"), &json!("2026-03-02T09:00:00Z"));
    assert_eq!(
        s.notified(),
        [("shop".to_owned(), "order_canceled".to_owned())]
    );
    assert_eq!(change.steps.len(), 1);
    assert!(s.order.children.iter().all(|c| c.status == "canceled"));
    assert!(s.rows.values().all(|j| j.status == "canceled"));
    assert_eq!(order_jobs(&s), counted(&[("canceled", 5)]));
    assert_eq!(item_jobs(&s, "item-1"), counted(&[("canceled", 3)]));
    assert_eq!(item_jobs(&s, "item-2"), counted(&[("canceled", 2)]));
    for id in s.rows.keys().cloned().collect::<Vec<_>>() {
        for row in JOB_ROWS {
            let actor = party(row.by[0]);
            let r = s.act_child(&actor, &id, row.action, (row.inputs)());
            assert_eq!(code(&r), "not_available", "{} on canceled {id}", row.action);
        }
    }
    assert_eq!(
        code(&s.act(&manager(), "cancel", no_inputs())),
        "not_available"
    );
    assert_eq!(s.replay(), s.order);
}

#[test]
fn cancel_leaves_shipped_jobs_and_items_shipped() {
    let mut s = three_jobs();
    drive(&mut s, "job-3", "shipped");
    drive(&mut s, "job-2", "pending");
    s.act(&manager(), "cancel", no_inputs()).unwrap();
    assert_eq!(
        s.notified(),
        [("merchant".to_owned(), "order_canceled".to_owned())]
    );
    assert_eq!(s.status(), "canceled");
    assert_eq!(job_status(&s, "job-3"), "shipped");
    assert_eq!(item_status(&s, "item-3"), "shipped");
    for (j, i) in [("job-1", "item-1"), ("job-2", "item-2")] {
        assert_eq!(job_status(&s, j), "canceled");
        assert_eq!(item_status(&s, i), "canceled");
    }
    assert_eq!(order_jobs(&s), counted(&[("canceled", 2), ("shipped", 1)]));
}

#[test]
fn an_order_waiting_for_a_location_can_be_canceled() {
    let mut tight = locations();
    tight[0]["capacity_units"] = json!(0);
    let mut s = sim_with(settings_with(tight, json!({})));
    s.act(&merchant(), "create", create_inputs()).unwrap();
    assert_eq!(s.status(), "production_hold");
    s.act(&merchant(), "cancel", no_inputs()).unwrap();
    assert_eq!(s.status(), "canceled");
    assert!(s.order.children.iter().all(|c| c.status == "canceled"));
    assert!(s.rows.is_empty());
}

// ---------------------------------------------------------------- tables ---

fn party(name: &str) -> Actor {
    match name {
        "merchant" => merchant(),
        "operator" => operator(),
        "shipper" => shipper(),
        "manager" => manager(),
        "system" => Actor::System,
        "stranger" => stranger(),
        other => panic!("no party {other}"),
    }
}

const PARTIES: [&str; 6] = [
    "merchant", "operator", "shipper", "manager", "system", "stranger",
];

struct JobRow {
    action: &'static str,
    /// Parties (shop roles, `system`) that may take it.
    by: &'static [&'static str],
    from: &'static [&'static str],
    inputs: fn() -> Json,
    required: &'static [&'static str],
    to: Option<&'static str>,
    /// The job it is tried on where several are in the state: the one
    /// whose guards hold.
    decoration: &'static str,
}

const BEFORE_COMPLETED: &[&str] = &[
    "intake_hold",
    "on_order",
    "pending",
    "open",
    "labeled",
    "picked",
    "queued_for_pretreat",
    "pretreated",
    "scanned",
    "printed",
    "embroidered",
];

const JOB_ROWS: &[JobRow] = &[
    JobRow {
        action: "pass_intake",
        by: &["manager", "system"],
        from: &["intake_hold", "on_order"],
        inputs: || json!({"bin": "A-01"}),
        required: &[],
        to: Some("pending"),
        decoration: "dtf",
    },
    JobRow {
        action: "tie_to_purchase",
        by: &["manager", "system"],
        from: &["intake_hold"],
        inputs: || json!({"purchase": "PO-7"}),
        required: &["purchase"],
        to: Some("on_order"),
        decoration: "dtf",
    },
    JobRow {
        action: "check_design",
        by: &["operator", "manager"],
        from: &["intake_hold", "on_order"],
        inputs: || json!({"printable": true}),
        required: &["printable"],
        to: None,
        decoration: "dtf",
    },
    JobRow {
        action: "batch",
        by: &["operator"],
        from: &["pending"],
        inputs: || json!({"batch": "B-1"}),
        required: &[],
        to: Some("open"),
        decoration: "dtf",
    },
    JobRow {
        action: "label",
        by: &["operator"],
        from: &["open"],
        inputs: no_inputs,
        required: &[],
        to: Some("labeled"),
        decoration: "dtf",
    },
    JobRow {
        action: "pick",
        by: &["operator"],
        from: &["labeled"],
        inputs: no_inputs,
        required: &[],
        to: Some("picked"),
        decoration: "dtf",
    },
    JobRow {
        action: "queue_pretreat",
        by: &["operator"],
        from: &["picked"],
        inputs: no_inputs,
        required: &[],
        to: Some("queued_for_pretreat"),
        decoration: "dtg",
    },
    JobRow {
        action: "pretreat",
        by: &["operator"],
        from: &["queued_for_pretreat"],
        inputs: no_inputs,
        required: &[],
        to: Some("pretreated"),
        decoration: "dtg",
    },
    JobRow {
        action: "scan",
        by: &["operator"],
        from: &["picked", "pretreated"],
        inputs: no_inputs,
        required: &[],
        to: Some("scanned"),
        decoration: "dtf",
    },
    JobRow {
        action: "print",
        by: &["operator"],
        from: &["scanned"],
        inputs: no_inputs,
        required: &[],
        to: Some("printed"),
        decoration: "dtf",
    },
    JobRow {
        action: "embroider",
        by: &["operator"],
        from: &["scanned"],
        inputs: no_inputs,
        required: &[],
        to: Some("embroidered"),
        decoration: "embroidery",
    },
    JobRow {
        action: "complete",
        by: &["operator"],
        from: &["printed", "embroidered"],
        inputs: no_inputs,
        required: &[],
        to: Some("completed"),
        decoration: "dtf",
    },
    JobRow {
        action: "ship",
        by: &["shipper"],
        from: &["completed"],
        inputs: || json!({"tracking_number": "1Z999"}),
        required: &["tracking_number"],
        to: Some("shipped"),
        decoration: "dtf",
    },
    JobRow {
        action: "cancel",
        by: &["manager"],
        from: BEFORE_COMPLETED,
        inputs: no_inputs,
        required: &[],
        to: Some("canceled"),
        decoration: "dtf",
    },
];

/// `three_jobs` with every job that can reach `state` driven there.
fn jobs_at(state: &str) -> Sim {
    let mut s = three_jobs();
    let reached: Vec<bool> = ["job-1", "job-2", "job-3"]
        .iter()
        .map(|id| drive(&mut s, id, state))
        .collect();
    assert!(reached.contains(&true), "no job reaches {state}");
    s
}

/// The job in `state`, of `decoration` when there is one.
fn subject(s: &Sim, state: &str, decoration: &str) -> Child {
    let mut at: Vec<&Child> = s.rows.values().filter(|j| j.status == state).collect();
    at.sort_by_key(|j| j.data["decoration"] != json!(decoration));
    (*at.first().unwrap()).clone()
}

#[test]
fn every_job_action_from_every_job_state_by_every_party() {
    let decide = |s: &Sim, j: &Child, actor: &Actor, row: &JobRow| {
        engine::decide_child(
            &s.wf,
            &s.order,
            j,
            &s.settings,
            actor,
            row.action,
            &(row.inputs)(),
            s.now,
        )
    };
    for state in JOB_STATES {
        let s = jobs_at(state);
        for row in JOB_ROWS {
            let j = subject(&s, state, row.decoration);
            for name in PARTIES {
                let expected = expected_code(
                    name != "stranger",
                    row.from.contains(&state),
                    row.by.contains(&name),
                );
                let result = decide(&s, &j, &party(name), row);
                assert_eq!(
                    code(&result),
                    expected,
                    "{} on a {} job in {state} by {name}: {result:?}",
                    row.action,
                    j.data["decoration"]
                );
                match &result {
                    Ok(change) => {
                        let moved = change.steps[0].events.iter().find_map(|e| match e {
                            Event::ChildStatusChanged { id, to, .. } if *id == j.id => {
                                Some(to.as_str())
                            }
                            _ => None,
                        });
                        assert_eq!(moved, row.to, "{} from {state}", row.action);
                        assert_eq!(change.version, s.order.version + 1);
                    }
                    Err(Rejection::NotAvailable { available_in, .. }) => {
                        assert_eq!(available_in, row.from, "{} names its states", row.action);
                    }
                    Err(Rejection::Forbidden { allowed, .. }) => {
                        let mut by: Vec<String> = row
                            .by
                            .iter()
                            .map(|b| match *b {
                                "system" => "system".to_owned(),
                                role => format!("shop:{role}"),
                            })
                            .collect();
                        by.sort();
                        let mut allowed = allowed.clone();
                        allowed.sort();
                        assert_eq!(allowed, by, "{} names who may", row.action);
                    }
                    Err(_) => {}
                }
            }
        }
    }
}

#[test]
fn every_required_job_input_is_named_when_missing() {
    for row in JOB_ROWS.iter().filter(|r| !r.required.is_empty()) {
        let state = row.from[0];
        let mut s = jobs_at(state);
        let j = subject(&s, state, row.decoration);
        let actor = party(row.by[0]);
        let named = fields_named(s.act_child(&actor, &j.id, row.action, json!({})));
        assert_eq!(named, row.required, "{}", row.action);
    }
}

struct OrderRow {
    action: &'static str,
    by: &'static [&'static str],
    from: &'static [&'static str],
    inputs: fn() -> Json,
    to: Option<&'static str>,
}

const ORDER_ROWS: &[OrderRow] = &[
    OrderRow {
        action: "assign_location",
        by: &["manager"],
        from: &["production_hold"],
        inputs: || json!({"location": "chi"}),
        to: Some("intake_hold"),
    },
    OrderRow {
        action: "choose_location",
        by: &["manager"],
        from: &["production_hold"],
        inputs: no_inputs,
        to: Some("intake_hold"),
    },
    OrderRow {
        action: "cancel",
        by: &["merchant", "manager"],
        from: &["received", "production_hold", "intake_hold", "open"],
        inputs: || json!({"reason": "duplicate"}),
        to: Some("canceled"),
    },
];

/// The three-job order in `state` (`received` is a pass-through: no
/// request leaves an order there).
fn order_at(state: &str) -> Sim {
    if state == "production_hold" {
        let mut full = locations();
        full[0]["capacity_units"] = json!(0);
        let mut s = sim_with(settings_with(full, json!({})));
        s.act(
            &merchant(),
            "create",
            order_inputs(json!([
                item("tee", 1, "dtg"),
                item("tote", 1, "dtf"),
                item("cap", 1, "embroidery")
            ])),
        )
        .unwrap();
        assert_eq!(s.status(), "production_hold");
        // Room again, but nothing has asked for the choice since.
        s.settings = party_settings(&settings_with(locations(), json!({})));
        return s;
    }
    let mut s = three_jobs();
    match state {
        "intake_hold" => {}
        "open" => drive_all(&mut s, "pending"),
        "completed" | "shipped" => drive_all(&mut s, state),
        "canceled" => {
            s.act(&merchant(), "cancel", no_inputs()).unwrap();
        }
        other => panic!("no way to {other}"),
    }
    assert_eq!(s.status(), state);
    s
}

fn drive_all(s: &mut Sim, state: &str) {
    for id in ["job-1", "job-2", "job-3"] {
        assert!(drive(s, id, state));
    }
}

#[test]
fn every_order_action_from_every_state_by_every_party() {
    for state in ORDER_STATES.iter().filter(|s| **s != "received") {
        let at = order_at(state);
        for row in ORDER_ROWS {
            for name in PARTIES {
                let expected = expected_code(
                    name != "stranger",
                    row.from.contains(state),
                    row.by.contains(&name),
                );
                let result = engine::decide(
                    &at.wf,
                    &at.order,
                    &at.settings,
                    &party(name),
                    row.action,
                    &(row.inputs)(),
                    at.now,
                );
                assert_eq!(
                    code(&result),
                    expected,
                    "{} by {name} from {state}: {result:?}",
                    row.action
                );
                if expected == "ok" {
                    let mut s = order_at(state);
                    s.act(&party(name), row.action, (row.inputs)()).unwrap();
                    assert_eq!(s.status(), row.to.unwrap_or(state), "{}", row.action);
                    assert_eq!(s.replay(), s.order);
                }
                if let Err(Rejection::NotAvailable { available_in, .. }) = &result {
                    assert_eq!(available_in, row.from, "{}", row.action);
                }
            }
        }
    }
}

#[test]
fn the_merchant_follows_every_state_and_a_stranger_sees_nothing() {
    for state in ORDER_STATES.iter().filter(|s| **s != "received") {
        let s = order_at(state);
        assert!(s.available(&merchant()).is_ok(), "{state}");
        assert!(s.available(&operator()).is_ok(), "{state}");
        assert_eq!(
            s.available(&stranger()).err(),
            Some(Rejection::NotFound),
            "{state}"
        );
    }
}

// ---------------------------------------------------------------- intake ---

/// The jobs waiting for intake, as the scheduler hands them to the built-in.
fn waiting(s: &Sim) -> Vec<IntakeJob> {
    s.rows
        .values()
        .filter_map(|j| {
            let state = match j.status.as_str() {
                "intake_hold" => JobIntakeState::IntakeHold,
                "on_order" => JobIntakeState::OnOrder {
                    purchase: j.data["purchase"].as_str().unwrap().to_owned(),
                },
                _ => return None,
            };
            Some(IntakeJob {
                id: j.id.clone(),
                seq: j.seq,
                sku: j.data["sku"].as_str().unwrap().to_owned(),
                printable: j.data["printable"] == json!(true),
                state,
            })
        })
        .collect()
}

/// Applies one run's decisions as job actions, in the order given.
fn apply_intake(s: &mut Sim, actor: &Actor, jobs: &[IntakeJob], decisions: &[Decision]) {
    for d in decisions {
        let before = &jobs.iter().find(|j| j.id == d.job()).unwrap().state;
        let version = s.order.version;
        match d {
            Decision::Reserve { job, bin, .. } => {
                s.act_child(actor, job, "pass_intake", json!({"bin": bin}))
                    .unwrap();
            }
            Decision::ReceiveFromPurchase { job, purchase, .. } => {
                s.act_child(actor, job, "pass_intake", json!({"purchase": purchase}))
                    .unwrap();
            }
            Decision::TieToPurchase { job, purchase } => {
                s.act_child(actor, job, "tie_to_purchase", json!({"purchase": purchase}))
                    .unwrap();
            }
            Decision::Wait { .. } => {
                assert_eq!(s.order.version, version);
            }
        }
        assert_eq!(job_status(s, d.job()), d.state_after(before), "{d:?}");
    }
}

#[test]
fn fifo_intake_decisions_apply_as_job_actions() {
    let mut s = sim();
    s.act(
        &merchant(),
        "create",
        order_inputs(json!([item("tee", 3, "dtg"), item("cap", 2, "embroidery")])),
    )
    .unwrap();
    s.act_child(
        &operator(),
        "job-2",
        "check_design",
        json!({"printable": false}),
    )
    .unwrap();
    let inventory = Inventory {
        bins: vec![Bin {
            id: "A-01".into(),
            sku: "tee".into(),
            quantity: 1,
        }],
        purchases: vec![
            intake::Purchase {
                id: "PO-1".into(),
                sku: "tee".into(),
                ordered: 2,
                received: 0,
                tied: 0,
                consumed: 0,
            },
            intake::Purchase {
                id: "PO-2".into(),
                sku: "cap".into(),
                ordered: 1,
                received: 1,
                tied: 0,
                consumed: 0,
            },
        ],
    };

    // The scheduled run, by the system.
    let jobs = waiting(&s);
    let run = intake::run(&jobs, &inventory).unwrap();
    apply_intake(&mut s, &Actor::System, &jobs, &run.decisions);
    let states: Vec<(String, String)> = s
        .rows
        .values()
        .map(|j| (j.id.clone(), j.status.clone()))
        .collect();
    assert_eq!(
        states,
        [
            ("job-1".to_owned(), "pending".to_owned()),
            ("job-2".to_owned(), "intake_hold".to_owned()),
            ("job-3".to_owned(), "on_order".to_owned()),
            ("job-4".to_owned(), "pending".to_owned()),
            ("job-5".to_owned(), "intake_hold".to_owned()),
        ]
    );
    assert_eq!(job(&s, "job-1").data["bin"], json!("A-01"));
    assert_eq!(job(&s, "job-3").data["purchase"], json!("PO-1"));
    assert_eq!(job(&s, "job-4").data["purchase"], json!("PO-2"));
    assert_eq!(s.status(), "open");
    assert_eq!(item_status(&s, "item-1"), "open");
    assert_eq!(item_status(&s, "item-2"), "open");

    // PO-1 delivers; the design of job-2 is fixed; a manager runs intake now.
    let mut inventory = run.inventory;
    inventory.purchases[0].received = 1;
    inventory.bins.push(Bin {
        id: "A-02".into(),
        sku: "tee".into(),
        quantity: 5,
    });
    s.act_child(
        &manager(),
        "job-2",
        "check_design",
        json!({"printable": true}),
    )
    .unwrap();
    let jobs = waiting(&s);
    let run = intake::run(&jobs, &inventory).unwrap();
    apply_intake(&mut s, &manager(), &jobs, &run.decisions);
    assert_eq!(job_status(&s, "job-3"), "pending", "received for its tie");
    assert_eq!(job(&s, "job-3").data["purchase"], json!("PO-1"));
    assert_eq!(job_status(&s, "job-2"), "pending");
    assert_eq!(job(&s, "job-2").data["bin"], json!("A-02"));
    assert_eq!(job_status(&s, "job-5"), "intake_hold", "no cap stock left");
    assert_eq!(
        order_jobs(&s),
        counted(&[("intake_hold", 1), ("pending", 4)])
    );
    let again = intake::run(&waiting(&s), &run.inventory).unwrap();
    assert!(again.decisions.iter().all(|d| !d.passes()));
    assert_eq!(s.replay(), s.order);
}

#[test]
fn the_intake_schedule_runs_every_30_to_60_minutes() {
    let wf = common::workflow(ID);
    let schedules: Vec<(&str, &str, Option<u32>, Option<u32>)> = wf
        .def
        .schedules
        .iter()
        .map(|s| {
            (
                s.id.as_str(),
                s.builtin.as_str(),
                s.every_minutes_min,
                s.every_minutes_max,
            )
        })
        .collect();
    assert_eq!(
        schedules,
        [("fifo_intake", "fifo_intake", Some(30), Some(60))]
    );
}

#[test]
fn history_replays_to_the_same_order() {
    for state in ORDER_STATES.iter().filter(|s| **s != "received") {
        let s = order_at(state);
        assert_eq!(s.replay(), s.order, "{state}");
    }
}

// -------------------------------------------------------------- property ---

const DECORATIONS: [&str; 3] = ["dtg", "dtf", "embroidery"];
const ACTIONS: [&str; 14] = [
    "pass_intake",
    "tie_to_purchase",
    "check_design",
    "batch",
    "label",
    "pick",
    "queue_pretreat",
    "pretreat",
    "scan",
    "print",
    "embroider",
    "complete",
    "ship",
    "cancel",
];

/// One job as the oracle sees it.
#[derive(Debug, Clone)]
struct Model {
    id: String,
    item: String,
    decoration: &'static str,
    pretreat: bool,
    printable: bool,
    status: &'static str,
}

/// What a job action should do, worked out from docs/product.md alone: the new
/// status and printable flag, or the code of the refusal.
fn expect(job: &Model, action: &str, who: &str, printable: bool) -> Result<Model, &'static str> {
    if who == "stranger" {
        return Err("not_found");
    }
    let s = job.status;
    let (from, by, to): (&[&str], &[&str], &'static str) = match action {
        "pass_intake" => (
            &["intake_hold", "on_order"],
            &["system", "manager"],
            "pending",
        ),
        "tie_to_purchase" => (&["intake_hold"], &["system", "manager"], "on_order"),
        "check_design" => (&["intake_hold", "on_order"], &["operator", "manager"], s),
        "batch" => (&["pending"], &["operator"], "open"),
        "label" => (&["open"], &["operator"], "labeled"),
        "pick" => (&["labeled"], &["operator"], "picked"),
        "queue_pretreat" => (&["picked"], &["operator"], "queued_for_pretreat"),
        "pretreat" => (&["queued_for_pretreat"], &["operator"], "pretreated"),
        "scan" => (&["picked", "pretreated"], &["operator"], "scanned"),
        "print" => (&["scanned"], &["operator"], "printed"),
        "embroider" => (&["scanned"], &["operator"], "embroidered"),
        "complete" => (&["printed", "embroidered"], &["operator"], "completed"),
        "ship" => (&["completed"], &["shipper"], "shipped"),
        "cancel" => (BEFORE_COMPLETED, &["manager"], "canceled"),
        other => panic!("no action {other}"),
    };
    match expected_code(true, from.contains(&s), by.contains(&who)) {
        "ok" => {}
        refused => return Err(refused),
    }
    let guard = match action {
        "pass_intake" => job.printable,
        "queue_pretreat" => job.pretreat,
        "scan" => !job.pretreat || s == "pretreated",
        "print" => job.decoration != "embroidery",
        "embroider" => job.decoration == "embroidery",
        _ => true,
    };
    if !guard {
        return Err("guard_failed");
    }
    let mut next = job.clone();
    next.status = JOB_STATES.iter().find(|x| **x == to).unwrap();
    if action == "check_design" {
        next.printable = printable;
    }
    Ok(next)
}

/// The status jobs roll up to, from their states alone.
fn roll_up<'a>(jobs: impl Iterator<Item = &'a str>) -> &'static str {
    let states: Vec<&str> = jobs.collect();
    let live: Vec<&&str> = states.iter().filter(|s| **s != "canceled").collect();
    if live.is_empty() {
        return if states.is_empty() {
            "intake_hold"
        } else {
            "canceled"
        };
    }
    if live.iter().all(|s| **s == "shipped") {
        "shipped"
    } else if live.iter().all(|s| ["completed", "shipped"].contains(*s)) {
        "completed"
    } else if live
        .iter()
        .any(|s| !["intake_hold", "on_order"].contains(*s))
    {
        "open"
    } else {
        "intake_hold"
    }
}

fn tally<'a>(jobs: impl Iterator<Item = &'a str>) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for s in jobs {
        *out.entry(s.to_owned()).or_default() += 1;
    }
    out
}

/// The engine's counters and statuses against the oracle's jobs and the
/// rows the store keeps, recomputed from scratch.
fn check_roll_up(
    s: &Sim,
    model: &[Model],
    canceled_at: Option<&BTreeMap<String, &'static str>>,
) -> Result<(), TestCaseError> {
    for m in model {
        prop_assert_eq!(job_status(s, &m.id), m.status, "{}", m.id);
        prop_assert_eq!(&job(s, &m.id).data["printable"], &json!(m.printable));
    }
    prop_assert_eq!(
        order_jobs(s),
        tally(s.rows.values().map(|j| j.status.as_str()))
    );
    prop_assert_eq!(order_jobs(s), tally(model.iter().map(|m| m.status)));
    for it in &s.order.children {
        let mine = || model.iter().filter(|m| m.item == it.id).map(|m| m.status);
        prop_assert_eq!(item_jobs(s, &it.id), tally(mine()), "{}", it.id);
        let expected = match canceled_at {
            Some(before) if before[&it.id] != "shipped" => "canceled",
            _ => roll_up(mine()),
        };
        prop_assert_eq!(it.status.as_str(), expected, "{}", it.id);
    }
    let expected = match canceled_at {
        Some(_) => "canceled",
        None => roll_up(model.iter().map(|m| m.status)),
    };
    prop_assert_eq!(s.status(), expected);
    Ok(())
}

fn arb_items() -> impl Strategy<Value = Vec<(usize, u64)>> {
    prop::collection::vec((0usize..3, 1u64..=3), 1..=3)
}

/// One random step: a job (index), an action (index; one past the last is
/// the order's cancel), a party (index), `printable` for `check_design`, and
/// whether it is *guided*: then the job takes the first step from that
/// action on (cancel aside) that docs/product.md allows, by a party allowed to, so
/// runs get far enough to complete and ship.
#[derive(Debug, Clone)]
struct Op {
    job: usize,
    action: usize,
    party: usize,
    printable: bool,
    guided: bool,
}

fn arb_ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        (
            0usize..16,
            0usize..=ACTIONS.len(),
            0usize..PARTIES.len(),
            prop::bool::weighted(0.8),
            prop::bool::weighted(0.6),
        )
            .prop_map(|(job, action, party, printable, guided)| Op {
                job,
                action,
                party,
                printable,
                guided,
            }),
        0..60,
    )
}

/// The first (action, party) from `start` on that the oracle accepts for
/// `job`, cancel left out.
fn guided(job: &Model, start: usize, printable: bool) -> Option<(usize, usize)> {
    let steps = ACTIONS.len() - 1;
    (0..steps).map(|k| (start + k) % steps).find_map(|a| {
        (0..PARTIES.len())
            .find(|p| expect(job, ACTIONS[a], PARTIES[*p], printable).is_ok())
            .map(|p| (a, p))
    })
}

fn op_inputs(action: &str, printable: bool) -> Json {
    match action {
        "pass_intake" => json!({"bin": "A-01"}),
        "tie_to_purchase" => json!({"purchase": "PO-1"}),
        "check_design" => json!({"printable": printable}),
        "ship" => json!({"tracking_number": "1Z"}),
        _ => no_inputs(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Random job steps, valid or not, by any party: every refusal is the
    /// one docs/product.md predicts and changes nothing, every accepted step grows
    /// the version by one, and the counters and statuses of items and order
    /// always equal a roll-up recomputed from the jobs.
    #[test]
    fn roll_ups_always_match_the_jobs(
        items in arb_items(),
        pretreat in any::<bool>(),
        ops in arb_ops(),
    ) {
        let place = if pretreat { "chi" } else { "dal" };
        let mut all = locations();
        all[1]["decorations"] = json!(DECORATIONS);
        let mut s = sim_with(settings_with(all, json!({"preferred_location": place})));
        let lines: Vec<Json> = items
            .iter()
            .enumerate()
            .map(|(i, (d, q))| item(&format!("sku{i}"), *q, DECORATIONS[*d]))
            .collect();
        s.act(&merchant(), "create", order_inputs(Json::Array(lines))).unwrap();
        prop_assert_eq!(s.field("location"), &json!(place));
        let mut model: Vec<Model> = s
            .rows
            .values()
            .map(|j| {
                let decoration = DECORATIONS
                    .iter()
                    .find(|d| j.data["decoration"] == json!(d))
                    .unwrap();
                Model {
                    id: j.id.clone(),
                    item: j.parent.clone().unwrap(),
                    decoration,
                    pretreat: pretreat && *decoration == "dtg",
                    printable: true,
                    status: "intake_hold",
                }
            })
            .collect();
        let units: u64 = items.iter().map(|(_, q)| q).sum();
        prop_assert_eq!(model.len() as u64, units);
        let mut canceled_at: Option<BTreeMap<String, &'static str>> = None;
        check_roll_up(&s, &model, None)?;

        for op in ops {
            let (mut a, mut p, printable) = (op.action, op.party, op.printable);
            let m = op.job % model.len();
            if op.guided
                && a < ACTIONS.len()
                && let Some((ga, gp)) = guided(&model[m], a, printable)
            {
                (a, p) = (ga, gp);
            }
            let who = PARTIES[p];
            let before = s.order.clone();
            let rows_before = s.rows.clone();
            if a == ACTIONS.len() {
                let expected = expected_code(
                    who != "stranger",
                    ["intake_hold", "open"].contains(&s.status()),
                    ["merchant", "manager"].contains(&who),
                );
                let r = s.act(&party(who), "cancel", no_inputs());
                prop_assert_eq!(code(&r), expected, "cancel by {}", who);
                if r.is_ok() {
                    canceled_at = Some(
                        s.order
                            .children
                            .iter()
                            .map(|it| {
                                let mine = model
                                    .iter()
                                    .filter(|m| m.item == it.id)
                                    .map(|m| m.status);
                                (it.id.clone(), roll_up(mine))
                            })
                            .collect(),
                    );
                    for m in &mut model {
                        if !["shipped", "canceled"].contains(&m.status) {
                            m.status = "canceled";
                        }
                    }
                }
            } else {
                let action = ACTIONS[a];
                let id = model[m].id.clone();
                let expected = expect(&model[m], action, who, printable);
                let r = s.act_child(&party(who), &id, action, op_inputs(action, printable));
                match &expected {
                    Ok(_) => prop_assert_eq!(code(&r), "ok", "{} on {} by {}: {:?}", action, id, who, r),
                    Err(c) => prop_assert_eq!(code(&r), *c, "{} on {} by {}", action, id, who),
                }
                if let Ok(next) = expected {
                    prop_assert_eq!(s.rows[&id].version, rows_before[&id].version + 1);
                    model[m] = next;
                }
            }
            if s.changes.last().map(|c| c.version) == Some(before.version + 1) {
                prop_assert_eq!(s.order.version, before.version + 1);
            } else {
                prop_assert_eq!(&s.order, &before, "a refusal changes nothing");
                prop_assert_eq!(&s.rows, &rows_before);
            }
            check_roll_up(&s, &model, canceled_at.as_ref())?;
        }
        prop_assert_eq!(s.order.version, s.changes.len() as u64);
        prop_assert_eq!(s.replay(), s.order.clone());
    }

    /// The order leaves production hold exactly when the built-in places
    /// every item, each item and its jobs where it was placed: the
    /// merchant's create never fails for want of a location.
    #[test]
    fn the_order_is_released_exactly_when_a_location_is_found(
        shop in prop::collection::vec(
            (
                0u64..12,
                any::<bool>(),
                prop::sample::subsequence(DECORATIONS.to_vec(), 0..=3),
                0u64..4,
                -60.0f64..60.0,
                -120.0f64..120.0,
            ),
            0..4,
        ),
        allowed in prop::option::of(prop::sample::subsequence(vec!["l0", "l1", "l2", "l3"], 0..=4)),
        preferred in prop::option::of(prop::sample::select(vec!["l0", "l1", "l2", "l9"])),
        lines in prop::collection::vec((0usize..2, 0usize..3, 1u64..5), 1..4),
    ) {
        let skus = ["tee", "hat"];
        let locs: Vec<Location> = shop
            .iter()
            .enumerate()
            .map(|(i, (capacity, pretreat, decorations, stock, lat, lon))| Location {
                id: format!("l{i}"),
                name: String::new(),
                latitude: *lat,
                longitude: *lon,
                capacity_units: *capacity,
                uses_pretreat: *pretreat,
                stock: [("tee".to_owned(), *stock)].into_iter().collect(),
                decorations: decorations.iter().map(|d| (*d).to_owned()).collect(),
            })
            .collect();
        let account = AccountSettings {
            allowed_locations: allowed.clone().map(|a| a.iter().map(|x| (*x).to_owned()).collect()),
            preferred_location: preferred.map(str::to_owned),
        };
        let demand = Demand {
            units: lines
                .iter()
                .map(|(sku, d, q)| DemandLine {
                    sku: skus[*sku].to_owned(),
                    decoration: DECORATIONS[*d].to_owned(),
                    quantity: *q,
                })
                .collect(),
            latitude: MILWAUKEE.0,
            longitude: MILWAUKEE.1,
        };
        let placement = location::place(&locs, &account, &demand);

        let mut merchant_settings = serde_json::Map::new();
        if let Some(a) = &allowed {
            merchant_settings.insert("allowed_locations".into(), json!(a));
        }
        if let Some(p) = preferred {
            merchant_settings.insert("preferred_location".into(), json!(p));
        }
        let mut s = sim_with(settings_with(json!(locs), Json::Object(merchant_settings)));
        let items: Vec<Json> = lines
            .iter()
            .map(|(sku, d, q)| item(skus[*sku], *q, DECORATIONS[*d]))
            .collect();
        s.act(&merchant(), "create", order_inputs(Json::Array(items))).unwrap();
        match placement {
            Ok(p) => {
                prop_assert_eq!(s.status(), "intake_hold");
                prop_assert_eq!(
                    s.field("location"),
                    &json!(p.whole.as_ref().map(|c| c.location.clone()))
                );
                prop_assert_eq!(s.field("locations"), &json!(p.locations()));
                for (item, placed) in s.order.children.iter().zip(&p.lines) {
                    prop_assert_eq!(&item.data["location"], &json!(placed.location));
                    prop_assert_eq!(&item.data["uses_pretreat"], &json!(placed.uses_pretreat));
                }
                for j in s.rows.values() {
                    let item = s.order.child(j.parent.as_deref().unwrap()).unwrap();
                    prop_assert_eq!(&j.data["location"], &item.data["location"]);
                    let pretreat = j.data["decoration"] == "dtg" && item.data["uses_pretreat"] == true;
                    prop_assert_eq!(&j.data["pretreat"], &json!(pretreat));
                }
                let units: u64 = lines.iter().map(|(_, _, q)| q).sum();
                prop_assert_eq!(s.rows.len() as u64, units);
            }
            Err(e) => {
                prop_assert_eq!(s.status(), "production_hold");
                prop_assert!(s.rows.is_empty());
                prop_assert_eq!(s.field("location_problem"), &json!(e.to_string()));
                s.act(&manager(), "choose_location", no_inputs()).unwrap();
                prop_assert_eq!(s.status(), "production_hold");
            }
        }
    }
}
