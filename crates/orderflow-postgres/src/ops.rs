//! The writes, each run inside its own transaction.

use chrono::{DateTime, Duration, Utc};
use orderflow_store::{
    ApiToken, Commit, Organization, OutboxMessage, Result, StoreError, StoredFile, User,
    clamp_limit,
};
use sqlx::postgres::PgConnection;
use sqlx::{Postgres, QueryBuilder, Row};

use crate::query::{int, micros, outbox_message, text, uint};
use crate::{Done, Op, backend};

/// `Duplicate(what)` for a unique violation, `NotFound(what)` for a
/// foreign key violation, `Backend` for the rest.
fn refused(what: &str) -> impl Fn(sqlx::Error) -> StoreError + '_ {
    move |e| match e.as_database_error() {
        Some(d) if d.is_unique_violation() => StoreError::Duplicate(what.to_owned()),
        Some(d) if d.is_foreign_key_violation() => StoreError::NotFound(what.to_owned()),
        _ => backend(e),
    }
}

pub(crate) async fn apply(conn: &mut PgConnection, op: &Op) -> Result<Done> {
    match op {
        Op::Commit(commit) => commit_one(conn, commit).await.map(|()| Done::Unit),
        Op::CreateOrganization(org) => create_organization(conn, org).await.map(|()| Done::Unit),
        Op::UpdateOrganization(org) => update_organization(conn, org).await.map(|()| Done::Unit),
        Op::CreateUser(user) => create_user(conn, user).await.map(|()| Done::Unit),
        Op::CreateToken(token) => create_token(conn, token).await.map(|()| Done::Unit),
        Op::RevokeToken(id) => {
            let done = sqlx::query("DELETE FROM api_tokens WHERE id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
            found(done.rows_affected(), || format!("token {id}")).map(|()| Done::Unit)
        }
        Op::ClaimOutbox {
            now,
            lease_secs,
            limit,
        } => claim_outbox(conn, *now, *lease_secs, *limit)
            .await
            .map(Done::Claimed),
        Op::OutboxDelivered { id, at } => {
            let done = sqlx::query(
                "UPDATE outbox SET delivered_at = $1, lease_until = NULL WHERE id = $2",
            )
            .bind(micros(*at))
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
            found(done.rows_affected(), || format!("outbox message {id}")).map(|()| Done::Unit)
        }
        Op::OutboxFailed {
            id,
            error,
            retry_at,
        } => {
            let done = sqlx::query(
                "UPDATE outbox SET available_at = $1, lease_until = NULL, last_error = $2 \
                 WHERE id = $3 AND delivered_at IS NULL",
            )
            .bind(micros(*retry_at))
            .bind(error)
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
            found(done.rows_affected(), || format!("outbox message {id}")).map(|()| Done::Unit)
        }
        Op::PutFile(file, bytes) => put_file(conn, file, bytes).await.map(|()| Done::Unit),
    }
}

fn found(rows: u64, what: impl FnOnce() -> String) -> Result<()> {
    if rows == 0 {
        Err(StoreError::NotFound(what()))
    } else {
        Ok(())
    }
}

async fn create_organization(conn: &mut PgConnection, org: &Organization) -> Result<()> {
    let what = format!("organization {}", org.id);
    sqlx::query(
        "INSERT INTO organizations (id, name, settings, created_at) VALUES ($1, $2, $3, $4)",
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

async fn update_organization(conn: &mut PgConnection, org: &Organization) -> Result<()> {
    let done = sqlx::query("UPDATE organizations SET name = $1, settings = $2 WHERE id = $3")
        .bind(&org.name)
        .bind(text(&org.settings)?)
        .bind(&org.id)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    found(done.rows_affected(), || format!("organization {}", org.id))
}

async fn exists(conn: &mut PgConnection, sql: &'static str, id: &str) -> Result<bool> {
    Ok(sqlx::query(sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?
        .is_some())
}

async fn create_user(conn: &mut PgConnection, user: &User) -> Result<()> {
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
    sqlx::query(
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

async fn create_token(conn: &mut PgConnection, token: &ApiToken) -> Result<()> {
    if !exists(conn, "SELECT 1 FROM users WHERE id = $1", &token.user).await? {
        return Err(StoreError::NotFound(format!("user {}", token.user)));
    }
    let what = format!("token {}", token.id);
    sqlx::query(
        "INSERT INTO api_tokens (id, user_id, name, sha256, created_at) VALUES ($1, $2, $3, $4, $5)",
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

async fn put_file(conn: &mut PgConnection, file: &StoredFile, bytes: &[u8]) -> Result<()> {
    let what = format!("file {}", file.id);
    sqlx::query(
        "INSERT INTO files (id, organization, uploaded_by, name, media_type, size, sha256, \
         created_at, bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&file.id)
    .bind(&file.organization)
    .bind(&file.uploaded_by)
    .bind(&file.name)
    .bind(&file.media_type)
    .bind(int(file.size)?)
    .bind(&file.sha256[..])
    .bind(micros(file.created_at))
    .bind(bytes)
    .execute(&mut *conn)
    .await
    .map_err(refused(&what))?;
    Ok(())
}

async fn claim_outbox(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    lease_secs: u32,
    limit: u32,
) -> Result<Vec<OutboxMessage>> {
    let now_us = micros(now);
    let until = micros(now + Duration::seconds(i64::from(lease_secs)));
    let rows = sqlx::query(
        "UPDATE outbox SET lease_until = $1, attempts = attempts + 1 WHERE id IN ( \
             SELECT id FROM outbox WHERE delivered_at IS NULL AND available_at <= $2 \
             AND (lease_until IS NULL OR lease_until <= $3) \
             ORDER BY created_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
         RETURNING id, order_id, channel, party, organization, template, payload, \
             created_at, attempts",
    )
    .bind(until)
    .bind(now_us)
    .bind(now_us)
    .bind(i64::from(clamp_limit(limit)))
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)?;
    let mut out = rows
        .iter()
        .map(outbox_message)
        .collect::<Result<Vec<_>>>()?;
    out.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(out)
}

/// One change: everything or, on the first error, nothing (the caller
/// rolls the transaction back). The conditional UPDATE on the version
/// locks the order's row, so a racing commit waits, then finds the new
/// version and is refused.
async fn commit_one(conn: &mut PgConnection, c: &Commit) -> Result<()> {
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
    if c.expected_version == 0 {
        sqlx::query(
            "INSERT INTO orders (id, workflow, status, version, reference, created_at, \
             updated_at, snapshot) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&order.id)
        .bind(&order.workflow)
        .bind(&order.status)
        .bind(int(order.version)?)
        .bind(&reference)
        .bind(micros(created_at))
        .bind(micros(updated_at))
        .bind(&snapshot)
        .execute(&mut *conn)
        .await
        .map_err(refused(&format!("order {}", order.id)))?;
    } else {
        let done = sqlx::query(
            "UPDATE orders SET status = $1, version = $2, reference = $3, updated_at = $4, \
             snapshot = $5 WHERE id = $6 AND version = $7",
        )
        .bind(&order.status)
        .bind(int(order.version)?)
        .bind(&reference)
        .bind(micros(updated_at))
        .bind(&snapshot)
        .bind(&order.id)
        .bind(int(c.expected_version)?)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
        if done.rows_affected() == 0 {
            let current = sqlx::query("SELECT version FROM orders WHERE id = $1")
                .bind(&order.id)
                .fetch_optional(&mut *conn)
                .await
                .map_err(backend)?;
            return Err(match current {
                Some(row) => StoreError::VersionConflict {
                    what: format!("order {}", order.id),
                    expected: c.expected_version,
                    current: uint(row.try_get("version").map_err(backend)?)?,
                },
                None => StoreError::NotFound(format!("order {}", order.id)),
            });
        }
        sqlx::query("DELETE FROM order_parties WHERE order_id = $1")
            .bind(&order.id)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
    }
    for (slot, organization) in &order.parties {
        sqlx::query("INSERT INTO order_parties (order_id, slot, organization) VALUES ($1, $2, $3)")
            .bind(&order.id)
            .bind(slot)
            .bind(organization)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
    }

    for child in &c.new_children {
        sqlx::query(
            "INSERT INTO order_children (order_id, id, kind, parent, seq, status, version, \
             data, counts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&order.id)
        .bind(&child.id)
        .bind(&child.kind)
        .bind(&child.parent)
        .bind(int(child.seq)?)
        .bind(&child.status)
        .bind(int(child.version)?)
        .bind(text(&child.data)?)
        .bind(text(&child.counts)?)
        .execute(&mut *conn)
        .await
        .map_err(refused(&format!("{} of order {}", child.id, order.id)))?;
    }

    if let Some(child) = &c.child {
        let expected = child.version.saturating_sub(1);
        let done = sqlx::query(
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
        .map_err(backend)?;
        if done.rows_affected() == 0 {
            let current =
                sqlx::query("SELECT version FROM order_children WHERE order_id = $1 AND id = $2")
                    .bind(&order.id)
                    .bind(&child.id)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(backend)?;
            let what = format!("{} of order {}", child.id, order.id);
            return Err(match current {
                Some(row) => StoreError::VersionConflict {
                    what,
                    expected,
                    current: uint(row.try_get("version").map_err(backend)?)?,
                },
                None => StoreError::NotFound(what),
            });
        }
    }

    for moved in &c.moved_children {
        if moved.from.is_empty() {
            continue;
        }
        let mut q: QueryBuilder<Postgres> =
            QueryBuilder::new("UPDATE order_children SET version = version + 1, status = ");
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
        q.build().execute(&mut *conn).await.map_err(backend)?;
    }

    if !c.history.is_empty() {
        let last: i64 = sqlx::query(
            "SELECT COALESCE(MAX(seq), 0) AS last FROM order_events WHERE order_id = $1",
        )
        .bind(&order.id)
        .fetch_one(&mut *conn)
        .await
        .map_err(backend)?
        .try_get("last")
        .map_err(backend)?;
        for (seq, entry) in (last + 1..).zip(&c.history) {
            sqlx::query(
                "INSERT INTO order_events (order_id, seq, version, at, user_id, organization, \
                 step) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&order.id)
            .bind(seq)
            .bind(int(entry.version)?)
            .bind(micros(entry.at))
            .bind(&entry.user)
            .bind(&entry.organization)
            .bind(text(&entry.step)?)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        }
    }

    for m in &c.outbox {
        sqlx::query(
            "INSERT INTO outbox (id, order_id, channel, party, organization, template, payload, \
             created_at, attempts, available_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9)",
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

    if let Some(i) = &c.idempotency {
        sqlx::query(
            "INSERT INTO idempotency (user_id, key, request_sha256, status, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
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
