//! Orders counted per status without scanning the orders.
//!
//! `status_counts` holds one row per organisation, workflow, status and
//! *slots key*: the organisation's slots in an order, sorted, each with
//! whether it has seen the order (`lab=1`, `clinic=0,lab=1`). Every commit
//! moves its order from the row of its state before to the row of its
//! state after, in the same transaction, so the rows are exact. Which
//! orders an organisation may count depends on its slots and what they
//! have seen, and that is exactly what the key keeps: a count reads a few
//! rows and asks of each key what a list asks of each order.
//!
//! On PostgreSQL, changes commit concurrently and an updated row stays
//! locked until its transaction commits, so one row per key would make
//! every change of a status wait for the fsync of the one before. Each key
//! is therefore spread over [`SHARDS`] rows, an order always moving within
//! its own shard; a count adds them up.
//!
//! [`sql_counts!`] holds the SQL, expanded by [`sql_store!`](crate::sql_store).

use std::collections::{BTreeMap, BTreeSet};

use orderflow_core::model::Order;
use orderflow_store::{Before, OrderFilter};

/// Rows per counted key.
pub const SHARDS: u64 = 8;

/// A stable spread of order ids (FNV-1a): any will do, it need not resist
/// anyone.
pub fn spread(order_id: &str) -> u64 {
    order_id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The shard an order's counts live in: stable for the order's life.
pub fn shard(order_id: &str) -> i64 {
    i64::try_from(spread(order_id) % SHARDS).unwrap_or_default()
}

/// Each organisation of an order with its parties and what they have
/// seen, with its slots key.
pub fn slots_keys(
    parties: &BTreeMap<String, String>,
    seen_by: &BTreeSet<String>,
) -> BTreeMap<String, String> {
    let mut slots: BTreeMap<&str, BTreeMap<&str, bool>> = BTreeMap::new();
    for (slot, org) in parties {
        slots
            .entry(org.as_str())
            .or_default()
            .insert(slot.as_str(), seen_by.contains(slot));
    }
    slots
        .into_iter()
        .map(|(org, slots)| {
            let key = slots
                .into_iter()
                .map(|(slot, seen)| format!("{slot}={}", u8::from(seen)))
                .collect::<Vec<_>>()
                .join(",");
            (org.to_owned(), key)
        })
        .collect()
}

/// One row of `status_counts` moved by a change, and by how much.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CountMove {
    pub organization: String,
    pub workflow: String,
    pub status: String,
    pub slots: String,
    pub shard: i64,
    pub delta: i64,
}

/// The moves that take `order` from the rows it counted in `before` (none
/// for a create) to the rows it counts in now; none when a change moved
/// neither its status nor its slots.
pub fn moves(before: Option<&Before>, order: &Order) -> Vec<CountMove> {
    let after = slots_keys(&order.parties, &order.seen_by);
    let before = before.map(|b| (b, slots_keys(&b.parties, &b.seen_by)));
    let shard = shard(&order.id);
    let unchanged = |org: &str| {
        before.as_ref().is_some_and(|(b, keys)| {
            b.workflow == order.workflow
                && b.status == order.status
                && keys.get(org) == after.get(org)
        })
    };
    let mut moves = Vec::new();
    if let Some((b, keys)) = &before {
        for (org, key) in keys.iter().filter(|(org, _)| !unchanged(org)) {
            moves.push(CountMove {
                organization: org.clone(),
                workflow: b.workflow.clone(),
                status: b.status.clone(),
                slots: key.clone(),
                shard,
                delta: -1,
            });
        }
    }
    for (org, key) in after.iter().filter(|(org, _)| !unchanged(org)) {
        moves.push(CountMove {
            organization: org.clone(),
            workflow: order.workflow.clone(),
            status: order.status.clone(),
            slots: key.clone(),
            shard,
            delta: 1,
        });
    }
    moves
}

/// The moves of one transaction, one per row with their sum, none that
/// cancel out, sorted: every PostgreSQL transaction then locks the rows
/// it moves in the same order, so two never wait on each other in a cycle.
pub fn merged(moves: Vec<CountMove>) -> Vec<CountMove> {
    let mut rows: BTreeMap<(String, String, String, String, i64), i64> = BTreeMap::new();
    for m in moves {
        *rows
            .entry((m.organization, m.workflow, m.status, m.slots, m.shard))
            .or_default() += m.delta;
    }
    rows.into_iter()
        .filter(|(_, delta)| *delta != 0)
        .map(
            |((organization, workflow, status, slots, shard), delta)| CountMove {
                organization,
                workflow,
                status,
                slots,
                shard,
                delta,
            },
        )
        .collect()
}

/// Whether the table answers this filter: it knows the organisation, the
/// workflow, the status and the slots, nothing about text, other parties
/// or times.
pub fn answers(filter: &OrderFilter) -> bool {
    filter.party.is_none()
        && filter.text.is_none()
        && filter.created_from.is_none()
        && filter.created_to.is_none()
        && filter.updated_from.is_none()
        && filter.updated_to.is_none()
}

