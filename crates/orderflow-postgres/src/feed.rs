//! What keeps each server's [`ReadCache`] true when several share the
//! database: every write that changes what a cache keeps says so on
//! `orderflow_cache` inside its own transaction (PostgreSQL delivers a
//! `NOTIFY` only if the transaction commits, and in commit order), and each
//! server listens there and forgets what others changed.
//!
//! A notification is `<origin> <what>`: the writing process's id (its own
//! notifications are skipped: it updated its cache itself before
//! answering), then `accounts` (a user, token, organisation or webhook
//! endpoint changed: those are all forgotten) or `orders <id> <id> ...`.
//! The cache is on only while the listener is connected, and emptied
//! whenever it may have missed a notification.

use std::sync::Arc;
use std::time::Duration;

use orderflow_sql::{Op, ReadCache, db};
use orderflow_store::Result;
use sqlx::postgres::{PgListener, PgPool};
use sqlx::{PgConnection, Postgres, Transaction};

/// The channel of cache notifications.
const CHANNEL: &str = "orderflow_cache";

/// How long the listener waits before connecting again.
const RETRY: Duration = Duration::from_millis(500);

/// The notification of what `ops` (committed together) changed, if they
/// changed anything a cache keeps.
pub fn notice<'o>(origin: &str, ops: impl IntoIterator<Item = &'o Op>) -> Option<String> {
    let mut orders = String::new();
    let mut accounts = false;
    for op in ops {
        match op {
            Op::Commit(c) => {
                orders.push(' ');
                orders.push_str(&c.order.id);
            }
            op if op.changes_cached() => accounts = true,
            _ => {}
        }
    }
    match (accounts, orders.is_empty()) {
        (true, _) => Some(format!("{origin} accounts")),
        (false, false) => Some(format!("{origin} orders{orders}")),
        (false, true) => None,
    }
}

/// Sends `notice` inside `tx`: it reaches the other servers if and when
/// the transaction commits.
pub async fn send(tx: &mut Transaction<'_, Postgres>, notice: Option<String>) -> Result<()> {
    let Some(notice) = notice else {
        return Ok(());
    };
    let conn: &mut PgConnection = tx;
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(notice)
        .execute(conn)
        .await
        .map_err(db)?;
    Ok(())
}

/// Listens for the other servers' notifications for as long as `pool` is
/// open, keeping `cache` on only while it hears them.
pub async fn listen(pool: PgPool, cache: Arc<ReadCache>, origin: Arc<str>) {
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
                Ok(Some(n)) => heard(&cache, &origin, n.payload()),
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

/// Forgets what another server's notification names.
fn heard(cache: &ReadCache, origin: &str, payload: &str) {
    let mut words = payload.split(' ');
    if words.next() == Some(origin) {
        return;
    }
    match words.next() {
        Some("orders") => words.for_each(|id| cache.forget_order(id)),
        Some("accounts") => cache.clear(),
        // Not one of ours: forget everything rather than guess.
        _ => cache.feed_live(),
    }
}
