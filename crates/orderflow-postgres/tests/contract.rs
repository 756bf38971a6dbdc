//! The store contract suite on PostgreSQL: a database of its own per test,
//! on `ORDERFLOW_TEST_POSTGRES_URL` or a throw-away local cluster (see
//! `orderflow_postgres::testing`).

use orderflow_store::contract::Fresh;

async fn fresh() -> Fresh {
    match orderflow_postgres::testing::fresh_store().await {
        Ok(store) => Fresh {
            store: Box::new(store),
            guard: Box::new(()),
        },
        Err(e) => unreachable!("no PostgreSQL for the tests: {e}"),
    }
}

orderflow_store::contract_suite!(fresh);
