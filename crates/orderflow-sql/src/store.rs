//! [`sql_store!`]: the row mapping, reads, writes and `impl Store` shared
//! by both backends, instantiated with each backend's query layer.

/// Expands, in the module it is called in (a module of its own: it imports
/// names there), to
///
/// - the helpers every part uses (columns read off `row`, `optional` and
///   `all` on `pool`), then the parts, each a macro of its own module:
///   organisations, users and tokens (`admin.rs`), an order's reads, lists
///   and counts (`orders.rs`), the write of a change (`commit.rs`), every
///   write on a connection, `apply_all` (`writes.rs`), the outbox and files
///   (`outbox.rs`, `files.rs`), and those of `accounts.rs`, `inventory.rs`
///   and the others;
/// - `impl Store for store`, reading on `self.reads` and writing through the
///   store's own `async fn write(&self, op: Op) -> Result<Done>`, with the
///   token's user and organisations read through `self.cache`, a
///   [`ReadCache`](crate::ReadCache) the store's `write` clears.
///
/// `claim_lock` is appended to the outbox claim's inner `SELECT` (PostgreSQL:
/// `" FOR UPDATE SKIP LOCKED"`; SQLite, whose single writer already
/// serialises claims: `""`). Types are named as paths valid in the calling
/// module.
///
/// The calling module provides the query layer the statements are written
/// against, in the shape of sqlx's: `query(sql)` (with `.bind(v)`,
/// `.execute(e)`, `.fetch_optional(e)`, `.fetch_one(e)`, `.fetch_all(e)`
/// on the pool or `&mut` the connection, and `rows_affected()` on what
/// `execute` answers), its type as `Query<'q>`, `AssertSqlSafe` for SQL
/// built at run time, `QueryBuilder` (`new`, `push`, `push_bind`,
/// `separated`, `build`), and `get(row, column) -> Result<T>`. PostgreSQL passes sqlx's; SQLite its own over
/// rusqlite, which runs a whole write on the writer's thread instead of
/// handing each statement to a worker thread. It also provides
/// `add_counts(conn, rows: &[CountMove]) -> Result<()>`, which adds a
/// transaction's merged count moves to `status_counts` (an upsert per
/// row, locking them in the order given): SQLite runs one statement a
/// row, PostgreSQL all rows in one statement (one round trip).
#[macro_export]
macro_rules! sql_store {
    (
        row: $row:ty,
        pool: $pool:ty,
        connection: $conn:ty,
        store: $store:ty,
        reads: $reads:ident,
        cache: $cache:ident,
        claim_lock: $lock:literal $(,)?
    ) => {
        use $crate::__private::chrono::{DateTime, Duration, Utc};
        use $crate::__private::orderflow_core::model::{Child, Order};
        use $crate::__private::orderflow_store::{
            ApiToken, Commit, Cursor, HistoryEntry, Idempotency, MAX_LIMIT, Numbered, OrderFilter,
            Organization, OutboxMessage, Page, Result, Session, StoreError, StoredFile, User,
            clamp_limit,
        };
        use $crate::__private::serde::de::DeserializeOwned;
        use $crate::{
            AccountOp, Done, Op, backend, db, found, from_micros, int, like_pattern, micros, refused, text, uint,
        };

        // ------------------------------------------------------ row mapping ---

        fn parse<T: DeserializeOwned>(row: &$row, column: &str) -> Result<T> {
            $crate::json(&get::<String>(row, column)?, column)
        }

        fn time(row: &$row, column: &str) -> Result<DateTime<Utc>> {
            from_micros(get(row, column)?)
        }

        fn hash(row: &$row, column: &str) -> Result<[u8; 32]> {
            $crate::hash(get(row, column)?, column)
        }

        // ------------------------------------------------------- read helpers ---

        /// The row `query` finds, if any, as `of` maps it.
        async fn optional<T>(
            query: Query<'_>,
            pool: &$pool,
            of: impl Fn(&$row) -> Result<T>,
        ) -> Result<Option<T>> {
            query
                .fetch_optional(pool)
                .await
                .map_err(db)?
                .as_ref()
                .map(of)
                .transpose()
        }

        /// Every row `query` finds, as `of` maps it.
        async fn all<T>(
            query: Query<'_>,
            pool: &$pool,
            of: impl Fn(&$row) -> Result<T>,
        ) -> Result<Vec<T>> {
            query
                .fetch_all(pool)
                .await
                .map_err(db)?
                .iter()
                .map(of)
                .collect()
        }

        $crate::sql_admin!(row: $row, pool: $pool, connection: $conn);
        $crate::sql_orders!(row: $row, pool: $pool);
        $crate::sql_commit!(row: $row, pool: $pool, connection: $conn);
        $crate::sql_writes!(connection: $conn);
        $crate::sql_outbox!(row: $row, connection: $conn, claim_lock: $lock);
        $crate::sql_files!(row: $row, pool: $pool, connection: $conn);
        $crate::sql_accounts!(row: $row, pool: $pool, connection: $conn);
        $crate::sql_floor!(pool: $pool);
        $crate::sql_notifications!(row: $row, pool: $pool, connection: $conn, store: $store, reads: $reads);
        $crate::sql_workflows!(row: $row, connection: $conn, store: $store, reads: $reads);
        $crate::sql_schedule!(
            row: $row,
            pool: $pool,
            connection: $conn,
            store: $store,
            reads: $reads,
            claim_lock: $lock
        );
        $crate::sql_webhooks!(
            row: $row,
            pool: $pool,
            connection: $conn,
            store: $store,
            reads: $reads,
            cache: $cache,
            claim_lock: $lock
        );
        $crate::sql_counts!(pool: $pool, connection: $conn);
        $crate::sql_numbers!(row: $row, pool: $pool, connection: $conn);
        $crate::sql_inventory!(row: $row, pool: $pool, connection: $conn, store: $store, reads: $reads);

        // ------------------------------------------------------------ Store ---

        async fn write_unit(store: &$store, op: Op) -> Result<()> {
            store.write(op).await.map(|_| ())
        }

        #[$crate::__private::async_trait::async_trait]
        impl $crate::__private::orderflow_store::Store for $store {
            async fn create_organization(&self, org: &Organization) -> Result<()> {
                write_unit(self, Op::CreateOrganization(org.clone())).await
            }

            async fn organization(&self, id: &str) -> Result<Option<Organization>> {
                self.$cache
                    .organization(id, organization(&self.$reads, id))
                    .await
            }

            async fn organizations(&self) -> Result<Vec<Organization>> {
                organizations(&self.$reads).await
            }

            async fn update_organization(&self, org: &Organization) -> Result<()> {
                write_unit(self, Op::UpdateOrganization(org.clone())).await
            }

            async fn create_user(&self, user: &User) -> Result<()> {
                write_unit(self, Op::CreateUser(user.clone())).await
            }

            async fn update_user(&self, user: &User) -> Result<()> {
                write_unit(self, Op::UpdateUser(user.clone())).await
            }

            async fn user(&self, id: &str) -> Result<Option<User>> {
                user(&self.$reads, id).await
            }

            async fn users(&self, organization: &str) -> Result<Vec<User>> {
                users(&self.$reads, organization).await
            }

            async fn create_token(&self, token: &ApiToken) -> Result<()> {
                write_unit(self, Op::CreateToken(token.clone())).await
            }

            async fn tokens(&self, user: &str) -> Result<Vec<ApiToken>> {
                tokens(&self.$reads, user).await
            }

            async fn user_by_token(&self, sha256: &[u8; 32]) -> Result<Option<User>> {
                self.$cache
                    .user_by_token(sha256, user_by_token(&self.$reads, sha256))
                    .await
            }

            async fn revoke_token(&self, id: &str) -> Result<()> {
                write_unit(self, Op::RevokeToken(id.to_owned())).await
            }

            async fn order(&self, id: &str) -> Result<Option<Order>> {
                self.$cache.order(id, order(&self.$reads, id)).await
            }

            async fn child(&self, order_id: &str, child_id: &str) -> Result<Option<Child>> {
                child(&self.$reads, order_id, child_id).await
            }

            async fn children_by_field(
                &self,
                organization: &str,
                kind: &str,
                field: &str,
                value: &str,
                limit: u32,
            ) -> Result<Vec<(String, String)>> {
                children_by_field(&self.$reads, organization, kind, field, value, limit).await
            }

            async fn children(
                &self,
                order_id: &str,
                kind: &str,
                after_seq: u64,
                limit: u32,
            ) -> Result<Vec<Child>> {
                children(&self.$reads, order_id, kind, after_seq, limit).await
            }

            async fn commit(&self, commit: Commit) -> Result<()> {
                write_unit(self, Op::Commit(Box::new(commit))).await
            }

            async fn next_number(&self, organization: &str, prefix: &str) -> Result<u64> {
                let op = Op::NextNumber {
                    organization: organization.to_owned(),
                    prefix: prefix.to_owned(),
                };
                match self.write(op).await? {
                    Done::Number(n) => Ok(n),
                    _ => Err(backend("the number write answered something else")),
                }
            }

            async fn numbered(&self, number: &str, organization: &str) -> Result<Vec<Numbered>> {
                numbered(&self.$reads, number, organization).await
            }

            async fn history(
                &self,
                order_id: &str,
                after_seq: u64,
                limit: u32,
            ) -> Result<Vec<HistoryEntry>> {
                history(&self.$reads, order_id, after_seq, limit).await
            }

            async fn orders(
                &self,
                filter: &OrderFilter,
                cursor: Option<&str>,
                limit: u32,
            ) -> Result<Page<Order>> {
                orders(&self.$reads, filter, cursor, limit).await
            }

            async fn count_by_status(
                &self,
                filter: &OrderFilter,
            ) -> Result<Vec<(String, String, u64)>> {
                count_by_status(&self.$reads, filter).await
            }

            async fn idempotency(&self, user: &str, key: &str) -> Result<Option<Idempotency>> {
                idempotency(&self.$reads, user, key).await
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
                    _ => Ok(Vec::new()),
                }
            }

            async fn outbox_delivered(&self, id: &str, at: DateTime<Utc>) -> Result<()> {
                write_unit(
                    self,
                    Op::OutboxDelivered {
                        id: id.to_owned(),
                        at,
                    },
                )
                .await
            }

            async fn outbox_failed(
                &self,
                id: &str,
                error: &str,
                retry_at: DateTime<Utc>,
            ) -> Result<()> {
                write_unit(
                    self,
                    Op::OutboxFailed {
                        id: id.to_owned(),
                        error: error.to_owned(),
                        retry_at,
                    },
                )
                .await
            }

            async fn put_file(&self, file: &StoredFile, bytes: &[u8]) -> Result<()> {
                write_unit(self, Op::PutFile(file.clone(), bytes.to_vec())).await
            }

            async fn delete_file(&self, id: &str, uploaded_by: &str) -> Result<()> {
                let op = Op::DeleteFile {
                    id: id.to_owned(),
                    uploaded_by: uploaded_by.to_owned(),
                };
                write_unit(self, op).await
            }

            async fn probe(&self, now: DateTime<Utc>) -> Result<()> {
                write_unit(self, Op::Probe(now)).await?;
                self.disk_check()
            }

            async fn file(&self, id: &str) -> Result<Option<(StoredFile, Vec<u8>)>> {
                file(&self.$reads, id).await
            }

            async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
                user_by_email(&self.$reads, email).await
            }

            async fn set_password(&self, user: &str, phc: Option<&str>) -> Result<()> {
                let op = Op::Account(AccountOp::SetPassword {
                    user: user.to_owned(),
                    phc: phc.map(str::to_owned),
                });
                write_unit(self, op).await
            }

            async fn password(&self, user: &str) -> Result<Option<String>> {
                password(&self.$reads, user).await
            }

            async fn create_session(&self, session: &Session) -> Result<()> {
                write_unit(self, Op::Account(AccountOp::CreateSession(session.clone()))).await
            }

            async fn session(&self, sha256: &[u8; 32]) -> Result<Option<(Session, User)>> {
                session(&self.$reads, sha256).await
            }

            async fn touch_session(&self, sha256: &[u8; 32], at: DateTime<Utc>) -> Result<()> {
                let op = Op::Account(AccountOp::TouchSession {
                    sha256: *sha256,
                    at,
                });
                write_unit(self, op).await
            }

            async fn delete_session(&self, sha256: &[u8; 32]) -> Result<()> {
                write_unit(self, Op::Account(AccountOp::DeleteSession(*sha256))).await
            }

            async fn delete_sessions(&self, user: &str) -> Result<()> {
                write_unit(self, Op::Account(AccountOp::DeleteSessions(user.to_owned()))).await
            }

            async fn delete_ended_sessions(
                &self,
                now: DateTime<Utc>,
                idle_since: DateTime<Utc>,
            ) -> Result<()> {
                write_unit(self, Op::Account(AccountOp::DeleteEndedSessions { now, idle_since })).await
            }
        }
    };
}
