//! The scheduler through the application layer, with a clock the tests
//! step (no sleeping), on a real SQLite store and on a real PostgreSQL
//! shared by two application instances (two servers).
//!
//! - `fifo_intake` runs when due, not before, and serves the oldest jobs
//!   first; a deployment can turn it off or change its interval.
//! - Timers fire at their time and not before; cancelled ones never fire,
//!   rescheduled ones fire at their new time; a refused action fails the
//!   timer with the reason.
//! - Two servers on one PostgreSQL run each scheduled check once and fire
//!   each timer once; a run missed while every server was down happens
//!   once when one comes back.
//! - A change committed on one server reaches a subscriber of the other
//!   (live updates over PostgreSQL's LISTEN/NOTIFY).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use orderflow_api::{CreateOrganization, CreateUser};
use orderflow_app::scheduler::{ScheduleOverride, SchedulerConfig, Tick};
use orderflow_app::{Act, App, Body, Caller, Clock, Limits, UserCaller, built_in_workflows};
use orderflow_store::Store;
use serde_json::{Value, json};

/// A clock that moves only when told; shared by the servers of a test.
struct TestClock(Mutex<DateTime<Utc>>);

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

impl TestClock {
    fn advance(&self, minutes: i64) {
        *self.0.lock().unwrap() += Duration::minutes(minutes);
    }
}

fn start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_772_442_000, 0).unwrap()
}

/// Intake every 30 minutes exactly, so the tests know when it is due.
fn every_30() -> SchedulerConfig {
    let mut config = SchedulerConfig::default();
    config.schedules.insert(
        "print-production.fifo_intake".into(),
        ScheduleOverride {
            enabled: None,
            every_minutes_min: Some(30),
            every_minutes_max: Some(30),
            ..ScheduleOverride::default()
        },
    );
    config
}

struct World {
    app: App,
    clock: Arc<TestClock>,
    _guard: Box<dyn std::any::Any>,
}

fn app_on(store: Arc<dyn Store>, clock: Arc<TestClock>) -> App {
    App::new(
        store,
        built_in_workflows().unwrap(),
        None,
        clock,
        Limits::default(),
    )
}

async fn sqlite() -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        orderflow_sqlite::SqliteStore::open(dir.path())
            .await
            .unwrap(),
    );
    let clock = Arc::new(TestClock(Mutex::new(start())));
    World {
        app: app_on(store, clock.clone()),
        clock,
        _guard: Box::new(dir),
    }
}

/// Two servers on one fresh PostgreSQL database, one clock.
async fn postgres_pair() -> (World, App) {
    let a = orderflow_postgres::testing::fresh_store().await.unwrap();
    let options = (*a.pool().connect_options()).clone();
    let b = orderflow_postgres::PgStore::connect_with(options, 4)
        .await
        .unwrap();
    let clock = Arc::new(TestClock(Mutex::new(start())));
    let world = World {
        app: app_on(Arc::new(a), clock.clone()),
        clock: clock.clone(),
        _guard: Box::new(()),
    };
    let second = app_on(Arc::new(b), clock);
    (world, second)
}

impl World {
    async fn org(&self, id: &str, settings: Value) {
        self.app
            .create_organization(
                &Caller::Admin,
                CreateOrganization {
                    id: id.into(),
                    name: id.into(),
                    settings: serde_json::from_value(settings).unwrap(),
                },
            )
            .await
            .unwrap();
    }

    async fn user(&self, id: &str, org: &str, roles: &[&str]) -> UserCaller {
        let created = self
            .app
            .create_user(
                &Caller::Admin,
                CreateUser {
                    id: Some(id.into()),
                    name: id.into(),
                    organization: org.into(),
                    roles: roles.iter().map(|r| (*r).to_owned()).collect(),
                    email: None,
                    password: None,
                },
            )
            .await
            .unwrap();
        match self.app.authenticate(&created.token.token).await.unwrap() {
            Caller::User(u) => UserCaller(u),
            Caller::Admin => unreachable!(),
        }
    }

