//! A batch of plain changes in three statements instead of two a change.
//!
//! Most changes write only their order's new version and its history: no
//! new party rows, children, stock, timers, messages or idempotency record.
//! When every change of a batch is such a change, of an order of its own,
//! the batch updates all its orders in one `UPDATE ... FROM unnest(...)`,
//! inserts all their history in one `INSERT ... SELECT ... FROM unnest(...)`
//! and moves their counts in one more: each statement is a round trip, and
//! PostgreSQL's cost per statement is most of its cost per change. Should
//! any order not be at the version its change expects, the batch is
//! refused as a whole and the caller runs it again change by change
//! (`commit_one`), which tells each change what became of it.

use std::collections::BTreeSet;

use orderflow_sql::{Done, Op, counts, db, int, micros, search_text, text};
use orderflow_store::{Commit, Result, StoreError};
use sqlx::PgConnection;

/// The batch's commits, if every op is a plain change of an order no other
/// op of the batch changes, and there are several (one goes the usual way,
/// at no extra cost).
pub fn plain<'o>(ops: &[&'o Op]) -> Option<Vec<&'o Commit>> {
    let mut orders = BTreeSet::new();
    let commits: Vec<&Commit> = ops
        .iter()
        .map(|op| match op {
            Op::Commit(c) if is_plain(c) && orders.insert(c.order.id.as_str()) => Some(&**c),
            _ => None,
        })
        .collect::<Option<_>>()?;
    (commits.len() > 1).then_some(commits)
}

fn is_plain(c: &Commit) -> bool {
    c.expected_version > 0
        && c.order.version == c.expected_version.saturating_add(1)
        && c.order.updated_at.is_some()
        && c.before.same_parties(&c.order)
        && c.child.is_none()
        && c.new_children.is_empty()
        && c.moved_children.iter().all(|m| m.from.is_empty())
        && c.stock.is_empty()
        && c.outbox.is_empty()
        && c.webhooks.is_empty()
        && c.timers.is_empty()
        && c.idempotency.is_none()
}

/// Writes `commits` (as [`plain`] answered them) on `conn`, inside the
/// caller's transaction; refused as a whole when any order moved on.
pub async fn write(conn: &mut PgConnection, commits: &[&Commit]) -> Result<Vec<Result<Done>>> {
    update_orders(conn, commits).await?;
    insert_history(conn, commits).await?;
    let moves = commits
        .iter()
        .flat_map(|c| counts::moves(Some(&c.before), &c.order))
        .collect();
    crate::sql::apply_counts(conn, moves).await?;
    Ok(commits.iter().map(|_| Ok(Done::Unit)).collect())
}

async fn update_orders(conn: &mut PgConnection, commits: &[&Commit]) -> Result<()> {
    let n = commits.len();
    let (mut ids, mut expected, mut statuses) = (vec![], vec![], vec![]);
    let (mut versions, mut references, mut updated) = (vec![], vec![], vec![]);
    let (mut snapshots, mut workflow_versions, mut since) = (vec![], vec![], vec![]);
    let mut searches = Vec::with_capacity(n);
    for c in commits {
        let order = &c.order;
        ids.push(order.id.as_str());
        expected.push(int(c.expected_version)?);
        statuses.push(order.status.as_str());
        versions.push(int(order.version)?);
        references.push(order.data.get("reference").and_then(|r| r.as_str()));
        updated.push(order.updated_at.map(micros));
        snapshots.push(text(order)?);
        workflow_versions.push(i64::from(order.workflow_version));
        since.push(order.status_since.map(micros));
        searches.push(search_text(order));
    }
    let done = sqlx::query(
        "UPDATE orders SET status = u.status, version = u.version, reference = u.reference, \
         updated_at = u.updated_at, snapshot = u.snapshot, workflow_version = u.workflow_version, \
         status_since = u.status_since, search_text = u.search_text \
         FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], \
         $6::bigint[], $7::text[], $8::bigint[], $9::bigint[], $10::text[]) \
         AS u(id, expected, status, version, reference, updated_at, snapshot, workflow_version, \
         status_since, search_text) \
         WHERE orders.id = u.id AND orders.version = u.expected",
    )
    .bind(ids)
    .bind(expected)
    .bind(statuses)
    .bind(versions)
    .bind(references)
    .bind(updated)
    .bind(snapshots)
    .bind(workflow_versions)
    .bind(since)
    .bind(searches)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    if done.rows_affected() != n as u64 {
        return Err(StoreError::Invalid(
            "an order of the batch moved on; its changes are written one by one".into(),
        ));
    }
    Ok(())
}

/// Each entry takes its order's next number: the last stored (read as the
/// statement starts) plus its place among the entries of its change.
async fn insert_history(conn: &mut PgConnection, commits: &[&Commit]) -> Result<()> {
    let (mut ids, mut places, mut versions, mut ats) = (vec![], vec![], vec![], vec![]);
    let (mut users, mut orgs, mut user_names, mut org_names) = (vec![], vec![], vec![], vec![]);
    let (mut hidden, mut steps) = (vec![], vec![]);
    for c in commits {
        for (place, entry) in (1_i64..).zip(&c.history) {
            ids.push(c.order.id.as_str());
            places.push(place);
            versions.push(int(entry.version)?);
            ats.push(micros(entry.at));
            users.push(entry.user.as_deref());
            orgs.push(entry.organization.as_deref());
            user_names.push(entry.user_name.as_deref());
            org_names.push(entry.organization_name.as_deref());
            hidden.push(text(&entry.hidden_from)?);
            steps.push(text(&entry.step)?);
        }
    }
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO order_events (order_id, seq, version, at, user_id, organization, user_name, \
         organization_name, hidden_from, step) \
         SELECT u.order_id, COALESCE((SELECT MAX(e.seq) FROM order_events e \
         WHERE e.order_id = u.order_id), 0) + u.place, u.version, u.at, u.user_id, \
         u.organization, u.user_name, u.organization_name, u.hidden_from, u.step \
         FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], \
         $6::text[], $7::text[], $8::text[], $9::text[], $10::text[]) \
         AS u(order_id, place, version, at, user_id, organization, user_name, \
         organization_name, hidden_from, step)",
    )
    .bind(ids)
    .bind(places)
    .bind(versions)
    .bind(ats)
    .bind(users)
    .bind(orgs)
    .bind(user_names)
    .bind(org_names)
    .bind(hidden)
    .bind(steps)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}
