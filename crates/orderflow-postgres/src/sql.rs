//! The reads, the writes and `impl Store`, written once in `orderflow-sql`
//! for both backends and instantiated here on sqlx's query layer.
//! PostgreSQL: every write in its own transaction; outbox claims lock their
//! rows with `FOR UPDATE SKIP LOCKED`, so several servers deliver each
//! message once.

use sqlx::postgres::{PgArguments, PgRow};
use sqlx::{AssertSqlSafe, Postgres, Row as _, query};

type Query<'q> = sqlx::query::Query<'q, Postgres, PgArguments>;
type QueryBuilder = sqlx::QueryBuilder<Postgres>;

fn get<'r, T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>>(
    row: &'r PgRow,
    column: &str,
) -> orderflow_store::Result<T> {
    row.try_get(column).map_err(orderflow_sql::db)
}

orderflow_sql::sql_store! {
    row: sqlx::postgres::PgRow,
    pool: sqlx::postgres::PgPool,
    connection: sqlx::postgres::PgConnection,
    store: crate::PgStore,
    reads: pool,
    cache: cache,
    claim_lock: " FOR UPDATE SKIP LOCKED",
}
