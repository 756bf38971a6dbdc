//! The contract every [`Store`] keeps, as a test suite the backends run.
//!
//! Each function takes a fresh, empty store and checks one behaviour a user
//! would notice, with real orders decided by the engine on the built-in
//! workflows. A backend runs them all with [`contract_suite!`]:
//!
//! ```ignore
//! async fn fresh() -> orderflow_store::contract::Fresh { ... }
//! orderflow_store::contract_suite!(fresh);
//! ```
//!
//! [`contract_suite!`]: crate::contract_suite

mod accounts;
mod counts;
mod inventory;
mod notifications;
mod numbers;
mod reads_after_writes;
mod schedule;
mod webhooks;
mod workflows;

use std::collections::BTreeMap;

use anyhow::{Context, anyhow, bail, ensure};
use chrono::{DateTime, Duration, Utc};
use orderflow_core::catalog;
use orderflow_core::engine::{self, Workflow};
use orderflow_core::model::{Actor, Child, Order, PartySettings};
use serde_json::{Map, Value as Json, json};

use crate::{
    ApiToken, Commit, HistoryEntry, Idempotency, MAX_LIMIT, OrderFilter, Organization,
    OutboxMessage, Store, StoreError, StoredFile, User, commit_of, visibility,
};

pub use accounts::{passwords_and_emails, sessions_round_trip};
pub use counts::counts_match_a_scan;
pub use inventory::{inventory_records, units_taken_once};
pub use notifications::{dead_letters_kept, email_opt_outs_round_trip, inbox_unread_first};
pub use numbers::{list_sorts, order_numbers, search_inside_orders, status_since_kept};
pub use reads_after_writes::{orders_read_as_last_committed, reads_follow_writes_at_once};
pub use schedule::{schedule_runs_claimed_once, timers_lifecycle};
pub use webhooks::{webhook_deliveries_lease, webhook_endpoints_round_trip};
pub use workflows::{workflow_orders_and_delete, workflow_versions_round_trip};

/// What a contract function answers: `Err` names the broken promise.
pub type Outcome = anyhow::Result<()>;

/// A fresh, empty store, and whatever must live as long as it (a temporary
/// directory, a database to drop).
pub struct Fresh {
    pub store: Box<dyn Store>,
    pub guard: Box<dyn std::any::Any + Send>,
}

/// One `#[tokio::test]` per contract function, each on a store made by
/// `$fresh` (an `async fn() -> Fresh`). The calling crate needs `tokio`
/// (with `macros` and `rt-multi-thread`) among its dev-dependencies.
#[macro_export]
macro_rules! contract_suite {
    ($fresh:path) => {
        $crate::contract_suite!(@each $fresh;
            organizations, users_and_tokens, tokens_only_by_hash, order_round_trip,
            stale_version_writes_nothing, existing_order_refused, history_in_order,
            children_rows, stale_child_refused, cascade_moves_children,
            idempotency_round_trip, outbox_lease, list_filters, list_visibility,
            list_paging, count_by_status, counts_match_a_scan, files_round_trip, limits_bounded,
            malformed_cursor_refused, passwords_and_emails, sessions_round_trip, health_probe_writes,
            inbox_unread_first, email_opt_outs_round_trip, dead_letters_kept,
            workflow_versions_round_trip, workflow_orders_and_delete,
            webhook_endpoints_round_trip, webhook_deliveries_lease,
            schedule_runs_claimed_once, timers_lifecycle,
            order_numbers, status_since_kept, search_inside_orders, list_sorts,
            inventory_records, units_taken_once, reads_follow_writes_at_once,
            orders_read_as_last_committed
        );
    };
    (@each $fresh:path; $($name:ident),* $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() -> $crate::contract::Outcome {
                let fresh = $fresh().await;
                $crate::contract::$name(&*fresh.store).await
            }
        )*
    };
}

// ------------------------------------------------------------- fixtures ---

/// 2026-03-02T09:00:00Z, plus `minutes`.
pub fn at(minutes: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_772_442_000, 0).unwrap_or_default() + Duration::minutes(minutes)
}

fn workflow(id: &str) -> anyhow::Result<Workflow> {
    catalog::built_in(id)
        .ok_or_else(|| anyhow!("no built-in workflow {id}"))?
        .map_err(|e| anyhow!("{id} does not load: {e}"))
}

fn user_of(org: &str, roles: &[&str]) -> Actor {
    Actor::user(&format!("{org}-user"), org, roles)
}

fn settings(value: Json) -> PartySettings {
    value
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_object().cloned().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default()
}

/// One workflow's orders between two organisations, decided by the engine
/// and written through the store.
struct Flow {
    wf: Workflow,
    settings: PartySettings,
    parties: BTreeMap<String, String>,
}

impl Flow {
    fn dental(clinic: &str, lab: &str) -> anyhow::Result<Self> {
        Ok(Self {
            wf: workflow("dental-lab")?,
            settings: settings(json!({"lab": {"task_templates": {"*": ["Quality check"]}}})),
            parties: [("customer", clinic), ("lab", lab)]
                .iter()
                .map(|(s, o)| ((*s).to_owned(), (*o).to_owned()))
                .collect(),
        })
    }

    fn print(merchant: &str, shop: &str) -> anyhow::Result<Self> {
        let locations = json!([{
            "id": "chi", "name": "Chicago", "latitude": 41.88, "longitude": -87.63,
            "capacity_units": 100_000, "uses_pretreat": true,
            "decorations": ["dtg", "dtf", "embroidery"], "stock": {},
        }]);
        Ok(Self {
            wf: workflow("print-production")?,
            settings: settings(
                json!({"shop": {"locations": locations, "time_zone": "America/Chicago"}, "merchant": {}}),
            ),
            parties: [("merchant", merchant), ("shop", shop)]
                .iter()
                .map(|(s, o)| ((*s).to_owned(), (*o).to_owned()))
                .collect(),
        })
    }

    fn customer(&self, slot: &str) -> Actor {
        let org = self.parties.get(slot).map(String::as_str).unwrap_or("");
        user_of(org, &[])
    }

