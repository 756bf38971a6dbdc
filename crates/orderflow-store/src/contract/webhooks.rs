//! The contract of webhook endpoints and their deliveries (written with the
//! change, claimed under a lease, retried, dead-lettered, redelivered by
//! hand).

use anyhow::ensure;
use chrono::Duration;
use serde_json::json;

use super::{Flow, Outcome, at, dental_inputs, is_duplicate, is_not_found, org};
use crate::{Store, WebhookDelivery, WebhookEndpoint};

fn endpoint(id: &str, organization: &str, minute: i64) -> WebhookEndpoint {
    WebhookEndpoint {
        id: id.into(),
        organization: organization.into(),
        url: format!("http://127.0.0.1:9/{id}"),
        secret: "whsec_c2VjcmV0".into(),
        workflows: vec!["dental-lab".into()],
        events: Vec::new(),
        actions: vec!["publish".into()],
        created_at: at(minute),
    }
}

fn delivery(id: &str, endpoint: &str, order: &str, minute: i64) -> WebhookDelivery {
    WebhookDelivery {
        id: id.into(),
        endpoint: endpoint.into(),
        organization: "lab-co".into(),
        order_id: order.into(),
        event: "order.status_changed".into(),
        payload: json!({"id": id}),
        created_at: at(minute),
        retrying_since: None,
        attempts: 0,
        next_attempt_at: Some(at(minute)),
        delivered_at: None,
        dead_at: None,
        last_error: None,
    }
}

/// Endpoints belong to an existing organisation, are listed oldest first
/// per organisation, and removing one removes its deliveries.
pub async fn webhook_endpoints_round_trip(store: &dyn Store) -> Outcome {
    ensure!(is_not_found(
        &store.create_webhook(&endpoint("w1", "nobody", 0)).await
    ));
    store.create_organization(&org("lab-co", "Lab")).await?;
    store.create_organization(&org("clinic", "Clinic")).await?;
    store.create_webhook(&endpoint("w2", "lab-co", 2)).await?;
    store.create_webhook(&endpoint("w1", "lab-co", 1)).await?;
    store.create_webhook(&endpoint("w3", "clinic", 1)).await?;
    ensure!(is_duplicate(
        &store.create_webhook(&endpoint("w1", "clinic", 3)).await
    ));
    let ids: Vec<String> = store
        .webhooks("lab-co")
        .await?
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(ids, ["w1", "w2"]);
    assert_eq!(
        store.webhook("w2").await?,
        Some(endpoint("w2", "lab-co", 2))
    );

    let dental = Flow::dental("clinic", "lab-co")?;
    let mut create =
        dental.create_commit("d1", &dental.customer("customer"), dental_inputs(), at(5))?;
    create.webhooks = vec![delivery("e1", "w1", "d1", 5), delivery("e2", "w2", "d1", 5)];
    store.commit(create).await?;
    assert_eq!(
        store.webhook_delivery("e1").await?,
        Some(delivery("e1", "w1", "d1", 5))
    );

    store.delete_webhook("w1").await?;
    ensure!(store.webhook("w1").await?.is_none());
    ensure!(
        store.webhook_delivery("e1").await?.is_none(),
        "its deliveries go with it"
    );
    ensure!(store.webhook_delivery("e2").await?.is_some());
    ensure!(is_not_found(&store.delete_webhook("w1").await));
    Ok(())
}

/// Deliveries written with a change are claimed oldest first under a
/// lease, come back at their retry time, stay dead when given up on, come
/// back when redelivered by hand, and are listed newest first per endpoint.
/// A change refused for its version writes no delivery.
pub async fn webhook_deliveries_lease(store: &dyn Store) -> Outcome {
    store.create_organization(&org("lab-co", "Lab")).await?;
    store.create_organization(&org("clinic", "Clinic")).await?;
    store.create_webhook(&endpoint("w1", "lab-co", 0)).await?;
    let dental = Flow::dental("clinic", "lab-co")?;
    let mut create =
        dental.create_commit("d1", &dental.customer("customer"), dental_inputs(), at(1))?;
    create.webhooks = vec![
        delivery("e-b", "w1", "d1", 1),
        delivery("e-a", "w1", "d1", 2),
    ];
    store.commit(create.clone()).await?;
    let mut stale = create;
    stale.webhooks = vec![delivery("e-stale", "w1", "d1", 1)];
    ensure!(store.commit(stale).await.is_err());
    ensure!(store.webhook_delivery("e-stale").await?.is_none());

    ensure!(
        store
            .claim_webhook_deliveries(at(0), 60, 10)
            .await?
            .is_empty()
    );
    let first = store.claim_webhook_deliveries(at(10), 60, 1).await?;
    assert_eq!(
        first,
        vec![WebhookDelivery {
            attempts: 1,
            ..delivery("e-b", "w1", "d1", 1)
        }]
    );
    let second = store.claim_webhook_deliveries(at(10), 60, 10).await?;
    assert_eq!(
        second.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        ["e-a"]
    );
    ensure!(
        store
            .claim_webhook_deliveries(at(10) + Duration::seconds(59), 60, 10)
            .await?
            .is_empty()
    );

    store
        .webhook_failed("e-b", "HTTP 503", Some(at(30)), at(10))
        .await?;
    store.webhook_delivered("e-a", at(10)).await?;
    ensure!(
        store
            .claim_webhook_deliveries(at(29), 60, 10)
            .await?
            .is_empty()
    );
    let third = store.claim_webhook_deliveries(at(30), 60, 10).await?;
    assert_eq!(
        third
            .iter()
            .map(|d| (d.id.as_str(), d.attempts, d.last_error.as_deref()))
            .collect::<Vec<_>>(),
        [("e-b", 2, Some("HTTP 503"))]
    );
    store
        .webhook_failed("e-b", "HTTP 500", None, at(31))
        .await?;
    ensure!(
        store
            .claim_webhook_deliveries(at(100_000), 60, 10)
            .await?
            .is_empty()
    );
    let dead = store.webhook_delivery("e-b").await?;
    ensure!(
        dead.as_ref().map(|d| (
            d.state(),
            d.dead_at,
            d.next_attempt_at,
            d.last_error.as_deref()
        )) == Some(("dead", Some(at(31)), None, Some("HTTP 500"))),
        "dead with its last error: {dead:?}"
    );

    store.redeliver_webhook("e-b", at(40)).await?;
    let again = store.claim_webhook_deliveries(at(40), 60, 10).await?;
    assert_eq!(
        again
            .iter()
            .map(|d| (d.id.as_str(), d.attempts, d.retrying_since))
            .collect::<Vec<_>>(),
        [("e-b", 1, Some(at(40)))],
        "retried afresh from the redelivery"
    );
    store.webhook_delivered("e-b", at(41)).await?;
    let listed: Vec<(String, &str)> = store
        .webhook_deliveries("w1", 10)
        .await?
        .iter()
        .map(|d| (d.id.clone(), d.state()))
        .collect();
    assert_eq!(
        listed,
        [
            ("e-a".to_owned(), "delivered"),
            ("e-b".to_owned(), "delivered")
        ]
    );
    ensure!(is_not_found(&store.webhook_delivered("nope", at(1)).await));
    ensure!(is_not_found(
        &store.webhook_failed("nope", "x", None, at(1)).await
    ));
    ensure!(is_not_found(&store.redeliver_webhook("nope", at(1)).await));

    Ok(())
}
