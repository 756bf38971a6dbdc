//! The reads, the writes and `impl Store`, written once in `orderflow-sql`
//! for both backends and instantiated here with this crate's sqlx types.
//! PostgreSQL: every write in its own transaction; outbox claims lock their
//! rows with `FOR UPDATE SKIP LOCKED`, so several servers deliver each
//! message once.

orderflow_sql::sql_store! {
    database: sqlx::Postgres,
    row: sqlx::postgres::PgRow,
    pool: sqlx::postgres::PgPool,
    connection: sqlx::postgres::PgConnection,
    store: crate::PgStore,
    reads: pool,
    cache: cache,
    claim_lock: " FOR UPDATE SKIP LOCKED",
}
