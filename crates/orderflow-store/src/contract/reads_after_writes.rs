//! The contract of reads a backend may keep in memory (the user of a token,
//! an organisation and its settings): whatever was read before, a write is
//! read back as soon as it is acknowledged.

use anyhow::ensure;
use serde_json::json;

use super::{Outcome, at, org, user};
use crate::{ApiToken, Store};

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
    Ok(())
}
