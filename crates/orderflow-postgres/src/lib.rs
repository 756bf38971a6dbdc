//! orderflow's shared storage: PostgreSQL, for several `orderflow serve`
//! processes on one database.
//!
//! A change ([`Store::commit`](orderflow_store::Store::commit)) is written
//! with a conditional `UPDATE ... WHERE version = expected` (which locks the
//! order's row, so racing commits wait and are then refused), history,
//! children, outbox and idempotency rows, all in one transaction.
//!
//! **Group commit.** Changes are queued to two writer tasks, each order
//! always to the same one (by a hash of its id). A writer takes what is
//! queued, up to [`BATCH_MAX`] changes, into ONE transaction and answers
//! after `COMMIT`: changes of different orders share one WAL flush, as they
//! do on SQLite, without weakening `synchronous_commit`. A batch is first
//! written without savepoints, and when all its changes are plain (an
//! order's new version and history), a table at a time (`bulk.rs`); when
//! a change of it is refused, again with a savepoint each, so a refused
//! change undoes only itself. Since an order
//! belongs to one writer, two writers' transactions never lock the same
//! order, and the count rows every change moves are locked last and in one
//! sorted order, so writers do not deadlock each other; should a batch
//! still fail as a whole (another server's writer, a deadlock PostgreSQL
//! broke), each of its changes is tried again alone.
//!
//! **Cache.** What every request reads (a token's user, the organisations,
//! their webhook endpoints, the orders last read or changed) is kept in
//! memory while the store hears the other servers' writes: each write that
//! changes any of it notifies `orderflow_cache` in its own transaction, and
//! every server forgets what others changed (`feed.rs`). Another server's
//! change is seen once its notification arrives, milliseconds after that
//! server answered; this server's own, at once.
//!
//! Other writes run in a transaction of their own. Outbox claims use
//! `FOR UPDATE SKIP LOCKED`, so several servers deliver each message once.
//! Migrations are embedded from this crate's `migrations/`. Times are
//! stored as microseconds since the Unix epoch, JSON as text.

mod bulk;
mod feed;
mod sql;
#[cfg(feature = "testing")]
pub mod testing;

use std::sync::Arc;

use orderflow_core::model::Order;
use orderflow_sql::{Apart, Done, Op, ReadCache, backend, db};
use orderflow_store::{Result, StoreError};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use tokio::sync::{broadcast, mpsc, oneshot};

/// The migrations of this crate, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A [`Store`](orderflow_store::Store) on a PostgreSQL database.
/// How long a request waits for a pooled connection (a new one included).
const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// The most changes one writer puts into one transaction.
pub const BATCH_MAX: usize = 64;

/// Writer tasks per server. Fewer writers make larger batches, so fewer
/// transactions and statements a change; two rather than one let a batch
/// be written while the one before waits for its commit. Measured at 64
/// connections (`orderflow-bench --quick`): 1 writer 7,761 changes/s,
/// 2 writers 7,335–7,696, 4 writers 6,217, 8 writers 5,204.
const WRITERS: u32 = 2;

/// How many changes may wait for each writer.
const QUEUE: usize = 1024;

/// How many of the other servers' changes may wait for this server's live
/// updates.
const HEARD: usize = 4096;

#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    /// One queue per writer task; an order's changes go to
    /// `writers[hash(id) % len]`.
    writers: Arc<[mpsc::Sender<Write>]>,
    /// On while the other servers' writes are heard (`feed.rs`).
    cache: Arc<ReadCache>,
    /// This process's id in the cache notifications it sends.
    origin: Arc<str>,
    /// The orders other servers committed, as they are heard.
    heard: broadcast::Sender<Arc<Order>>,
}

struct Write {
    op: Op,
    /// The cache's order generation before the write was queued
    /// ([`ReadCache::committed_since`]).
    generation: u64,
    reply: oneshot::Sender<Result<Done>>,
}

impl PgStore {
    /// The server's disk is PostgreSQL's to watch: a full one fails the
    /// probe's write itself (53100).
    fn disk_check(&self) -> Result<()> {
        Ok(())
    }

