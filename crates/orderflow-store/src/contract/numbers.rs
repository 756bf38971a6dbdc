//! The contract of order numbers, status times, text search and sorts.

use anyhow::ensure;
use serde_json::json;

use super::{
    Flow, Outcome, at, dental_inputs, filter_for, ids, is_duplicate, print_inputs, strings,
};
use crate::{Numbered, OrderSort, Store};

/// Numbers count from 1001 per organisation and prefix; an order is found
/// by its number only by organisations that take part in it, and one
/// organisation never numbers two orders alike.
pub async fn order_numbers(store: &dyn Store) -> Outcome {
    for (org, prefix, want) in [
        ("clinic", "DL", 1001),
        ("clinic", "DL", 1002),
        ("clinic", "PO", 1001),
        ("clinic2", "DL", 1001),
        ("clinic", "DL", 1003),
    ] {
        let n = store.next_number(org, prefix).await?;
        ensure!(n == want, "{org} {prefix}: got {n}, want {want}");
    }

    let flow = Flow::dental("clinic", "lab-co")?;
    let mut commit =
        flow.create_commit("d1", &flow.customer("customer"), dental_inputs(), at(1))?;
    commit.order.number = Some("DL-1001".into());
    commit.numbered_by = Some("clinic".into());
    let order = commit.order.clone();
    store.commit(commit).await?;
    ensure!(
        store.order("d1").await?.and_then(|o| o.number) == Some("DL-1001".into()),
        "the number is kept with the order"
    );
    let found = vec![Numbered {
        id: "d1".into(),
        numbered_by: "clinic".into(),
    }];
    ensure!(store.numbered("DL-1001", "clinic").await? == found);
    ensure!(store.numbered("DL-1001", "lab-co").await? == found);
    ensure!(
        store.numbered("DL-1001", "merch").await?.is_empty(),
        "an organisation outside the order does not find it by number"
    );

    // Another organisation numbering alike is fine; the same one is not.
    let other = Flow::dental("clinic2", "lab-co")?;
    let mut second =
        other.create_commit("d2", &other.customer("customer"), dental_inputs(), at(2))?;
    second.order.number = Some("DL-1001".into());
    second.numbered_by = Some("clinic2".into());
    store.commit(second).await?;
    ensure!(store.numbered("DL-1001", "lab-co").await?.len() == 2);
    let mut again = flow.create_commit("d3", &flow.customer("customer"), dental_inputs(), at(3))?;
    again.order.number = Some("DL-1001".into());
    again.numbered_by = Some("clinic".into());
    ensure!(
        is_duplicate(&store.commit(again).await),
        "one organisation's number is given to one order"
    );
    ensure!(store.order("d3").await?.is_none());

    // The number stays through later changes.
    let published = flow
        .act(
            store,
            &order,
            &flow.customer("customer"),
            "publish",
            json!({}),
            at(4),
        )
        .await?;
    ensure!(published.number == Some("DL-1001".into()));
    ensure!(store.order("d1").await?.and_then(|o| o.number) == Some("DL-1001".into()));
    Ok(())
}

/// When an order entered its status is kept, and moves only with the status.
pub async fn status_since_kept(store: &dyn Store) -> Outcome {
    let flow = Flow::dental("clinic", "lab-co")?;
    let draft = flow.create(store, "d1", dental_inputs(), at(1)).await?;
    ensure!(store.order("d1").await?.and_then(|o| o.status_since) == Some(at(1)));
    let published = flow
        .act(
            store,
            &draft,
            &flow.customer("customer"),
            "publish",
            json!({}),
            at(5),
        )
        .await?;
    ensure!(store.order("d1").await?.and_then(|o| o.status_since) == Some(at(5)));
    // A change that keeps the status keeps the time.
    flow.act(
        store,
        &published,
        &flow.customer("lab"),
        "add_task",
        json!({"name": "Check shade"}),
        at(9),
    )
    .await?;
    let stored = store.order("d1").await?;
    ensure!(stored.as_ref().map(|o| o.version) == Some(3));
    ensure!(stored.and_then(|o| o.status_since) == Some(at(5)));
    Ok(())
}

