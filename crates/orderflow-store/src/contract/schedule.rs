//! The contract of the scheduler's rows: a schedule's run is claimed once
//! per due time, however many runs were missed; timers are set and cleared
//! with their order's change, claimed once when due, and cancelled or
//! rescheduled only while pending.

use std::collections::BTreeMap;

use anyhow::{anyhow, ensure};
use serde_json::json;

use super::{Flow, Outcome, at, is_not_found, settings, user_of, workflow};
use crate::{Store, TimerStatus};

/// A run is claimed when due and then not again until its next time; a
/// long outage costs one run, not one per missed interval.
pub async fn schedule_runs_claimed_once(store: &dyn Store) -> Outcome {
    let key = "print-production.fifo_intake";
    ensure!(
        store.claim_schedule_run(key, at(0), at(30), at(0)).await?,
        "a schedule seen for the first time runs at once"
    );
    ensure!(!store.claim_schedule_run(key, at(0), at(30), at(0)).await?);
    ensure!(
        !store
            .claim_schedule_run(key, at(29), at(59), at(29))
            .await?
    );
    ensure!(
        store
            .claim_schedule_run(key, at(30), at(60), at(30))
            .await?
    );
    // Down for a day: one run when back, then the next one 30 minutes on.
    let back = 24 * 60;
    ensure!(
        store
            .claim_schedule_run(key, at(back), at(back + 30), at(back))
            .await?
    );
    ensure!(
        !store
            .claim_schedule_run(key, at(back + 1), at(back + 31), at(back + 1))
            .await?
    );
    let runs = store.schedule_runs().await?;
    ensure!(runs.len() == 1, "one row per schedule: {runs:?}");
    let run = runs.first().ok_or_else(|| anyhow!("no row"))?;
    assert_eq!(run.runs, 3);
    assert_eq!(run.last_run_at, Some(at(back)));
    assert_eq!(run.next_run_at, at(back + 30));
    ensure!(
        store
            .claim_schedule_run("other.schedule", at(1), at(2), at(1))
            .await?
    );
    // A cron schedule seen for the first time waits for its first time.
    let nightly = "print-production.nightly";
    ensure!(
        !store
            .claim_schedule_run(nightly, at(0), at(120), at(90))
            .await?,
        "a first run set later is not due now"
    );
    ensure!(
        !store
            .claim_schedule_run(nightly, at(89), at(120), at(89))
            .await?,
        "the first time is kept from the first claim"
    );
    ensure!(
        store
            .claim_schedule_run(nightly, at(90), at(1530), at(90))
            .await?
    );
    Ok(())
}

/// A purchasing outlet that abandons unaccepted orders after 3 days.
fn purchasing() -> anyhow::Result<Flow> {
    Ok(Flow {
        wf: workflow("purchasing")?,
        settings: settings(json!({
            "outlet": {"abandon_pending_after_days": 3},
            "supplier": {},
        })),
        parties: [("outlet", "outlet-co"), ("supplier", "supplier-co")]
            .iter()
            .map(|(s, o)| ((*s).to_owned(), (*o).to_owned()))
            .collect::<BTreeMap<_, _>>(),
    })
}

/// Timers are written with their order's change, claimed once when due,
/// claimed again only when the server firing them let the claim go stale,
/// and end fired, failed, cancelled or cleared.
pub async fn timers_lifecycle(store: &dyn Store) -> Outcome {
    let flow = purchasing()?;
    let buyer = user_of("outlet-co", &["buyer"]);
    let inputs = || json!({"lines": [{"product": "Tea", "quantity": 1, "unit_price": "2.00"}]});
    let mut orders = Vec::new();
    for (n, id) in ["p1", "p2", "p3"].iter().enumerate() {
        let commit = flow.create_commit(id, &buyer, inputs(), at(i64::try_from(n)?))?;
        orders.push(commit.order.clone());
        store.commit(commit).await?;
    }
    let three_days = 3 * 24 * 60;
    let timers = store.order_timers("p1").await?;
    ensure!(timers.len() == 1, "one timer: {timers:?}");
    let t = timers.first().ok_or_else(|| anyhow!("no timer"))?;
    assert_eq!(t.timer, "abandon_unaccepted");
    assert_eq!(t.action, "abandon");
    assert_eq!(t.status, TimerStatus::Pending);
    assert_eq!(t.due_at, at(three_days));

    // Not before its time.
    ensure!(
        store
            .claim_due_timers(at(three_days - 1), 60, 10)
            .await?
            .is_empty()
    );
    // Rescheduled and cancelled while pending.
    store
        .reschedule_timer("p2", "abandon_unaccepted", at(10), at(5))
        .await?;
    store
        .cancel_timer("p3", "abandon_unaccepted", at(5))
        .await?;
    ensure!(is_not_found(
        &store.cancel_timer("p3", "abandon_unaccepted", at(6)).await
    ));
    ensure!(is_not_found(
        &store
            .reschedule_timer("p3", "abandon_unaccepted", at(9), at(6))
            .await
    ));
    ensure!(is_not_found(
        &store.cancel_timer("p1", "no_such_timer", at(6)).await
    ));

    let due = store.claim_due_timers(at(10), 600, 10).await?;
    let ids: Vec<_> = due.iter().map(|t| t.order_id.as_str()).collect();
    assert_eq!(ids, ["p2"], "only the rescheduled timer is due");
    assert_eq!(due.first().map(|t| t.status), Some(TimerStatus::Running));
    ensure!(
        store.claim_due_timers(at(19), 600, 10).await?.is_empty(),
        "a claimed timer is not claimed again while its claim is fresh"
    );
    let again = store.claim_due_timers(at(20), 600, 10).await?;
    ensure!(
        again.len() == 1,
        "a claim as old as the lease (the server died) is taken over: {again:?}"
    );
    store
        .timer_finished("p2", "abandon_unaccepted", at(21), Some("refused"))
        .await?;
    let p2 = store.order_timers("p2").await?;
    assert_eq!(p2.first().map(|t| t.status), Some(TimerStatus::Failed));
    assert_eq!(
        p2.first().and_then(|t| t.last_error.clone()).as_deref(),
        Some("refused")
    );

    // A change that leaves `pending` clears the timer.
    let supplier = user_of("supplier-co", &[]);
    let p1 = orders.first().ok_or_else(|| anyhow!("no p1"))?;
    flow.act(store, p1, &supplier, "accept", json!({}), at(22))
        .await?;
    let p1_timers = store.order_timers("p1").await?;
    assert_eq!(
        p1_timers.first().map(|t| t.status),
        Some(TimerStatus::Canceled)
    );
    ensure!(
        store
            .claim_due_timers(at(three_days * 2), 60, 10)
            .await?
            .is_empty()
    );
    ensure!(is_not_found(
        &store
            .timer_finished("p1", "abandon_unaccepted", at(23), None)
            .await
    ));
    Ok(())
}
