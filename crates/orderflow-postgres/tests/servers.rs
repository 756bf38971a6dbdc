//! Two servers on one database, each with its read cache on: what one
//! changes, the other reads changed once the notification arrives.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use orderflow_core::catalog;
use orderflow_core::engine;
use orderflow_core::model::{Actor, Order, PartySettings};
use orderflow_postgres::PgStore;
use orderflow_postgres::testing::{fresh_store, url_of};
use orderflow_store::contract::at;
use orderflow_store::{
    ApiToken, Organization, Store, User, WebhookEndpoint, WebhookStore, commit_of,
};
use serde_json::json;

/// Waits up to 10 s for `holds` to be true.
async fn eventually<F: Future<Output = bool>>(what: &str, mut holds: impl FnMut() -> F) {
    let start = Instant::now();
    while !holds().await {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{what} did not happen"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_reads_what_another_changed() {
    let a = fresh_store().await.unwrap();
    let b = PgStore::connect(&url_of(&a.pool().connect_options()), 8)
        .await
        .unwrap();
    eventually("both caches on", || async {
        a.cache_live() && b.cache_live()
    })
    .await;

    let org = Organization {
        id: "clinic".into(),
        name: "Clinic".into(),
        settings: Default::default(),
        created_at: at(0),
    };
    a.create_organization(&org).await.unwrap();
    let user = User {
        id: "u1".into(),
        organization: "clinic".into(),
        organization_name: "Clinic".into(),
        name: "U".into(),
        email: None,
        roles: Vec::new(),
        created_at: at(0),
    };
    a.create_user(&user).await.unwrap();
    let token = ApiToken {
        id: "t1".into(),
        user: "u1".into(),
        name: "laptop".into(),
        sha256: [7; 32],
        created_at: at(0),
    };
    a.create_token(&token).await.unwrap();
    // B keeps the token's user, the organisation and its (no) endpoints.
    for _ in 0..2 {
        assert!(b.user_by_token(&[7; 32]).await.unwrap().is_some());
        assert!(b.organization("clinic").await.unwrap().is_some());
        assert!(b.webhooks("clinic").await.unwrap().is_empty());
    }
    a.revoke_token("t1").await.unwrap();
    eventually("B refuses the revoked token", || async {
        b.user_by_token(&[7; 32]).await.unwrap().is_none()
    })
    .await;
    a.create_webhook(&WebhookEndpoint {
        id: "w1".into(),
        organization: "clinic".into(),
        url: "http://127.0.0.1:9/w1".into(),
        secret: "whsec_c2VjcmV0".into(),
        workflows: Vec::new(),
        events: Vec::new(),
        actions: Vec::new(),
        created_at: at(1),
    })
    .await
    .unwrap();
    eventually("B finds the new endpoint", || async {
        b.webhooks("clinic").await.unwrap().len() == 1
    })
    .await;

    let wf = catalog::built_in("dental-lab").unwrap().unwrap();
    let parties: BTreeMap<String, String> = [("customer", "clinic"), ("lab", "lab-co")]
        .iter()
        .map(|(s, o)| ((*s).to_owned(), (*o).to_owned()))
        .collect();
    let clinic = Actor::user("u1", "clinic", &[]);
    let none = PartySettings::new();
    let blank = Order::blank("d1", "dental-lab", parties);
    let inputs = json!({"lines": [{"product": "crown", "quantity": 1, "unit_price": "150.00"}]});
    let created = engine::decide(&wf, &blank, &none, &clinic, "create", &inputs, at(2)).unwrap();
    let c = commit_of(&wf, &blank, None, &created);
    let v1 = c.order.clone();
    a.commit(c).await.unwrap();
    for _ in 0..2 {
        assert_eq!(b.order("d1").await.unwrap().map(|o| o.version), Some(1));
    }
    let published = engine::decide(&wf, &v1, &none, &clinic, "publish", &json!({}), at(3)).unwrap();
    a.commit(commit_of(&wf, &v1, None, &published))
        .await
        .unwrap();
    assert_eq!(a.order("d1").await.unwrap().map(|o| o.version), Some(2));
    eventually("B reads the order at its new version", || async {
        b.order("d1").await.unwrap().map(|o| o.version) == Some(2)
    })
    .await;
    b.close().await;
    a.close().await;
}
