//! orderflow's embedded storage: one SQLite database file under a data
//! directory.
//!
//! - WAL journal, `synchronous = FULL` (every acknowledged commit survives a
//!   power cut; [`SqliteConfig::synchronous_full`] opts out for tests and
//!   throw-away data), foreign keys on, a busy timeout, migrations embedded
//!   from this crate's `migrations/`.
//! - **One writer thread** owns the only writing connection. Every write
//!   (commits, organisations, users, tokens, outbox claims, files) is sent to
//!   it through a bounded queue with a oneshot for its answer. The writer
//!   takes whatever is queued, up to [`SqliteConfig::batch`] writes, and runs
//!   them in ONE transaction with a `SAVEPOINT` per write: a write that fails
//!   (a `VersionConflict`, a duplicate) rolls back its own savepoint only,
//!   and every write of the batch shares one fsync (group commit). Answers
//!   are sent after `COMMIT` returns, so `Ok` means durable. The statements
//!   run on that thread directly (rusqlite, [`query`]): a write costs one
//!   hand-off to the writer and one back, whatever its number of statements.
//! - Reads use a separate pool of read-only connections (WAL lets them run
//!   beside the writer), each read on a blocking thread.
//! - Migrations run with sqlx's migrator, once, when the store opens.
//! - **One process per data directory**: the store holds an exclusive lock
//!   on the directory while it is open, and a second one opening it is
//!   refused. Being the only writer, it keeps the users of API tokens, the
//!   organisations and their webhook endpoints in memory ([`ReadCache`]),
//!   cleared by every write that may change them before the write is
//!   answered, and the orders last read or committed, each replaced by the
//!   writer thread with what it commits before answering the commit.

mod query;
mod sql;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use orderflow_sql::{Apart, Done, Op, ReadCache, backend, db};
use orderflow_store::{Result, StoreError};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};
use sqlx::Connection as _;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode};
use tokio::sync::{mpsc, oneshot};

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
    reads: query::Pool,
    /// Answered when the writer thread has closed its connection.
    writer: oneshot::Receiver<()>,
    counters: Arc<Counters>,
    path: PathBuf,
    cache: Arc<ReadCache>,
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
        migrate(&path).await?;
        let writer_conn = open(&path, &config, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        let reads = {
            let (path, config) = (path.clone(), config.clone());
            query::Pool::new(config.read_connections.max(1) as usize, move || {
                open_raw(&path, &config, OpenFlags::SQLITE_OPEN_READ_ONLY)
            })
        };
        let (writes, queue) = mpsc::channel(config.queue.max(1));
        let counters = Arc::new(Counters::default());
        let (stopped, writer_stopped) = oneshot::channel();
        let cache = Arc::new(ReadCache::sole_writer());
        let writer = Writer {
            counters: Arc::clone(&counters),
            cache: Arc::clone(&cache),
            batch_max: config.batch.max(1),
        };
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                writer.run(writer_conn, queue);
                let _ = stopped.send(());
            })
            .map_err(|e| backend(format!("cannot start the writer thread: {e}")))?;
        Ok(Self {
            writes,
            reads,
            writer: writer_stopped,
            counters,
            path,
            cache,
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
        let stopped = writer.await;
        reads.close();
        stopped.map_err(|_| backend("the writer thread failed"))
    }

    async fn write(&self, op: Op) -> Result<Done> {
        let changes_cached = op.changes_cached();
        let (reply, answer) = oneshot::channel();
        self.writes
            .send(Write { op, reply })
            .await
            .map_err(|_| StoreError::Unavailable("the writer thread has stopped".into()))?;
        let done = answer
            .await
            .map_err(|_| StoreError::Unavailable("the writer thread dropped a write".into()));
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

/// Creates the file if need be, sets WAL (which stays set in the file) and
/// runs the migrations not run yet, on a connection of its own.
async fn migrate(path: &Path) -> Result<()> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .foreign_keys(true);
    let mut conn = SqliteConnection::connect_with(&options).await.map_err(db)?;
    MIGRATOR.run(&mut conn).await.map_err(backend)?;
    conn.close().await.map_err(db)
}

/// A connection to the migrated file with the store's settings.
fn open(path: &Path, config: &SqliteConfig, flags: OpenFlags) -> Result<Connection> {
    open_raw(path, config, flags).map_err(|e| db(query::Error::from(e)))
}

fn open_raw(path: &Path, config: &SqliteConfig, flags: OpenFlags) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(config.busy_timeout)?;
    // Plans never depend on bound values: otherwise SQLite re-prepares a
    // statement each time its `LIMIT $n` is bound anew (the statement
    // cache clears bindings), which was most of a read's time.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    let synchronous = if config.synchronous_full {
        "FULL"
    } else {
        "NORMAL"
    };
    conn.pragma_update(None, "synchronous", synchronous)?;
    query::prepare(&conn);
    Ok(conn)
}

/// The writer thread: what it counts, and the cache it keeps the orders
/// it commits in.
struct Writer {
    counters: Arc<Counters>,
    cache: Arc<ReadCache>,
    batch_max: usize,
}

impl Writer {
    fn run(&self, mut conn: Connection, mut queue: mpsc::Receiver<Write>) {
        let mut batch = Vec::with_capacity(self.batch_max);
        while let Some(first) = queue.blocking_recv() {
            batch.push(first);
            while batch.len() < self.batch_max {
                match queue.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            self.counters.transactions.fetch_add(1, Ordering::Relaxed);
            self.counters
                .writes
                .fetch_add(batch.len() as u64, Ordering::Relaxed);
            self.write_batch(&mut conn, &mut batch);
        }
    }

    /// One transaction for the whole batch, one savepoint per write (see
    /// `apply_all`); answers go out once the transaction committed (or
    /// failed as a whole), each committed order put in the cache first.
    /// The writes' futures never wait: every statement runs on this
    /// thread's connection as it is reached.
    fn write_batch(&self, conn: &mut Connection, batch: &mut Vec<Write>) {
        // Why the whole transaction failed, kept as the store error it was
        // so an outage (a full disk) still reads as one to every write of
        // the batch.
        let (results, mut broken) = match exec(conn, "BEGIN IMMEDIATE") {
            Err(e) => (Vec::new(), Some(e)),
            Ok(()) => {
                let ops: Vec<&Op> = batch.iter().map(|w| &w.op).collect();
                futures_executor::block_on(sql::apply_all(conn, &ops, Apart::Savepoints))
            }
        };
        if broken.is_none()
            && let Err(e) = exec(conn, "COMMIT")
        {
            broken = Some(e);
        }
        if broken.is_some() {
            // Whatever happened, leave no transaction open for the next batch.
            let _ = exec(conn, "ROLLBACK");
        }
        let mut results = results.into_iter();
        for Write { op, reply } in batch.drain(..) {
            let result = match (&broken, results.next()) {
                (Some(why), None | Some(Ok(_))) => Err(why.clone()),
                (_, Some(result)) => result,
                (None, None) => Err(backend("a write of the batch was not run")),
            };
            if let (Ok(_), Op::Commit(commit)) = (&result, op) {
                self.cache.committed(commit.order);
            }
            let _ = reply.send(result);
        }
    }
}

fn exec(conn: &Connection, sql: &'static str) -> Result<()> {
    conn.execute_batch(sql)
        .map_err(|e| db(query::Error::from(e)))
}

/// One server per SQLite file: its own broadcast tells its subscribers.
impl orderflow_store::ChangeFeed for SqliteStore {}
