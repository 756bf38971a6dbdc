//! The contract of counts by status: what the kept counts answer is what
//! scanning the orders answers.

use anyhow::ensure;
use serde_json::json;

use super::{Flow, Outcome, at, dental_inputs, filter_for, world};
use crate::{OrderFilter, Store};

/// Counts kept with every change match a scan of the orders, for every
/// organisation and filter the counts answer: creates, status changes, a
/// slot's first sight of an order, an organisation in two slots of one
/// order, a refused change, and statuses seen only once seen.
pub async fn counts_match_a_scan(store: &dyn Store) -> Outcome {
    world(store).await?;
    let solo = Flow::dental("solo", "solo")?;
    let s1 = solo.create(store, "s1", dental_inputs(), at(20)).await?;
    solo.create(store, "s2", dental_inputs(), at(21)).await?;
    let published = solo
        .act(
            store,
            &s1,
            &solo.customer("customer"),
            "publish",
            json!({}),
            at(22),
        )
        .await?;
    // A change decided on an old version is refused and counts nothing.
    let stale = solo.action_commit(
        &s1,
        &solo.customer("customer"),
        "publish",
        json!({}),
        at(23),
    )?;
    ensure!(store.commit(stale).await.is_err());
    ensure!(published.status == "published");

    for org in [
        "clinic", "clinic2", "lab-co", "merch", "shop-co", "solo", "nobody",
    ] {
        let plain = filter_for(org)?;
        // The lab sees a published order only once it has seen it.
        let mut once_seen = OrderFilter {
            visible_statuses: Default::default(),
            ..plain.clone()
        };
        once_seen.seen_statuses.insert(
            "dental-lab".into(),
            [("lab".to_owned(), vec!["published".to_owned()])].into(),
        );
        let one_workflow = OrderFilter {
            workflow: Some("dental-lab".into()),
            ..plain.clone()
        };
        for (name, filter) in [
            ("plain", plain),
            ("once seen", once_seen),
            ("one workflow", one_workflow),
        ] {
            let kept = store.count_by_status(&filter).await?;
            // Text that every order contains makes the store scan.
            let scanned = store
                .count_by_status(&OrderFilter {
                    text: Some(String::new()),
                    ..filter
                })
                .await?;
            ensure!(
                kept == scanned,
                "{org}, {name}: kept {kept:?}, scanned {scanned:?}"
            );
        }
    }
    let solo_counts = store.count_by_status(&filter_for("solo")?).await?;
    ensure!(
        solo_counts
            == vec![
                ("dental-lab".to_owned(), "draft".to_owned(), 1),
                ("dental-lab".to_owned(), "published".to_owned(), 1),
            ],
        "an organisation in two slots of an order counts it once: {solo_counts:?}"
    );
    Ok(())
}
