//! [`sql_webhooks!`]: webhook endpoints and deliveries, expanded by
//! [`sql_store!`](crate::sql_store) into the same module, where it uses the
//! row mapping and helpers defined there.

/// Expands to the webhook reads, `apply_webhook(conn, op)` for a
/// [`WebhookOp`](crate::WebhookOp), `insert_webhook_deliveries` (called by
/// the commit) and `impl WebhookStore for store`. `claim_lock` is the
/// claim's row lock, as for the outbox.
#[doc(hidden)]
#[macro_export]
macro_rules! sql_webhooks {
    (
        row: $row:ty,
        pool: $pool:ty,
        connection: $conn:ty,
        store: $store:ty,
        reads: $reads:ident,
        cache: $cache:ident,
        claim_lock: $lock:literal
    ) => {
        use $crate::WebhookOp;
        use $crate::__private::orderflow_store::{WebhookDelivery, WebhookEndpoint};

        const ENDPOINT_COLUMNS: &str =
            "id, organization, url, secret, workflows, events, actions, created_at";
        const DELIVERY_COLUMNS: &str = "id, endpoint, organization, order_id, event, payload, \
             created_at, retrying_since, attempts, available_at, delivered_at, dead_at, \
             last_error";

        fn endpoint_of(row: &$row) -> Result<WebhookEndpoint> {
            Ok(WebhookEndpoint {
                id: get(row, "id")?,
                organization: get(row, "organization")?,
                url: get(row, "url")?,
                secret: get(row, "secret")?,
                workflows: parse(row, "workflows")?,
                events: parse(row, "events")?,
                actions: parse(row, "actions")?,
                created_at: time(row, "created_at")?,
            })
        }

        fn maybe_time(row: &$row, column: &str) -> Result<Option<DateTime<Utc>>> {
            get::<Option<i64>>(row, column)?.map(from_micros).transpose()
        }

        fn delivery_of(row: &$row) -> Result<WebhookDelivery> {
            Ok(WebhookDelivery {
                id: get(row, "id")?,
                endpoint: get(row, "endpoint")?,
                organization: get(row, "organization")?,
                order_id: get(row, "order_id")?,
                event: get(row, "event")?,
                payload: parse(row, "payload")?,
                created_at: time(row, "created_at")?,
                retrying_since: maybe_time(row, "retrying_since")?,
                attempts: u32::try_from(get::<i64>(row, "attempts")?).map_err(backend)?,
                next_attempt_at: maybe_time(row, "available_at")?,
                delivered_at: maybe_time(row, "delivered_at")?,
                dead_at: maybe_time(row, "dead_at")?,
                last_error: get(row, "last_error")?,
            })
        }

        async fn webhook(pool: &$pool, id: &str) -> Result<Option<WebhookEndpoint>> {
            optional(
                query(AssertSqlSafe(format!(
                    "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1"
                )))
                .bind(id),
                pool,
                endpoint_of,
            )
            .await
        }

        async fn webhooks(pool: &$pool, organization: &str) -> Result<Vec<WebhookEndpoint>> {
            all(
                query(AssertSqlSafe(format!(
                    "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE organization = $1 \
                     ORDER BY created_at, id LIMIT $2"
                )))
                .bind(organization)
                .bind(i64::from(MAX_LIMIT)),
                pool,
                endpoint_of,
            )
            .await
        }

        async fn webhook_deliveries(
            pool: &$pool,
            endpoint: &str,
            limit: u32,
        ) -> Result<Vec<WebhookDelivery>> {
            all(
                query(AssertSqlSafe(format!(
                    "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE endpoint = $1 \
                     ORDER BY created_at DESC, id DESC LIMIT $2"
                )))
                .bind(endpoint)
                .bind(i64::from(clamp_limit(limit))),
                pool,
                delivery_of,
            )
            .await
        }

        async fn webhook_delivery(pool: &$pool, id: &str) -> Result<Option<WebhookDelivery>> {
            optional(
                query(AssertSqlSafe(format!(
                    "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1"
                )))
                .bind(id),
                pool,
                delivery_of,
            )
            .await
        }

        /// The deliveries of one change, inside its transaction.
        async fn insert_webhook_deliveries(
            conn: &mut $conn,
            order_id: &str,
            deliveries: &[WebhookDelivery],
        ) -> Result<()> {
            for d in deliveries {
                query(
                    "INSERT INTO webhook_deliveries (id, endpoint, organization, order_id, event, \
                     payload, created_at, attempts, available_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8)",
                )
                .bind(&d.id)
                .bind(&d.endpoint)
                .bind(&d.organization)
                .bind(order_id)
                .bind(&d.event)
                .bind(text(&d.payload)?)
                .bind(micros(d.created_at))
                .bind(micros(d.created_at))
                .execute(&mut *conn)
                .await
                .map_err(refused(&format!("webhook delivery {}", d.id)))?;
            }
            Ok(())
        }

        async fn claim_webhook_deliveries(
            conn: &mut $conn,
            now: DateTime<Utc>,
            lease_secs: u32,
            limit: u32,
        ) -> Result<Vec<WebhookDelivery>> {
            let now_us = micros(now);
            let until = micros(now + Duration::seconds(i64::from(lease_secs)));
            let rows = query(AssertSqlSafe(format!(
                "UPDATE webhook_deliveries SET lease_until = $1, attempts = attempts + 1 \
                 WHERE id IN ( \
                 SELECT id FROM webhook_deliveries WHERE available_at IS NOT NULL \
                 AND available_at <= $2 AND (lease_until IS NULL OR lease_until <= $3) \
                 ORDER BY available_at, created_at, id LIMIT $4{}) RETURNING {DELIVERY_COLUMNS}",
                $lock
            )))
            .bind(until)
            .bind(now_us)
            .bind(now_us)
            .bind(i64::from(clamp_limit(limit)))
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
            let mut out = rows
                .iter()
                .map(delivery_of)
                .collect::<Result<Vec<_>>>()?;
            out.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
            Ok(out)
        }

        async fn apply_webhook(conn: &mut $conn, op: &WebhookOp) -> Result<Done> {
            let (done, what) = match op {
                WebhookOp::Create(e) => {
                    if !exists(conn, "SELECT 1 FROM organizations WHERE id = $1", &e.organization)
                        .await?
                    {
                        return Err(StoreError::NotFound(format!(
                            "organization {}",
                            e.organization
                        )));
                    }
                    query(
                        "INSERT INTO webhook_endpoints (id, organization, url, secret, workflows, \
                         events, actions, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(&e.id)
                    .bind(&e.organization)
                    .bind(&e.url)
                    .bind(&e.secret)
                    .bind(text(&e.workflows)?)
                    .bind(text(&e.events)?)
                    .bind(text(&e.actions)?)
                    .bind(micros(e.created_at))
                    .execute(&mut *conn)
                    .await
                    .map_err(refused(&format!("webhook {}", e.id)))?;
                    return Ok(Done::Unit);
                }
                WebhookOp::Delete(id) => {
                    query("DELETE FROM webhook_deliveries WHERE endpoint = $1")
                        .bind(id)
                        .execute(&mut *conn)
                        .await
                        .map_err(db)?;
                    let done = query("DELETE FROM webhook_endpoints WHERE id = $1")
                        .bind(id)
                        .execute(&mut *conn)
                        .await
                        .map_err(db)?;
                    (done, format!("webhook {id}"))
                }
                WebhookOp::Claim {
                    now,
                    lease_secs,
                    limit,
                } => {
                    return claim_webhook_deliveries(conn, *now, *lease_secs, *limit)
                        .await
                        .map(Done::Deliveries);
                }
                WebhookOp::Delivered { id, at } => {
                    let done = query(
                        "UPDATE webhook_deliveries SET delivered_at = $1, available_at = NULL, \
                         lease_until = NULL, last_error = NULL WHERE id = $2",
                    )
                    .bind(micros(*at))
                    .bind(id)
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?;
                    (done, format!("webhook delivery {id}"))
                }
                WebhookOp::Failed {
                    id,
                    error,
                    retry_at,
                    at,
                } => {
                    let dead_at = retry_at.is_none().then(|| micros(*at));
                    let done = query(
                        "UPDATE webhook_deliveries SET available_at = $1, dead_at = $2, \
                         lease_until = NULL, last_error = $3 WHERE id = $4 AND delivered_at IS NULL",
                    )
                    .bind(retry_at.map(micros))
                    .bind(dead_at)
                    .bind(error)
                    .bind(id)
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?;
                    (done, format!("webhook delivery {id}"))
                }
                WebhookOp::Redeliver { id, now } => {
                    let done = query(
                        "UPDATE webhook_deliveries SET available_at = $1, retrying_since = $1, \
                         attempts = 0, lease_until = NULL, delivered_at = NULL, dead_at = NULL \
                         WHERE id = $2",
                    )
                    .bind(micros(*now))
                    .bind(id)
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?;
                    (done, format!("webhook delivery {id}"))
                }
            };
            found(done.rows_affected(), || what).map(|()| Done::Unit)
        }

        #[$crate::__private::async_trait::async_trait]
        impl $crate::__private::orderflow_store::WebhookStore for $store {
            async fn create_webhook(&self, endpoint: &WebhookEndpoint) -> Result<()> {
                write_unit(self, Op::Webhook(WebhookOp::Create(endpoint.clone()))).await
            }

            async fn webhook(&self, id: &str) -> Result<Option<WebhookEndpoint>> {
                webhook(&self.$reads, id).await
            }

            async fn webhooks(&self, organization: &str) -> Result<Vec<WebhookEndpoint>> {
                self.$cache
                    .webhooks(organization, webhooks(&self.$reads, organization))
                    .await
            }

            async fn delete_webhook(&self, id: &str) -> Result<()> {
                write_unit(self, Op::Webhook(WebhookOp::Delete(id.to_owned()))).await
            }

            async fn webhook_deliveries(
                &self,
                endpoint: &str,
                limit: u32,
            ) -> Result<Vec<WebhookDelivery>> {
                webhook_deliveries(&self.$reads, endpoint, limit).await
            }

            async fn webhook_delivery(&self, id: &str) -> Result<Option<WebhookDelivery>> {
                webhook_delivery(&self.$reads, id).await
            }

            async fn claim_webhook_deliveries(
                &self,
                now: DateTime<Utc>,
                lease_secs: u32,
                limit: u32,
            ) -> Result<Vec<WebhookDelivery>> {
                let op = WebhookOp::Claim {
                    now,
                    lease_secs,
                    limit,
                };
                match self.write(Op::Webhook(op)).await? {
                    Done::Deliveries(claimed) => Ok(claimed),
                    _ => Ok(Vec::new()),
                }
            }

            async fn webhook_delivered(&self, id: &str, at: DateTime<Utc>) -> Result<()> {
                let op = WebhookOp::Delivered {
                    id: id.to_owned(),
                    at,
                };
                write_unit(self, Op::Webhook(op)).await
            }

            async fn webhook_failed(
                &self,
                id: &str,
                error: &str,
                retry_at: Option<DateTime<Utc>>,
                at: DateTime<Utc>,
            ) -> Result<()> {
                let op = WebhookOp::Failed {
                    id: id.to_owned(),
                    error: error.to_owned(),
                    retry_at,
                    at,
                };
                write_unit(self, Op::Webhook(op)).await
            }

            async fn redeliver_webhook(&self, id: &str, now: DateTime<Utc>) -> Result<()> {
                let op = WebhookOp::Redeliver {
                    id: id.to_owned(),
                    now,
                };
                write_unit(self, Op::Webhook(op)).await
            }
        }
    };
}
