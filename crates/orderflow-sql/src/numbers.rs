//! [`sql_numbers!`]: order numbers, expanded by [`sql_store!`](crate::sql_store)
//! into the same module, where it uses the row mapping and helpers defined
//! there.

/// Expands to the write `next_number(conn, organization, prefix)` and the
/// read `numbered(pool, number, organization)`.
#[doc(hidden)]
#[macro_export]
macro_rules! sql_numbers {
    (row: $row:ty, pool: $pool:ty, connection: $conn:ty) => {
        /// The organisation's next number for `prefix`, from 1001: the
        /// counter row is created or raised in the caller's transaction.
        async fn next_number(conn: &mut $conn, organization: &str, prefix: &str) -> Result<u64> {
            let row = query(
                "INSERT INTO order_numbers (organization, prefix, last) VALUES ($1, $2, 1001) \
                 ON CONFLICT (organization, prefix) DO UPDATE SET last = order_numbers.last + 1 \
                 RETURNING last",
            )
            .bind(organization)
            .bind(prefix)
            .fetch_one(&mut *conn)
            .await
            .map_err(db)?;
            uint(get(&row, "last")?)
        }

        /// The orders numbered `number` in which `organization` fills a slot.
        async fn numbered(pool: &$pool, number: &str, organization: &str) -> Result<Vec<Numbered>> {
            all(
                query(
                    "SELECT o.id, o.number_org FROM orders o WHERE o.number = $1 AND EXISTS \
                     (SELECT 1 FROM order_parties v WHERE v.order_id = o.id \
                     AND v.organization = $2) ORDER BY o.id LIMIT 50",
                )
                .bind(number)
                .bind(organization),
                pool,
                |row| {
                    Ok(Numbered {
                        id: get(row, "id")?,
                        numbered_by: get(row, "number_org")?,
                    })
                },
            )
            .await
        }
    };
}
