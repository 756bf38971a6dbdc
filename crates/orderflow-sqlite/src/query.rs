//! The query layer the shared SQL runs on here: rusqlite, with the shape of
//! sqlx's query API (`query(sql).bind(v).execute(e)`, `fetch_optional`,
//! `fetch_one`, `fetch_all`, `QueryBuilder`), so that `orderflow-sql`'s
//! statements stay written once for both backends.
//!
//! Why not sqlx here: sqlx's SQLite driver runs every connection on a
//! worker thread of its own and hands it each statement over a channel,
//! two context switches a statement. A change is eight or so statements,
//! so at a few thousand changes a second those hand-offs were a third of
//! the server's CPU. Here a write runs whole on the writer's thread, where
//! `&mut Connection` executes at once, and a read is one hand-off to a
//! blocking thread holding a read connection.
//!
//! Statements are prepared once per connection and cached. Parameters are
//! written `$1, $2, ...` as for PostgreSQL; SQLite numbers named parameters
//! in the order they first appear, so each is bound by the number in its
//! name.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::Connection;
use rusqlite::types::{FromSql, ToSql, ToSqlOutput, Value, ValueRef};
use tokio::sync::Semaphore;

/// Statements each connection keeps prepared.
const STATEMENTS_CACHED: usize = 256;

/// Why a statement failed.
#[derive(Debug)]
pub enum Error {
    Sqlite(rusqlite::Error),
    /// A value that cannot be bound, or a parameter without a value.
    Bind(String),
    /// A column missing from a row or of another type.
    Column(String),
    /// `fetch_one` found no row.
    NoRow,
    /// The read pool is closed or its thread failed.
    Closed(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Sqlite(e) => write!(f, "{e}"),
            Error::Bind(why) => write!(f, "cannot bind a parameter: {why}"),
            Error::Column(why) => write!(f, "cannot read a column: {why}"),
            Error::NoRow => f.write_str("no row where one was expected"),
            Error::Closed(why) => write!(f, "the database's read pool is closed: {why}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Sqlite(e)
    }
}

impl Error {
    /// SQLite's extended result code, if the error is SQLite's own.
    fn code(&self) -> Option<i32> {
        match self {
            Error::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => Some(e.extended_code),
            _ => None,
        }
    }
}

impl orderflow_sql::DbFailure for Error {
    fn is_outage(&self) -> bool {
        match self {
            Error::Closed(_) => true,
            _ => self
                .code()
                .is_some_and(|code| orderflow_sql::outage_code(&code.to_string())),
        }
    }

    fn is_unique_violation(&self) -> bool {
        matches!(
            self.code(),
            Some(
                rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            )
        )
    }

    fn is_foreign_key_violation(&self) -> bool {
        self.code() == Some(rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY)
    }
}

/// SQL that is safe to run as it is: a literal, or text built at run time
/// from literals only (the caller says so by wrapping it).
pub trait Sql {
    fn into_sql(self) -> Cow<'static, str>;
}

impl Sql for &'static str {
    fn into_sql(self) -> Cow<'static, str> {
        Cow::Borrowed(self)
    }
}

/// SQL built at run time whose caller vouches it holds no user input.
pub struct AssertSqlSafe(pub String);

impl Sql for AssertSqlSafe {
    fn into_sql(self) -> Cow<'static, str> {
        Cow::Owned(self.0)
    }
}

/// A statement and its bound values.
pub struct Query {
    sql: Cow<'static, str>,
    args: Vec<Value>,
    /// The first value that could not be bound, reported when run.
    unbound: Option<String>,
}

pub fn query(sql: impl Sql) -> Query {
    Query {
        sql: sql.into_sql(),
        args: Vec::new(),
        unbound: None,
    }
}

/// How many rows a run keeps.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    None,
    First,
    All,
}

/// What `execute` answers.
pub struct Done {
    rows: u64,
}

impl Done {
    pub fn rows_affected(&self) -> u64 {
        self.rows
    }
}

impl Query {
    pub fn bind(mut self, value: impl ToSql) -> Self {
        bind(&mut self.args, &mut self.unbound, value);
        self
    }

