//! What keeps each server's [`ReadCache`] true when several share the
//! database: every write that changes what a cache keeps says so on
//! `orderflow_cache` inside its own transaction (PostgreSQL delivers a
//! `NOTIFY` only if the transaction commits, and in commit order), and each
//! server listens there and forgets what others changed.
//!
//! A notification is `<origin> <what>`: the writing process's id (its own
//! notifications are skipped: it updated its cache itself before
//! answering), then one of
//! - `accounts`: a user, token, organisation or webhook endpoint changed;
//!   those are all forgotten;
//! - `summaries [<order>, ...]`: the orders committed, each as its
//!   [`Order::summary`] in JSON; they are forgotten, and passed on to the
//!   server's live updates (so changes reach every server's subscribers
//!   without a statement of their own);
//! - `order <id>`: an order whose summary does not fit a notification;
//!   forgotten, not passed on.
//!
//! A server reads a kind it does not know as "forget everything", so
//! servers of different versions sharing a database during an upgrade
//! never keep what another changed (the kinds an earlier version sent,
//! `orders <id> ...`, are read so too).
//!
//! The cache is on only while the listener is connected, and emptied
//! whenever it may have missed a notification.

use std::sync::Arc;
use std::time::Duration;

use orderflow_core::model::Order;
use orderflow_sql::{Op, ReadCache, db};
use orderflow_store::Result;
use sqlx::postgres::{PgListener, PgPool};
use sqlx::{PgConnection, Postgres, Transaction};
use tokio::sync::broadcast;

/// The channel of cache notifications.
const CHANNEL: &str = "orderflow_cache";

/// How long the listener waits before connecting again.
const RETRY: Duration = Duration::from_millis(500);

/// PostgreSQL refuses a notification payload of 8,000 bytes or more.
const PAYLOAD_MAX: usize = 7_900;

/// The notifications of what `ops` (committed together) changed of what a
/// cache keeps, with their orders' summaries as many to a notification as
/// fit.
pub fn notices<'o>(origin: &str, ops: impl IntoIterator<Item = &'o Op>) -> Vec<String> {
    let mut accounts = false;
    let mut orders = Vec::new();
    for op in ops {
        match op {
            Op::Commit(c) => orders.push(&c.order),
            op if op.changes_cached() => accounts = true,
            _ => {}
        }
    }
    let mut out = packed(origin, orders);
    if accounts {
        out.push(format!("{origin} accounts"));
    }
    out
}

/// `orders` as `summaries [...]` notifications, each under the payload
/// limit.
fn packed(origin: &str, orders: Vec<&Order>) -> Vec<String> {
    let mut out = Vec::new();
    let head = format!("{origin} summaries [");
    let mut batch = String::new();
    for order in orders {
        let summary = match serde_json::to_string(&order.summary()) {
            Ok(json) if head.len() + json.len() < PAYLOAD_MAX => json,
            _ => {
                out.push(format!("{origin} order {}", order.id));
                continue;
            }
        };
        if !batch.is_empty() && batch.len() + summary.len() + 1 >= PAYLOAD_MAX {
            batch.push(']');
            out.push(std::mem::take(&mut batch));
        }
        batch.push_str(if batch.is_empty() { &head } else { "," });
        batch.push_str(&summary);
    }
    if !batch.is_empty() {
        batch.push(']');
        out.push(batch);
    }
    out
}

/// Sends `notices` inside `tx`, in one statement: they reach the other
/// servers if and when the transaction commits.
pub async fn send(tx: &mut Transaction<'_, Postgres>, notices: Vec<String>) -> Result<()> {
    if notices.is_empty() {
        return Ok(());
    }
    let conn: &mut PgConnection = tx;
    sqlx::query("SELECT pg_notify($1, n) FROM unnest($2::text[]) AS n")
        .bind(CHANNEL)
        .bind(notices)
        .execute(conn)
        .await
        .map_err(db)?;
    Ok(())
}

/// Listens for the other servers' notifications for as long as `pool` is
/// open, keeping `cache` on only while it hears them.
pub async fn listen(
    pool: PgPool,
    cache: Arc<ReadCache>,
    origin: Arc<str>,
    changes: broadcast::Sender<Arc<Order>>,
) {
    while !pool.is_closed() {
        let mut listener = match connect(&pool).await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!(error = %e, "cache notifications: cannot listen; the cache is off");
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        cache.feed_live();
        loop {
            match listener.try_recv().await {
                Ok(Some(n)) => heard(&cache, &origin, &changes, n.payload()),
                // The connection dropped and was made again: what was sent
                // in between is lost.
                Ok(None) => cache.feed_live(),
                Err(e) => {
                    if !pool.is_closed() {
                        tracing::warn!(error = %e, "cache notifications lost; the cache is off");
                    }
                    break;
                }
            }
        }
        cache.feed_lost();
        tokio::time::sleep(RETRY).await;
    }
}

