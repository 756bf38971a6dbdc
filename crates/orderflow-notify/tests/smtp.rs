//! The deliverer against a real SQLite store and a local SMTP sink: a
//! notification written with a change reaches the party's address over
//! SMTP, a refused delivery stays in the outbox and comes back later, and a
//! delivered one is never sent again.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use orderflow_core::catalog;
use orderflow_core::engine;
use orderflow_core::model::{Actor, Order};
use orderflow_notify::{Deliverer, Round};
use orderflow_sqlite::SqliteStore;
use orderflow_store::{Organization, Store, User, commit_of};
use serde_json::json;
use support::Sink;
use tokio::net::TcpListener;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// A store with a purchasing outlet and supplier (the supplier's user has
/// an e-mail address) and one order whose creation notified the supplier.
async fn store_with_a_notification(dir: &std::path::Path) -> Arc<dyn Store> {
    let store = SqliteStore::open(dir).await.unwrap();
    for (id, settings) in [
        ("outlet-co", json!({"purchasing_limit": "10000.00"})),
        ("supplier-co", json!({})),
    ] {
        store
            .create_organization(&Organization {
                id: id.into(),
                name: id.into(),
                settings: settings.as_object().cloned().unwrap(),
                created_at: t0(),
            })
            .await
            .unwrap();
    }
    for (id, organization, email) in [
        ("buyer", "outlet-co", None),
        ("sam", "supplier-co", Some("orders@supplier.example")),
    ] {
        store
            .create_user(&User {
                id: id.into(),
                name: id.into(),
                organization: organization.into(),
                roles: vec!["buyer".into()],
                email: email.map(str::to_owned),
                created_at: t0(),
                organization_name: String::new(),
            })
            .await
            .unwrap();
    }
    let wf = catalog::built_in("purchasing").unwrap().unwrap();
    let parties = [("outlet", "outlet-co"), ("supplier", "supplier-co")]
        .iter()
        .map(|(s, o)| ((*s).to_owned(), (*o).to_owned()))
        .collect();
    let blank = Order::blank("o-1", "purchasing", parties);
    let mut settings = orderflow_core::model::PartySettings::new();
    settings.insert(
        "outlet".into(),
        json!({"purchasing_limit": "10000.00"})
            .as_object()
            .cloned()
            .unwrap(),
    );
    let inputs = json!({"lines": [{"product": "Flour", "quantity": 2, "unit_price": "3.50"}]});
    let change = engine::decide(
        &wf,
        &blank,
        &settings,
        &Actor::user("buyer", "outlet-co", &["buyer"]),
        "create",
        &inputs,
        t0(),
    )
    .unwrap();
    let commit = commit_of(&wf, &blank, None, &change);
    assert!(
        !commit.outbox.is_empty(),
        "creating a pending order tells the supplier"
    );
    store.commit(commit).await.unwrap();
    Arc::new(store)
}

#[tokio::test]
async fn a_notification_reaches_the_party_over_smtp_once() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start().await;
    let store = store_with_a_notification(dir.path()).await;
    let deliverer = Deliverer::new(
        Arc::clone(&store),
        &sink.url(),
        "orderflow@lab.example",
        "http://of.example",
    )
    .unwrap();

    let round = deliverer.round(t0()).await.unwrap();
    assert_eq!(
        round,
        Round {
            delivered: 1,
            failed: 0,
            dead: 0,
        }
    );
    let mails = sink.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, ["orders@supplier.example"]);
    assert!(mails[0].from.contains("orderflow@lab.example"));
    assert!(
        mails[0].data.contains("Subject: Order o-1"),
        "{}",
        mails[0].data
    );
    assert!(
        mails[0].data.contains("http://of.example/orders/o-1"),
        "{}",
        mails[0].data
    );

    let later = deliverer.round(t0() + Duration::hours(1)).await.unwrap();
    assert_eq!(
        later,
        Round::default(),
        "a delivered message is never sent again"
    );
    assert_eq!(sink.mails().len(), 1);
}

#[tokio::test]
async fn a_refused_delivery_stays_and_is_retried_after_its_backoff() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start().await;
    *sink.refuse.lock().unwrap() = true;
    let store = store_with_a_notification(dir.path()).await;
    let deliverer = Deliverer::new(
        Arc::clone(&store),
        &sink.url(),
        "orderflow@lab.example",
        "http://of.example",
    )
    .unwrap();

    assert_eq!(
        deliverer.round(t0()).await.unwrap(),
        Round {
            delivered: 0,
            failed: 1,
            dead: 0,
        }
    );
    assert_eq!(
        deliverer.round(t0() + Duration::seconds(30)).await.unwrap(),
        Round::default(),
        "not before its retry time"
    );

    *sink.refuse.lock().unwrap() = false;
    let round = deliverer.round(t0() + Duration::minutes(3)).await.unwrap();
    assert_eq!(
        round,
        Round {
            delivered: 1,
            failed: 0,
            dead: 0,
        }
    );
    assert_eq!(sink.mails().len(), 1);
}

#[tokio::test]
async fn an_unreachable_server_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_a_notification(dir.path()).await;
    // A port nobody listens on.
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let deliverer = Deliverer::new(
        Arc::clone(&store),
        &format!("smtp://127.0.0.1:{closed}"),
        "of@lab.example",
        "http://x",
    )
    .unwrap();
    assert_eq!(
        deliverer.round(t0()).await.unwrap(),
        Round {
            delivered: 0,
            failed: 1,
            dead: 0,
        }
    );

    let sink = Sink::start().await;
    let deliverer = Deliverer::new(
        Arc::clone(&store),
        &sink.url(),
        "of@lab.example",
        "http://x",
    )
    .unwrap();
    assert_eq!(
        deliverer.round(t0() + Duration::hours(1)).await.unwrap(),
        Round {
            delivered: 1,
            failed: 0,
            dead: 0,
        }
    );
}

#[tokio::test]
async fn a_message_refused_too_often_is_dead_with_its_error() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start().await;
    *sink.refuse.lock().unwrap() = true;
    let store = store_with_a_notification(dir.path()).await;
    let deliverer = Deliverer::new(
        Arc::clone(&store),
        &sink.url(),
        "orderflow@lab.example",
        "http://of.example",
    )
    .unwrap()
    .with_max_attempts(2);

    let first = deliverer.round(t0()).await.unwrap();
    assert_eq!((first.failed, first.dead), (1, 0));
    let second = deliverer.round(t0() + Duration::minutes(2)).await.unwrap();
    assert_eq!(
        (second.failed, second.dead),
        (0, 1),
        "the second failure is the last"
    );
    *sink.refuse.lock().unwrap() = false;
    assert_eq!(
        deliverer.round(t0() + Duration::days(3)).await.unwrap(),
        Round::default(),
        "a dead message is not tried again"
    );
    assert!(sink.mails().is_empty());
    let dead = store.dead_letters(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].message.attempts, 2);
    assert!(dead[0].last_error.contains("554"), "{}", dead[0].last_error);
}
