//! The reads, the writes and `impl Store`, written once in `orderflow-sql`
//! for both backends and instantiated here on this crate's query layer
//! ([`crate::query`]). SQLite: the reads run on the read pool, the writes on
//! the writer thread's connection inside its savepoint per write; the single
//! writer already serialises outbox claims, so they take no row lock.

use crate::query::{AssertSqlSafe, QueryBuilder, Row, query};

type Query<'q> = crate::query::Query;

fn get<T: rusqlite::types::FromSql>(row: &Row, column: &str) -> orderflow_store::Result<T> {
    row.try_get(column).map_err(orderflow_sql::db)
}

orderflow_sql::sql_store! {
    row: crate::query::Row,
    pool: crate::query::Pool,
    connection: rusqlite::Connection,
    store: crate::SqliteStore,
    reads: reads,
    cache: cache,
    claim_lock: "",
}
