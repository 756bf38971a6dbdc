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
