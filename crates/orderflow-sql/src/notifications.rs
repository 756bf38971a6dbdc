//! [`sql_notifications!`]: the inbox, e-mail opt-outs and dead letters,
//! expanded by [`sql_store!`](crate::sql_store) into the same module, where
//! it uses the row mapping and helpers defined there.

/// Expands to the write `apply_notification(conn, op)` of a
/// [`NotificationOp`](crate::NotificationOp) and
/// `impl Notifications for store`.
#[doc(hidden)]
#[macro_export]
macro_rules! sql_notifications {
    (row: $row:ty, pool: $pool:ty, connection: $conn:ty, store: $store:ty, reads: $reads:ident) => {
        use $crate::NotificationOp;
        use $crate::__private::orderflow_core::mail::PEOPLE_CHANNELS;
        use $crate::__private::orderflow_store::{DeadLetter, InboxEntry};

        /// The outbox columns of a message, as `outbox_message` reads them.
        const MESSAGE_COLUMNS: &str = "o.id, o.order_id, o.channel, o.party, o.organization, \
             o.template, o.payload, o.created_at, o.attempts";
        /// 0 for an unread message, 1 for a read one: the inbox's first key.
        const READ_FLAG: &str = "(CASE WHEN r.read_at IS NULL THEN 0 ELSE 1 END)";

        /// The inbox cursor is an order-list cursor whose id is prefixed
        /// with the read flag of the last message (`0` or `1`).
        fn inbox_cursor(read: bool, created: DateTime<Utc>, id: &str) -> String {
            Cursor {
                key_micros: micros(created),
                id: format!("{}{id}", u8::from(read)),
            }
            .encode()
        }

        fn inbox_after(cursor: &str) -> Result<(i64, i64, String)> {
            let c = Cursor::decode(cursor)?;
            let bad = || StoreError::Invalid(format!("cursor {cursor:?} is not one this server gave"));
            let (flag, id) = match c.id.split_at_checked(1) {
                Some(("0", id)) => (0, id),
                Some(("1", id)) => (1, id),
                _ => return Err(bad()),
            };
            Ok((flag, c.key_micros, id.to_owned()))
        }

        async fn inbox(
            pool: &$pool,
            user: &str,
            organization: &str,
            cursor: Option<&str>,
            limit: u32,
        ) -> Result<Page<InboxEntry>> {
            let after = cursor.map(inbox_after).transpose()?;
            let limit = clamp_limit(limit);
            let mut q = QueryBuilder::new("SELECT ");
            q.push(MESSAGE_COLUMNS)
                .push(", r.read_at FROM outbox o LEFT JOIN notification_reads r ON r.message_id = o.id AND r.user_id = ")
                .push_bind(user.to_owned())
                .push(" WHERE o.organization = ")
                .push_bind(organization.to_owned())
                .push(" AND o.channel IN (")
                .push_bind(PEOPLE_CHANNELS[0])
                .push(", ")
                .push_bind(PEOPLE_CHANNELS[1])
                .push(")");
            if let Some((flag, created, id)) = after {
                q.push(" AND (")
                    .push(READ_FLAG)
                    .push(" > ")
                    .push_bind(flag)
                    .push(" OR (")
                    .push(READ_FLAG)
                    .push(" = ")
                    .push_bind(flag)
                    .push(" AND (o.created_at < ")
                    .push_bind(created)
                    .push(" OR (o.created_at = ")
                    .push_bind(created)
                    .push(" AND o.id < ")
                    .push_bind(id)
                    .push("))))");
            }
            q.push(" ORDER BY ")
                .push(READ_FLAG)
                .push(", o.created_at DESC, o.id DESC LIMIT ")
                .push_bind(i64::from(limit) + 1);
            let rows = q.build().fetch_all(pool).await.map_err(db)?;
            let mut items = rows
                .iter()
                .map(|row| {
                    Ok(InboxEntry {
                        message: outbox_message(row)?,
                        read_at: get::<Option<i64>>(row, "read_at")?
                            .map(from_micros)
                            .transpose()?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let more = items.len() > limit as usize;
            items.truncate(limit as usize);
            let next_cursor = match items.last() {
                Some(last) if more => Some(inbox_cursor(
                    last.read_at.is_some(),
                    last.message.created_at,
                    &last.message.id,
                )),
                _ => None,
            };
            Ok(Page { items, next_cursor })
        }

        async fn inbox_unread(pool: &$pool, user: &str, organization: &str) -> Result<u64> {
            let row = query(
                "SELECT COUNT(*) AS n FROM outbox o WHERE o.organization = $1 \
                 AND o.channel IN ($2, $3) AND NOT EXISTS (SELECT 1 FROM notification_reads r \
                 WHERE r.message_id = o.id AND r.user_id = $4)",
            )
            .bind(organization)
            .bind(PEOPLE_CHANNELS[0])
            .bind(PEOPLE_CHANNELS[1])
            .bind(user)
            .fetch_one(pool)
            .await
            .map_err(db)?;
            uint(get(&row, "n")?)
        }

        async fn email_opt_outs(pool: &$pool, user: &str) -> Result<Vec<String>> {
            all(
                query(
                    "SELECT template FROM email_opt_outs WHERE user_id = $1 ORDER BY template",
                )
                .bind(user),
                pool,
                |row| get::<String>(row, "template"),
            )
            .await
        }

        async fn dead_letters(pool: &$pool, limit: u32) -> Result<Vec<DeadLetter>> {
            all(
                query(
                    "SELECT o.id, o.order_id, o.channel, o.party, o.organization, o.template, \
                     o.payload, o.created_at, o.attempts, o.last_error, o.dead_at \
                     FROM outbox o WHERE o.dead_at IS NOT NULL \
                     ORDER BY o.dead_at DESC, o.id DESC LIMIT $1",
                )
                .bind(i64::from(clamp_limit(limit))),
                pool,
                |row| {
                    Ok(DeadLetter {
                        message: outbox_message(row)?,
                        last_error: get::<Option<String>>(row, "last_error")?.unwrap_or_default(),
                        dead_at: time(row, "dead_at")?,
                    })
                },
            )
            .await
        }

        async fn apply_notification(conn: &mut $conn, op: &NotificationOp) -> Result<u64> {
            match op {
                NotificationOp::MarkRead {
                    user,
                    organization,
                    message,
                    at,
                } => {
                    let in_inbox = query(
                        "SELECT 1 FROM outbox WHERE id = $1 AND organization = $2 \
                         AND channel IN ($3, $4)",
                    )
                    .bind(message)
                    .bind(organization)
                    .bind(PEOPLE_CHANNELS[0])
                    .bind(PEOPLE_CHANNELS[1])
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(db)?
                    .is_some();
                    if !in_inbox {
                        return Err(StoreError::NotFound(format!("notification {message}")));
                    }
                    let done = query(
                        "INSERT INTO notification_reads (user_id, message_id, read_at) \
                         VALUES ($1, $2, $3) ON CONFLICT (user_id, message_id) DO NOTHING",
                    )
                    .bind(user)
                    .bind(message)
                    .bind(micros(*at))
                    .execute(&mut *conn)
                    .await
                    .map_err(refused(&format!("user {user}")))?;
                    Ok(done.rows_affected())
                }
                NotificationOp::MarkAllRead {
                    user,
                    organization,
                    at,
                } => {
                    let done = query(
                        "INSERT INTO notification_reads (user_id, message_id, read_at) \
                         SELECT $1, o.id, $2 FROM outbox o \
                         WHERE o.organization = $3 AND o.channel IN ($4, $5) AND NOT EXISTS \
                         (SELECT 1 FROM notification_reads r \
                         WHERE r.message_id = o.id AND r.user_id = $6)",
                    )
                    .bind(user)
                    .bind(micros(*at))
                    .bind(organization)
                    .bind(PEOPLE_CHANNELS[0])
                    .bind(PEOPLE_CHANNELS[1])
                    .bind(user)
                    .execute(&mut *conn)
                    .await
                    .map_err(refused(&format!("user {user}")))?;
                    Ok(done.rows_affected())
                }
                NotificationOp::SetOptOuts { user, templates } => {
                    if !exists(conn, "SELECT 1 FROM users WHERE id = $1", user).await? {
                        return Err(StoreError::NotFound(format!("user {user}")));
                    }
                    query("DELETE FROM email_opt_outs WHERE user_id = $1")
                        .bind(user)
                        .execute(&mut *conn)
                        .await
                        .map_err(db)?;
                    for template in templates {
                        query(
                            "INSERT INTO email_opt_outs (user_id, template) VALUES ($1, $2) \
                             ON CONFLICT (user_id, template) DO NOTHING",
                        )
                        .bind(user)
                        .bind(template)
                        .execute(&mut *conn)
                        .await
                        .map_err(db)?;
                    }
                    Ok(0)
                }
                NotificationOp::Dead { id, error, at } => {
                    let done = query(
                        "UPDATE outbox SET dead_at = $1, last_error = $2, lease_until = NULL \
                         WHERE id = $3 AND delivered_at IS NULL",
                    )
                    .bind(micros(*at))
                    .bind(error)
                    .bind(id)
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?;
                    found(done.rows_affected(), || format!("outbox message {id}"))?;
                    Ok(0)
                }
            }
        }

        async fn write_notification(store: &$store, op: NotificationOp) -> Result<u64> {
            match store.write(Op::Notification(op)).await? {
                Done::Count(n) => Ok(n),
                _ => Ok(0),
            }
        }

        #[$crate::__private::async_trait::async_trait]
        impl $crate::__private::orderflow_store::Notifications for $store {
            async fn inbox(
                &self,
                user: &str,
                organization: &str,
                cursor: Option<&str>,
                limit: u32,
            ) -> Result<Page<InboxEntry>> {
                inbox(&self.$reads, user, organization, cursor, limit).await
            }

            async fn inbox_unread(&self, user: &str, organization: &str) -> Result<u64> {
                inbox_unread(&self.$reads, user, organization).await
            }

            async fn mark_read(
                &self,
                user: &str,
                organization: &str,
                message: &str,
                at: DateTime<Utc>,
            ) -> Result<()> {
                let op = NotificationOp::MarkRead {
                    user: user.to_owned(),
                    organization: organization.to_owned(),
                    message: message.to_owned(),
                    at,
                };
                write_notification(self, op).await.map(|_| ())
            }

            async fn mark_all_read(
                &self,
                user: &str,
                organization: &str,
                at: DateTime<Utc>,
            ) -> Result<u64> {
                let op = NotificationOp::MarkAllRead {
                    user: user.to_owned(),
                    organization: organization.to_owned(),
                    at,
                };
                write_notification(self, op).await
            }

            async fn email_opt_outs(&self, user: &str) -> Result<Vec<String>> {
                email_opt_outs(&self.$reads, user).await
            }

            async fn set_email_opt_outs(&self, user: &str, templates: &[String]) -> Result<()> {
                let op = NotificationOp::SetOptOuts {
                    user: user.to_owned(),
                    templates: templates.to_vec(),
                };
                write_notification(self, op).await.map(|_| ())
            }

            async fn outbox_dead(&self, id: &str, error: &str, at: DateTime<Utc>) -> Result<()> {
                let op = NotificationOp::Dead {
                    id: id.to_owned(),
                    error: error.to_owned(),
                    at,
                };
                write_notification(self, op).await.map(|_| ())
            }

            async fn dead_letters(&self, limit: u32) -> Result<Vec<DeadLetter>> {
                dead_letters(&self.$reads, limit).await
            }
        }
    };
}
