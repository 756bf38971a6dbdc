//! Reads, and the conversions between rows and records.

use chrono::{DateTime, Utc};
use orderflow_core::model::{Child, Order};
use orderflow_store::{
    ApiToken, Cursor, HistoryEntry, Idempotency, MAX_LIMIT, OrderFilter, Organization,
    OutboxMessage, Page, Result, StoreError, StoredFile, User, clamp_limit,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::postgres::{PgPool, PgRow};
use sqlx::{AssertSqlSafe, Postgres, QueryBuilder, Row};

use crate::backend;

// ---------------------------------------------------------- conversions ---

pub(crate) fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub(crate) fn from_micros(us: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_micros(us).ok_or_else(|| backend(format!("time {us} out of range")))
}

pub(crate) fn int(n: u64) -> Result<i64> {
    i64::try_from(n).map_err(|_| StoreError::Invalid(format!("{n} is too large to store")))
}

pub(crate) fn uint(n: i64) -> Result<u64> {
    u64::try_from(n).map_err(|_| backend(format!("negative count {n} stored")))
}

pub(crate) fn text(value: &impl Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(backend)
}

fn parse<T: DeserializeOwned>(row: &PgRow, column: &str) -> Result<T> {
    let raw: String = row.try_get(column).map_err(backend)?;
    serde_json::from_str(&raw).map_err(|e| backend(format!("{column}: {e}")))
}

fn get<'r, T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>>(
    row: &'r PgRow,
    column: &str,
) -> Result<T> {
    row.try_get(column).map_err(backend)
}

fn time(row: &PgRow, column: &str) -> Result<DateTime<Utc>> {
    from_micros(get(row, column)?)
}

fn hash(row: &PgRow, column: &str) -> Result<[u8; 32]> {
    let raw: Vec<u8> = get(row, column)?;
    raw.try_into()
        .map_err(|_| backend(format!("{column} is not 32 bytes")))
}

fn organization_of(row: &PgRow) -> Result<Organization> {
    Ok(Organization {
        id: get(row, "id")?,
        name: get(row, "name")?,
        settings: parse(row, "settings")?,
        created_at: time(row, "created_at")?,
    })
}

fn user_of(row: &PgRow) -> Result<User> {
    Ok(User {
        id: get(row, "id")?,
        name: get(row, "name")?,
        organization: get(row, "organization")?,
        roles: parse(row, "roles")?,
        email: get(row, "email")?,
        created_at: time(row, "created_at")?,
    })
}

fn child_of(row: &PgRow) -> Result<Child> {
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

pub(crate) fn outbox_message(row: &PgRow) -> Result<OutboxMessage> {
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

// ---------------------------------------------------------------- reads ---

const USER_COLUMNS: &str = "u.id, u.name, u.organization, u.roles, u.email, u.created_at";
const CHILD_COLUMNS: &str = "id, kind, parent, seq, status, version, data, counts";

pub(crate) async fn organization(pool: &PgPool, id: &str) -> Result<Option<Organization>> {
    sqlx::query("SELECT id, name, settings, created_at FROM organizations WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(backend)?
        .as_ref()
        .map(organization_of)
        .transpose()
}

pub(crate) async fn organizations(pool: &PgPool) -> Result<Vec<Organization>> {
    sqlx::query("SELECT id, name, settings, created_at FROM organizations ORDER BY id LIMIT $1")
        .bind(i64::from(MAX_LIMIT))
        .fetch_all(pool)
        .await
        .map_err(backend)?
        .iter()
        .map(organization_of)
        .collect()
}

pub(crate) async fn user(pool: &PgPool, id: &str) -> Result<Option<User>> {
    sqlx::query(AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"
    )))
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(backend)?
    .as_ref()
    .map(user_of)
    .transpose()
}

pub(crate) async fn users(pool: &PgPool, organization: &str) -> Result<Vec<User>> {
    sqlx::query(AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users u WHERE u.organization = $1 ORDER BY u.id LIMIT $2"
    )))
    .bind(organization)
    .bind(i64::from(MAX_LIMIT))
    .fetch_all(pool)
    .await
    .map_err(backend)?
    .iter()
    .map(user_of)
    .collect()
}

