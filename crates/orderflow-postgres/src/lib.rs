//! orderflow's shared storage: PostgreSQL, for several `orderflow serve`
//! processes on one database.
//!
//! Every write runs in its own transaction; a change
//! ([`Store::commit`](orderflow_store::Store::commit)) is ONE transaction:
//! a conditional `UPDATE ... WHERE version = expected` (which locks the
//! order's row, so racing commits wait and are then refused), history,
//! children, outbox and idempotency rows. Outbox claims use
//! `FOR UPDATE SKIP LOCKED`, so several servers deliver each message once.
//! Migrations are embedded from this crate's `migrations/`. Times
//! are stored as microseconds since the Unix epoch, JSON as text.

mod sql;
#[cfg(feature = "testing")]
pub mod testing;

use orderflow_sql::{Done, Op, backend, db};
use orderflow_store::Result;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

/// The migrations of this crate, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A [`Store`](orderflow_store::Store) on a PostgreSQL database.
/// How long a request waits for a pooled connection (a new one included).
const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
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
        Ok(Self { pool })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn write(&self, op: Op) -> Result<Done> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let done = sql::apply(&mut tx, &op).await?;
        tx.commit().await.map_err(db)?;
        Ok(done)
    }
}

/// The channel every server on the database listens to.
const CHANGES_CHANNEL: &str = "orderflow_changes";

/// Changes travel between servers as `NOTIFY orderflow_changes`; each
/// server holds one listening connection (sqlx's `PgListener`, which
/// reconnects by itself) and forwards what it hears.
#[async_trait::async_trait]
impl orderflow_store::ChangeFeed for PgStore {
    async fn announce(&self, payload: &str) -> Result<()> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANGES_CHANNEL)
            .bind(payload)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn listen(&self) -> Result<Option<tokio::sync::mpsc::Receiver<String>>> {
        let mut listener = sqlx::postgres::PgListener::connect_with(&self.pool)
            .await
            .map_err(db)?;
        listener.listen(CHANGES_CHANNEL).await.map_err(db)?;
        let (tx, rx) = tokio::sync::mpsc::channel(1024);
        tokio::spawn(async move {
            loop {
                match listener.recv().await {
                    Ok(n) => {
                        if tx.send(n.payload().to_owned()).await.is_err() {
                            return;
                        }
                    }
                    // The connection dropped: `recv` reconnects on the
                    // next call; changes in between are missed, as a
                    // lagging subscriber's are.
                    Err(_) => tokio::time::sleep(std::time::Duration::from_millis(200)).await,
                }
            }
        });
        Ok(Some(rx))
    }
}
