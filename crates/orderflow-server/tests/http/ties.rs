//! A shop manager's `tie_to_purchase` by hand: the job will wait for a
//! unit of the purchase, so a purchase the shop has not recorded (or
//! another organisation's), or one of another SKU or location than the
//! job's, is refused naming it, and nothing changes.

use serde_json::{Value, json};

use super::{Backend, Server, problem_fields, upload_image};

pub(super) async fn a_tie_by_hand_names_a_purchase_that_can_serve_the_job(backend: Backend) {
    let s = Server::start(backend).await;
    s.org("merch", json!({})).await;
    let location = |id: &str, latitude: f64, longitude: f64| {
        json!({"id": id, "name": id, "latitude": latitude, "longitude": longitude,
               "capacity_units": 500, "decorations": ["dtf"]})
    };
    s.org(
        "shop-co",
        json!({"locations": [location("chi", 41.88, -87.63), location("nyc", 40.71, -74.0)]}),
    )
    .await;
    s.org(
        "other",
        json!({"locations": [location("chi", 41.88, -87.63)]}),
    )
    .await;
    let merchant = s.user("mia", "merch", &[]).await;
    let manager = s.user("meg", "shop-co", &["manager"]).await;
    let stranger = s.user("olga", "other", &["manager"]).await;
    for (token, at) in [(&manager, "chi"), (&manager, "nyc"), (&stranger, "chi")] {
        s.post(
            token,
            "/api/v1/inventory/locations",
            json!({"id": at, "name": at}),
        )
        .await
        .ok();
    }
    for (token, at, purchase, sku) in [
        (&manager, "chi", "PO-1", "tee"),
        (&manager, "chi", "PO-HOODIE", "hoodie"),
        (&manager, "nyc", "PO-NYC", "tee"),
        (&stranger, "chi", "PO-THEIRS", "tee"),
    ] {
        s.post(
            token,
            "/api/v1/inventory/purchases",
            json!({"id": purchase, "location": at, "sku": sku, "ordered": 5}),
        )
        .await
        .ok();
    }

    let design = upload_image(&s, &merchant, "tee.png", 3000, 3000).await;
    let order = s
        .post(
            &merchant,
            "/api/v1/orders",
            json!({"workflow": "print-production", "parties": {"shop": "shop-co"},
                   "inputs": {"recipient": "Ada Lovelace", "address1": "1 Lake Dr",
                     "city": "Milwaukee", "country": "US", "latitude": 43.04, "longitude": -87.91,
                     "items": [{"sku": "tee", "quantity": 1, "decoration": "dtf", "design": [design]}]}}),
        )
        .await
        .ok();
    let id = order["id"].as_str().unwrap().to_owned();
    let job = format!("/api/v1/orders/{id}/children/job-1");
    let tie = format!("{job}/actions/tie_to_purchase");
    let before = s.get(&manager, &job).await.ok();
    assert_eq!(before["status"]["id"], "intake_hold");
    assert_eq!(
        before["data"]["location"], "chi",
        "Milwaukee is nearer Chicago"
    );
    let version = s.get(&manager, &format!("/api/v1/orders/{id}")).await.ok()["version"].clone();

    for (purchase, says) in [
        ("PO-9", "no purchase \"PO-9\" is recorded"),
        ("PO-THEIRS", "no purchase \"PO-THEIRS\" is recorded"),
        (
            "PO-HOODIE",
            "purchase \"PO-HOODIE\" is for SKU \"hoodie\", not this job's SKU \"tee\"",
        ),
        (
            "PO-NYC",
            "purchase \"PO-NYC\" is for location \"nyc\", not this job's location \"chi\"",
        ),
    ] {
        let refused = s.post(&manager, &tie, json!({"purchase": purchase})).await;
        let p = refused.problem(422, "invalid_input");
        assert_eq!(problem_fields(p), ["purchase"]);
        let detail = p["detail"].as_str().unwrap();
        assert!(detail.contains(says), "{purchase}: {detail}");
    }
    let after: Value = s.get(&manager, &job).await.ok();
    assert_eq!(after["status"]["id"], "intake_hold");
    assert_eq!(after["data"]["purchase"], Value::Null);
    assert_eq!(
        s.get(&manager, &format!("/api/v1/orders/{id}")).await.ok()["version"],
        version,
        "a refused tie changes nothing"
    );

    s.post(&manager, &tie, json!({"purchase": "PO-1"}))
        .await
        .ok();
    let tied = s.get(&manager, &job).await.ok();
    assert_eq!(
        (&tied["status"]["id"], &tied["data"]["purchase"]),
        (&json!("on_order"), &json!("PO-1"))
    );
}
