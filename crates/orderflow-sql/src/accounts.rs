//! [`sql_accounts!`]: passwords and browser sessions, expanded by
//! [`sql_store!`](crate::sql_store) into the same module, where it uses the
//! row mapping and helpers defined there.

/// Expands to the reads `user_by_email`, `password`, `session` and the
/// write `apply_account(conn, op)` of an [`AccountOp`](crate::AccountOp).
#[doc(hidden)]
#[macro_export]
macro_rules! sql_accounts {
    (row: $row:ty, pool: $pool:ty, connection: $conn:ty) => {
        async fn user_by_email(pool: &$pool, email: &str) -> Result<Option<User>> {
            optional(
                query(AssertSqlSafe(format!(
                    "SELECT {USER_COLUMNS} FROM {USERS} WHERE lower(u.email) = lower($1) \
                     ORDER BY u.id LIMIT 1"
                )))
                .bind(email),
                pool,
                user_of,
            )
            .await
        }

        async fn password(pool: &$pool, user: &str) -> Result<Option<String>> {
            Ok(optional(
                query("SELECT password_hash FROM users WHERE id = $1").bind(user),
                pool,
                |row| get::<Option<String>>(row, "password_hash"),
            )
            .await?
            .flatten())
        }

        async fn session(pool: &$pool, sha256: &[u8; 32]) -> Result<Option<(Session, User)>> {
            optional(
                query(AssertSqlSafe(format!(
                    "SELECT s.sha256, s.user_id, s.csrf_token, s.created_at AS session_created_at, \
                     s.last_seen_at, s.expires_at, {USER_COLUMNS} \
                     FROM sessions s JOIN users u ON u.id = s.user_id \
                     LEFT JOIN organizations g ON g.id = u.organization WHERE s.sha256 = $1"
                )))
                .bind(&sha256[..]),
                pool,
                |row| {
                    let session = Session {
                        sha256: hash(row, "sha256")?,
                        user: get(row, "user_id")?,
                        csrf_token: get(row, "csrf_token")?,
                        created_at: time(row, "session_created_at")?,
                        last_seen_at: time(row, "last_seen_at")?,
                        expires_at: time(row, "expires_at")?,
                    };
                    Ok((session, user_of(row)?))
                },
            )
            .await
        }

        async fn apply_account(conn: &mut $conn, op: &AccountOp) -> Result<()> {
            match op {
                AccountOp::SetPassword { user, phc } => {
                    let done = query("UPDATE users SET password_hash = $1 WHERE id = $2")
                        .bind(phc)
                        .bind(user)
                        .execute(&mut *conn)
                        .await
                        .map_err(db)?;
                    found(done.rows_affected(), || format!("user {user}"))
                }
                AccountOp::CreateSession(s) => {
                    if !exists(conn, "SELECT 1 FROM users WHERE id = $1", &s.user).await? {
                        return Err(StoreError::NotFound(format!("user {}", s.user)));
                    }
                    query(
                        "INSERT INTO sessions (sha256, user_id, csrf_token, created_at, \
                         last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(&s.sha256[..])
                    .bind(&s.user)
                    .bind(&s.csrf_token)
                    .bind(micros(s.created_at))
                    .bind(micros(s.last_seen_at))
                    .bind(micros(s.expires_at))
                    .execute(&mut *conn)
                    .await
                    .map_err(refused("session"))?;
                    Ok(())
                }
                AccountOp::TouchSession { sha256, at } => {
                    let done = query("UPDATE sessions SET last_seen_at = $1 WHERE sha256 = $2")
                        .bind(micros(*at))
                        .bind(&sha256[..])
                        .execute(&mut *conn)
                        .await
                        .map_err(db)?;
                    found(done.rows_affected(), || "session".to_owned())
                }
                AccountOp::DeleteSession(sha256) => {
                    query("DELETE FROM sessions WHERE sha256 = $1")
                        .bind(&sha256[..])
                        .execute(&mut *conn)
                        .await
                        .map_err(db)?;
                    Ok(())
                }
                AccountOp::DeleteSessions(user) => {
                    query("DELETE FROM sessions WHERE user_id = $1")
                        .bind(user)
                        .execute(&mut *conn)
                        .await
                        .map_err(db)?;
                    Ok(())
                }
                AccountOp::DeleteEndedSessions { now, idle_since } => {
                    query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
                        .bind(micros(*now))
                        .bind(micros(*idle_since))
                        .execute(&mut *conn)
                        .await
                        .map_err(db)?;
                    Ok(())
                }
            }
        }
    };
}
