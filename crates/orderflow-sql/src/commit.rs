//! [`sql_commit!`]: the write of one change (`commit_one`: the snapshot,
//! version-checked, its party rows, children, history, outbox, timers,
//! stock and idempotency record) and the read of an idempotency record,
//! expanded by [`sql_store!`](crate::sql_store) into the same module.

/// Expands to `commit_one(conn, commit, counts)` and `idempotency(pool, user, key)`.
#[doc(hidden)]
#[macro_export]
macro_rules! sql_commit {
    (row: $row:ty, pool: $pool:ty, connection: $conn:ty) => {
        async fn idempotency(
            pool: &$pool,
            user: &str,
            key: &str,
        ) -> Result<Option<Idempotency>> {
            optional(
        query(
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
                query(
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
                let done = query(
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
                    let current = query("SELECT version FROM orders WHERE id = $1")
                        .bind(&order.id)
                        .fetch_optional(&mut *conn)
                        .await
                        .map_err(db)?;
                    return Err(match current {
                        Some(row) => StoreError::VersionConflict {
                            what: format!("order {}", order.id),
                            expected: c.expected_version,
                            current: uint(get(&row, "version")?)?,
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
                query("DELETE FROM order_parties WHERE order_id = $1")
                    .bind(&order.id)
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?;
            }
            for (slot, organization) in order.parties.iter().filter(|_| parties_moved) {
                query(
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

            for created in &c.new_children {
                // Alike but for their number: the data is written out once.
                let data = text(&created.data)?;
                let counts = text(&$crate::__private::orderflow_core::model::Counts::new())?;
                for n in created.numbers() {
                    let id = created.id(n);
                    query(
                        "INSERT INTO order_children (order_id, id, kind, parent, seq, status, \
                         version, data, counts) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8)",
                    )
                    .bind(&order.id)
                    .bind(&id)
                    .bind(&created.kind)
                    .bind(&created.parent)
                    .bind(int(n)?)
                    .bind(&created.status)
                    .bind(data.as_str())
                    .bind(counts.as_str())
                    .execute(&mut *conn)
                    .await
                    .map_err(refused(&format!("{id} of order {}", order.id)))?;
                }
            }

            if let Some(child) = &c.child {
                let expected = child.version.saturating_sub(1);
                let done = query(
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
                    let current = query(
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
                            current: uint(get(&row, "version")?)?,
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
                let mut q = QueryBuilder::new(
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

            // Each entry takes the order's next number as it is inserted:
            // no read of the last one first (a round trip on PostgreSQL).
            for entry in &c.history {
                query(
                    "INSERT INTO order_events (order_id, seq, version, at, user_id, \
                     organization, user_name, organization_name, hidden_from, step) \
                     SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9 \
                     FROM order_events WHERE order_id = $1",
                )
                .bind(&order.id)
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

            for m in &c.outbox {
                query(
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
                query(
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
    };
}