async fn connect(pool: &PgPool) -> std::result::Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Forgets what another server's notification names, and passes the
/// orders it committed on to live updates.
fn heard(cache: &ReadCache, origin: &str, changes: &broadcast::Sender<Arc<Order>>, payload: &str) {
    let (from, what) = payload.split_once(' ').unwrap_or((payload, ""));
    if from == origin {
        return;
    }
    let (kind, rest) = what.split_once(' ').unwrap_or((what, ""));
    match kind {
        "summaries" => match serde_json::from_str::<Vec<Order>>(rest) {
            Ok(orders) => {
                for order in orders {
                    cache.forget_order(&order.id);
                    let _ = changes.send(Arc::new(order));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "a cache notification did not parse; the cache is emptied");
                cache.feed_live();
            }
        },
        "order" => cache.forget_order(rest),
        "accounts" => cache.clear(),
        // Not one of ours: forget everything rather than guess.
        _ => cache.feed_live(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn order(n: usize, parties: usize) -> Order {
        let parties: BTreeMap<String, String> = (0..parties)
            .map(|p| (format!("slot-{p}"), format!("organisation-{p:040}")))
            .collect();
        let mut order = Order::blank(&format!("order-{n}"), "purchasing", parties);
        order.status = "pending".into();
        order.version = 3;
        order.data.insert("notes".into(), "x".repeat(5_000).into());
        order
    }

    /// What a batch of changes tells the other servers fits PostgreSQL's
    /// payload limit, and reads back as every order, in order, without
    /// its data.
    #[test]
    fn a_batch_of_orders_is_told_in_notifications_that_fit() -> serde_json::Result<()> {
        let orders: Vec<Order> = (0..64).map(|n| order(n, 3)).collect();
        let notices = packed("me", orders.iter().collect());
        assert!(notices.len() > 1, "64 orders do not fit one notification");
        let mut heard = Vec::new();
        for notice in &notices {
            assert!(notice.len() < 8_000, "{} bytes", notice.len());
            assert!(notice.starts_with("me summaries ["), "{notice}");
            heard.extend(serde_json::from_str::<Vec<Order>>(
                &notice["me summaries ".len()..],
            )?);
        }
        assert_eq!(heard.len(), 64);
        for (heard, sent) in heard.iter().zip(&orders) {
            assert_eq!(heard, &sent.summary());
            assert!(heard.data.is_empty());
        }
        Ok(())
    }

    #[test]
    fn an_order_too_large_to_tell_is_only_named() {
        let orders = [order(1, 1), order(2, 400), order(3, 1)];
        let notices = packed("me", orders.iter().collect());
        assert_eq!(notices.len(), 2);
        assert_eq!(notices[0], "me order order-2");
        assert!(notices[1].starts_with("me summaries ["));
    }

    /// Whether `cache` keeps the order `id` (the load, never needed when it
    /// does, finds nothing).
    async fn kept(cache: &ReadCache, id: &str) -> bool {
        matches!(cache.order(id, async { Ok(None) }).await, Ok(Some(_)))
    }

    #[tokio::test]
    async fn what_another_server_committed_is_forgotten_and_passed_on() {
        let cache = ReadCache::fed();
        cache.feed_live();
        for n in 1..=3 {
            cache.committed_since(order(n, 2), cache.orders_generation());
        }
        let (changes, mut heard_by_subscribers) = broadcast::channel(16);
        let one = order(1, 2);
        for notice in packed("other", vec![&one]) {
            heard(&cache, "me", &changes, &notice);
        }
        assert!(!kept(&cache, "order-1").await);
        assert!(kept(&cache, "order-2").await);
        assert_eq!(
            heard_by_subscribers.try_recv().ok().as_deref(),
            Some(&one.summary())
        );

        // Its own notifications were dealt with before it answered.
        let two = order(2, 2);
        for notice in packed("me", vec![&two]) {
            heard(&cache, "me", &changes, &notice);
        }
        assert!(kept(&cache, "order-2").await);
        assert!(heard_by_subscribers.try_recv().is_err());

        // A kind it does not know (what an earlier version sends) empties it.
        heard(&cache, "me", &changes, "other orders order-2");
        assert!(!kept(&cache, "order-2").await);
        assert!(!kept(&cache, "order-3").await);
    }
}
