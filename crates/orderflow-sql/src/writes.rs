//! [`sql_writes!`]: every write ([`Op`](crate::Op)) run on one connection
//! inside the caller's transaction, each in a savepoint of its own or none
//! ([`Apart`](crate::Apart)), and the counts they move; expanded by
//! [`sql_store!`](crate::sql_store) into the same module.

/// Expands to `apply_all(conn, ops, apart)` and `apply(conn, op, counts)`.
#[doc(hidden)]
#[macro_export]
macro_rules! sql_writes {
    (connection: $conn:ty) => {
        /// Runs `ops` on `conn`, inside the caller's transaction: with
        /// [`Apart::Savepoints`](crate::Apart), each in a savepoint of its
        /// own when there are several, so a refused one (a version
        /// conflict, a duplicate) undoes only itself; optimistically,
        /// without, the first refused one breaking the transaction. Then
        /// the count rows of those that held, once. Answers each op's
        /// result, and why the transaction as a whole can no longer commit,
        /// if so.
        pub(crate) async fn apply_all(
            conn: &mut $conn,
            ops: &[&Op],
            apart: $crate::Apart,
        ) -> (Vec<Result<Done>>, Option<StoreError>) {
            async fn exec(conn: &mut $conn, sql: &'static str) -> Result<()> {
                query(sql).execute(&mut *conn).await.map(|_| ()).map_err(db)
            }
            let alone = ops.len() == 1 || apart == $crate::Apart::Optimistic;
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
                    // With no savepoint to go back to, the transaction is
                    // the change's.
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
                    let done = query("DELETE FROM api_tokens WHERE id = $1")
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
                    let done = query(
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
                    let done = query(
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
                Op::DeleteFile { id, uploaded_by } => {
                    let done = query("DELETE FROM files WHERE id = $1 AND uploaded_by = $2")
                        .bind(id)
                        .bind(uploaded_by)
                        .execute(&mut *conn)
                        .await
                        .map_err(db)?;
                    found(done.rows_affected(), || format!("file {id}")).map(|()| Done::Unit)
                }
                Op::Probe(at) => query(
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
                } => next_number(conn, organization, prefix)
                    .await
                    .map(Done::Number),
            }
        }
    };
}
