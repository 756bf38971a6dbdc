//! The contract of the in-app inbox, e-mail opt-outs and dead letters.

use anyhow::ensure;
use serde_json::json;

use super::{Flow, Outcome, at, dental_inputs, is_not_found, org, user};
use crate::{OutboxMessage, Store};

/// A message of order `d1` to `organization` on `channel`, written at
/// minute `minute`.
fn message(id: &str, organization: &str, channel: &str, minute: i64) -> OutboxMessage {
    OutboxMessage {
        id: id.into(),
        order_id: "d1".into(),
        channel: channel.into(),
        party: "lab".into(),
        organization: organization.into(),
        template: "order_published".into(),
        payload: json!({"subject": id}),
        created_at: at(minute),
        attempts: 0,
    }
}

/// Order `d1` of the clinic to the lab with `messages` in its outbox, and
/// users `lab-1`, `lab-2` (lab) and `clinic-1` (clinic).
async fn with_messages(store: &dyn Store, messages: Vec<OutboxMessage>) -> Outcome {
    store.create_organization(&org("clinic", "Clinic")).await?;
    store.create_organization(&org("lab-co", "Lab")).await?;
    for (id, organization) in [
        ("lab-1", "lab-co"),
        ("lab-2", "lab-co"),
        ("clinic-1", "clinic"),
    ] {
        store.create_user(&user(id, organization)).await?;
    }
    let dental = Flow::dental("clinic", "lab-co")?;
    let clinic = dental.customer("customer");
    let mut commit = dental.create_commit("d1", &clinic, dental_inputs(), at(0))?;
    commit.outbox = messages;
    store.commit(commit).await?;
    Ok(())
}

async fn inbox_ids(
    store: &dyn Store,
    user: &str,
    organization: &str,
) -> anyhow::Result<Vec<(String, bool)>> {
    let page = store.inbox(user, organization, None, 50).await?;
    Ok(page
        .items
        .into_iter()
        .map(|e| (e.message.id, e.read_at.is_some()))
        .collect())
}

fn pairs(list: &[(&str, bool)]) -> Vec<(String, bool)> {
    list.iter()
        .map(|(id, read)| ((*id).to_owned(), *read))
        .collect()
}

/// A user's inbox holds the e-mail messages of their organisation, unread
/// first then newest first; reading is per user; another organisation's
/// message or a webhook is not in it.
pub async fn inbox_unread_first(store: &dyn Store) -> Outcome {
    with_messages(
        store,
        vec![
            message("m1", "lab-co", "email", 1),
            message("m2", "lab-co", "email", 2),
            message("m3", "lab-co", "webhook", 3),
            message("m4", "clinic", "email", 4),
            message("m5", "lab-co", "email", 5),
        ],
    )
    .await?;
    assert_eq!(
        inbox_ids(store, "lab-1", "lab-co").await?,
        pairs(&[("m5", false), ("m2", false), ("m1", false)])
    );
    assert_eq!(store.inbox_unread("lab-1", "lab-co").await?, 3);
    store.mark_read("lab-1", "lab-co", "m5", at(10)).await?;
    store.mark_read("lab-1", "lab-co", "m5", at(11)).await?;
    let page = store.inbox("lab-1", "lab-co", None, 50).await?;
    assert_eq!(
        page.items.last().map(|e| (e.message.clone(), e.read_at)),
        Some((message("m5", "lab-co", "email", 5), Some(at(10)))),
        "read once, at the first time"
    );
    assert_eq!(
        inbox_ids(store, "lab-1", "lab-co").await?,
        pairs(&[("m2", false), ("m1", false), ("m5", true)])
    );
    assert_eq!(store.inbox_unread("lab-1", "lab-co").await?, 2);
    assert_eq!(store.inbox_unread("lab-2", "lab-co").await?, 3, "per user");
    assert_eq!(
        inbox_ids(store, "clinic-1", "clinic").await?,
        pairs(&[("m4", false)])
    );
    for foreign in ["m4", "m3", "nope"] {
        ensure!(
            is_not_found(&store.mark_read("lab-1", "lab-co", foreign, at(12)).await),
            "{foreign} is not in the lab's inbox"
        );
    }

    // Paging continues across the unread and read parts.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = store.inbox("lab-1", "lab-co", cursor.as_deref(), 1).await?;
        seen.extend(page.items.iter().map(|e| e.message.id.clone()));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, ["m2", "m1", "m5"]);
    ensure!(store.inbox("lab-1", "lab-co", Some("zz"), 1).await.is_err());

    assert_eq!(store.mark_all_read("lab-1", "lab-co", at(20)).await?, 2);
    assert_eq!(store.inbox_unread("lab-1", "lab-co").await?, 0);
    assert_eq!(store.mark_all_read("lab-1", "lab-co", at(21)).await?, 0);
    assert_eq!(store.inbox_unread("lab-2", "lab-co").await?, 3);
    Ok(())
}

/// Opt-outs are replaced as a whole, per user, and refused for nobody.
pub async fn email_opt_outs_round_trip(store: &dyn Store) -> Outcome {
    with_messages(store, Vec::new()).await?;
    ensure!(store.email_opt_outs("lab-1").await?.is_empty());
    let set = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    store
        .set_email_opt_outs(
            "lab-1",
            &set(&["order_shipped", "order_published", "order_shipped"]),
        )
        .await?;
    assert_eq!(
        store.email_opt_outs("lab-1").await?,
        set(&["order_published", "order_shipped"])
    );
    ensure!(store.email_opt_outs("lab-2").await?.is_empty());
    store
        .set_email_opt_outs("lab-1", &set(&["order_cancelled"]))
        .await?;
    assert_eq!(
        store.email_opt_outs("lab-1").await?,
        set(&["order_cancelled"])
    );
    ensure!(is_not_found(
        &store.set_email_opt_outs("nobody", &set(&["x"])).await
    ));
    Ok(())
}

/// A dead message is never claimed again and is listed with its error;
/// a delivered one cannot die.
pub async fn dead_letters_kept(store: &dyn Store) -> Outcome {
    with_messages(
        store,
        vec![
            message("m1", "lab-co", "email", 1),
            message("m2", "lab-co", "email", 2),
        ],
    )
    .await?;
    let claimed = store.claim_outbox(at(10), 60, 10).await?;
    assert_eq!(claimed.len(), 2);
    store.outbox_delivered("m2", at(11)).await?;
    store.outbox_dead("m1", "SMTP: 554 refused", at(12)).await?;
    ensure!(is_not_found(&store.outbox_dead("m2", "late", at(13)).await));
    ensure!(is_not_found(&store.outbox_dead("nope", "x", at(13)).await));
    ensure!(store.claim_outbox(at(100), 60, 10).await?.is_empty());
    let dead = store.dead_letters(10).await?;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].message.id, "m1");
    assert_eq!(dead[0].message.attempts, 1);
    assert_eq!(dead[0].last_error, "SMTP: 554 refused");
    assert_eq!(dead[0].dead_at, at(12));
    // Still in the inbox: a message that could not be mailed is kept.
    assert_eq!(store.inbox_unread("lab-1", "lab-co").await?, 2);
    Ok(())
}
