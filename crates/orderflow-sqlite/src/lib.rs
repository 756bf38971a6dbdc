//! orderflow's embedded storage: one SQLite database file under a data
//! directory.
//!
//! - WAL journal, `synchronous = FULL` (every acknowledged commit survives a
//!   power cut; [`SqliteConfig::synchronous_full`] opts out for tests and
//!   throw-away data), foreign keys on, a busy timeout, migrations embedded
//!   from this crate's `migrations/`.
//! - **One writer task** owns the only writing connection. Every write
//!   (commits, organisations, users, tokens, outbox claims, files) is sent to
//!   it through a bounded queue with a oneshot for its answer. The writer
//!   takes whatever is queued, up to [`SqliteConfig::batch`] writes, and runs
//!   them in ONE transaction with a `SAVEPOINT` per write: a write that fails
//!   (a `VersionConflict`, a duplicate) rolls back its own savepoint only,
//!   and every write of the batch shares one fsync (group commit). Answers
//!   are sent after `COMMIT` returns, so `Ok` means durable.
//! - Reads use a separate pool of read-only connections (WAL lets them run
//!   beside the writer).
//! - **One process per data directory**: the store holds an exclusive lock
//!   on the directory while it is open, and a second one opening it is
//!   refused. Being the only writer, it keeps the users of API tokens and
//!   the organisations in memory ([`ReadCache`]), cleared by every write
//!   that may change them before the write is answered.

mod sql;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use orderflow_sql::{Done, Op, ReadCache, backend, db};
use orderflow_store::{Result, StoreError};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{Connection, Executor};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// The migrations of this crate, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The database file's name inside the data directory.
pub const FILE_NAME: &str = "orderflow.sqlite3";

/// How to open a database.
#[derive(Debug, Clone)]
pub struct SqliteConfig {
    /// The directory holding the database file (created when missing).
    pub data_dir: PathBuf,
    /// `synchronous = FULL` (the default): a commit is acknowledged only
    /// once it is on disk. `false` uses `NORMAL`, which in WAL mode may lose
    /// the last commits on a power cut (never corrupts): for tests and
    /// throw-away data only.
    pub synchronous_full: bool,
    /// Writes waiting for the writer at most; senders wait beyond it.
    pub queue: usize,
    /// Writes one transaction takes at most.
    pub batch: usize,
    /// Connections of the read pool.
    pub read_connections: u32,
    /// How long a connection waits for a lock another process holds.
    pub busy_timeout: Duration,
}

impl SqliteConfig {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            synchronous_full: true,
            queue: 1024,
            batch: 64,
            read_connections: 4,
            busy_timeout: Duration::from_secs(5),
        }
    }

    pub fn path(&self) -> PathBuf {
        self.data_dir.join(FILE_NAME)
    }
}

/// How many transactions the writer ran and how many writes they held:
/// `writes / transactions` is the group commit's gain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    pub transactions: u64,
    pub writes: u64,
}

#[derive(Default)]
struct Counters {
    transactions: AtomicU64,
    writes: AtomicU64,
}

/// A [`Store`](orderflow_store::Store) on one SQLite file.
pub struct SqliteStore {
    writes: mpsc::Sender<Write>,
    reads: SqlitePool,
    writer: JoinHandle<()>,
    counters: Arc<Counters>,
    path: PathBuf,
    cache: ReadCache,
    /// The data directory, locked for as long as the store is open.
    _lock: std::fs::File,
}

struct Write {
    op: Op,
    reply: oneshot::Sender<Result<Done>>,
}

/// Free bytes below which the health check reports the disk as full: the
/// write it makes rewrites one page in place and can succeed on a disk
/// where a change, which grows the journal, already fails.
const FREE_BYTES_MIN: u64 = 16 * 1024 * 1024;