    pub async fn execute(self, on: impl Executor) -> Result<Done, Error> {
        let (_, rows) = on.run(self, Keep::None).await?;
        Ok(Done { rows })
    }

    pub async fn fetch_optional(self, on: impl Executor) -> Result<Option<Row>, Error> {
        let (rows, _) = on.run(self, Keep::First).await?;
        Ok(rows.into_iter().next())
    }

    pub async fn fetch_one(self, on: impl Executor) -> Result<Row, Error> {
        self.fetch_optional(on).await?.ok_or(Error::NoRow)
    }

    pub async fn fetch_all(self, on: impl Executor) -> Result<Vec<Row>, Error> {
        let (rows, _) = on.run(self, Keep::All).await?;
        Ok(rows)
    }

    /// Runs the statement on `conn`: the rows kept and the rows changed.
    fn run_on(&self, conn: &Connection, keep: Keep) -> Result<(Vec<Row>, u64), Error> {
        if let Some(why) = &self.unbound {
            return Err(Error::Bind(why.clone()));
        }
        let mut statement = conn.prepare_cached(&self.sql)?;
        for index in 1..=statement.parameter_count() {
            let number = match statement.parameter_name(index) {
                Some(name) => name
                    .strip_prefix('$')
                    .and_then(|n| n.parse::<usize>().ok())
                    .ok_or_else(|| Error::Bind(format!("parameter {name} is not $<number>")))?,
                None => index,
            };
            let value = number
                .checked_sub(1)
                .and_then(|i| self.args.get(i))
                .ok_or_else(|| Error::Bind(format!("no value for ${number}")))?;
            statement.raw_bind_parameter(index, value)?;
        }
        let columns: Arc<[Box<str>]> = match keep {
            Keep::None => Arc::new([]),
            Keep::First | Keep::All => statement
                .column_names()
                .into_iter()
                .map(Box::from)
                .collect(),
        };
        let mut found = Vec::new();
        let mut rows = statement.raw_query();
        // A statement whose rows are not kept is stepped to its end, so it
        // runs whole. One whose first row is all that is asked stops there:
        // SQLite makes all of a write's changes at its first step, RETURNING
        // or not, and a read need not look further.
        while let Some(row) = rows.next()? {
            if keep == Keep::None {
                continue;
            }
            let values = (0..columns.len())
                .map(|i| {
                    let value = row.get_ref(i)?;
                    Value::try_from(value)
                        .map_err(|e| Error::Column(format!("{}: {e}", columns[i])))
                })
                .collect::<Result<Vec<_>, Error>>()?;
            found.push(Row {
                columns: Arc::clone(&columns),
                values,
            });
            if keep == Keep::First {
                break;
            }
        }
        Ok((found, conn.changes()))
    }
}

fn bind(args: &mut Vec<Value>, unbound: &mut Option<String>, value: impl ToSql) {
    let value = match value.to_sql() {
        Ok(ToSqlOutput::Borrowed(v)) => Value::try_from(v).map_err(|e| e.to_string()),
        Ok(ToSqlOutput::Owned(v)) => Ok(v),
        Ok(_) => Err("a value of a kind this layer does not bind".to_owned()),
        Err(e) => Err(e.to_string()),
    };
    match value {
        Ok(v) => args.push(v),
        Err(why) => {
            args.push(Value::Null);
            unbound.get_or_insert(why);
        }
    }
}

/// A row, its values copied out of the statement.
pub struct Row {
    columns: Arc<[Box<str>]>,
    values: Vec<Value>,
}

impl Row {
    pub fn try_get<T: FromSql>(&self, column: &str) -> Result<T, Error> {
        let index = self
            .columns
            .iter()
            .position(|c| &**c == column)
            .ok_or_else(|| Error::Column(format!("no column {column}")))?;
        let value = self
            .values
            .get(index)
            .map(ValueRef::from)
            .ok_or_else(|| Error::Column(format!("no value for {column}")))?;
        T::column_result(value).map_err(|e| Error::Column(format!("{column}: {e}")))
    }
}