    /// The commit that creates order `id`.
    fn create_commit(
        &self,
        id: &str,
        actor: &Actor,
        inputs: Json,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Commit> {
        let blank = Order::blank(id, self.wf.id(), self.parties.clone());
        let change = engine::decide(
            &self.wf,
            &blank,
            &self.settings,
            actor,
            "create",
            &inputs,
            now,
        )
        .map_err(|e| anyhow!("create {id}: {e}"))?;
        Ok(commit_of(&self.wf, &blank, None, &change))
    }

    /// The commit of `action` on `order`.
    fn action_commit(
        &self,
        order: &Order,
        actor: &Actor,
        action: &str,
        inputs: Json,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Commit> {
        let change = engine::decide(&self.wf, order, &self.settings, actor, action, &inputs, now)
            .map_err(|e| anyhow!("{action} on {}: {e}", order.id))?;
        Ok(commit_of(&self.wf, order, None, &change))
    }

    /// The commit of `action` on the stored child `child` of `order`.
    fn child_commit(
        &self,
        order: &Order,
        child: &Child,
        actor: &Actor,
        action: &str,
        inputs: Json,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Commit> {
        let change = engine::decide_child(
            &self.wf,
            order,
            child,
            &self.settings,
            actor,
            action,
            &inputs,
            now,
        )
        .map_err(|e| anyhow!("{action} on {}: {e}", child.id))?;
        Ok(commit_of(&self.wf, order, Some(child), &change))
    }

    async fn create(
        &self,
        store: &dyn Store,
        id: &str,
        inputs: Json,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Order> {
        let creator = if self.wf.id() == "print-production" {
            self.customer("merchant")
        } else {
            self.customer("customer")
        };
        let commit = self.create_commit(id, &creator, inputs, now)?;
        let order = commit.order.clone();
        store.commit(commit).await.context("create")?;
        Ok(order)
    }

    async fn act(
        &self,
        store: &dyn Store,
        order: &Order,
        actor: &Actor,
        action: &str,
        inputs: Json,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Order> {
        let commit = self.action_commit(order, actor, action, inputs, now)?;
        let next = commit.order.clone();
        store
            .commit(commit)
            .await
            .with_context(|| format!("{action} on {}", order.id))?;
        Ok(next)
    }
}

fn dental_inputs() -> Json {
    json!({
        "lines": [
            {"product": "crown", "quantity": 2, "unit_price": "150.00"},
            {"product": "bridge", "quantity": 1, "unit_price": 400},
        ],
        "due_date": "2026-03-20",
        "notes": "shade A2",
    })
}

fn print_inputs(reference: &str, units: u64) -> Json {
    json!({
        "reference": reference,
        "recipient": "Ada Lovelace",
        "address1": "1 Lake Dr",
        "city": "Milwaukee",
        "region": "WI",
        "postal_code": "53202",
        "country": "US",
        "latitude": 43.04,
        "longitude": -87.91,
        "items": [
            {"sku": "tee", "quantity": units, "decoration": "dtg", "design": design("tee.png")},
            {"sku": "cap", "quantity": 1, "decoration": "embroidery", "design": design("cap.png")},
        ],
    })
}

/// An uploaded design's metadata as the application passes it to the engine:
/// a PNG large enough for every decoration.
fn design(name: &str) -> Json {
    json!([{"id": format!("file-{name}"), "name": name, "media_type": "image/png",
            "size": 40_000, "width": 4500, "height": 5400}])
}

fn org(id: &str, name: &str) -> Organization {
    let mut settings = Map::new();
    settings.insert("time_zone".into(), json!("Europe/Berlin"));
    Organization {
        id: id.into(),
        name: name.into(),
        settings,
        created_at: at(0),
    }
}

fn user(id: &str, organization: &str) -> User {
    User {
        id: id.into(),
        name: format!("User {id}"),
        organization: organization.into(),
        roles: vec!["buyer".into(), "approver".into()],
        email: Some(format!("{id}@example.com")),
        created_at: at(1),
        // What reads give: the name of the organisation `users_and_tokens`
        // creates under this id.
        organization_name: match organization {
            "org-a" => "Acme",
            "org-b" => "Bright",
            _ => "",
        }
        .into(),
    }
}

fn is_duplicate<T>(r: &crate::Result<T>) -> bool {
    matches!(r, Err(StoreError::Duplicate(_)))
}

fn is_not_found<T>(r: &crate::Result<T>) -> bool {
    matches!(r, Err(StoreError::NotFound(_)))
}

async fn all_history(store: &dyn Store, id: &str) -> anyhow::Result<Vec<HistoryEntry>> {
    Ok(store.history(id, 0, MAX_LIMIT).await?)
}

async fn all_jobs(store: &dyn Store, id: &str) -> anyhow::Result<Vec<Child>> {
    let mut out: Vec<Child> = Vec::new();
    loop {
        let after = out.last().map(|c| c.seq).unwrap_or(0);
        let page = store.children(id, "job", after, MAX_LIMIT).await?;
        if page.is_empty() {
            return Ok(out);
        }
        out.extend(page);
    }
}

/// A filter for `organization` seeing what its slots may see in every
/// built-in workflow.
fn filter_for(organization: &str) -> anyhow::Result<OrderFilter> {
    let wfs = catalog::BUILT_IN
        .iter()
        .map(|(id, _)| workflow(id))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(OrderFilter {
        organization: organization.into(),
        visible_statuses: visibility(&wfs),
        ..OrderFilter::default()
    })
}

async fn ids(store: &dyn Store, filter: &OrderFilter) -> anyhow::Result<Vec<String>> {
    let page = store.orders(filter, None, MAX_LIMIT).await?;
    ensure!(
        page.next_cursor.is_none(),
        "one page holds every order here"
    );
    Ok(page.items.into_iter().map(|o| o.id).collect())
}

fn strings(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

// ------------------------------------------------- organisations, users ---

/// Organisations round-trip, list by id, update, and refuse duplicates.
pub async fn organizations(store: &dyn Store) -> Outcome {
    ensure!(store.organizations().await?.is_empty());
    let b = org("org-b", "Bright Dental");
    let a = org("org-a", "Acme Lab");
    store.create_organization(&b).await?;
    store.create_organization(&a).await?;
    assert_eq!(store.organization("org-a").await?, Some(a.clone()));
    assert_eq!(store.organization("org-x").await?, None);
    assert_eq!(store.organizations().await?, vec![a.clone(), b.clone()]);

    let mut again = a.clone();
    again.name = "Someone else".into();
    ensure!(
        is_duplicate(&store.create_organization(&again).await),
        "a second organisation with the same id is refused"
    );
    assert_eq!(store.organization("org-a").await?, Some(a.clone()));

    let mut renamed = a.clone();
    renamed.name = "Acme Dental Lab".into();
    renamed
        .settings
        .insert("purchasing_limit".into(), json!("1000.00"));
    store.update_organization(&renamed).await?;
    assert_eq!(store.organization("org-a").await?, Some(renamed));
    ensure!(
        is_not_found(&store.update_organization(&org("org-x", "X")).await),
        "updating a missing organisation is NotFound"
    );
    Ok(())
}

/// Users round-trip and list per organisation; duplicates and users of a
/// missing organisation are refused; tokens lead to their user until
/// revoked.
pub async fn users_and_tokens(store: &dyn Store) -> Outcome {
    store.create_organization(&org("org-a", "Acme")).await?;
    store.create_organization(&org("org-b", "Bright")).await?;
    let u2 = user("u2", "org-a");
    let u1 = user("u1", "org-a");
    let mut u3 = user("u3", "org-b");
    u3.email = None;
    u3.roles = Vec::new();
    for u in [&u2, &u1, &u3] {
        store.create_user(u).await?;
    }
    assert_eq!(store.user("u1").await?, Some(u1.clone()));
    assert_eq!(store.user("u3").await?, Some(u3.clone()));
    assert_eq!(store.user("nobody").await?, None);
    assert_eq!(store.users("org-a").await?, vec![u1.clone(), u2.clone()]);
    assert_eq!(store.users("org-b").await?, vec![u3.clone()]);
    assert_eq!(store.users("org-x").await?, Vec::<User>::new());
    ensure!(
        is_duplicate(&store.create_user(&user("u1", "org-b")).await),
        "a second user with the same id is refused"
    );
    ensure!(
        is_not_found(&store.create_user(&user("u9", "org-x")).await),
        "a user of a missing organisation is refused"
    );
    assert_eq!(store.user("u9").await?, None);
    let mut renamed = u1.clone();
    renamed.name = "Ulla One".into();
    renamed.roles = vec!["approver".into()];
    store.update_user(&renamed).await?;
    assert_eq!(store.user("u1").await?, Some(renamed.clone()));
    ensure!(
        is_not_found(&store.update_user(&user("u9", "org-a")).await),
        "updating a missing user is NotFound"
    );
    store.update_user(&u1).await?;

    let t1 = ApiToken {
        id: "t1".into(),
        user: "u1".into(),
        name: "laptop".into(),
        sha256: [1; 32],
        created_at: at(2),
    };
    let t2 = ApiToken {
        id: "t2".into(),
        user: "u1".into(),
        name: "ci".into(),
        sha256: [2; 32],
        created_at: at(3),
    };
    store.create_token(&t1).await?;
    store.create_token(&t2).await?;
    assert_eq!(store.tokens("u1").await?, vec![t1.clone(), t2.clone()]);
    assert_eq!(store.user_by_token(&[1; 32]).await?, Some(u1.clone()));
    assert_eq!(store.user_by_token(&[2; 32]).await?, Some(u1.clone()));
    ensure!(
        is_duplicate(&store.create_token(&t1).await),
        "a second token with the same id is refused"
    );
    let same_hash = ApiToken {
        id: "t3".into(),
        user: "u2".into(),
        sha256: [1; 32],
        ..t1.clone()
    };
    ensure!(
        is_duplicate(&store.create_token(&same_hash).await),
        "a second token with the same hash is refused"
    );
    let orphan = ApiToken {
        id: "t4".into(),
        user: "nobody".into(),
        sha256: [4; 32],
        ..t1.clone()
    };
    ensure!(
        is_not_found(&store.create_token(&orphan).await),
        "a token of a missing user is refused"
    );
    store.revoke_token("t1").await?;
    assert_eq!(store.user_by_token(&[1; 32]).await?, None);
    assert_eq!(store.user_by_token(&[2; 32]).await?, Some(u1));
    assert_eq!(store.tokens("u1").await?, vec![t2]);
    ensure!(
        is_not_found(&store.revoke_token("t1").await),
        "revoking twice is NotFound"
    );
    Ok(())
}

/// A token is found by its SHA-256 only: not by its id, nor by a hash that
/// differs in one bit.
pub async fn tokens_only_by_hash(store: &dyn Store) -> Outcome {
    store.create_organization(&org("org-a", "Acme")).await?;
    store.create_user(&user("u1", "org-a")).await?;
    let mut hash = [0u8; 32];
    for (i, b) in hash.iter_mut().enumerate() {
        *b = u8::try_from(i * 7 % 256).unwrap_or(0);
    }
    let mut id_bytes = [0u8; 32];
    id_bytes[..2].copy_from_slice(b"t1");
    store
        .create_token(&ApiToken {
            id: "t1".into(),
            user: "u1".into(),
            name: "n".into(),
            sha256: hash,
            created_at: at(0),
        })
        .await?;
    assert_eq!(
        store.user_by_token(&hash).await?.map(|u| u.id),
        Some("u1".into())
    );
    let mut flipped = hash;
    flipped[31] ^= 1;
    assert_eq!(store.user_by_token(&flipped).await?, None);
    assert_eq!(store.user_by_token(&id_bytes).await?, None);
    assert_eq!(store.user_by_token(&[0; 32]).await?, None);
    Ok(())
}

// --------------------------------------------------------------- orders ---

/// Orders created by commit read back equal, items and all, on two
/// workflows.
pub async fn order_round_trip(store: &dyn Store) -> Outcome {
    ensure!(store.order("d1").await?.is_none());
    let dental = Flow::dental("clinic", "lab-co")?;
    let d1 = dental.create(store, "d1", dental_inputs(), at(1)).await?;
    assert_eq!(d1.version, 1);
    assert_eq!(d1.status, "draft");
    assert_eq!(store.order("d1").await?, Some(d1.clone()));
    let d1 = dental
        .act(
            store,
            &d1,
            &dental.customer("customer"),
            "publish",
            json!({}),
            at(2),
        )
        .await?;
    assert_eq!(store.order("d1").await?, Some(d1.clone()));
    assert_eq!(d1.version, 2);

    let print = Flow::print("merch", "shop-co")?;
    let p1 = print
        .create(store, "p1", print_inputs("SO-1", 3), at(3))
        .await?;
    ensure!(!p1.children.is_empty(), "items are loaded with the order");
    assert_eq!(store.order("p1").await?, Some(p1));
    assert_eq!(store.order("d1").await?, Some(d1));
    Ok(())
}

/// A commit decided on a stale version is refused with `VersionConflict`
/// and writes nothing: no snapshot, history, children, outbox or
/// idempotency record.
pub async fn stale_version_writes_nothing(store: &dyn Store) -> Outcome {
    let dental = Flow::dental("clinic", "lab-co")?;
    let clinic = dental.customer("customer");
    let v1 = dental.create(store, "d1", dental_inputs(), at(1)).await?;
    let v2 = dental
        .act(store, &v1, &clinic, "publish", json!({}), at(2))
        .await?;
    let history_before = all_history(store, "d1").await?;

    // Decided on v1 again: publish is refused by the engine now, so the
    // stale change is another draft-time change built on v1.
    let mut stale = dental.action_commit(&v1, &clinic, "publish", json!({}), at(3))?;
    stale.idempotency = Some(Idempotency {
        user: "clinic-user".into(),
        key: "stale-key".into(),
        request_sha256: [9; 32],
        status: 200,
        body: json!({"ok": true}),
        created_at: at(3),
    });
    stale.outbox.push(OutboxMessage {
        id: "stale-message".into(),
        order_id: "d1".into(),
        channel: "email".into(),
        party: "lab".into(),
        organization: "lab-co".into(),
        template: "order_published".into(),
        payload: json!({}),
        created_at: at(3),
        attempts: 0,
    });
    match store.commit(stale).await {
        Err(StoreError::VersionConflict {
            expected, current, ..
        }) => {
            assert_eq!((expected, current), (1, 2));
        }
        other => bail!("a stale commit gave {other:?}, not VersionConflict"),
    }
    assert_eq!(store.order("d1").await?, Some(v2));
    assert_eq!(all_history(store, "d1").await?, history_before);
    assert_eq!(store.idempotency("clinic-user", "stale-key").await?, None);
    let claimed = store.claim_outbox(at(60), 60, MAX_LIMIT).await?;
    ensure!(
        claimed.iter().all(|m| m.id != "stale-message"),
        "the stale commit's outbox row was written"
    );
    Ok(())
}

/// Creating an order whose id exists is refused and writes nothing.
pub async fn existing_order_refused(store: &dyn Store) -> Outcome {
    let dental = Flow::dental("clinic", "lab-co")?;
    let d1 = dental.create(store, "d1", dental_inputs(), at(1)).await?;
    let mut again =
        dental.create_commit("d1", &dental.customer("customer"), dental_inputs(), at(2))?;
    again.idempotency = Some(Idempotency {
        user: "clinic-user".into(),
        key: "again".into(),
        request_sha256: [3; 32],
        status: 201,
        body: json!({}),
        created_at: at(2),
    });
    let r = store.commit(again).await;
    ensure!(
        is_duplicate(&r),
        "creating an existing order gave {r:?}, not Duplicate"
    );
    assert_eq!(store.order("d1").await?, Some(d1));
    assert_eq!(all_history(store, "d1").await?.len(), 1);
    assert_eq!(store.idempotency("clinic-user", "again").await?, None);

    // A commit that does not grow the version by one is a bug, refused.
    let mut bad =
        dental.create_commit("d2", &dental.customer("customer"), dental_inputs(), at(3))?;
    bad.order.version = 5;
    ensure!(
        matches!(store.commit(bad).await, Err(StoreError::Invalid(_))),
        "a commit whose version is not expected + 1 is Invalid"
    );
    ensure!(store.order("d2").await?.is_none());
    // Acting on an order that does not exist is NotFound.
    let ghost = Order {
        version: 1,
        ..Order::blank("ghost", "dental-lab", BTreeMap::new())
    };
    let mut acting = dental.create_commit(
        "ghost",
        &dental.customer("customer"),
        dental_inputs(),
        at(3),
    )?;
    acting.expected_version = ghost.version;
    acting.order.version = 2;
    ensure!(is_not_found(&store.commit(acting).await));
    ensure!(store.order("ghost").await?.is_none());
    Ok(())
}

/// History entries come back in seq order, 1, 2, 3 ... without gaps, one
/// per step (automatic ones included), equal to what the engine decided;
/// and page with `after_seq`.
pub async fn history_in_order(store: &dyn Store) -> Outcome {
    let dental = Flow::dental("clinic", "lab-co")?;
    let clinic = dental.customer("customer");
    let lab = dental.customer("lab");
    let mut order = Order::blank("d1", "dental-lab", dental.parties.clone());
    let path: Vec<(&Actor, &str, Json)> = vec![
        (&clinic, "create", dental_inputs()),
        (&clinic, "publish", json!({})),
        (
            &lab,
            "start_production",
            json!({"production_date": "2026-03-03"}),
        ),
        (&lab, "produce", json!({})),
        (&lab, "ship", json!({"tracking_number": "TRK-1"})),
        (&lab, "deliver", json!({})),
        (&lab, "record_payment", json!({"amount": "700.00"})),
    ];
    let mut steps = Vec::new();
    for (minute, (actor, action, inputs)) in (1..).zip(path) {
        let commit = dental.action_commit(&order, actor, action, inputs, at(minute))?;
        steps.extend(commit.history.iter().map(|h| (h.version, h.step.clone())));
        order = commit.order.clone();
        store.commit(commit).await?;
    }
    assert_eq!(order.status, "completed", "payment completes the order");
    let history = all_history(store, "d1").await?;
    ensure!(
        history.len() > 7,
        "the automatic completion is its own entry"
    );
    let seqs: Vec<u64> = history.iter().map(|h| h.seq).collect();
    let expected: Vec<u64> = (1..=history.len() as u64).collect();
    assert_eq!(seqs, expected);
    let got: Vec<_> = history
        .iter()
        .map(|h| (h.version, h.step.clone()))
        .collect();
    assert_eq!(got, steps);
    let last = history.last().ok_or_else(|| anyhow!("no history"))?;
    ensure!(last.step.automatic && last.user.is_none());
    let first = &history[0];
    assert_eq!(first.user.as_deref(), Some("clinic-user"));
    assert_eq!(first.organization.as_deref(), Some("clinic"));
    assert_eq!(first.at, at(1));
    ensure!(history.iter().all(|h| h.order_id == "d1"));

    let page = store.history("d1", 2, 3).await?;
    assert_eq!(page, history[2..5].to_vec());
    ensure!(store.history("d1", 100, 10).await?.is_empty());
    ensure!(store.history("nothing", 0, 10).await?.is_empty());
    Ok(())
}

/// Jobs created by a change are stored beside the order: read by id,
/// listed oldest first with paging, and a job's own step updates its row.
pub async fn children_rows(store: &dyn Store) -> Outcome {
    inventory::stocked(store, "shop-co", &[("A-01", "tee", 1)]).await?;
    let print = Flow::print("merch", "shop-co")?;
    let commit = print.create_commit(
        "p1",
        &print.customer("merchant"),
        print_inputs("SO-1", 4),
        at(1),
    )?;
    let created: Vec<_> = commit.new_children.iter().flat_map(|n| n.each()).collect();
    let order = commit.order.clone();
    assert_eq!(created.len(), 5, "one job per unit");
    store.commit(commit).await?;

    assert_eq!(all_jobs(store, "p1").await?, created);
    let job1 = store
        .child("p1", "job-1")
        .await?
        .ok_or_else(|| anyhow!("job-1 not stored"))?;
    assert_eq!(Some(&job1), created.first());
    assert_eq!(store.child("p1", "job-99").await?, None);
    assert_eq!(store.child("p2", "job-1").await?, None);
    ensure!(
        store.child("p1", "item-1").await?.is_none(),
        "items live in the snapshot"
    );
    assert_eq!(
        store.children("p1", "job", 0, 2).await?,
        created[..2].to_vec()
    );
    assert_eq!(
        store.children("p1", "job", created[1].seq, 2).await?,
        created[2..4].to_vec()
    );
    ensure!(store.children("p1", "item", 0, 10).await?.is_empty());

    let manager = user_of("shop-co", &["manager"]);
    let step = print.child_commit(
        &order,
        &job1,
        &manager,
        "pass_intake",
        json!({"bin": "A-01"}),
        at(2),
    )?;
    let moved = step
        .child
        .clone()
        .ok_or_else(|| anyhow!("a job step carries its job"))?;
    let order = step.order.clone();
    store.commit(step).await?;
    assert_eq!(store.child("p1", "job-1").await?, Some(moved.clone()));
    assert_eq!(moved.version, job1.version + 1);
    assert_eq!(moved.status, "pending");
    assert_eq!(store.order("p1").await?, Some(order));
    assert_eq!(store.child("p1", "job-2").await?.as_ref(), created.get(1));
    Ok(())
}

/// A job step decided on a stale job is refused with `VersionConflict`
/// and writes nothing, even when the order's version is right.
pub async fn stale_child_refused(store: &dyn Store) -> Outcome {
    inventory::stocked(store, "shop-co", &[("A-01", "tee", 1), ("B-02", "tee", 1)]).await?;
    let print = Flow::print("merch", "shop-co")?;
    let order = print
        .create(store, "p1", print_inputs("SO-1", 2), at(1))
        .await?;
    let job1 = store
        .child("p1", "job-1")
        .await?
        .ok_or_else(|| anyhow!("job-1 not stored"))?;
    let operator = user_of("shop-co", &["operator"]);
    let manager = user_of("shop-co", &["manager"]);
    let first = print.child_commit(
        &order,
        &job1,
        &manager,
        "pass_intake",
        json!({"bin": "A-01"}),
        at(2),
    )?;
    let order = first.order.clone();
    store.commit(first).await?;
    let job_now = store.child("p1", "job-1").await?;
    let history = all_history(store, "p1").await?;

    // Decided on the current order but the old job.
    let stale = print.child_commit(
        &order,
        &job1,
        &operator,
        "check_design",
        json!({"printable": true}),
        at(3),
    );
    let stale = match stale {
        Ok(c) => c,
        Err(_) => print.child_commit(
            &order,
            &job1,
            &manager,
            "pass_intake",
            json!({"bin": "B-02"}),
            at(3),
        )?,
    };
    match store.commit(stale).await {
        Err(StoreError::VersionConflict {
            expected, current, ..
        }) => assert_eq!((expected, current), (job1.version, job1.version + 1)),
        other => bail!("a stale job step gave {other:?}, not VersionConflict"),
    }
    assert_eq!(store.order("p1").await?, Some(order));
    assert_eq!(store.child("p1", "job-1").await?, job_now);
    assert_eq!(all_history(store, "p1").await?, history);

    // A step on a job that was never stored is NotFound.
    let mut ghost = job1.clone();
    ghost.id = "job-77".into();
    let order_now = store
        .order("p1")
        .await?
        .ok_or_else(|| anyhow!("p1 vanished"))?;
    let mut c = print.child_commit(
        &order_now,
        &job1,
        &manager,
        "cancel",
        json!({"reason": "r"}),
        at(4),
    )?;
    if let Some(child) = c.child.as_mut() {
        child.id = ghost.id.clone();
    }
    let r = store.commit(c).await;
    ensure!(
        matches!(
            r,
            Err(StoreError::NotFound(_) | StoreError::VersionConflict { .. })
        ),
        "a step on a missing job gave {r:?}"
    );
    assert_eq!(store.order("p1").await?, Some(order_now));
    Ok(())
}

/// Cancelling an order moves every stored job in the cascade's states,
/// each one version further, in the same commit.
pub async fn cascade_moves_children(store: &dyn Store) -> Outcome {
    let print = Flow::print("merch", "shop-co")?;
    let order = print
        .create(store, "p1", print_inputs("SO-1", 3), at(1))
        .await?;
    // A second order's jobs are not touched.
    print
        .create(store, "p2", print_inputs("SO-2", 1), at(1))
        .await?;
    let before = all_jobs(store, "p1").await?;
    ensure!(before.len() == 4);
    let order = print
        .act(
            store,
            &order,
            &print.customer("merchant"),
            "cancel",
            json!({"reason": "customer changed mind"}),
            at(2),
        )
        .await?;
    assert_eq!(order.status, "canceled");
    let after = all_jobs(store, "p1").await?;
    assert_eq!(after.len(), before.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(a.status, "canceled", "{} canceled", a.id);
        assert_eq!(a.version, b.version + 1, "{} one version further", a.id);
        assert_eq!((&a.id, &a.data, a.seq), (&b.id, &b.data, b.seq));
    }
    ensure!(
        all_jobs(store, "p2")
            .await?
            .iter()
            .all(|j| j.status == "intake_hold"),
        "another order's jobs moved"
    );
    Ok(())
}

/// The idempotency record of a commit reads back equal, per user; a second
/// commit with the same user and key is refused and writes nothing.
pub async fn idempotency_round_trip(store: &dyn Store) -> Outcome {
    let dental = Flow::dental("clinic", "lab-co")?;
    let clinic = dental.customer("customer");
    let record = Idempotency {
        user: "clinic-user".into(),
        key: "create-1".into(),
        request_sha256: [7; 32],
        status: 201,
        body: json!({"id": "d1", "status": "draft", "nested": {"a": [1, 2.5, null]}}),
        created_at: at(1),
    };
    let mut commit = dental.create_commit("d1", &clinic, dental_inputs(), at(1))?;
    commit.idempotency = Some(record.clone());
    let d1 = commit.order.clone();
    store.commit(commit).await?;
    assert_eq!(
        store.idempotency("clinic-user", "create-1").await?,
        Some(record.clone())
    );
    assert_eq!(store.idempotency("lab-co-user", "create-1").await?, None);
    assert_eq!(store.idempotency("clinic-user", "create-2").await?, None);

    let mut again = dental.action_commit(&d1, &clinic, "publish", json!({}), at(2))?;
    again.idempotency = Some(Idempotency {
        status: 200,
        ..record.clone()
    });
    let r = store.commit(again).await;
    ensure!(is_duplicate(&r), "a reused key gave {r:?}, not Duplicate");
    assert_eq!(store.order("d1").await?, Some(d1.clone()));
    assert_eq!(
        store.idempotency("clinic-user", "create-1").await?,
        Some(record)
    );

    // Another user may use the same key.
    let mut other = dental.action_commit(&d1, &clinic, "publish", json!({}), at(2))?;
    other.idempotency = Some(Idempotency {
        user: "someone-else".into(),
        key: "create-1".into(),
        request_sha256: [8; 32],
        status: 200,
        body: json!(null),
        created_at: at(2),
    });
    store.commit(other).await?;
    assert_eq!(
        store
            .idempotency("someone-else", "create-1")
            .await?
            .map(|i| i.status),
        Some(200)
    );
    Ok(())
}

/// Outbox rows written by commits are claimed oldest first; a claimed
/// message is not claimed again before its lease ends; a delivered one
/// never again; a failed one comes back at its `retry_at`.
pub async fn outbox_lease(store: &dyn Store) -> Outcome {
    ensure!(store.claim_outbox(at(0), 60, 10).await?.is_empty());
    let dental = Flow::dental("clinic", "lab-co")?;
    let clinic = dental.customer("customer");
    let d1 = dental.create(store, "d1", dental_inputs(), at(1)).await?;
    let publish = dental.action_commit(&d1, &clinic, "publish", json!({}), at(2))?;
    let published = publish.outbox.clone();
    ensure!(
        published.len() == 1 && published[0].organization == "lab-co",
        "publishing tells the lab: {published:?}"
    );
    store.commit(publish).await?;
    let mut d2 = dental.create_commit("d2", &clinic, dental_inputs(), at(3))?;
    let message = |id: &str, minute: i64| OutboxMessage {
        id: id.into(),
        order_id: "d2".into(),
        channel: "webhook".into(),
        party: "customer".into(),
        organization: "clinic".into(),
        template: "custom".into(),
        payload: json!({"n": id}),
        created_at: at(minute),
        attempts: 0,
    };
    d2.outbox = vec![message("m-b", 3), message("m-a", 4)];
    store.commit(d2).await?;

    // Not due before it was written.
    ensure!(store.claim_outbox(at(1), 60, 10).await?.is_empty());
    let first = store.claim_outbox(at(10), 60, 2).await?;
    let ids: Vec<&str> = first.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, vec![published[0].id.as_str(), "m-b"], "oldest first");
    assert_eq!(
        first[0],
        OutboxMessage {
            attempts: 1,
            ..published[0].clone()
        }
    );
    assert_eq!(
        first[1],
        OutboxMessage {
            attempts: 1,
            ..message("m-b", 3)
        }
    );
    // Leased: the next claim gets only the third.
    let second = store.claim_outbox(at(10), 60, 10).await?;
    assert_eq!(
        second.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        vec!["m-a"]
    );
    ensure!(
        store
            .claim_outbox(at(10) + Duration::seconds(59), 60, 10)
            .await?
            .is_empty()
    );

    store.outbox_delivered(&published[0].id, at(11)).await?;
    store
        .outbox_failed("m-b", "connection refused", at(30))
        .await?;
    // m-a's lease ended at 11:00; m-b waits for 30:00; the delivered one never.
    let third = store.claim_outbox(at(12), 60, 10).await?;
    assert_eq!(
        third
            .iter()
            .map(|m| (m.id.as_str(), m.attempts))
            .collect::<Vec<_>>(),
        vec![("m-a", 2)]
    );
    store.outbox_delivered("m-a", at(12)).await?;
    ensure!(store.claim_outbox(at(29), 60, 10).await?.is_empty());
    let fourth = store.claim_outbox(at(30), 60, 10).await?;
    assert_eq!(
        fourth
            .iter()
            .map(|m| (m.id.as_str(), m.attempts))
            .collect::<Vec<_>>(),
        vec![("m-b", 2)]
    );
    store.outbox_delivered("m-b", at(31)).await?;
    ensure!(store.claim_outbox(at(100_000), 60, 10).await?.is_empty());
    ensure!(is_not_found(&store.outbox_delivered("nope", at(1)).await));
    ensure!(is_not_found(&store.outbox_failed("nope", "x", at(1)).await));
    Ok(())
}

// ---------------------------------------------------------------- lists ---

/// The orders of [`list_filters`] and [`count_by_status`]:
/// `d1` draft (clinic, lab-co), `d2` published (clinic, lab-co, updated at
/// minute 10), `d3` published (clinic2, lab-co), `p1` and `p2`
/// print-production (merch, shop-co) with references `SO-1001`, `SO-2002`.
async fn world(store: &dyn Store) -> anyhow::Result<()> {
    for (id, name) in [
        ("clinic", "Smile Clinic"),
        ("clinic2", "Bright Dental"),
        ("lab-co", "Acme Lab"),
        ("merch", "Merch Inc"),
        ("shop-co", "Shop Co"),
    ] {
        store.create_organization(&org(id, name)).await?;
    }
    let dental = Flow::dental("clinic", "lab-co")?;
    let dental2 = Flow::dental("clinic2", "lab-co")?;
    dental.create(store, "d1", dental_inputs(), at(1)).await?;
    let d2 = dental.create(store, "d2", dental_inputs(), at(2)).await?;
    dental
        .act(
            store,
            &d2,
            &dental.customer("customer"),
            "publish",
            json!({}),
            at(10),
        )
        .await?;
    let d3 = dental2.create(store, "d3", dental_inputs(), at(3)).await?;
    dental2
        .act(
            store,
            &d3,
            &dental2.customer("customer"),
            "publish",
            json!({}),
            at(4),
        )
        .await?;
    let print = Flow::print("merch", "shop-co")?;
    print
        .create(store, "p1", print_inputs("SO-1001", 1), at(5))
        .await?;
    print
        .create(store, "p2", print_inputs("SO-2002", 1), at(6))
        .await?;
    Ok(())
}

/// Every filter: workflow, status, party, text (id, reference, a party's
/// name), created and updated ranges (both ends inclusive).
pub async fn list_filters(store: &dyn Store) -> Outcome {
    world(store).await?;
    let clinic = filter_for("clinic")?;
    let lab = filter_for("lab-co")?;
    let merch = filter_for("merch")?;
    assert_eq!(ids(store, &clinic).await?, strings(&["d2", "d1"]));
    assert_eq!(ids(store, &lab).await?, strings(&["d3", "d2"]));
    assert_eq!(ids(store, &merch).await?, strings(&["p2", "p1"]));

    let f = |base: &OrderFilter, edit: &dyn Fn(&mut OrderFilter)| {
        let mut f = base.clone();
        edit(&mut f);
        f
    };
    let cases: Vec<(OrderFilter, Vec<String>)> = vec![
        (
            f(&merch, &|f| f.workflow = Some("print-production".into())),
            strings(&["p2", "p1"]),
        ),
        (
            f(&lab, &|f| f.workflow = Some("print-production".into())),
            vec![],
        ),
        (
            f(&clinic, &|f| f.status = Some("draft".into())),
            strings(&["d1"]),
        ),
        (
            f(&clinic, &|f| f.status = Some("published".into())),
            strings(&["d2"]),
        ),
        (
            f(&lab, &|f| f.party = Some("clinic2".into())),
            strings(&["d3"]),
        ),
        (
            f(&lab, &|f| f.party = Some("clinic".into())),
            strings(&["d2"]),
        ),
        (
            f(&merch, &|f| f.text = Some("so-2002".into())),
            strings(&["p2"]),
        ),
        (
            f(&merch, &|f| f.text = Some("SO-".into())),
            strings(&["p2", "p1"]),
        ),
        (
            f(&lab, &|f| f.text = Some("bright".into())),
            strings(&["d3"]),
        ),
        (
            f(&lab, &|f| f.text = Some("SMILE clinic".into())),
            strings(&["d2"]),
        ),
        (f(&lab, &|f| f.text = Some("D3".into())), strings(&["d3"])),
        (f(&lab, &|f| f.text = Some("%".into())), vec![]),
        (f(&lab, &|f| f.text = Some("_".into())), vec![]),
        (f(&lab, &|f| f.created_from = Some(at(3))), strings(&["d3"])),
        (f(&lab, &|f| f.created_to = Some(at(2))), strings(&["d2"])),
        (
            f(&lab, &|f| {
                f.created_from = Some(at(2));
                f.created_to = Some(at(3));
            }),
            strings(&["d3", "d2"]),
        ),
        (
            f(&lab, &|f| f.updated_from = Some(at(10))),
            strings(&["d2"]),
        ),
        (f(&lab, &|f| f.updated_to = Some(at(4))), strings(&["d3"])),
        (f(&lab, &|f| f.updated_from = Some(at(11))), vec![]),
        (
            f(&merch, &|f| {
                f.workflow = Some("print-production".into());
                f.status = Some("intake_hold".into());
                f.text = Some("1001".into());
                f.created_from = Some(at(5));
                f.updated_to = Some(at(5));
            }),
            strings(&["p1"]),
        ),
    ];
    for (filter, want) in cases {
        assert_eq!(ids(store, &filter).await?, want, "{filter:?}");
    }
    Ok(())
}

/// An organisation never sees orders it is not party to, nor statuses its
/// slots may not see (the lab never sees drafts); no visibility entry for a
/// workflow means none of its orders.
pub async fn list_visibility(store: &dyn Store) -> Outcome {
    world(store).await?;
    let lab = filter_for("lab-co")?;
    let seen = ids(store, &lab).await?;
    ensure!(!seen.contains(&"d1".to_owned()), "the lab sees a draft");
    let drafts = OrderFilter {
        status: Some("draft".into()),
        ..lab.clone()
    };
    ensure!(ids(store, &drafts).await?.is_empty());
    ensure!(
        store
            .count_by_status(&drafts)
            .await?
            .iter()
            .all(|(_, s, _)| s != "draft"),
        "counts show the lab a draft"
    );
    let stranger = filter_for("stranger")?;
    ensure!(ids(store, &stranger).await?.is_empty());
    ensure!(store.count_by_status(&stranger).await?.is_empty());
    let nosy = OrderFilter {
        party: Some("clinic".into()),
        text: Some("d".into()),
        ..stranger
    };
    ensure!(ids(store, &nosy).await?.is_empty());
    // The shop of print orders sees nothing of dental-lab.
    assert_eq!(
        ids(store, &filter_for("shop-co")?).await?,
        strings(&["p2", "p1"])
    );
    // Without dental-lab in the visibility table, none of its orders.
    let mut blind = filter_for("clinic")?;
    blind.visible_statuses.remove("dental-lab");
    ensure!(ids(store, &blind).await?.is_empty());
    // A slot that may see only `published`.
    let mut narrow = filter_for("clinic")?;
    narrow.visible_statuses.insert(
        "dental-lab".into(),
        [("customer".to_owned(), vec!["published".to_owned()])].into(),
    );
    assert_eq!(ids(store, &narrow).await?, strings(&["d2"]));
    // A slot the organisation does not fill grants nothing.
    let mut wrong_slot = filter_for("clinic")?;
    wrong_slot.visible_statuses.insert(
        "dental-lab".into(),
        [(
            "lab".to_owned(),
            vec!["draft".to_owned(), "published".to_owned()],
        )]
        .into(),
    );
    ensure!(ids(store, &wrong_slot).await?.is_empty());
    Ok(())
}

/// Cursor paging: newest first, no duplicates or gaps across pages while
/// orders are added (the new ones are newer and do not shift the pages of
/// the older ones), ties on creation time broken by id, and no cursor after
/// the last page.
pub async fn list_paging(store: &dyn Store) -> Outcome {
    let dental = Flow::dental("clinic", "lab-co")?;
    // Pairs share a creation time: d01/d02 at minute 0, d03/d04 at 1 ...
    let mut created = Vec::new();
    for n in 1..=9i64 {
        let id = format!("d{n:02}");
        dental
            .create(store, &id, dental_inputs(), at((n - 1) / 2))
            .await?;
        created.push(id);
    }
    let mut want = created.clone();
    want.sort_by(|a, b| b.cmp(a));
    let filter = filter_for("clinic")?;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut added = 0;
    loop {
        let page = store.orders(&filter, cursor.as_deref(), 2).await?;
        ensure!(page.items.len() <= 2);
        seen.extend(page.items.iter().map(|o| o.id.clone()));
        // Someone creates an order between two pages.
        added += 1;
        dental
            .create(
                store,
                &format!("new{added}"),
                dental_inputs(),
                at(100 + added),
            )
            .await?;
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
        ensure!(added < 20, "paging does not end");
    }
    assert_eq!(seen, want);

    let all = store.orders(&filter, None, MAX_LIMIT).await?;
    ensure!(all.next_cursor.is_none());
    assert_eq!(all.items.len(), 9 + added as usize);
    let exact = store.orders(&filter, None, 9 + added as u32).await?;
    ensure!(
        exact.next_cursor.is_none(),
        "a page that holds the last order gives no cursor"
    );
    Ok(())
}

/// Counts per (workflow, status) under the filter, visibility included and
/// the filter's status ignored.
pub async fn count_by_status(store: &dyn Store) -> Outcome {
    world(store).await?;
    let s = |w: &str, st: &str, n: u64| (w.to_owned(), st.to_owned(), n);
    let clinic = filter_for("clinic")?;
    assert_eq!(
        store.count_by_status(&clinic).await?,
        vec![s("dental-lab", "draft", 1), s("dental-lab", "published", 1)]
    );
    let with_status = OrderFilter {
        status: Some("draft".into()),
        ..clinic.clone()
    };
    assert_eq!(
        store.count_by_status(&with_status).await?,
        vec![s("dental-lab", "draft", 1), s("dental-lab", "published", 1)]
    );
    assert_eq!(
        store.count_by_status(&filter_for("lab-co")?).await?,
        vec![s("dental-lab", "published", 2)]
    );
    assert_eq!(
        store
            .count_by_status(&OrderFilter {
                party: Some("clinic2".into()),
                ..filter_for("lab-co")?
            })
            .await?,
        vec![s("dental-lab", "published", 1)]
    );
    assert_eq!(
        store.count_by_status(&filter_for("shop-co")?).await?,
        vec![s("print-production", "intake_hold", 2)]
    );
    Ok(())
}

/// Files round-trip with their bytes; a second file with the same id is
/// refused.
/// The health check's write commits, again and again (it rewrites one
/// row), and changes nothing a client can see.
pub async fn health_probe_writes(store: &dyn Store) -> Outcome {
    store.probe(at(1)).await?;
    store.probe(at(2)).await?;
    store.probe(at(2)).await?;
    ensure!(store.organization("health").await?.is_none());
    Ok(())
}

pub async fn files_round_trip(store: &dyn Store) -> Outcome {
    let file = StoredFile {
        id: "f1".into(),
        organization: "clinic".into(),
        uploaded_by: "clinic-user".into(),
        name: "scan.png".into(),
        media_type: "image/png".into(),
        size: 1024,
        sha256: [5; 32],
        created_at: at(1),
    };
    let bytes: Vec<u8> = (0..1024u32).map(|i| (i % 251) as u8).collect();
    store.put_file(&file, &bytes).await?;
    assert_eq!(store.file("f1").await?, Some((file.clone(), bytes.clone())));
    assert_eq!(store.file("f2").await?, None);
    ensure!(is_duplicate(&store.put_file(&file, b"other").await));
    assert_eq!(store.file("f1").await?, Some((file.clone(), bytes)));
    let empty = StoredFile {
        id: "f2".into(),
        size: 0,
        ..file
    };
    store.put_file(&empty, &[]).await?;
    assert_eq!(store.file("f2").await?, Some((empty, Vec::new())));
    ensure!(is_not_found(&store.delete_file("f2", "someone-else").await));
    ensure!(store.file("f2").await?.is_some(), "not removed by another");
    store.delete_file("f2", "clinic-user").await?;
    assert_eq!(store.file("f2").await?, None);
    ensure!(is_not_found(&store.delete_file("f2", "clinic-user").await));
    ensure!(
        store.file("f1").await?.is_some(),
        "only that file is removed"
    );
    Ok(())
}

/// No call returns more than [`MAX_LIMIT`] rows; a limit of 0 is 1.
pub async fn limits_bounded(store: &dyn Store) -> Outcome {
    let print = Flow::print("merch", "shop-co")?;
    print
        .create(store, "p1", print_inputs("SO-1", 600), at(1))
        .await?;
    let page = store.children("p1", "job", 0, 10_000).await?;
    assert_eq!(page.len(), MAX_LIMIT as usize);
    assert_eq!(store.children("p1", "job", 0, 0).await?.len(), 1);
    assert_eq!(all_jobs(store, "p1").await?.len(), 601);
    let page = store.orders(&filter_for("merch")?, None, u32::MAX).await?;
    assert_eq!(page.items.len(), 1);
    let one = store.orders(&filter_for("merch")?, None, 0).await?;
    assert_eq!(one.items.len(), 1);
    ensure!(one.next_cursor.is_none());
    assert_eq!(store.history("p1", 0, 0).await?.len(), 1);
    Ok(())
}

/// A cursor this store did not give is refused as `Invalid`.
pub async fn malformed_cursor_refused(store: &dyn Store) -> Outcome {
    let filter = filter_for("clinic")?;
    for bad in ["nonsense", "zz", "00"] {
        let r = store.orders(&filter, Some(bad), 10).await;
        ensure!(
            matches!(r, Err(StoreError::Invalid(_))),
            "cursor {bad:?} gave {r:?}"
        );
    }
    Ok(())
}
