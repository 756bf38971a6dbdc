//! [`sql_floor!`]: finding a job by what is printed on it, expanded by
//! [`sql_store!`](crate::sql_store) into the same module.

/// A `LIKE` pattern matching JSON text that holds `"field":value` (the
/// compact form the child's data is stored in), wildcards escaped. Case is
/// kept: SQLite's `LIKE` ignores ASCII case, so callers compare the parsed
/// value again.
pub fn json_member_pattern(field: &str, value: &str) -> crate::Result<String> {
    let member = format!("{}:{}", crate::text(&field)?, crate::text(&value)?);
    let mut out = String::with_capacity(member.len() + 2);
    out.push('%');
    for c in member.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    Ok(out)
}

/// Expands to the read `children_by_field`.
#[doc(hidden)]
#[macro_export]
macro_rules! sql_floor {
    (pool: $pool:ty) => {
        async fn children_by_field(
            pool: &$pool,
            organization: &str,
            kind: &str,
            field: &str,
            value: &str,
            limit: u32,
        ) -> Result<Vec<(String, String)>> {
            let pattern = $crate::json_member_pattern(field, value)?;
            let rows = all(
                query(
                    "SELECT c.order_id, c.id, c.data FROM order_children c \
                     JOIN order_parties p ON p.order_id = c.order_id \
                     WHERE p.organization = $1 AND c.kind = $2 AND c.data LIKE $3 ESCAPE '\\' \
                     ORDER BY c.order_id, c.seq LIMIT $4",
                )
                .bind(organization)
                .bind(kind)
                .bind(pattern)
                .bind(i64::from(clamp_limit(limit))),
                pool,
                |row| {
                    let data: $crate::__private::serde_json::Map<
                        String,
                        $crate::__private::serde_json::Value,
                    > = $crate::json(&get::<String>(row, "data")?, "data")?;
                    Ok((get::<String>(row, "order_id")?, get::<String>(row, "id")?, data))
                },
            )
            .await?;
            Ok(rows
                .into_iter()
                .filter(|(_, _, data)| data.get(field).and_then(|v| v.as_str()) == Some(value))
                .map(|(order, child, _)| (order, child))
                .collect())
        }
    };
}
