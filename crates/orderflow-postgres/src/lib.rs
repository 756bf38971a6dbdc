//! orderflow's shared storage: PostgreSQL, for several `orderflow serve`
//! processes on one database.
//!
//! Every write runs in its own transaction; a change ([`Store::commit`]) is
//! ONE transaction: a conditional `UPDATE ... WHERE version = expected`
//! (which locks the order's row, so racing commits wait and are then
//! refused), history, children, outbox and idempotency rows. Outbox claims
//! use `FOR UPDATE SKIP LOCKED`, so several servers deliver each message
//! once. Migrations are embedded from this crate's `migrations/`. Times
//! are stored as microseconds since the Unix epoch, JSON as text.

mod ops;
mod query;
#[cfg(feature = "testing")]
pub mod testing;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderflow_core::model::{Child, Order};
use orderflow_store::{
    ApiToken, Commit, HistoryEntry, Idempotency, OrderFilter, Organization, OutboxMessage, Page,
    Result, Store, StoreError, StoredFile, User,
};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

/// The migrations of this crate, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub(crate) enum Op {
    Commit(Box<Commit>),
    CreateOrganization(Organization),
    UpdateOrganization(Organization),
    CreateUser(User),
    CreateToken(ApiToken),
    RevokeToken(String),
    ClaimOutbox {
        now: DateTime<Utc>,
        lease_secs: u32,
        limit: u32,
    },
    OutboxDelivered {
        id: String,
        at: DateTime<Utc>,
    },
    OutboxFailed {
        id: String,
        error: String,
        retry_at: DateTime<Utc>,
    },
    PutFile(StoredFile, Vec<u8>),
}

pub(crate) enum Done {
    Unit,
    Claimed(Vec<OutboxMessage>),
}

pub(crate) fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// A [`Store`] on a PostgreSQL database.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host/db`) with a pool of
    /// `max_connections` and migrates the database.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        let options: PgConnectOptions = url.parse().map_err(backend)?;
        Self::connect_with(options, max_connections).await
    }

    pub async fn connect_with(options: PgConnectOptions, max_connections: u32) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .connect_with(options)
            .await
            .map_err(backend)?;
        MIGRATOR.run(&pool).await.map_err(backend)?;
        Ok(Self { pool })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn write(&self, op: Op) -> Result<Done> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let done = ops::apply(&mut tx, &op).await?;
        tx.commit().await.map_err(backend)?;
        Ok(done)
    }

    async fn write_unit(&self, op: Op) -> Result<()> {
        self.write(op).await.map(|_| ())
    }
}
#[async_trait]
impl Store for PgStore {
    async fn create_organization(&self, org: &Organization) -> Result<()> {
        self.write_unit(Op::CreateOrganization(org.clone())).await
    }

    async fn organization(&self, id: &str) -> Result<Option<Organization>> {
        query::organization(&self.pool, id).await
    }

    async fn organizations(&self) -> Result<Vec<Organization>> {
        query::organizations(&self.pool).await
    }

    async fn update_organization(&self, org: &Organization) -> Result<()> {
        self.write_unit(Op::UpdateOrganization(org.clone())).await
    }

    async fn create_user(&self, user: &User) -> Result<()> {
        self.write_unit(Op::CreateUser(user.clone())).await
    }

    async fn user(&self, id: &str) -> Result<Option<User>> {
        query::user(&self.pool, id).await
    }

    async fn users(&self, organization: &str) -> Result<Vec<User>> {
        query::users(&self.pool, organization).await
    }

    async fn create_token(&self, token: &ApiToken) -> Result<()> {
        self.write_unit(Op::CreateToken(token.clone())).await
    }

    async fn tokens(&self, user: &str) -> Result<Vec<ApiToken>> {
        query::tokens(&self.pool, user).await
    }

    async fn user_by_token(&self, sha256: &[u8; 32]) -> Result<Option<User>> {
        query::user_by_token(&self.pool, sha256).await
    }

    async fn revoke_token(&self, id: &str) -> Result<()> {
        self.write_unit(Op::RevokeToken(id.to_owned())).await
    }

    async fn order(&self, id: &str) -> Result<Option<Order>> {
        query::order(&self.pool, id).await
    }

    async fn child(&self, order_id: &str, child_id: &str) -> Result<Option<Child>> {
        query::child(&self.pool, order_id, child_id).await
    }

    async fn children(
        &self,
        order_id: &str,
        kind: &str,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<Child>> {
        query::children(&self.pool, order_id, kind, after_seq, limit).await
    }

    async fn commit(&self, commit: Commit) -> Result<()> {
        self.write_unit(Op::Commit(Box::new(commit))).await
    }

    async fn history(
        &self,
        order_id: &str,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<HistoryEntry>> {
        query::history(&self.pool, order_id, after_seq, limit).await
    }

    async fn orders(
        &self,
        filter: &OrderFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<Order>> {
        query::orders(&self.pool, filter, cursor, limit).await
    }

    async fn count_by_status(&self, filter: &OrderFilter) -> Result<Vec<(String, String, u64)>> {
        query::count_by_status(&self.pool, filter).await
    }

    async fn idempotency(&self, user: &str, key: &str) -> Result<Option<Idempotency>> {
        query::idempotency(&self.pool, user, key).await
    }

    async fn claim_outbox(
        &self,
        now: DateTime<Utc>,
        lease_secs: u32,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>> {
        match self
            .write(Op::ClaimOutbox {
                now,
                lease_secs,
                limit,
            })
            .await?
        {
            Done::Claimed(messages) => Ok(messages),
            Done::Unit => Ok(Vec::new()),
        }
    }

    async fn outbox_delivered(&self, id: &str, at: DateTime<Utc>) -> Result<()> {
        self.write_unit(Op::OutboxDelivered {
            id: id.to_owned(),
            at,
        })
        .await
    }

    async fn outbox_failed(&self, id: &str, error: &str, retry_at: DateTime<Utc>) -> Result<()> {
        self.write_unit(Op::OutboxFailed {
            id: id.to_owned(),
            error: error.to_owned(),
            retry_at,
        })
        .await
    }

    async fn put_file(&self, file: &StoredFile, bytes: &[u8]) -> Result<()> {
        self.write_unit(Op::PutFile(file.clone(), bytes.to_vec()))
            .await
    }

    async fn file(&self, id: &str) -> Result<Option<(StoredFile, Vec<u8>)>> {
        query::file(&self.pool, id).await
    }
}
