//! The reads, the writes and `impl Store`, written once in `orderflow-sql`
//! for both backends and instantiated here with this crate's sqlx types.
//! SQLite: the reads run on the read pool, the writes on the writer task's
//! connection inside its savepoint per write; the single writer already
//! serialises outbox claims, so they take no row lock.

orderflow_sql::sql_store! {
    database: sqlx::Sqlite,
    row: sqlx::sqlite::SqliteRow,
    pool: sqlx::sqlite::SqlitePool,
    connection: sqlx::sqlite::SqliteConnection,
    store: crate::SqliteStore,
    reads: reads,
    cache: cache,
    claim_lock: "",
}
