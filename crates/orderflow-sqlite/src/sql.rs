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

/// A statement a row: each runs on the writer's thread, no round trip.
async fn add_counts(
    conn: &mut rusqlite::Connection,
    rows: &[orderflow_sql::counts::CountMove],
) -> orderflow_store::Result<()> {
    for m in rows {
        query(
            "INSERT INTO status_counts (organization, workflow, status, slots, shard, n) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (organization, workflow, status, slots, shard) \
             DO UPDATE SET n = status_counts.n + excluded.n",
        )
        .bind(&m.organization)
        .bind(&m.workflow)
        .bind(&m.status)
        .bind(&m.slots)
        .bind(m.shard)
        .bind(m.delta)
        .execute(&mut *conn)
        .await
        .map_err(orderflow_sql::db)?;
    }
    Ok(())
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