    /// Connects to `url` (`postgres://user@host/db`) with a pool of
    /// `max_connections` and migrates the database.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        let options: PgConnectOptions = url.parse().map_err(db)?;
        Self::connect_with(options, max_connections).await
    }

    pub async fn connect_with(options: PgConnectOptions, max_connections: u32) -> Result<Self> {
        // A request waits at most this long for a connection, so a server
        // whose database is down answers 503 at once instead of hanging.
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(db)?;
        MIGRATOR.run(&pool).await.map_err(backend)?;
        // At most half the pool writes changes, so reads and other writes
        // always find a connection.
        let origin: Arc<str> = uuid::Uuid::now_v7().simple().to_string().into();
        let cache = Arc::new(ReadCache::fed());
        let (heard, _) = broadcast::channel(HEARD);
        tokio::spawn(feed::listen(
            pool.clone(),
            Arc::clone(&cache),
            Arc::clone(&origin),
            heard.clone(),
        ));
        let writers: Vec<mpsc::Sender<Write>> = (0..WRITERS.min((max_connections / 2).max(1)))
            .map(|_| {
                let (send, queue) = mpsc::channel(QUEUE);
                tokio::spawn(run_writer(
                    pool.clone(),
                    queue,
                    Arc::clone(&origin),
                    Arc::clone(&cache),
                ));
                send
            })
            .collect();
        Ok(Self {
            pool,
            writers: writers.into(),
            cache,
            origin,
            heard,
        })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Whether the read cache is on: its server hears the other servers'
    /// writes.
    pub fn cache_live(&self) -> bool {
        self.cache.is_live()
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn write(&self, op: Op) -> Result<Done> {
        let Op::Commit(commit) = &op else {
            let done = write_alone(&self.pool, &op, &self.origin).await;
            if op.changes_cached() {
                self.cache.clear();
            }
            return done;
        };
        let id = commit.order.id.clone();
        let generation = self.cache.orders_generation();
        let slot = orderflow_sql::counts::spread(&id) % self.writers.len() as u64;
        let writer = &self.writers[usize::try_from(slot).unwrap_or(0)];
        let (reply, answer) = oneshot::channel();
        writer
            .send(Write {
                op,
                generation,
                reply,
            })
            .await
            .map_err(|_| StoreError::Unavailable("the writer task has stopped".into()))?;
        answer.await.unwrap_or_else(|_| {
            // The writer stopped, perhaps after committing it.
            self.cache.forget_order(&id);
            Err(StoreError::Unavailable(
                "the writer task dropped a write".into(),
            ))
        })
    }
}

/// One write in a transaction of its own, with its cache notification.
async fn write_alone(pool: &PgPool, op: &Op, origin: &str) -> Result<Done> {
    in_one_transaction(pool, &[op], origin, Apart::Savepoints)
        .await?
        .pop()
        .unwrap_or_else(|| Err(backend("the write was not run")))
}

async fn run_writer(
    pool: PgPool,
    mut queue: mpsc::Receiver<Write>,
    origin: Arc<str>,
    cache: Arc<ReadCache>,
) {
    let mut batch = Vec::with_capacity(BATCH_MAX);
    while let Some(first) = queue.recv().await {
        batch.push(first);
        while batch.len() < BATCH_MAX {
            match queue.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        write_batch(&pool, &mut batch, &origin, &cache).await;
    }
}

/// The batch in one transaction: first without savepoints (most batches
/// hold, and a savepoint is two round trips a change); when one of its
/// changes is refused, which breaks that transaction, again with a
/// savepoint each, so the others still commit; and when the transaction
/// as a whole still fails, each change alone, so one change's trouble is
/// never another's. Each committed order goes into `cache` before its
/// change is answered (the order moved there, not copied).
async fn write_batch(pool: &PgPool, batch: &mut Vec<Write>, origin: &str, cache: &ReadCache) {
    let ops: Vec<&Op> = batch.iter().map(|w| &w.op).collect();
    let mut outcome = in_one_transaction(pool, &ops, origin, Apart::Optimistic).await;
    if ops.len() > 1 && matches!(&outcome, Err(why) if !matches!(why, StoreError::Unavailable(_))) {
        outcome = in_one_transaction(pool, &ops, origin, Apart::Savepoints).await;
    }
    let results = match outcome {
        Ok(results) => results,
        Err(why) if ops.len() == 1 => vec![Err(why)],
        Err(_) => {
            let mut alone: Vec<Result<Done>> = Vec::with_capacity(ops.len());
            for op in &ops {
                // A database that is gone is gone for the rest too: they
                // are told so at once rather than each after a timeout.
                let result = match alone.first() {
                    Some(Err(why @ StoreError::Unavailable(_))) => Err(why.clone()),
                    _ => write_alone(pool, op, origin).await,
                };
                alone.push(result);
            }
            alone
        }
    };
    let mut results = results.into_iter();
    for Write {
        op,
        generation,
        reply,
    } in batch.drain(..)
    {
        let result = results
            .next()
            .unwrap_or_else(|| Err(backend("a write of the batch was not run")));
        if let Op::Commit(commit) = op {
            match &result {
                Ok(_) => cache.committed_since(commit.order, generation),
                // It may have committed before its answer was lost.
                Err(_) => cache.forget_order(&commit.order.id),
            }
        }
        let _ = reply.send(result);
    }
}

/// `ops` in one transaction with their cache notifications, committed
/// unless it broke.
async fn in_one_transaction(
    pool: &PgPool,
    ops: &[&Op],
    origin: &str,
    apart: Apart,
) -> Result<Vec<Result<Done>>> {
    let mut tx = pool.begin().await.map_err(db)?;
    let (results, broken) = match (apart, bulk::plain(ops)) {
        (Apart::Optimistic, Some(commits)) => match bulk::write(&mut tx, &commits).await {
            Ok(results) => (results, None),
            Err(why) => (Vec::new(), Some(why)),
        },
        _ => sql::apply_all(&mut tx, ops, apart).await,
    };
    if let Some(why) = broken {
        return Err(why);
    }
    let held = ops.iter().zip(&results).filter(|(_, r)| r.is_ok());
    feed::send(&mut tx, feed::notices(origin, held.map(|(op, _)| *op))).await?;
    tx.commit().await.map_err(db)?;
    Ok(results)
}

/// Other servers' changes reach this one's live updates over the cache
/// notifications (`feed.rs`), sent in each change's own transaction.
impl orderflow_store::ChangeFeed for PgStore {
    fn listen(&self) -> Option<broadcast::Receiver<Arc<Order>>> {
        Some(self.heard.subscribe())
    }
}