/// Text search finds an order by its number and by what is inside it
/// (a line's product, a task's name), whatever the case.
pub async fn search_inside_orders(store: &dyn Store) -> Outcome {
    let flow = Flow::dental("clinic", "lab-co")?;
    let mut commit =
        flow.create_commit("d1", &flow.customer("customer"), dental_inputs(), at(1))?;
    commit.order.number = Some("DL-1042".into());
    commit.numbered_by = Some("clinic".into());
    store.commit(commit).await?;
    let mut d2 = flow
        .create(
            store,
            "d2",
            json!({"lines": [{"product": "veneer", "quantity": 1, "unit_price": "90.00"}]}),
            at(2),
        )
        .await?;
    let (clinic_user, lab) = (flow.customer("customer"), flow.customer("lab"));
    for (minute, (actor, action, inputs)) in (3..).zip([
        (&clinic_user, "publish", json!({})),
        (
            &lab,
            "start_production",
            json!({"production_date": "2026-03-03"}),
        ),
        (&lab, "produce", json!({})),
        (&lab, "ship", json!({"tracking_number": "1Z999AA1"})),
    ]) {
        d2 = flow
            .act(store, &d2, actor, action, inputs, at(minute))
            .await?;
    }
    let print = Flow::print("merch", "shop-co")?;
    print
        .create(store, "p1", print_inputs("SO-1", 3), at(10))
        .await?;
    for (organization, text, want) in [
        ("clinic", "dl-1042", strings(&["d1"])),
        ("clinic", "CROWN", strings(&["d1"])),
        ("clinic", "veneer", strings(&["d2"])),
        ("clinic", "implant", strings(&[])),
        // A note, a tracking number, an item's SKU and decoration.
        ("clinic", "shade a2", strings(&["d1"])),
        ("lab-co", "1z999aa1", strings(&["d2"])),
        ("merch", "cap", strings(&["p1"])),
        ("shop-co", "EMBROIDERY", strings(&["p1"])),
        // Not the other organisations' orders.
        ("merch", "crown", strings(&[])),
    ] {
        let mut f = filter_for(organization)?;
        f.text = Some(text.into());
        ensure!(
            ids(store, &f).await? == want,
            "search {text:?} as {organization}"
        );
    }
    Ok(())
}

/// Every sort pages through every order once, in its order, ties broken
/// by id.
pub async fn list_sorts(store: &dyn Store) -> Outcome {
    let flow = Flow::dental("clinic", "lab-co")?;
    // Created at minutes 1, 2, 3, 3 (a tie); d1 and d3 then published
    // (at 10 and 20), so d2 and d4 have waited in draft since creation.
    let mut orders = Vec::new();
    for (id, minute) in [("d1", 1), ("d2", 2), ("d3", 3), ("d4", 3)] {
        orders.push(flow.create(store, id, dental_inputs(), at(minute)).await?);
    }
    let clinic = flow.customer("customer");
    flow.act(store, &orders[0], &clinic, "publish", json!({}), at(10))
        .await?;
    flow.act(store, &orders[2], &clinic, "publish", json!({}), at(20))
        .await?;
    for (sort, want) in [
        (OrderSort::Newest, ["d4", "d3", "d2", "d1"]),
        (OrderSort::Oldest, ["d1", "d2", "d3", "d4"]),
        (OrderSort::Updated, ["d3", "d1", "d4", "d2"]),
        (OrderSort::Waiting, ["d2", "d4", "d1", "d3"]),
    ] {
        let mut filter = filter_for("clinic")?;
        filter.sort = sort;
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = store.orders(&filter, cursor.as_deref(), 1).await?;
            seen.extend(page.items.iter().map(|o| o.id.clone()));
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
            ensure!(seen.len() <= 4, "{sort:?} does not end");
        }
        ensure!(seen == strings(&want), "{sort:?}: {seen:?}");
    }
    Ok(())
}
