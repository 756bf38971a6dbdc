//! The contract of print-production's inventory: records per
//! organisation, bins never below zero, a unit taken by a commit at most
//! once, receipts adding to a purchase, and the waiting jobs intake reads.

use anyhow::{anyhow, bail, ensure};
use serde_json::json;

use super::{Flow, Outcome, at, is_duplicate, is_not_found, org, print_inputs, user_of};
use crate::inventory::UNITS_MAX;
use crate::{PurchaseRecord, Receipt, StockBin, StockLocation, Store, StoreError};

/// `organization` with a stock location `chi` and `bins` (id, SKU, units)
/// there.
pub(super) async fn stocked(
    store: &dyn Store,
    organization: &str,
    bins: &[(&str, &str, u64)],
) -> Outcome {
    match store
        .create_organization(&org(organization, organization))
        .await
    {
        Ok(()) => {}
        Err(StoreError::Duplicate(_)) => {}
        Err(e) => return Err(e.into()),
    }
    store
        .create_stock_location(&StockLocation {
            organization: organization.into(),
            id: "chi".into(),
            name: "Chicago".into(),
            created_at: at(0),
        })
        .await?;
    for (id, sku, quantity) in bins {
        store
            .create_bin(&StockBin {
                organization: organization.into(),
                location: "chi".into(),
                id: (*id).into(),
                sku: (*sku).into(),
                quantity: *quantity,
            })
            .await?;
    }
    Ok(())
}

fn is_out_of_stock<T>(r: &crate::Result<T>) -> bool {
    matches!(r, Err(StoreError::OutOfStock(_)))
}

/// Bins and purchases are per organisation; a bin never goes below zero,
/// a purchase never hands out a unit it did not receive, and receipts add
/// up.
pub async fn inventory_records(store: &dyn Store) -> Outcome {
    stocked(store, "shop-a", &[("A-01", "tee", 2), ("A-02", "cap", 0)]).await?;
    store.create_organization(&org("shop-b", "B")).await?;
    let again = StockLocation {
        organization: "shop-a".into(),
        id: "chi".into(),
        name: "Again".into(),
        created_at: at(1),
    };
    ensure!(is_duplicate(&store.create_stock_location(&again).await));
    ensure!(
        is_not_found(
            &store
                .create_bin(&StockBin {
                    organization: "shop-a".into(),
                    location: "nowhere".into(),
                    id: "X".into(),
                    sku: "tee".into(),
                    quantity: 1,
                })
                .await
        ),
        "a bin needs its location"
    );
    ensure!(is_out_of_stock(
        &store.adjust_bin("shop-a", "chi", "A-01", -3).await
    ));
    store.adjust_bin("shop-a", "chi", "A-01", -2).await?;
    store.adjust_bin("shop-a", "chi", "A-02", 5).await?;
    ensure!(is_not_found(
        &store.adjust_bin("shop-a", "chi", "A-09", 1).await
    ));
    // Up to the most a bin holds, and not one unit past it.
    let max = i64::try_from(UNITS_MAX)?;
    store.adjust_bin("shop-a", "chi", "A-02", max - 5).await?;
    ensure!(
        is_out_of_stock(&store.adjust_bin("shop-a", "chi", "A-02", 1).await),
        "a bin past UNITS_MAX"
    );
    store.adjust_bin("shop-a", "chi", "A-02", 5 - max).await?;
    let bins = store.bins("shop-a", Some("chi")).await?;
    let units: Vec<(&str, u64)> = bins.iter().map(|b| (b.id.as_str(), b.quantity)).collect();
    assert_eq!(units, [("A-01", 0), ("A-02", 5)]);
    ensure!(
        store.bins("shop-b", None).await?.is_empty(),
        "per organisation"
    );

    let purchase = PurchaseRecord {
        organization: "shop-a".into(),
        id: "PO-1".into(),
        location: "chi".into(),
        sku: "tee".into(),
        ordered: 3,
        received: 0,
        consumed: 0,
        supplier: Some("Blanks".into()),
        created_at: at(1),
    };
    store.create_purchase(&purchase).await?;
    ensure!(is_duplicate(&store.create_purchase(&purchase).await));
    for (n, quantity) in [(2, 1), (3, 2)] {
        store
            .receive(&Receipt {
                organization: "shop-a".into(),
                purchase: "PO-1".into(),
                seq: 0,
                quantity,
                received_at: at(n),
                user: None,
            })
            .await?;
    }
    let now = store
        .purchase("shop-a", "PO-1")
        .await?
        .ok_or_else(|| anyhow!("PO-1 not stored"))?;
    assert_eq!((now.received, now.consumed), (3, 0));
    let receipts = store.receipts("shop-a", "PO-1").await?;
    let seqs: Vec<(u64, u64)> = receipts.iter().map(|r| (r.seq, r.quantity)).collect();
    assert_eq!(seqs, [(1, 1), (2, 2)]);
    let too_many = Receipt {
        organization: "shop-a".into(),
        purchase: "PO-1".into(),
        seq: 0,
        quantity: UNITS_MAX - 2,
        received_at: at(4),
        user: None,
    };
    ensure!(
        is_out_of_stock(&store.receive(&too_many).await),
        "a purchase past UNITS_MAX"
    );
    ensure!(
        store.receipts("shop-a", "PO-1").await?.len() == 2,
        "a refused receipt is not recorded"
    );
    ensure!(store.purchase("shop-b", "PO-1").await?.is_none());
    Ok(())
}