/// Where a statement runs: the writer's own connection (at once, on the
/// calling thread) or the read pool (on a blocking thread).
pub trait Executor: Send {
    fn run(
        self,
        query: Query,
        keep: Keep,
    ) -> impl Future<Output = Result<(Vec<Row>, u64), Error>> + Send;
}

impl Executor for &mut Connection {
    fn run(
        self,
        query: Query,
        keep: Keep,
    ) -> impl Future<Output = Result<(Vec<Row>, u64), Error>> + Send {
        std::future::ready(query.run_on(self, keep))
    }
}

impl Executor for &Pool {
    fn run(
        self,
        query: Query,
        keep: Keep,
    ) -> impl Future<Output = Result<(Vec<Row>, u64), Error>> + Send {
        let pool = self.clone();
        async move { pool.with(move |conn| query.run_on(conn, keep)).await? }
    }
}

type Open = dyn Fn() -> rusqlite::Result<Connection> + Send + Sync;

/// Read-only connections, at most `size` in use at once, each used on a
/// blocking thread; opened as needed and kept.
#[derive(Clone)]
pub struct Pool {
    inner: Arc<PoolInner>,
}

struct PoolInner {
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
    open: Box<Open>,
}

impl Pool {
    pub fn new(
        size: usize,
        open: impl Fn() -> rusqlite::Result<Connection> + Send + Sync + 'static,
    ) -> Self {
        Self {
            inner: Arc::new(PoolInner {
                idle: Mutex::new(Vec::new()),
                permits: Semaphore::new(size.max(1)),
                open: Box::new(open),
            }),
        }
    }

    /// Runs `job` on a connection of the pool, on a blocking thread.
    async fn with<T: Send + 'static>(
        &self,
        job: impl FnOnce(&Connection) -> T + Send + 'static,
    ) -> Result<T, Error> {
        let permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|_| Error::Closed("closed".into()))?;
        let inner = Arc::clone(&self.inner);
        let done = tokio::task::spawn_blocking(move || -> Result<T, Error> {
            let idle = inner
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            let conn = match idle {
                Some(conn) => conn,
                None => (inner.open)()?,
            };
            let out = job(&conn);
            inner
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
            Ok(out)
        })
        .await
        .map_err(|e| Error::Closed(e.to_string()))?;
        drop(permit);
        done
    }

    /// Refuses new reads and closes the idle connections.
    pub fn close(&self) {
        self.inner.permits.close();
        self.inner
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// Sizes `conn`'s statement cache for the store's statements.
pub fn prepare(conn: &Connection) {
    conn.set_prepared_statement_cache_capacity(STATEMENTS_CACHED);
}

/// SQL assembled piece by piece, values bound as it goes.
pub struct QueryBuilder {
    sql: String,
    args: Vec<Value>,
    unbound: Option<String>,
}

impl QueryBuilder {
    pub fn new(sql: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            args: Vec::new(),
            unbound: None,
        }
    }

    pub fn push(&mut self, sql: impl fmt::Display) -> &mut Self {
        use fmt::Write as _;
        let _ = write!(self.sql, "{sql}");
        self
    }

    pub fn push_bind(&mut self, value: impl ToSql) -> &mut Self {
        bind(&mut self.args, &mut self.unbound, value);
        let number = self.args.len();
        self.push(format_args!("${number}"))
    }

    /// Pushes that put `separator` between them.
    pub fn separated(&mut self, separator: &'static str) -> Separated<'_> {
        Separated {
            builder: self,
            separator,
            first: true,
        }
    }

    /// The statement built so far; the builder is left empty.
    pub fn build(&mut self) -> Query {
        Query {
            sql: Cow::Owned(std::mem::take(&mut self.sql)),
            args: std::mem::take(&mut self.args),
            unbound: self.unbound.take(),
        }
    }
}

pub struct Separated<'b> {
    builder: &'b mut QueryBuilder,
    separator: &'static str,
    first: bool,
}

impl Separated<'_> {
    pub fn push_bind(&mut self, value: impl ToSql) -> &mut Self {
        if !std::mem::take(&mut self.first) {
            self.builder.push(self.separator);
        }
        self.builder.push_bind(value);
        self
    }
}