pub(crate) async fn tokens(pool: &PgPool, user: &str) -> Result<Vec<ApiToken>> {
    sqlx::query(
        "SELECT id, user_id, name, sha256, created_at FROM api_tokens WHERE user_id = $1 \
         ORDER BY created_at, id LIMIT $2",
    )
    .bind(user)
    .bind(i64::from(MAX_LIMIT))
    .fetch_all(pool)
    .await
    .map_err(backend)?
    .iter()
    .map(|row| {
        Ok(ApiToken {
            id: get(row, "id")?,
            user: get(row, "user_id")?,
            name: get(row, "name")?,
            sha256: hash(row, "sha256")?,
            created_at: time(row, "created_at")?,
        })
    })
    .collect()
}

pub(crate) async fn user_by_token(pool: &PgPool, sha256: &[u8; 32]) -> Result<Option<User>> {
    sqlx::query(AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.sha256 = $1"
    )))
    .bind(&sha256[..])
    .fetch_optional(pool)
    .await
    .map_err(backend)?
    .as_ref()
    .map(user_of)
    .transpose()
}

pub(crate) async fn order(pool: &PgPool, id: &str) -> Result<Option<Order>> {
    sqlx::query("SELECT snapshot FROM orders WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(backend)?
        .as_ref()
        .map(|row| parse(row, "snapshot"))
        .transpose()
}

pub(crate) async fn child(pool: &PgPool, order_id: &str, child_id: &str) -> Result<Option<Child>> {
    sqlx::query(AssertSqlSafe(format!(
        "SELECT {CHILD_COLUMNS} FROM order_children WHERE order_id = $1 AND id = $2"
    )))
    .bind(order_id)
    .bind(child_id)
    .fetch_optional(pool)
    .await
    .map_err(backend)?
    .as_ref()
    .map(child_of)
    .transpose()
}

pub(crate) async fn children(
    pool: &PgPool,
    order_id: &str,
    kind: &str,
    after_seq: u64,
    limit: u32,
) -> Result<Vec<Child>> {
    sqlx::query(AssertSqlSafe(format!(
        "SELECT {CHILD_COLUMNS} FROM order_children WHERE order_id = $1 AND kind = $2 AND seq > $3 \
         ORDER BY seq LIMIT $4"
    )))
    .bind(order_id)
    .bind(kind)
    .bind(int(after_seq)?)
    .bind(i64::from(clamp_limit(limit)))
    .fetch_all(pool)
    .await
    .map_err(backend)?
    .iter()
    .map(child_of)
    .collect()
}

pub(crate) async fn history(
    pool: &PgPool,
    order_id: &str,
    after_seq: u64,
    limit: u32,
) -> Result<Vec<HistoryEntry>> {
    sqlx::query(
        "SELECT order_id, seq, version, at, user_id, organization, step FROM order_events \
         WHERE order_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
    )
    .bind(order_id)
    .bind(int(after_seq)?)
    .bind(i64::from(clamp_limit(limit)))
    .fetch_all(pool)
    .await
    .map_err(backend)?
    .iter()
    .map(|row| {
        Ok(HistoryEntry {
            order_id: get(row, "order_id")?,
            seq: uint(get(row, "seq")?)?,
            version: uint(get(row, "version")?)?,
            at: time(row, "at")?,
            user: get(row, "user_id")?,
            organization: get(row, "organization")?,
            step: parse(row, "step")?,
        })
    })
    .collect()
}

pub(crate) async fn idempotency(
    pool: &PgPool,
    user: &str,
    key: &str,
) -> Result<Option<Idempotency>> {
    sqlx::query(
        "SELECT user_id, key, request_sha256, status, body, created_at FROM idempotency \
         WHERE user_id = $1 AND key = $2",
    )
    .bind(user)
    .bind(key)
    .fetch_optional(pool)
    .await
    .map_err(backend)?
    .as_ref()
    .map(|row| {
        Ok(Idempotency {
            user: get(row, "user_id")?,
            key: get(row, "key")?,
            request_sha256: hash(row, "request_sha256")?,
            status: u16::try_from(get::<i64>(row, "status")?).map_err(backend)?,
            body: parse(row, "body")?,
            created_at: time(row, "created_at")?,
        })
    })
    .transpose()
}

pub(crate) async fn file(pool: &PgPool, id: &str) -> Result<Option<(StoredFile, Vec<u8>)>> {
    sqlx::query(
        "SELECT id, organization, uploaded_by, name, media_type, size, sha256, created_at, \
         bytes FROM files WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(backend)?
    .as_ref()
    .map(|row| {
        Ok((
            StoredFile {
                id: get(row, "id")?,
                organization: get(row, "organization")?,
                uploaded_by: get(row, "uploaded_by")?,
                name: get(row, "name")?,
                media_type: get(row, "media_type")?,
                size: uint(get(row, "size")?)?,
                sha256: hash(row, "sha256")?,
                created_at: time(row, "created_at")?,
            },
            get(row, "bytes")?,
        ))
    })
    .transpose()
}

// ---------------------------------------------------------------- lists ---

/// `%text%` for `LIKE ... ESCAPE '\'`, lower-cased, wildcards escaped.
fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// `FROM orders o WHERE ...`: visibility and every filter but the cursor.
fn push_filter(q: &mut QueryBuilder<Postgres>, f: &OrderFilter, with_status: bool) {
    q.push(
        " FROM orders o WHERE EXISTS (SELECT 1 FROM order_parties v \
         WHERE v.order_id = o.id AND v.organization = ",
    )
    .push_bind(&f.organization)
    .push(" AND (FALSE");
    for (workflow, slots) in &f.visible_statuses {
        for (slot, statuses) in slots.iter().filter(|(_, s)| !s.is_empty()) {
            q.push(" OR (o.workflow = ")
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

pub(crate) async fn orders(
    pool: &PgPool,
    filter: &OrderFilter,
    cursor: Option<&str>,
    limit: u32,
) -> Result<Page<Order>> {
    let after = cursor.map(Cursor::decode).transpose()?;
    let limit = clamp_limit(limit);
    let mut q = QueryBuilder::new("SELECT o.snapshot");
    push_filter(&mut q, filter, true);
    if let Some(c) = &after {
        q.push(" AND (o.created_at < ")
            .push_bind(c.created_micros)
            .push(" OR (o.created_at = ")
            .push_bind(c.created_micros)
            .push(" AND o.id < ")
            .push_bind(c.id.clone())
            .push("))");
    }
    q.push(" ORDER BY o.created_at DESC, o.id DESC LIMIT ")
        .push_bind(i64::from(limit) + 1);
    let rows = q.build().fetch_all(pool).await.map_err(backend)?;
    let mut items = rows
        .iter()
        .map(|row| parse::<Order>(row, "snapshot"))
        .collect::<Result<Vec<_>>>()?;
    let more = items.len() > limit as usize;
    items.truncate(limit as usize);
    let next_cursor = match items.last() {
        Some(last) if more => Some(
            Cursor {
                created_micros: last.created_at.map(micros).unwrap_or_default(),
                id: last.id.clone(),
            }
            .encode(),
        ),
        _ => None,
    };
    Ok(Page { items, next_cursor })
}

pub(crate) async fn count_by_status(
    pool: &PgPool,
    filter: &OrderFilter,
) -> Result<Vec<(String, String, u64)>> {
    let mut q = QueryBuilder::new("SELECT o.workflow, o.status, COUNT(*) AS n");
    push_filter(&mut q, filter, false);
    q.push(" GROUP BY o.workflow, o.status ORDER BY o.workflow, o.status LIMIT ")
        .push_bind(i64::from(MAX_LIMIT));
    q.build()
        .fetch_all(pool)
        .await
        .map_err(backend)?
        .iter()
        .map(|row| {
            Ok((
                get(row, "workflow")?,
                get(row, "status")?,
                uint(get(row, "n")?)?,
            ))
        })
        .collect()
}
