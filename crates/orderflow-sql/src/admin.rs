//! [`sql_admin!`]: organisations, users and API tokens, expanded by
//! [`sql_store!`](crate::sql_store) into the same module, where it uses the
//! row mapping and helpers defined there.

/// Expands to their row mapping (`organization_of`, `user_of`, with
/// `USER_COLUMNS` and `USERS`), their reads and their writes.
#[doc(hidden)]
#[macro_export]
macro_rules! sql_admin {
    (row: $row:ty, pool: $pool:ty, connection: $conn:ty) => {
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

        /// A user's columns, read through `USERS` (the organisation's name
        /// joined in).
        const USER_COLUMNS: &str = "u.id, u.name, u.organization, u.roles, u.email, u.created_at, \
             coalesce(g.name, '') AS organization_name";
        const USERS: &str = "users u LEFT JOIN organizations g ON g.id = u.organization";

        async fn organization(pool: &$pool, id: &str) -> Result<Option<Organization>> {
            optional(
                query("SELECT id, name, settings, created_at FROM organizations WHERE id = $1")
                    .bind(id),
                pool,
                organization_of,
            )
            .await
        }

        async fn organizations(pool: &$pool) -> Result<Vec<Organization>> {
            all(
                query(
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
                query(AssertSqlSafe(format!(
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
                query(AssertSqlSafe(format!(
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
                query(
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
                query(AssertSqlSafe(format!(
                    "SELECT {USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
                     LEFT JOIN organizations g ON g.id = u.organization WHERE t.sha256 = $1"
                )))
                .bind(&sha256[..]),
                pool,
                user_of,
            )
            .await
        }

        async fn create_organization(conn: &mut $conn, org: &Organization) -> Result<()> {
            let what = format!("organization {}", org.id);
            query(
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
            let done = query("UPDATE organizations SET name = $1, settings = $2 WHERE id = $3")
                .bind(&org.name)
                .bind(text(&org.settings)?)
                .bind(&org.id)
                .execute(&mut *conn)
                .await
                .map_err(db)?;
            found(done.rows_affected(), || format!("organization {}", org.id))
        }

        async fn update_user(conn: &mut $conn, user: &User) -> Result<()> {
            let done = query("UPDATE users SET name = $1, roles = $2, email = $3 WHERE id = $4")
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
            Ok(query(sql)
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
            query(
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
            query(
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
    };
}