    async fn act(&self, who: &UserCaller, order: &str, action: &str, inputs: Value) -> Value {
        self.app
            .act(
                who,
                Act {
                    order,
                    child: None,
                    action,
                    inputs: Body::Value(inputs),
                    if_match: None,
                    idempotency: None,
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{action} on {order}: {e:?}"))
            .body
            .to_json()
            .unwrap()
    }

    async fn create(&self, who: &UserCaller, body: Value) -> String {
        let answer = self
            .app
            .create_order(who, Body::Value(body), None)
            .await
            .unwrap();
        answer.order_id().unwrap().to_owned()
    }
}

/// A shop with one location holding `stock` units of SKU `tee` in bin
/// `A-01` (docs/inventory.md), a merchant, and their users.
async fn print_shop(w: &World, stock: u64) -> (UserCaller, UserCaller) {
    w.org("merch", json!({})).await;
    w.org(
        "shop-co",
        json!({"locations": [{
            "id": "chi", "name": "Chicago", "latitude": 41.88, "longitude": -87.63,
            "capacity_units": 500, "decorations": ["dtg", "dtf", "embroidery"],
        }]}),
    )
    .await;
    let merchant = w.user("mia", "merch", &[]).await;
    let manager = w.user("sid", "shop-co", &["manager", "operator"]).await;
    let location = orderflow_api::NewStockLocation {
        id: "chi".into(),
        name: None,
    };
    w.app
        .create_stock_location(&manager, &location)
        .await
        .unwrap();
    let bin = orderflow_api::NewBin {
        id: "A-01".into(),
        sku: "tee".into(),
        quantity: stock,
    };
    w.app.create_bin(&manager, "chi", &bin).await.unwrap();
    (merchant, manager)
}

/// A print order of `units` tees, released to intake (its missing design
/// approved by the manager): `units` jobs waiting in `intake_hold`.
async fn held_order(w: &World, merchant: &UserCaller, manager: &UserCaller, units: u64) -> String {
    let id = w
        .create(
            merchant,
            json!({
                "workflow": "print-production",
                "parties": {"shop": "shop-co"},
                "inputs": {
                    "recipient": "Ada", "address1": "1 Lake Dr", "city": "Milwaukee",
                    "country": "US", "latitude": 43.04, "longitude": -87.91,
                    "items": [{"sku": "tee", "quantity": units, "decoration": "dtg"}],
                },
            }),
        )
        .await;
    let order = w.act(manager, &id, "approve_artwork", json!({})).await;
    assert_eq!(order["status"]["id"], "intake_hold", "{order}");
    id
}

async fn job_states(w: &World, order: &str) -> Vec<String> {
    w.app
        .store
        .children(order, "job", 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.status)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_runs_when_due_oldest_jobs_first() {
    let w = sqlite().await;
    let (merchant, manager) = print_shop(&w, 3).await;
    let config = every_30();
    // Nothing to do yet, but the first tick runs the check at once.
    let tick = w.app.scheduler_tick(&config).await.unwrap();
    assert_eq!(tick.runs.len(), 1);
    assert_eq!(tick.runs[0].intake.jobs, 0);

    // Three orders, oldest first: 2 units, 1 unit, 2 units; 3 in stock.
    let first = held_order(&w, &merchant, &manager, 2).await;
    w.clock.advance(1);
    let second = held_order(&w, &merchant, &manager, 1).await;
    w.clock.advance(1);
    let third = held_order(&w, &merchant, &manager, 2).await;

    // 28 minutes after the first run: not due, nothing moves.
    w.clock.advance(26);
    let tick = w.app.scheduler_tick(&config).await.unwrap();
    assert!(tick.runs.is_empty(), "ran before it was due: {tick:?}");
    assert_eq!(job_states(&w, &first).await, ["intake_hold", "intake_hold"]);

    w.clock.advance(2);
    let tick = w.app.scheduler_tick(&config).await.unwrap();
    assert_eq!(tick.runs.len(), 1, "due at 30 minutes");
    let run = &tick.runs[0].intake;
    assert_eq!(run.jobs, 5);
    assert_eq!(
        run.passed,
        [
            format!("{first}/job-1"),
            format!("{first}/job-2"),
            format!("{second}/job-1")
        ],
        "the three oldest jobs take the three units, in order"
    );
    assert_eq!(run.waiting, 2);
    assert_eq!(job_states(&w, &first).await, ["pending", "pending"]);
    assert_eq!(job_states(&w, &second).await, ["pending"]);
    assert_eq!(job_states(&w, &third).await, ["intake_hold", "intake_hold"]);
    // The units are gone from the shop's bin.
    let bins = w.app.store.bins("shop-co", Some("chi")).await.unwrap();
    assert_eq!(bins[0].quantity, 0);
    // The system passed them, as history says.
    let history = w.app.store.history(&first, 0, 100).await.unwrap();
    assert!(
        history
            .iter()
            .any(|h| h.step.action == "pass_intake" && h.user.is_none())
    );

    // More stock arrives; the next run serves the third order.
    w.app
        .store
        .adjust_bin("shop-co", "chi", "A-01", 5)
        .await
        .unwrap();
    w.clock.advance(30);
    let tick = w.app.scheduler_tick(&config).await.unwrap();
    assert_eq!(tick.runs[0].intake.passed.len(), 2);
    assert_eq!(job_states(&w, &third).await, ["pending", "pending"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_turns_a_schedule_off_or_the_scheduler_off() {
    let w = sqlite().await;
    let (merchant, manager) = print_shop(&w, 3).await;
    let order = held_order(&w, &merchant, &manager, 1).await;
    let mut off = every_30();
    if let Some(o) = off.schedules.get_mut("print-production.fifo_intake") {
        o.enabled = Some(false);
    }
    let tick = w.app.scheduler_tick(&off).await.unwrap();
    assert!(tick.runs.is_empty());
    let all_off = SchedulerConfig {
        enabled: false,
        ..every_30()
    };
    assert!(
        w.app
            .scheduler_tick(&all_off)
            .await
            .unwrap()
            .runs
            .is_empty()
    );
    assert_eq!(job_states(&w, &order).await, ["intake_hold"]);
    let listed = w.app.schedules(&off).await.unwrap();
    assert_eq!(listed.items.len(), 1);
    assert!(!listed.items[0].enabled);
    assert_eq!(listed.items[0].runs, 0);
}

fn run_keys(tick: Tick) -> Vec<String> {
    tick.runs.into_iter().map(|r| r.key).collect()
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// A workflow's cron schedule (`start()` is Monday 2 March 2026, 09:00
/// UTC, 10:00 in Paris): not run at once but at its first time, then at
/// each next one; a run missed while every server was down happens once
/// when one comes back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cron_schedule_runs_at_its_times() {
    let w = sqlite().await;
    let (_, source) = orderflow_core::catalog::BUILT_IN
        .iter()
        .find(|(id, _)| *id == "print-production")
        .unwrap();
    let interval = "every_minutes_min = 30\nevery_minutes_max = 60\n";
    assert!(source.contains(interval));
    let by_cron = source.replace(
        interval,
        "cron = \"30 10 * * MON-FRI\"\ntime_zone = \"Europe/Paris\"\n",
    );
    w.app
        .deploy_workflow(&Caller::Admin, "print-production", &by_cron)
        .await
        .unwrap();
    let config = SchedulerConfig::default();
    let key = "print-production.fifo_intake";

    let tick = w.app.scheduler_tick(&config).await.unwrap();
    assert!(tick.runs.is_empty(), "ran at once: {tick:?}");
    let listed = w.app.schedules(&config).await.unwrap().items;
    let s = listed.iter().find(|s| s.key == key).unwrap();
    assert_eq!(
        (
            s.cron.as_deref(),
            s.time_zone.as_deref(),
            s.every_minutes_min
        ),
        (Some("30 10 * * MON-FRI"), Some("Europe/Paris"), None)
    );
    assert_eq!(s.next_run_at, Some(utc("2026-03-02T09:30:00Z")));

    w.clock.advance(29);
    assert!(w.app.scheduler_tick(&config).await.unwrap().runs.is_empty());
    w.clock.advance(1);
    assert_eq!(
        run_keys(w.app.scheduler_tick(&config).await.unwrap()),
        [key]
    );
    assert!(w.app.scheduler_tick(&config).await.unwrap().runs.is_empty());
    // Tuesday, 10:30 in Paris.
    w.clock.advance(24 * 60);
    assert_eq!(
        run_keys(w.app.scheduler_tick(&config).await.unwrap()),
        [key]
    );

    // Down from Tuesday to Saturday: Wednesday's, Thursday's and Friday's
    // runs make one run on Saturday; the next is Monday's.
    w.clock.advance(4 * 24 * 60);
    assert_eq!(
        run_keys(w.app.scheduler_tick(&config).await.unwrap()),
        [key]
    );
    assert!(w.app.scheduler_tick(&config).await.unwrap().runs.is_empty());
    let listed = w.app.schedules(&config).await.unwrap().items;
    let s = listed.iter().find(|s| s.key == key).unwrap();
    assert_eq!(s.next_run_at, Some(utc("2026-03-09T09:30:00Z")));
    assert_eq!(s.runs, 3);
}

/// A deployment runs a schedule by cron instead of the workflow's
/// minutes, in its own time zone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_runs_a_schedule_by_cron() {
    let w = sqlite().await;
    let key = "print-production.fifo_intake";
    let mut config = SchedulerConfig::default();
    config.schedules.insert(
        key.into(),
        ScheduleOverride {
            cron: Some("0 4 * * *".into()),
            time_zone: Some("America/Chicago".into()),
            ..ScheduleOverride::default()
        },
    );
    // 04:00 in Chicago is 10:00 UTC in March (before daylight saving time).
    assert!(w.app.scheduler_tick(&config).await.unwrap().runs.is_empty());
    w.clock.advance(59);
    assert!(w.app.scheduler_tick(&config).await.unwrap().runs.is_empty());
    w.clock.advance(1);
    assert_eq!(
        run_keys(w.app.scheduler_tick(&config).await.unwrap()),
        [key]
    );
    let listed = w.app.schedules(&config).await.unwrap().items;
    let s = listed.iter().find(|s| s.key == key).unwrap();
    assert_eq!(s.cron.as_deref(), Some("0 4 * * *"));
    // Chicago moves to daylight saving time on 8 March: 04:00 is 09:00 UTC.
    assert_eq!(s.next_run_at, Some(utc("2026-03-03T10:00:00Z")));
    w.clock.advance(7 * 24 * 60);
    assert_eq!(
        run_keys(w.app.scheduler_tick(&config).await.unwrap()),
        [key]
    );
    let listed = w.app.schedules(&config).await.unwrap().items;
    let s = listed.iter().find(|s| s.key == key).unwrap();
    assert_eq!(s.next_run_at, Some(utc("2026-03-10T09:00:00Z")));
}

/// A purchasing outlet abandoning unaccepted orders after `days`.
async fn purchasing(w: &World, days: u64) -> (UserCaller, UserCaller) {
    w.org("outlet-co", json!({"abandon_pending_after_days": days}))
        .await;
    w.org("supplier-co", json!({})).await;
    let buyer = w.user("bea", "outlet-co", &["buyer"]).await;
    let supplier = w.user("sam", "supplier-co", &[]).await;
    (buyer, supplier)
}

async fn pending_order(w: &World, buyer: &UserCaller) -> String {
    w.create(
        buyer,
        json!({
            "workflow": "purchasing",
            "parties": {"supplier": "supplier-co"},
            "inputs": {"lines": [{"product": "Tea", "quantity": 1, "unit_price": "2.00"}]},
        }),
    )
    .await
}

async fn status(w: &World, order: &str) -> String {
    w.app.store.order(order).await.unwrap().unwrap().status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timers_fire_at_their_time_and_not_before() {
    let w = sqlite().await;
    let (buyer, supplier) = purchasing(&w, 2).await;
    let config = SchedulerConfig::default();
    let kept = pending_order(&w, &buyer).await;
    let canceled = pending_order(&w, &buyer).await;
    let moved = pending_order(&w, &buyer).await;
    let accepted = pending_order(&w, &buyer).await;

    let view = w.app.order_with_timers(&buyer, &kept).await.unwrap();
    assert_eq!(view.timers.len(), 1);
    let timer = &view.timers[0];
    assert_eq!(timer.timer, "abandon_unaccepted");
    assert_eq!(timer.status, "pending");
    assert_eq!(timer.due_at, start() + Duration::days(2));
    assert!(timer.can_manage, "the outlet manages it");
    let seen_by_supplier = w.app.order_with_timers(&supplier, &kept).await.unwrap();
    assert!(!seen_by_supplier.timers[0].can_manage);
    let refused = w
        .app
        .cancel_timer(&supplier, &kept, "abandon_unaccepted")
        .await
        .unwrap_err();
    assert_eq!(refused.status(), 403);

    w.app
        .cancel_timer(&buyer, &canceled, "abandon_unaccepted")
        .await
        .unwrap();
    let later = start() + Duration::days(3);
    w.app
        .reschedule_timer(
            &buyer,
            &moved,
            "abandon_unaccepted",
            Body::Value(json!({ "at": later })),
        )
        .await
        .unwrap();
    w.act(&supplier, &accepted, "accept", json!({})).await;

    // One minute before two days: nothing fires.
    w.clock.advance(2 * 24 * 60 - 1);
    let tick = w.app.scheduler_tick(&config).await.unwrap();
    assert!(tick.timers.is_empty(), "fired early: {tick:?}");
    assert_eq!(status(&w, &kept).await, "pending");

    w.clock.advance(1);
    let tick = w.app.scheduler_tick(&config).await.unwrap();
    let fired: Vec<&str> = tick.timers.iter().map(|f| f.order_id.as_str()).collect();
    assert_eq!(
        fired,
        [kept.as_str()],
        "only the kept timer is due at two days"
    );
    assert_eq!(status(&w, &kept).await, "abandoned");
    assert_eq!(status(&w, &canceled).await, "pending");
    assert_eq!(status(&w, &accepted).await, "accepted");
    assert_eq!(status(&w, &moved).await, "pending");
    let history = w.app.store.history(&kept, 0, 100).await.unwrap();
    let last = history.last().unwrap();
    assert_eq!(last.step.action, "abandon");
    assert_eq!(last.user, None, "the system abandoned it");
    let view = w.app.order_with_timers(&buyer, &kept).await.unwrap();
    assert_eq!(view.timers[0].status, "fired");
    assert!(!view.timers[0].can_manage);
    // A fired timer can no longer be cancelled.
    let e = w
        .app
        .cancel_timer(&buyer, &kept, "abandon_unaccepted")
        .await
        .unwrap_err();
    assert_eq!((e.status(), e.code()), (409, "conflict"));

    w.clock.advance(24 * 60);
    let tick = w.app.scheduler_tick(&config).await.unwrap();
    let fired: Vec<&str> = tick.timers.iter().map(|f| f.order_id.as_str()).collect();
    assert_eq!(
        fired,
        [moved.as_str()],
        "the rescheduled timer fires at its new time"
    );
    assert_eq!(status(&w, &moved).await, "abandoned");
    w.clock.advance(30 * 24 * 60);
    assert!(
        w.app
            .scheduler_tick(&config)
            .await
            .unwrap()
            .timers
            .is_empty()
    );
    assert_eq!(status(&w, &canceled).await, "pending");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timer_whose_action_is_refused_fails_with_the_reason() {
    let w = sqlite().await;
    let (buyer, _) = purchasing(&w, 1).await;
    let order = pending_order(&w, &buyer).await;
    // The outlet turns the setting into something that no longer fits
    // only after the timer was set, so the abandon is refused (409).
    let mut outlet = w
        .app
        .store
        .organization("outlet-co")
        .await
        .unwrap()
        .unwrap();
    outlet
        .settings
        .insert("purchasing_limit".into(), json!("not money"));
    w.app.store.update_organization(&outlet).await.unwrap();
    w.clock.advance(24 * 60);
    let tick = w
        .app
        .scheduler_tick(&SchedulerConfig::default())
        .await
        .unwrap();
    assert_eq!(tick.timers.len(), 1);
    let error = tick.timers[0].error.clone().unwrap();
    assert!(error.contains("purchasing_limit"), "{error}");
    assert_eq!(status(&w, &order).await, "pending");
    let view = w.app.order_with_timers(&buyer, &order).await.unwrap();
    assert_eq!(view.timers[0].status, "failed");
    assert_eq!(view.timers[0].last_error.as_deref(), Some(error.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgres_run_each_check_and_timer_once() {
    let (w, second) = postgres_pair().await;
    let (merchant, manager) = print_shop(&w, 100).await;
    let (buyer, _) = purchasing(&w, 1).await;
    let config = every_30();
    for _ in 0..3 {
        held_order(&w, &merchant, &manager, 2).await;
    }
    let pending: Vec<String> = {
        let mut out = Vec::new();
        for _ in 0..5 {
            out.push(pending_order(&w, &buyer).await);
        }
        out
    };
    // Ten rounds of 30 minutes, then a day: both servers tick at once in
    // every round.
    let mut runs = 0;
    let mut passed = Vec::new();
    let mut fired = Vec::new();
    for round in 0..12 {
        let (a, b) = tokio::join!(
            w.app.scheduler_tick(&config),
            second.scheduler_tick(&config)
        );
        for tick in [a.unwrap(), b.unwrap()] {
            runs += tick.runs.len();
            for run in tick.runs {
                passed.extend(run.intake.passed);
            }
            fired.extend(tick.timers.into_iter().map(|f| (f.order_id, f.error)));
        }
        w.clock.advance(if round == 10 { 24 * 60 } else { 30 });
    }
    assert_eq!(runs, 12, "one run per due time, whichever server took it");
    passed.sort();
    let before = passed.len();
    passed.dedup();
    assert_eq!((before, passed.len()), (6, 6), "every job passed once");
    fired.sort();
    assert_eq!(fired.len(), 5, "every timer fired once: {fired:?}");
    assert!(fired.iter().all(|(_, e)| e.is_none()), "{fired:?}");
    for order in &pending {
        assert_eq!(status(&w, order).await, "abandoned");
        let history = w.app.store.history(order, 0, 100).await.unwrap();
        let abandons = history
            .iter()
            .filter(|h| h.step.action == "abandon")
            .count();
        assert_eq!(abandons, 1);
    }
    let listed = second.schedules(&config).await.unwrap();
    assert_eq!(listed.items[0].runs, 12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_missed_while_down_happens_once_when_back() {
    let (w, second) = postgres_pair().await;
    let config = every_30();
    assert_eq!(w.app.scheduler_tick(&config).await.unwrap().runs.len(), 1);
    // Every server down for a day: 48 runs missed.
    w.clock.advance(24 * 60);
    let (a, b) = tokio::join!(
        w.app.scheduler_tick(&config),
        second.scheduler_tick(&config)
    );
    assert_eq!(a.unwrap().runs.len() + b.unwrap().runs.len(), 1);
    for _ in 0..3 {
        w.clock.advance(1);
        assert!(
            second
                .scheduler_tick(&config)
                .await
                .unwrap()
                .runs
                .is_empty()
        );
    }
    let listed = w.app.schedules(&config).await.unwrap();
    assert_eq!(listed.items[0].runs, 2);
    assert_eq!(
        listed.items[0].next_run_at,
        Some(start() + Duration::minutes(24 * 60 + 30))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_on_one_server_reaches_a_subscriber_of_the_other() {
    use orderflow_app::events::Notice;
    use tokio_stream::StreamExt;

    let (w, second) = postgres_pair().await;
    let (buyer, supplier) = purchasing(&w, 3).await;
    second.relay_changes();
    let mut heard = std::pin::pin!(second.subscribe(&supplier));
    let order = pending_order(&w, &buyer).await;
    let notice = tokio::time::timeout(std::time::Duration::from_secs(10), heard.next())
        .await
        .expect("the other server's subscriber was told within 10 s")
        .unwrap();
    match notice {
        Notice::Order(n) => {
            assert_eq!(n.order, order);
            assert_eq!(n.status, "pending");
            assert_eq!(n.version, 1);
        }
        other => panic!("{other:?}"),
    }
}
