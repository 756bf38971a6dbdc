//! Short order numbers over HTTP: given on creation, shown in views and
//! lists, accepted wherever an order id is, found by search.

use reqwest::StatusCode;
use serde_json::json;

use super::{Backend, create_dental_order, dental};

/// Each clinic numbers its own orders DL-1001, DL-1002 ...; the lab finds
/// each by its number unless two clinics numbered theirs alike, when it is
/// told which ids to use; a stranger finds nothing by number.
pub(super) async fn orders_have_short_numbers_people_can_use(backend: Backend) {
    let d = dental(backend).await;
    let s = &d.s;
    s.org("clinic2", json!({})).await;
    let other_clinic = s.user("dr-no", "clinic2", &[]).await;

    let first = create_dental_order(s, &d.clinic).await;
    let second = create_dental_order(s, &d.clinic).await;
    let theirs = create_dental_order(s, &other_clinic).await;
    for (owner, id, number) in [
        (&d.clinic, &first, "DL-1001"),
        (&d.clinic, &second, "DL-1002"),
        (&other_clinic, &theirs, "DL-1001"),
    ] {
        let o = s.get(owner, &format!("/api/v1/orders/{id}")).await.ok();
        assert_eq!(o["number"], number, "{o}");
    }

    s.act(&d.clinic, &first, "publish", json!({})).await.ok();
    s.act(&other_clinic, &theirs, "publish", json!({}))
        .await
        .ok();

    // The number works as the id: reading, history, acting.
    let by_number = s.get(&d.clinic, "/api/v1/orders/DL-1002").await.ok();
    assert_eq!(by_number["id"], second.as_str());
    assert!(by_number["status_since"].is_string(), "{by_number}");
    let history = s
        .get(&d.clinic, "/api/v1/orders/DL-1002/history")
        .await
        .ok();
    assert_eq!(
        history["items"].as_array().map(Vec::len),
        Some(1),
        "{history}"
    );
    let published = s.act(&d.clinic, "DL-1002", "publish", json!({})).await.ok();
    assert_eq!(published["id"], second.as_str());
    assert_eq!(published["status"]["id"], "published");

    // The lab works with both clinics: DL-1002 is one order, DL-1001 two.
    let at_lab = s.get(&d.lab, "/api/v1/orders/DL-1002").await.ok();
    assert_eq!(at_lab["id"], second.as_str());
    let ambiguous = s.get(&d.lab, "/api/v1/orders/DL-1001").await;
    let problem = ambiguous.problem(409, "conflict");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(first.as_str()) && detail.contains(theirs.as_str()),
        "{detail}"
    );
    // A clinic's own number is its own order, whoever else numbered alike.
    let own = s.get(&other_clinic, "/api/v1/orders/DL-1001").await.ok();
    assert_eq!(own["id"], theirs.as_str());

    // Strangers and numbers nobody gave are not found, like ids.
    s.get(&d.stranger, "/api/v1/orders/DL-1002")
        .await
        .problem(404, "not_found");
    s.get(&d.clinic, "/api/v1/orders/DL-9999")
        .await
        .problem(404, "not_found");

    // Lists show numbers, and search finds them and what is inside orders.
    let list = s.get(&d.clinic, "/api/v1/orders?q=dl-1002").await.ok();
    let numbers: Vec<_> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["number"].clone())
        .collect();
    assert_eq!(numbers, [json!("DL-1002")]);
    let crowns = s.get(&d.lab, "/api/v1/orders?q=CROWN").await;
    assert_eq!(crowns.status, StatusCode::OK);
    assert_eq!(crowns.body["items"].as_array().map(Vec::len), Some(3));
    let drafts = create_dental_order(s, &d.clinic).await;
    let hidden = s.get(&d.lab, "/api/v1/orders/DL-1003").await;
    hidden.problem(404, "not_found");
    let own = s.get(&d.clinic, "/api/v1/orders/DL-1003").await.ok();
    assert_eq!(own["id"], drafts.as_str(), "a draft is the clinic's alone");

    // Counts come in the order the workflow declares its statuses (draft,
    // published ... cancelled), not alphabetically.
    let dropped = create_dental_order(s, &d.clinic).await;
    s.act(&d.clinic, &dropped, "publish", json!({})).await.ok();
    s.act(&d.lab, &dropped, "cancel", json!({"reason": "Duplicate"}))
        .await
        .ok();
    let counts = s.get(&d.clinic, "/api/v1/orders/counts").await.ok();
    let statuses: Vec<&str> = counts["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["draft", "published", "cancelled"], "{counts}");
}