/// A job's step takes its unit in its own transaction: two steps for the
/// last unit, one goes through and the other is refused with `OutOfStock`
/// and writes nothing; the waiting jobs come oldest first.
pub async fn units_taken_once(store: &dyn Store) -> Outcome {
    stocked(store, "shop-co", &[("A-01", "tee", 1)]).await?;
    let print = Flow::print("merch", "shop-co")?;
    let first = print
        .create(store, "p1", print_inputs("SO-1", 1), at(1))
        .await?;
    let second = print
        .create(store, "p2", print_inputs("SO-2", 1), at(2))
        .await?;
    let waiting = store
        .waiting_jobs(
            "shop-co",
            "shop",
            "job",
            &["intake_hold", "on_order"],
            "chi",
            100,
        )
        .await?;
    let order_of: Vec<(&str, &str)> = waiting
        .iter()
        .map(|w| (w.order_id.as_str(), w.job.id.as_str()))
        .collect();
    assert_eq!(
        order_of,
        [
            ("p1", "job-1"),
            ("p1", "job-2"),
            ("p2", "job-1"),
            ("p2", "job-2")
        ]
    );
    ensure!(
        store
            .waiting_jobs("merch", "shop", "job", &["intake_hold"], "chi", 100)
            .await?
            .is_empty(),
        "only the shop's"
    );

    let manager = user_of("shop-co", &["manager"]);
    let mut steps = Vec::new();
    for order in [&first, &second] {
        let job = store
            .child(&order.id, "job-1")
            .await?
            .ok_or_else(|| anyhow!("job-1 not stored"))?;
        steps.push(print.child_commit(
            order,
            &job,
            &manager,
            "pass_intake",
            json!({"bin": "A-01"}),
            at(3),
        )?);
    }
    let mut steps = steps.into_iter();
    let (Some(a), Some(b)) = (steps.next(), steps.next()) else {
        bail!("two steps");
    };
    store.commit(a).await?;
    let refused = store.commit(b).await;
    ensure!(
        is_out_of_stock(&refused),
        "the last unit went twice: {refused:?}"
    );
    assert_eq!(store.order("p2").await?, Some(second.clone()));
    assert_eq!(
        store.child("p2", "job-1").await?.map(|j| j.status),
        Some("intake_hold".to_owned())
    );
    assert_eq!(store.bins("shop-co", None).await?[0].quantity, 0);
    Ok(())
}
