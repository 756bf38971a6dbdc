//! [`sql_outbox!`]: the outbox's messages claimed for delivery, expanded by
//! [`sql_store!`](crate::sql_store) into the same module.

/// Expands to `outbox_message(row)` and `claim_outbox(conn, now, lease, limit)`.
#[doc(hidden)]
#[macro_export]
macro_rules! sql_outbox {
    (row: $row:ty, connection: $conn:ty, claim_lock: $lock:literal) => {
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

        async fn claim_outbox(
            conn: &mut $conn,
            now: DateTime<Utc>,
            lease_secs: u32,
            limit: u32,
        ) -> Result<Vec<OutboxMessage>> {
            let now_us = micros(now);
            let until = micros(now + Duration::seconds(i64::from(lease_secs)));
            let rows = query(concat!(
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
    };
}
