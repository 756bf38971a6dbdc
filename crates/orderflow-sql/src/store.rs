//! [`sql_store!`]: the row mapping, reads, writes and `impl Store` shared
//! by both backends, instantiated with each backend's sqlx types.

/// Expands, in the module it is called in (a module of its own: it imports
/// names there), to
///
/// - the reads on `pool` (`organization`, `orders`, ...) and the mapping of
///   `row` to records;
/// - `pub(crate) async fn apply(conn: &mut connection, op: &Op) -> Result<Done>`,
///   one write on a connection inside the caller's transaction or savepoint;
/// - `impl Store for store`, reading on `self.reads` and writing through the
///   store's own `async fn write(&self, op: Op) -> Result<Done>`, with the
///   token's user and organisations read through `self.cache`, a
///   [`ReadCache`](crate::ReadCache) the store's `write` clears.
///
/// `claim_lock` is appended to the outbox claim's inner `SELECT` (PostgreSQL:
/// `" FOR UPDATE SKIP LOCKED"`; SQLite, whose single writer already
/// serialises claims: `""`). Types are named as paths valid in the calling
/// module.
#[macro_export]
macro_rules! sql_store {
    (
        database: $db:ty,
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
        use sqlx::Row as _;

        // ------------------------------------------------------ row mapping ---

        fn parse<T: DeserializeOwned>(row: &$row, column: &str) -> Result<T> {
            $crate::json(&get::<String>(row, column)?, column)
        }

        fn get<'r, T: sqlx::Decode<'r, $db> + sqlx::Type<$db>>(
            row: &'r $row,
            column: &str,
        ) -> Result<T> {
            row.try_get(column).map_err(db)
        }

        fn time(row: &$row, column: &str) -> Result<DateTime<Utc>> {
            from_micros(get(row, column)?)
        }

        fn hash(row: &$row, column: &str) -> Result<[u8; 32]> {
            $crate::hash(get(row, column)?, column)
        }

        fn organization_of(row: &$row) -> Result<Organization> {
            Ok(Organization {
                id: get(row, "id")?,
                name: get(row, "name")?,
                settings: parse(row, "settings")?,
                created_at: time(row, "created_at")?,
            })
        }

        fn user_of(row: &$row) -> Result<User> {
            Ok(User {
                id: get(row, "id")?,
                name: get(row, "name")?,
                organization: get(row, "organization")?,
                roles: parse(row, "roles")?,
                email: get(row, "email")?,
                created_at: time(row, "created_at")?,
                organization_name: get(row, "organization_name")?,
            })
        }

        fn child_of(row: &$row) -> Result<Child> {
            Ok(Child {
                id: get(row, "id")?,
                kind: get(row, "kind")?,
                parent: get(row, "parent")?,
                seq: uint(get(row, "seq")?)?,
                status: get(row, "status")?,
                version: uint(get(row, "version")?)?,
                data: parse(row, "data")?,
                counts: parse(row, "counts")?,
            })
        }

        fn outbox_message(row: &$row) -> Result<OutboxMessage> {
            Ok(OutboxMessage {
                id: get(row, "id")?,
                order_id: get(row, "order_id")?,
                channel: get(row, "channel")?,
                party: get(row, "party")?,
                organization: get(row, "organization")?,
                template: get(row, "template")?,
                payload: parse(row, "payload")?,
                created_at: time(row, "created_at")?,
                attempts: u32::try_from(get::<i64>(row, "attempts")?).map_err(backend)?,
            })
        }

        // ------------------------------------------------------------ reads ---

        type Query<'q> = sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments>;

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

        /// A user's columns, read through `USERS` (the organisation's name
        /// joined in).
        const USER_COLUMNS: &str =
            "u.id, u.name, u.organization, u.roles, u.email, u.created_at, \
             coalesce(g.name, '') AS organization_name";
        const USERS: &str = "users u LEFT JOIN organizations g ON g.id = u.organization";
        const CHILD_COLUMNS: &str = "id, kind, parent, seq, status, version, data, counts";

        async fn organization(pool: &$pool, id: &str) -> Result<Option<Organization>> {
            optional(
                sqlx::query(
                    "SELECT id, name, settings, created_at FROM organizations WHERE id = $1",
                )
                .bind(id),
                pool,
                organization_of,
            )
            .await
        }

        async fn organizations(pool: &$pool) -> Result<Vec<Organization>> {
            all(
                sqlx::query(
                    "SELECT id, name, settings, created_at FROM organizations ORDER BY id LIMIT $1",
                )
                .bind(i64::from(MAX_LIMIT)),
                pool,
                organization_of,
            )
            .await
        }

        async fn user(pool: &$pool, id: &str) -> Result<Option<User>> {
            optional(
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {USER_COLUMNS} FROM {USERS} WHERE u.id = $1"
                )))
                .bind(id),
                pool,
                user_of,
            )
            .await
        }

        async fn users(pool: &$pool, organization: &str) -> Result<Vec<User>> {
            all(
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {USER_COLUMNS} FROM {USERS} WHERE u.organization = $1 \
                     ORDER BY u.id LIMIT $2"
                )))
                .bind(organization)
                .bind(i64::from(MAX_LIMIT)),
                pool,
                user_of,
            )
            .await
        }

        async fn tokens(pool: &$pool, user: &str) -> Result<Vec<ApiToken>> {
            all(
                sqlx::query(
                    "SELECT id, user_id, name, sha256, created_at FROM api_tokens \
                     WHERE user_id = $1 ORDER BY created_at, id LIMIT $2",
                )
                .bind(user)
                .bind(i64::from(MAX_LIMIT)),
                pool,
                |row| {
                    Ok(ApiToken {
                        id: get(row, "id")?,
                        user: get(row, "user_id")?,
                        name: get(row, "name")?,
                        sha256: hash(row, "sha256")?,
                        created_at: time(row, "created_at")?,
                    })
                },
            )
            .await
        }

        async fn user_by_token(pool: &$pool, sha256: &[u8; 32]) -> Result<Option<User>> {
            optional(
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
                     LEFT JOIN organizations g ON g.id = u.organization WHERE t.sha256 = $1"
                )))
                .bind(&sha256[..]),
                pool,
                user_of,
            )
            .await
        }

        async fn order(pool: &$pool, id: &str) -> Result<Option<Order>> {
            optional(
                sqlx::query("SELECT snapshot FROM orders WHERE id = $1").bind(id),
                pool,
                |row| parse(row, "snapshot"),
            )
            .await
        }

        async fn child(pool: &$pool, order_id: &str, child_id: &str) -> Result<Option<Child>> {
            optional(
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {CHILD_COLUMNS} FROM order_children WHERE order_id = $1 AND id = $2"
                )))
                .bind(order_id)
                .bind(child_id),
                pool,
                child_of,
            )
            .await
        }

        async fn children(
            pool: &$pool,
            order_id: &str,
            kind: &str,
            after_seq: u64,
            limit: u32,
        ) -> Result<Vec<Child>> {
            all(
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {CHILD_COLUMNS} FROM order_children \
                     WHERE order_id = $1 AND kind = $2 AND seq > $3 \
                     ORDER BY seq LIMIT $4"
                )))
                .bind(order_id)
                .bind(kind)
                .bind(int(after_seq)?)
                .bind(i64::from(clamp_limit(limit))),
                pool,
                child_of,
            )
            .await
        }

        async fn history(
            pool: &$pool,
            order_id: &str,
            after_seq: u64,
            limit: u32,
        ) -> Result<Vec<HistoryEntry>> {
            all(
        sqlx::query(
                "SELECT order_id, seq, version, at, user_id, organization, user_name, \
                 organization_name, hidden_from, step FROM order_events \
                 WHERE order_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            )
            .bind(order_id)
            .bind(int(after_seq)?)
            .bind(i64::from(clamp_limit(limit))),
        pool,
        |row| {
                Ok(HistoryEntry {
                    order_id: get(row, "order_id")?,
                    seq: uint(get(row, "seq")?)?,
                    version: uint(get(row, "version")?)?,
                    at: time(row, "at")?,
                    user: get(row, "user_id")?,
                    organization: get(row, "organization")?,
                    user_name: get(row, "user_name")?,
                    organization_name: get(row, "organization_name")?,
                    hidden_from: parse(row, "hidden_from")?,
                    step: parse(row, "step")?,
                })
            },
        )
        .await
        }

        async fn idempotency(
            pool: &$pool,
            user: &str,
            key: &str,
        ) -> Result<Option<Idempotency>> {
            optional(
        sqlx::query(
                "SELECT user_id, key, request_sha256, status, body, created_at FROM idempotency \
                 WHERE user_id = $1 AND key = $2",
            )
            .bind(user)
            .bind(key),
        pool,
        |row| {
                Ok(Idempotency {
                    user: get(row, "user_id")?,
                    key: get(row, "key")?,
                    request_sha256: hash(row, "request_sha256")?,
                    status: u16::try_from(get::<i64>(row, "status")?).map_err(backend)?,
                    body: parse(row, "body")?,
                    created_at: time(row, "created_at")?,
                })
            },
        )
        .await
        }

        async fn file(pool: &$pool, id: &str) -> Result<Option<(StoredFile, Vec<u8>)>> {
            optional(
        sqlx::query(
                "SELECT id, organization, uploaded_by, name, media_type, size, sha256, created_at, \
                 bytes FROM files WHERE id = $1",
            )
            .bind(id),
        pool,
        |row| {
                Ok((
                    StoredFile {
                        id: get(row, "id")?,
                        organization: get(row, "organization")?,
                        uploaded_by: get(row, "uploaded_by")?,
                        name: get(row, "name")?,
                        media_type: get(row, "media_type")?,
                        size: uint(get(row, "size")?)?,
                        sha256: hash(row, "sha256")?,
                        created_at: time(row, "created_at")?,
                    },
                    get(row, "bytes")?,
                ))
            },
        )
        .await
        }

        // ------------------------------------------------------------ lists ---

        /// `FROM orders o WHERE ...`: visibility and every filter but the cursor.
        fn push_filter(q: &mut sqlx::QueryBuilder<$db>, f: &OrderFilter, with_status: bool) {
            q.push(
                " FROM orders o WHERE EXISTS (SELECT 1 FROM order_parties v \
                 WHERE v.order_id = o.id AND v.organization = ",
            )
            .push_bind(&f.organization)
            .push(" AND (FALSE");
            // Statuses a slot always sees, then those it sees once it has
            // seen the order.
            for (statuses_of, condition) in [
                (&f.visible_statuses, " OR (o.workflow = "),
                (&f.seen_statuses, " OR (v.seen = 1 AND o.workflow = "),
            ] {
                for (workflow, slots) in statuses_of {
                    for (slot, statuses) in slots.iter().filter(|(_, s)| !s.is_empty()) {
                        q.push(condition)
                            .push_bind(workflow)
                            .push(" AND v.slot = ")
                            .push_bind(slot)
                            .push(" AND o.status IN (");
                        let mut list = q.separated(", ");
                        for status in statuses {
                            list.push_bind(status);
                        }
                        q.push("))");
                    }
                }
            }
            q.push("))");
            if let Some(workflow) = &f.workflow {
                q.push(" AND o.workflow = ").push_bind(workflow);
            }
            if let (true, Some(status)) = (with_status, &f.status) {
                q.push(" AND o.status = ").push_bind(status);
            }
            if let Some(party) = &f.party {
                q.push(
                    " AND EXISTS (SELECT 1 FROM order_parties p WHERE p.order_id = o.id \
                     AND p.organization = ",
                )
                .push_bind(party)
                .push(")");
            }
            if let Some(text) = &f.text {
                let pattern = like_pattern(text);
                q.push(" AND (lower(o.id) LIKE ")
                    .push_bind(pattern.clone())
                    .push(" ESCAPE '\\' OR lower(coalesce(o.number, '')) LIKE ")
                    .push_bind(pattern.clone())
                    .push(" ESCAPE '\\' OR coalesce(o.search_text, '') LIKE ")
                    .push_bind(pattern.clone())
                    .push(" ESCAPE '\\' OR lower(coalesce(o.reference, '')) LIKE ")
                    .push_bind(pattern.clone())
                    .push(
                        " ESCAPE '\\' OR EXISTS (SELECT 1 FROM order_parties t \
                         LEFT JOIN organizations g ON g.id = t.organization \
                         WHERE t.order_id = o.id AND (lower(t.organization) LIKE ",
                    )
                    .push_bind(pattern.clone())
                    .push(" ESCAPE '\\' OR lower(coalesce(g.name, '')) LIKE ")
                    .push_bind(pattern)
                    .push(" ESCAPE '\\')))");
            }
            let ranges = [
                ("o.created_at >= ", f.created_from),
                ("o.created_at <= ", f.created_to),
                ("o.updated_at >= ", f.updated_from),
                ("o.updated_at <= ", f.updated_to),
            ];
            for (sql, bound) in ranges {
                if let Some(t) = bound {
                    q.push(" AND ").push(sql).push_bind(micros(t));
                }
            }
        }

        async fn orders(
            pool: &$pool,
            filter: &OrderFilter,
            cursor: Option<&str>,
            limit: u32,
        ) -> Result<Page<Order>> {
            let after = cursor.map(Cursor::decode).transpose()?;
            let limit = clamp_limit(limit);
            let mut q = sqlx::QueryBuilder::new("SELECT o.snapshot");
            push_filter(&mut q, filter, true);
            let (column, descending) = filter.sort.column();
            let (before, direction) = if descending { ("<", "DESC") } else { (">", "ASC") };
            if let Some(c) = &after {
                // A row value, so the database seeks to the cursor in the
                // index instead of scanning from the top.
                q.push(format_args!(" AND (o.{column}, o.id) {before} ("))
                    .push_bind(c.key_micros)
                    .push(", ")
                    .push_bind(c.id.clone())
                    .push(")");
            }
            q.push(format_args!(
                " ORDER BY o.{column} {direction}, o.id {direction} LIMIT "
            ))
            .push_bind(i64::from(limit) + 1);
            let rows = q.build().fetch_all(pool).await.map_err(db)?;
            let items = rows
                .iter()
                .map(|row| parse::<Order>(row, "snapshot"))
                .collect::<Result<Vec<_>>>()?;
            Ok($crate::page(items, limit, filter.sort))
        }

        async fn count_by_status(
            pool: &$pool,
            filter: &OrderFilter,
        ) -> Result<Vec<(String, String, u64)>> {
            if let Some(counts) = counts(pool, filter).await? {
                return Ok(counts);
            }
            let mut q = sqlx::QueryBuilder::new("SELECT o.workflow, o.status, COUNT(*) AS n");
            push_filter(&mut q, filter, false);
            q.push(" GROUP BY o.workflow, o.status ORDER BY o.workflow, o.status LIMIT ")
                .push_bind(i64::from(MAX_LIMIT));
            all(q.build(), pool, |row| {
                Ok((
                    get(row, "workflow")?,
                    get(row, "status")?,
                    uint(get(row, "n")?)?,
                ))
            })
            .await
        }

        // ----------------------------------------------------------- writes ---

        /// Runs `ops` on `conn`, inside the caller's transaction: each in a
        /// savepoint of its own when there are several, so a refused one
        /// (a version conflict, a duplicate) undoes only itself; then the
        /// count rows of those that held, once. Answers each op's result,
        /// and why the transaction as a whole can no longer commit, if so.
        pub(crate) async fn apply_all(
            conn: &mut $conn,
            ops: &[&Op],
        ) -> (Vec<Result<Done>>, Option<StoreError>) {
            use sqlx::Executor as _;
            async fn exec(conn: &mut $conn, sql: &'static str) -> Result<()> {
                conn.execute(sql).await.map(|_| ()).map_err(db)
            }
            let alone = ops.len() == 1;
            let mut counts = Vec::new();
            let mut results = Vec::with_capacity(ops.len());
            let mut broken: Option<StoreError> = None;
            for op in ops {
                if let Some(why) = &broken {
                    results.push(Err(why.clone()));
                    continue;
                }
                if !alone && let Err(e) = exec(conn, "SAVEPOINT write").await {
                    broken = Some(e.clone());
                    results.push(Err(e));
                    continue;
                }
                let mut moved = Vec::new();
                let result = apply(conn, op, &mut moved).await;
                let end = match (&result, alone) {
                    (Ok(_), true) => Ok(()),
                    (Ok(_), false) => exec(conn, "RELEASE write").await,
                    (Err(e), true) => Err(e.clone()),
                    (Err(_), false) => match exec(conn, "ROLLBACK TO write").await {
                        Ok(()) => exec(conn, "RELEASE write").await,
                        Err(e) => Err(e),
                    },
                };
                match end {
                    Ok(()) if result.is_ok() => counts.extend(moved),
                    Ok(()) => {}
                    Err(e) => broken = Some(e),
                }
                results.push(result);
            }
            if broken.is_none()
                && let Err(e) = apply_counts(conn, counts).await
            {
                broken = Some(e);
            }
            (results, broken)
        }

        async fn apply(
            conn: &mut $conn,
            op: &Op,
            counts: &mut Vec<$crate::counts::CountMove>,
        ) -> Result<Done> {
            match op {
                Op::Commit(commit) => commit_one(conn, commit, counts).await.map(|()| Done::Unit),
                Op::Inventory(op) => apply_inventory(conn, op).await.map(|()| Done::Unit),
                Op::CreateOrganization(org) => {
                    create_organization(conn, org).await.map(|()| Done::Unit)
                }
                Op::UpdateOrganization(org) => {
                    update_organization(conn, org).await.map(|()| Done::Unit)
                }
                Op::CreateUser(user) => create_user(conn, user).await.map(|()| Done::Unit),
                Op::UpdateUser(user) => update_user(conn, user).await.map(|()| Done::Unit),
                Op::CreateToken(token) => create_token(conn, token).await.map(|()| Done::Unit),
                Op::RevokeToken(id) => {
                    let done = sqlx::query("DELETE FROM api_tokens WHERE id = $1")
                        .bind(id)
                        .execute(&mut *conn)
                        .await
                        .map_err(db)?;
                    found(done.rows_affected(), || format!("token {id}")).map(|()| Done::Unit)
                }
                Op::ClaimOutbox {
                    now,
                    lease_secs,
                    limit,
                } => claim_outbox(conn, *now, *lease_secs, *limit)
                    .await
                    .map(Done::Claimed),
                Op::OutboxDelivered { id, at } => {
                    let done = sqlx::query(
                        "UPDATE outbox SET delivered_at = $1, lease_until = NULL WHERE id = $2",
                    )
                    .bind(micros(*at))
                    .bind(id)
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?;
                    found(done.rows_affected(), || format!("outbox message {id}"))
                        .map(|()| Done::Unit)
                }
                Op::OutboxFailed {
                    id,
                    error,
                    retry_at,
                } => {
                    let done = sqlx::query(
                        "UPDATE outbox SET available_at = $1, lease_until = NULL, last_error = $2 \
                         WHERE id = $3 AND delivered_at IS NULL",
                    )
                    .bind(micros(*retry_at))
                    .bind(error)
                    .bind(id)
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?;
                    found(done.rows_affected(), || format!("outbox message {id}"))
                        .map(|()| Done::Unit)
                }
                Op::PutFile(file, bytes) => put_file(conn, file, bytes).await.map(|()| Done::Unit),
                Op::Probe(at) => sqlx::query(
                    "INSERT INTO health (id, checked_at) VALUES (1, $1) \
                     ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
                )
                .bind(micros(*at))
                .execute(&mut *conn)
                .await
                .map(|_| Done::Unit)
                .map_err(db),
                Op::Account(op) => apply_account(conn, op).await.map(|()| Done::Unit),
                Op::Notification(op) => apply_notification(conn, op).await.map(Done::Count),
                Op::Workflow(op) => apply_workflow(conn, op).await.map(|()| Done::Unit),
                Op::Webhook(op) => apply_webhook(conn, op).await,
                Op::Schedule(op) => apply_schedule(conn, op).await,
                Op::NextNumber {
                    organization,
                    prefix,
                } => next_number(conn, organization, prefix).await.map(Done::Number),
            }
        }

        async fn create_organization(conn: &mut $conn, org: &Organization) -> Result<()> {
            let what = format!("organization {}", org.id);
            sqlx::query(
                "INSERT INTO organizations (id, name, settings, created_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(&org.id)
            .bind(&org.name)
            .bind(text(&org.settings)?)
            .bind(micros(org.created_at))
            .execute(&mut *conn)
            .await
            .map_err(refused(&what))?;
            Ok(())
        }

        async fn update_organization(conn: &mut $conn, org: &Organization) -> Result<()> {
            let done =
                sqlx::query("UPDATE organizations SET name = $1, settings = $2 WHERE id = $3")
                    .bind(&org.name)
                    .bind(text(&org.settings)?)
                    .bind(&org.id)
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?;
            found(done.rows_affected(), || format!("organization {}", org.id))
        }

        async fn update_user(conn: &mut $conn, user: &User) -> Result<()> {
            let done = sqlx::query(
                "UPDATE users SET name = $1, roles = $2, email = $3 WHERE id = $4",
            )
            .bind(&user.name)
            .bind(text(&user.roles)?)
            .bind(&user.email)
            .bind(&user.id)
            .execute(&mut *conn)
            .await
            .map_err(refused(&format!("user {}", user.id)))?;
            found(done.rows_affected(), || format!("user {}", user.id))
        }

        async fn exists(conn: &mut $conn, sql: &'static str, id: &str) -> Result<bool> {
            Ok(sqlx::query(sql)
                .bind(id)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db)?
                .is_some())
        }

        async fn create_user(conn: &mut $conn, user: &User) -> Result<()> {
            if !exists(
                conn,
                "SELECT 1 FROM organizations WHERE id = $1",
                &user.organization,
            )
            .await?
            {
                return Err(StoreError::NotFound(format!(
                    "organization {}",
                    user.organization
                )));
            }
            let what = format!("user {}", user.id);
            sqlx::query(
                "INSERT INTO users (id, name, organization, roles, email, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&user.id)
            .bind(&user.name)
            .bind(&user.organization)
            .bind(text(&user.roles)?)
            .bind(&user.email)
            .bind(micros(user.created_at))
            .execute(&mut *conn)
            .await
            .map_err(refused(&what))?;
            Ok(())
        }

        async fn create_token(conn: &mut $conn, token: &ApiToken) -> Result<()> {
            if !exists(conn, "SELECT 1 FROM users WHERE id = $1", &token.user).await? {
                return Err(StoreError::NotFound(format!("user {}", token.user)));
            }
            let what = format!("token {}", token.id);
            sqlx::query(
                "INSERT INTO api_tokens (id, user_id, name, sha256, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&token.id)
            .bind(&token.user)
            .bind(&token.name)
            .bind(&token.sha256[..])
            .bind(micros(token.created_at))
            .execute(&mut *conn)
            .await
            .map_err(refused(&what))?;
            Ok(())
        }

        async fn put_file(conn: &mut $conn, file: &StoredFile, bytes: &[u8]) -> Result<()> {
            let what = format!("file {}", file.id);
            sqlx::query(
                "INSERT INTO files (id, organization, uploaded_by, name, media_type, size, sha256, \
                 created_at, bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&file.id)
            .bind(&file.organization)
            .bind(&file.uploaded_by)
            .bind(&file.name)
            .bind(&file.media_type)
            .bind(int(file.size)?)
            .bind(&file.sha256[..])
            .bind(micros(file.created_at))
            .bind(bytes)
            .execute(&mut *conn)
            .await
            .map_err(refused(&what))?;
            Ok(())
        }

        async fn claim_outbox(
            conn: &mut $conn,
            now: DateTime<Utc>,
            lease_secs: u32,
            limit: u32,
        ) -> Result<Vec<OutboxMessage>> {
            let now_us = micros(now);
            let until = micros(now + Duration::seconds(i64::from(lease_secs)));
            let rows = sqlx::query(concat!(
                "UPDATE outbox SET lease_until = $1, attempts = attempts + 1 WHERE id IN ( \
                 SELECT id FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL \
                 AND available_at <= $2 \
                 AND (lease_until IS NULL OR lease_until <= $3) \
                 ORDER BY created_at, id LIMIT $4",
                $lock,
                ") RETURNING id, order_id, channel, party, organization, template, payload, \
                 created_at, attempts",
            ))
            .bind(until)
            .bind(now_us)
            .bind(now_us)
            .bind(i64::from(clamp_limit(limit)))
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
            let mut out = rows
                .iter()
                .map(outbox_message)
                .collect::<Result<Vec<_>>>()?;
            out.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
            Ok(out)
        }

        /// One change: everything or, on the first error, nothing (the caller
        /// rolls the transaction back). The conditional UPDATE on the version
        /// locks the order's row, so a racing commit waits, then finds the new
        /// version and is refused.
        /// Writes the change and adds the count rows it moves to `counts`
        /// (applied once for the whole transaction).
        async fn commit_one(
            conn: &mut $conn,
            c: &Commit,
            counts: &mut Vec<$crate::counts::CountMove>,
        ) -> Result<()> {
            let order = &c.order;
            if order.version != c.expected_version.saturating_add(1) {
                return Err(StoreError::Invalid(format!(
                    "order {} at version {} cannot follow version {}",
                    order.id, order.version, c.expected_version
                )));
            }
            let (Some(created_at), Some(updated_at)) = (order.created_at, order.updated_at) else {
                return Err(StoreError::Invalid(format!(
                    "order {} has no creation or update time",
                    order.id
                )));
            };
            let reference = order
                .data
                .get("reference")
                .and_then(|r| r.as_str())
                .map(str::to_owned);
            let snapshot = text(order)?;
            let search = $crate::search_text(order);
            if c.expected_version == 0 {
                sqlx::query(
                    "INSERT INTO orders (id, workflow, status, version, reference, created_at, \
                     updated_at, snapshot, workflow_version, number, number_org, status_since, \
                     search_text) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                )
                .bind(&order.id)
                .bind(&order.workflow)
                .bind(&order.status)
                .bind(int(order.version)?)
                .bind(&reference)
                .bind(micros(created_at))
                .bind(micros(updated_at))
                .bind(&snapshot)
                .bind(i64::from(order.workflow_version))
                .bind(&order.number)
                .bind(order.number.as_ref().and(c.numbered_by.as_ref()))
                .bind(order.status_since.map(micros))
                .bind(&search)
                .execute(&mut *conn)
                .await
                .map_err(refused(&format!("order {}", order.id)))?;
            } else {
                let done = sqlx::query(
                    "UPDATE orders SET status = $1, version = $2, reference = $3, updated_at = $4, \
                     snapshot = $5, workflow_version = $8, status_since = $9, search_text = $10 \
                     WHERE id = $6 AND version = $7",
                )
                .bind(&order.status)
                .bind(int(order.version)?)
                .bind(&reference)
                .bind(micros(updated_at))
                .bind(&snapshot)
                .bind(&order.id)
                .bind(int(c.expected_version)?)
                .bind(i64::from(order.workflow_version))
                .bind(order.status_since.map(micros))
                .bind(&search)
                .execute(&mut *conn)
                .await
                .map_err(db)?;
                if done.rows_affected() == 0 {
                    let current = sqlx::query("SELECT version FROM orders WHERE id = $1")
                        .bind(&order.id)
                        .fetch_optional(&mut *conn)
                        .await
                        .map_err(db)?;
                    return Err(match current {
                        Some(row) => StoreError::VersionConflict {
                            what: format!("order {}", order.id),
                            expected: c.expected_version,
                            current: uint(row.try_get("version").map_err(db)?)?,
                        },
                        None => StoreError::NotFound(format!("order {}", order.id)),
                    });
                }
            }
            // `before` is what is stored: the version check above held.
            let before = (c.expected_version > 0).then_some(&c.before);
            // Most changes fill no slot and show the order to no new slot:
            // their party rows stay as they are.
            let parties_moved = before.is_none_or(|b| !b.same_parties(order));
            if parties_moved && before.is_some() {
                sqlx::query("DELETE FROM order_parties WHERE order_id = $1")
                    .bind(&order.id)
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?;
            }
            for (slot, organization) in order.parties.iter().filter(|_| parties_moved) {
                sqlx::query(
                    "INSERT INTO order_parties (order_id, slot, organization, seen) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(&order.id)
                .bind(slot)
                .bind(organization)
                .bind(i64::from(order.seen_by.contains(slot)))
                .execute(&mut *conn)
                .await
                .map_err(db)?;
            }
            counts.extend($crate::counts::moves(before, order));

            for child in &c.new_children {
                sqlx::query(
                    "INSERT INTO order_children (order_id, id, kind, parent, seq, status, version, \
                     data, counts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&order.id)
                .bind(&child.id)
                .bind(&child.kind)
                .bind(&child.parent)
                .bind(int(child.seq)?)
                .bind(&child.status)
                .bind(int(child.version)?)
                .bind(text(&child.data)?)
                .bind(text(&child.counts)?)
                .execute(&mut *conn)
                .await
                .map_err(refused(&format!("{} of order {}", child.id, order.id)))?;
            }

            if let Some(child) = &c.child {
                let expected = child.version.saturating_sub(1);
                let done = sqlx::query(
                    "UPDATE order_children SET status = $1, version = $2, data = $3, counts = $4, \
                     parent = $5 WHERE order_id = $6 AND id = $7 AND version = $8",
                )
                .bind(&child.status)
                .bind(int(child.version)?)
                .bind(text(&child.data)?)
                .bind(text(&child.counts)?)
                .bind(&child.parent)
                .bind(&order.id)
                .bind(&child.id)
                .bind(int(expected)?)
                .execute(&mut *conn)
                .await
                .map_err(db)?;
                if done.rows_affected() == 0 {
                    let current = sqlx::query(
                        "SELECT version FROM order_children WHERE order_id = $1 AND id = $2",
                    )
                    .bind(&order.id)
                    .bind(&child.id)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(db)?;
                    let what = format!("{} of order {}", child.id, order.id);
                    return Err(match current {
                        Some(row) => StoreError::VersionConflict {
                            what,
                            expected,
                            current: uint(row.try_get("version").map_err(db)?)?,
                        },
                        None => StoreError::NotFound(what),
                    });
                }
            }

            take_stock(conn, &c.stock).await?;

            for moved in &c.moved_children {
                if moved.from.is_empty() {
                    continue;
                }
                let mut q: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new(
                    "UPDATE order_children SET version = version + 1, status = ",
                );
                q.push_bind(&moved.to)
                    .push(" WHERE order_id = ")
                    .push_bind(&order.id)
                    .push(" AND kind = ")
                    .push_bind(&moved.kind)
                    .push(" AND status IN (");
                let mut list = q.separated(", ");
                for from in &moved.from {
                    list.push_bind(from);
                }
                q.push(")");
                if let Some(child) = &c.child {
                    q.push(" AND id <> ").push_bind(&child.id);
                }
                q.build().execute(&mut *conn).await.map_err(db)?;
            }

            if !c.history.is_empty() {
                let last: i64 = sqlx::query(
                    "SELECT COALESCE(MAX(seq), 0) AS last FROM order_events WHERE order_id = $1",
                )
                .bind(&order.id)
                .fetch_one(&mut *conn)
                .await
                .map_err(db)?
                .try_get("last")
                .map_err(db)?;
                for (seq, entry) in (last + 1..).zip(&c.history) {
                    sqlx::query(
                        "INSERT INTO order_events (order_id, seq, version, at, user_id, \
                         organization, user_name, organization_name, hidden_from, step) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    )
                    .bind(&order.id)
                    .bind(seq)
                    .bind(int(entry.version)?)
                    .bind(micros(entry.at))
                    .bind(&entry.user)
                    .bind(&entry.organization)
                    .bind(&entry.user_name)
                    .bind(&entry.organization_name)
                    .bind(text(&entry.hidden_from)?)
                    .bind(text(&entry.step)?)
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?;
                }
            }

            for m in &c.outbox {
                sqlx::query(
                    "INSERT INTO outbox (id, order_id, channel, party, organization, template, \
                     payload, created_at, attempts, available_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9)",
                )
                .bind(&m.id)
                .bind(&order.id)
                .bind(&m.channel)
                .bind(&m.party)
                .bind(&m.organization)
                .bind(&m.template)
                .bind(text(&m.payload)?)
                .bind(micros(m.created_at))
                .bind(micros(m.created_at))
                .execute(&mut *conn)
                .await
                .map_err(refused(&format!("outbox message {}", m.id)))?;
            }

            insert_webhook_deliveries(conn, &order.id, &c.webhooks).await?;
            write_timers(conn, c).await?;

            if let Some(i) = &c.idempotency {
                sqlx::query(
                    "INSERT INTO idempotency (user_id, key, request_sha256, status, body, \
                     created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&i.user)
                .bind(&i.key)
                .bind(&i.request_sha256[..])
                .bind(i64::from(i.status))
                .bind(text(&i.body)?)
                .bind(micros(i.created_at))
                .execute(&mut *conn)
                .await
                .map_err(refused(&format!("idempotency key {:?}", i.key)))?;
            }
            Ok(())
        }

        $crate::sql_accounts!(database: $db, row: $row, pool: $pool, connection: $conn);
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
            claim_lock: $lock
        );
        $crate::sql_counts!(pool: $pool, connection: $conn);
        $crate::sql_numbers!(database: $db, row: $row, pool: $pool, connection: $conn);
        $crate::sql_inventory!(database: $db, row: $row, pool: $pool, connection: $conn, store: $store, reads: $reads);

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
                order(&self.$reads, id).await
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