/// Whether an order of `workflow` in `status` whose organisation holds the
/// slots of `key` is listed for it: one of its slots sees the status, or
/// has seen the order and sees the status once seen (as the list's query
/// asks of each order).
pub fn counted(filter: &OrderFilter, workflow: &str, status: &str, key: &str) -> bool {
    let sees = |of: &BTreeMap<String, BTreeMap<String, Vec<String>>>, slot: &str| {
        of.get(workflow)
            .and_then(|slots| slots.get(slot))
            .is_some_and(|statuses| statuses.iter().any(|s| s == status))
    };
    key.split(',').any(|entry| {
        let (slot, seen) = entry.rsplit_once('=').unwrap_or((entry, "0"));
        sees(&filter.visible_statuses, slot) || (seen == "1" && sees(&filter.seen_statuses, slot))
    })
}

/// Expands to `apply_counts(conn, moves)` and the read `counts(pool, filter)`.
#[doc(hidden)]
#[macro_export]
macro_rules! sql_counts {
    (pool: $pool:ty, connection: $conn:ty) => {
        /// Applies the count moves of a transaction's changes, merged and
        /// in one sorted order, through the backend's `add_counts`.
        pub(crate) async fn apply_counts(
            conn: &mut $conn,
            moves: Vec<$crate::counts::CountMove>,
        ) -> Result<()> {
            let rows = $crate::counts::merged(moves);
            if rows.is_empty() {
                return Ok(());
            }
            add_counts(conn, &rows).await
        }

        /// Orders per (workflow, status) from the kept counts; `None` when
        /// the filter asks what the counts do not know.
        async fn counts(
            pool: &$pool,
            filter: &OrderFilter,
        ) -> Result<Option<Vec<(String, String, u64)>>> {
            if !$crate::counts::answers(filter) {
                return Ok(None);
            }
            let mut q = QueryBuilder::new(
                "SELECT workflow, status, slots, n FROM status_counts WHERE n <> 0 AND organization = ",
            );
            q.push_bind(&filter.organization);
            if let Some(workflow) = &filter.workflow {
                q.push(" AND workflow = ").push_bind(workflow);
            }
            let rows = all(q.build(), pool, |row| {
                Ok((
                    get::<String>(row, "workflow")?,
                    get::<String>(row, "status")?,
                    get::<String>(row, "slots")?,
                    get::<i64>(row, "n")?,
                ))
            })
            .await?;
            let mut totals: std::collections::BTreeMap<(String, String), i64> =
                std::collections::BTreeMap::new();
            for (workflow, status, key, n) in rows {
                if $crate::counts::counted(filter, &workflow, &status, &key) {
                    *totals.entry((workflow, status)).or_default() += n;
                }
            }
            Ok(Some(
                totals
                    .into_iter()
                    .filter(|(_, n)| *n != 0)
                    .map(|((workflow, status), n)| Ok((workflow, status, uint(n)?)))
                    .collect::<Result<_>>()?,
            ))
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter() -> OrderFilter {
        let slots = |slot: &str, statuses: &[&str]| {
            BTreeMap::from([(
                "w".to_owned(),
                BTreeMap::from([(
                    slot.to_owned(),
                    statuses.iter().map(|s| (*s).to_owned()).collect(),
                )]),
            )])
        };
        OrderFilter {
            organization: "lab-co".into(),
            visible_statuses: slots("lab", &["open"]),
            seen_statuses: slots("lab", &["cancelled"]),
            ..OrderFilter::default()
        }
    }

    #[test]
    fn keys_sort_slots_per_organisation() {
        let parties = [("lab", "b"), ("clinic", "a"), ("billing", "a")]
            .map(|(slot, org)| (slot.to_owned(), org.to_owned()))
            .into();
        let keys = slots_keys(
            &parties,
            &BTreeSet::from(["lab".to_owned(), "billing".to_owned()]),
        );
        assert_eq!(keys["a"], "billing=1,clinic=0");
        assert_eq!(keys["b"], "lab=1");
    }

    #[test]
    fn a_key_counts_as_its_slots_see() {
        let f = filter();
        assert!(counted(&f, "w", "open", "lab=0"));
        assert!(!counted(&f, "w", "cancelled", "lab=0"), "not seen yet");
        assert!(counted(&f, "w", "cancelled", "lab=1"));
        assert!(!counted(&f, "w", "draft", "lab=1"));
        assert!(!counted(&f, "other", "open", "lab=1"));
        assert!(
            counted(&f, "w", "open", "clinic=1,lab=0"),
            "one slot is enough"
        );
    }

    #[test]
    fn an_order_keeps_its_shard() {
        assert_eq!(shard("ord-1"), shard("ord-1"));
        let spread: std::collections::BTreeSet<i64> =
            (0..200).map(|i| shard(&format!("ord-{i}"))).collect();
        assert_eq!(spread.len(), 8, "every shard used");
    }

    #[test]
    fn a_transaction_moves_each_row_once_in_order() {
        let m = |org: &str, status: &str, delta: i64| CountMove {
            organization: org.into(),
            workflow: "w".into(),
            status: status.into(),
            slots: "lab=1".into(),
            shard: 0,
            delta,
        };
        let moves = vec![
            m("b", "open", 1),
            m("a", "draft", -1),
            m("a", "open", 1),
            m("a", "open", -1),
            m("b", "open", 1),
        ];
        assert_eq!(merged(moves), vec![m("a", "draft", -1), m("b", "open", 2)]);
    }

    #[test]
    fn only_filters_the_counts_know_are_answered() {
        assert!(answers(&filter()));
        let text = OrderFilter {
            text: Some("crown".into()),
            ..filter()
        };
        assert!(!answers(&text));
    }
}
