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

/// All rows in one statement, one round trip: `unnest` hands them to the
/// upsert in the order given, so rows are locked in that order.
async fn add_counts(
    conn: &mut sqlx::postgres::PgConnection,
    rows: &[orderflow_sql::counts::CountMove],
) -> orderflow_store::Result<()> {
    let column = |f: fn(&orderflow_sql::counts::CountMove) -> &str| {
        rows.iter()
            .map(|m| f(m).to_owned())
            .collect::<Vec<String>>()
    };
    query(
        "INSERT INTO status_counts (organization, workflow, status, slots, shard, n) \
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], \
         $6::bigint[]) \
         ON CONFLICT (organization, workflow, status, slots, shard) \
         DO UPDATE SET n = status_counts.n + excluded.n",
    )
    .bind(column(|m| &m.organization))
    .bind(column(|m| &m.workflow))
    .bind(column(|m| &m.status))
    .bind(column(|m| &m.slots))
    .bind(rows.iter().map(|m| m.shard).collect::<Vec<i64>>())
    .bind(rows.iter().map(|m| m.delta).collect::<Vec<i64>>())
    .execute(conn)
    .await
    .map_err(orderflow_sql::db)?;
    Ok(())
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
