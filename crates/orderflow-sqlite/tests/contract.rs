//! The store contract suite on SQLite: a fresh database file per test.

use orderflow_sqlite::{SqliteConfig, SqliteStore};
use orderflow_store::contract::Fresh;

async fn fresh() -> Fresh {
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => unreachable!("a temporary directory: {e}"),
    };
    let mut config = SqliteConfig::new(dir.path());
    // Durability is tested in tests/sqlite.rs; here, speed.
    config.synchronous_full = false;
    match SqliteStore::open_with(config).await {
        Ok(store) => Fresh {
            store: Box::new(store),
            guard: Box::new(dir),
        },
        Err(e) => unreachable!("a fresh SQLite store: {e}"),
    }
}

orderflow_store::contract_suite!(fresh);
