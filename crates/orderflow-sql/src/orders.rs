//! [`sql_orders!`]: an order's reads — its snapshot, its children stored
//! beside it, its history — and the lists and counts of orders, expanded by
//! [`sql_store!`](crate::sql_store) into the same module.

/// Expands to `order`, `child`, `children`, `history`, `orders` and
/// `count_by_status` on the read pool, with the filter they share.
#[doc(hidden)]
#[macro_export]
macro_rules! sql_orders {
    (row: $row:ty, pool: $pool:ty) => {
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

        const CHILD_COLUMNS: &str = "id, kind, parent, seq, status, version, data, counts";

        async fn order(pool: &$pool, id: &str) -> Result<Option<Order>> {
            optional(
                query("SELECT snapshot FROM orders WHERE id = $1").bind(id),
                pool,
                |row| parse(row, "snapshot"),
            )
            .await
        }

        async fn child(pool: &$pool, order_id: &str, child_id: &str) -> Result<Option<Child>> {
            optional(
                query(AssertSqlSafe(format!(
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
                query(AssertSqlSafe(format!(
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
                query(
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

        /// `FROM orders o WHERE ...`: visibility and every filter but the cursor.
        fn push_filter(q: &mut QueryBuilder, f: &OrderFilter, with_status: bool) {
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
            let mut q = QueryBuilder::new("SELECT o.snapshot");
            push_filter(&mut q, filter, true);
            let (column, descending) = filter.sort.column();
            let (before, direction) = if descending {
                ("<", "DESC")
            } else {
                (">", "ASC")
            };
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
            let mut q = QueryBuilder::new("SELECT o.workflow, o.status, COUNT(*) AS n");
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
    };
}
