//! The contract of reads a backend may keep in memory (the user of a token,
//! an organisation and its settings, its webhook endpoints, an order):
//! whatever was read before, a write is read back as soon as it is
//! acknowledged.

use anyhow::ensure;
use serde_json::json;

use super::{Flow, Outcome, at, dental_inputs, org, user};
use crate::{ApiToken, Store, StoreError, WebhookEndpoint};

/// A revoked token finds no user, a changed user or organisation (its
/// settings, its name as the user's organisation) reads changed, at once,
/// each read more than once before the write.
pub async fn reads_follow_writes_at_once(store: &dyn Store) -> Outcome {
    let acme = org("org-a", "Acme");
    store.create_organization(&acme).await?;
    let u1 = user("u1", "org-a");
    store.create_user(&u1).await?;
    let token = ApiToken {
        id: "t1".into(),
        user: "u1".into(),
        name: "laptop".into(),
        sha256: [7; 32],
        created_at: at(2),
    };
    store.create_token(&token).await?;
    for _ in 0..2 {
        ensure!(store.user_by_token(&[7; 32]).await? == Some(u1.clone()));
        ensure!(store.organization("org-a").await? == Some(acme.clone()));
    }

    let mut approver = u1.clone();
    approver.roles = vec!["approver".into()];
    store.update_user(&approver).await?;
    ensure!(
        store.user_by_token(&[7; 32]).await? == Some(approver.clone()),
        "a user's new roles hold for their token at once"
    );

    let mut renamed = acme.clone();
    renamed.name = "Acme Works".into();
    renamed.settings.insert("currency".into(), json!("USD"));
    store.update_organization(&renamed).await?;
    ensure!(
        store.organization("org-a").await? == Some(renamed.clone()),
        "new settings are read at once"
    );
    ensure!(
        store
            .user_by_token(&[7; 32])
            .await?
            .is_some_and(|u| u.organization_name == "Acme Works"),
        "a token's user names their organisation as it is now"
    );

    store.revoke_token("t1").await?;
    ensure!(
        store.user_by_token(&[7; 32]).await?.is_none(),
        "a revoked token finds no one at once"
    );

    for _ in 0..2 {
        ensure!(store.webhooks("org-a").await?.is_empty());
    }
    let endpoint = WebhookEndpoint {
        id: "w1".into(),
        organization: "org-a".into(),
        url: "http://127.0.0.1:9/w1".into(),
        secret: "whsec_c2VjcmV0".into(),
        workflows: Vec::new(),
        events: Vec::new(),
        actions: Vec::new(),
        created_at: at(3),
    };
    store.create_webhook(&endpoint).await?;
    ensure!(
        store.webhooks("org-a").await? == vec![endpoint],
        "a new endpoint is found at once"
    );
    store.delete_webhook("w1").await?;
    ensure!(
        store.webhooks("org-a").await?.is_empty(),
        "a removed endpoint is gone at once"
    );
    Ok(())
}

/// An order reads at the version last committed, at once, however often
/// it was read before; a refused commit leaves it as it was.
pub async fn orders_read_as_last_committed(store: &dyn Store) -> Outcome {
    let dental = Flow::dental("clinic", "lab-co")?;
    let clinic = dental.customer("customer");
    let v1 = dental.create(store, "d1", dental_inputs(), at(1)).await?;
    for _ in 0..2 {
        ensure!(store.order("d1").await? == Some(v1.clone()));
    }
    let v2 = dental
        .act(store, &v1, &clinic, "publish", json!({}), at(2))
        .await?;
    ensure!(
        store.order("d1").await? == Some(v2.clone()),
        "a change is read at once"
    );
    let stale = dental.action_commit(&v1, &clinic, "publish", json!({}), at(3))?;
    let refused = store.commit(stale).await;
    ensure!(
        matches!(refused, Err(StoreError::VersionConflict { .. })),
        "a stale commit gave {refused:?}"
    );
    ensure!(
        store.order("d1").await? == Some(v2),
        "a refused commit changes no read"
    );
    Ok(())
}