impl SqliteStore {
    /// `Unavailable` when the disk holding the database is (nearly) full.
    fn disk_check(&self) -> Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let stat =
            rustix::fs::statvfs(dir).map_err(|e| backend(format!("{}: {e}", dir.display())))?;
        let free = stat.f_bavail.saturating_mul(stat.f_frsize);
        if free < FREE_BYTES_MIN {
            return Err(StoreError::Unavailable(format!(
                "{} has {free} bytes free",
                dir.display()
            )));
        }
        Ok(())
    }

    /// Opens (or creates) `orderflow.sqlite3` in `data_dir` with the
    /// defaults of [`SqliteConfig::new`].
    pub async fn open(data_dir: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(SqliteConfig::new(data_dir.as_ref())).await
    }

    /// Opens (or creates) the database, migrates it and starts its writer
    /// task. Must be called inside a tokio runtime.
    pub async fn open_with(config: SqliteConfig) -> Result<Self> {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| backend(format!("{}: {e}", config.data_dir.display())))?;
        let lock = lock(&config.data_dir)?;
        let path = config.path();
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(if config.synchronous_full {
                SqliteSynchronous::Full
            } else {
                SqliteSynchronous::Normal
            })
            .foreign_keys(true)
            .busy_timeout(config.busy_timeout);
        let mut conn = SqliteConnection::connect_with(&options).await.map_err(db)?;
        MIGRATOR.run(&mut conn).await.map_err(backend)?;
        let reads = SqlitePoolOptions::new()
            .max_connections(config.read_connections.max(1))
            .connect_with(options.read_only(true))
            .await
            .map_err(db)?;
        let (writes, queue) = mpsc::channel(config.queue.max(1));
        let counters = Arc::new(Counters::default());
        let writer = tokio::spawn(run_writer(
            conn,
            queue,
            config.batch.max(1),
            Arc::clone(&counters),
        ));
        Ok(Self {
            writes,
            reads,
            writer,
            counters,
            path,
            cache: ReadCache::sole_writer(),
            _lock: lock,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn writer_stats(&self) -> WriterStats {
        WriterStats {
            transactions: self.counters.transactions.load(Ordering::Relaxed),
            writes: self.counters.writes.load(Ordering::Relaxed),
        }
    }

    /// Finishes the queued writes, stops the writer and closes every
    /// connection.
    pub async fn close(self) -> Result<()> {
        let Self {
            writes,
            reads,
            writer,
            ..
        } = self;
        drop(writes);
        let joined = writer.await;
        reads.close().await;
        joined.map_err(backend)
    }

    async fn write(&self, op: Op) -> Result<Done> {
        let changes_cached = op.changes_cached();
        let (reply, answer) = oneshot::channel();
        self.writes
            .send(Write { op, reply })
            .await
            .map_err(|_| StoreError::Unavailable("the writer task has stopped".into()))?;
        let done = answer
            .await
            .map_err(|_| StoreError::Unavailable("the writer task dropped a write".into()));
        if changes_cached {
            self.cache.clear();
        }
        done?
    }
}

/// An exclusive lock on the data directory, or `Unavailable` when another
/// process (or store) holds it: the store's cache is exact only if it makes
/// every write.
fn lock(data_dir: &Path) -> Result<std::fs::File> {
    let dir = std::fs::File::open(data_dir)
        .map_err(|e| backend(format!("{}: {e}", data_dir.display())))?;
    match dir.try_lock() {
        Ok(()) => Ok(dir),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Unavailable(format!(
            "{} is in use by another orderflow server",
            data_dir.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(backend(format!("{}: {e}", data_dir.display())))
        }
    }
}

async fn run_writer(
    mut conn: SqliteConnection,
    mut queue: mpsc::Receiver<Write>,
    batch_max: usize,
    counters: Arc<Counters>,
) {
    let mut batch = Vec::with_capacity(batch_max);
    while let Some(first) = queue.recv().await {
        batch.push(first);
        while batch.len() < batch_max {
            match queue.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        counters.transactions.fetch_add(1, Ordering::Relaxed);
        counters
            .writes
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        write_batch(&mut conn, &mut batch).await;
    }
    let _ = conn.close().await;
}

async fn exec(conn: &mut SqliteConnection, sql: &'static str) -> Result<()> {
    conn.execute(sql).await.map(|_| ()).map_err(db)
}

/// One transaction for the whole batch, one savepoint per write (see
/// `apply_all`); answers go out once the transaction committed (or failed
/// as a whole).
async fn write_batch(conn: &mut SqliteConnection, batch: &mut Vec<Write>) {
    // Why the whole transaction failed, kept as the store error it was so
    // an outage (a full disk) still reads as one to every write of the batch.
    let (results, mut broken) = match exec(conn, "BEGIN IMMEDIATE").await {
        Err(e) => (Vec::new(), Some(e)),
        Ok(()) => {
            let ops: Vec<&Op> = batch.iter().map(|w| &w.op).collect();
            sql::apply_all(conn, &ops).await
        }
    };
    if broken.is_none()
        && let Err(e) = exec(conn, "COMMIT").await
    {
        broken = Some(e);
    }
    if broken.is_some() {
        // Whatever happened, leave no transaction open for the next batch.
        let _ = exec(conn, "ROLLBACK").await;
    }
    let mut results = results.into_iter();
    for write in batch.drain(..) {
        let result = match (&broken, results.next()) {
            (Some(why), None | Some(Ok(_))) => Err(why.clone()),
            (_, Some(result)) => result,
            (None, None) => Err(backend("a write of the batch was not run")),
        };
        let _ = write.reply.send(result);
    }
}

/// One server per SQLite file: its own broadcast tells its subscribers.
impl orderflow_store::ChangeFeed for SqliteStore {}
