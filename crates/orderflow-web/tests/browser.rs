//! The web UI in a real browser: headless Chromium through chromedriver,
//! finding fields by their labels and buttons by their names, as the
//! people of docs/product.md would.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "browser/harness.rs"]
mod harness;

use harness::{Browser, Login, Server};
use serde_json::json;

const DESKTOP: u32 = 1280;

/// A clinic, a second clinic and a lab, with one user each.
async fn dental_world(server: &Server) -> (Login, Login, Login) {
    server
        .organization("clinic", "Smile Clinic", json!({}))
        .await;
    server
        .organization("other-clinic", "Other Clinic", json!({}))
        .await;
    server.organization("lab", "Dental Lab Co", json!({})).await;
    let clinic = server.user("carla", "clinic", &[]).await;
    let other = server.user("otto", "other-clinic", &[]).await;
    let lab = server.user("luis", "lab", &[]).await;
    (clinic, other, lab)
}

/// A dental-lab order made by `token` through the API; its id.
async fn dental_order(server: &Server, token: &str) -> String {
    let order = server
        .api(
            "POST",
            "/orders",
            token,
            json!({"workflow": "dental-lab", "parties": {"lab": "lab"},
                   "inputs": {"lines": [{"product": "Crown", "quantity": 2, "unit_price": "120.00"}]}}),
        )
        .await;
    order["id"].as_str().unwrap().to_owned()
}

async fn version(server: &Server, token: &str, id: &str) -> u64 {
    server
        .api("GET", &format!("/orders/{id}"), token, json!(null))
        .await["version"]
        .as_u64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_refuses_a_wrong_password_then_signs_in_and_out() {
    let server = Server::start().await;
    let (clinic, _, _) = dental_world(&server).await;
    let b = Browser::open(&server, DESKTOP).await;

    b.goto("/").await;
    assert!(
        b.path().await.starts_with("/login"),
        "/ leads to the sign-in page"
    );
    b.fill("User", &clinic.user).await;
    b.fill("Password", "not-the-password").await;
    b.click("Sign in").await;
    b.wait_text("Wrong user or password").await;

    b.fill("User", &format!("{}@example.test", clinic.user))
        .await;
    b.fill("Password", &clinic.password).await;
    b.click("Sign in").await;
    b.wait_text("No orders yet").await;
    assert_eq!(b.path().await, "/orders");

    b.sign_out().await;
    b.goto("/orders").await;
    assert!(
        b.path().await.starts_with("/login"),
        "signed out: the orders need a sign-in again"
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dental_lab_from_create_to_completed_through_the_dialogs() {
    let server = Server::start().await;
    let (clinic, _, lab) = dental_world(&server).await;
    let b = Browser::open(&server, DESKTOP).await;

    b.sign_in(&clinic).await;
    b.link("New order").await.click().await.unwrap();
    b.select("Workflow", "Dental lab").await;
    b.click("Choose").await;
    b.select("Lab", "Dental Lab Co").await;
    b.fill("Product", "Zirconia crown").await;
    b.fill("Quantity", "2").await;
    b.fill("Unit price", "120.00").await;
    b.click("Create order").await;
    b.wait_text("History").await;
    b.wait_text("Draft").await;
    b.wait_text("Zirconia crown").await;
    b.wait_text("120.00").await;
    let order = b.path().await;
    assert!(order.starts_with("/orders/"), "{order}");

    b.act("Publish", || async {}).await;
    b.wait_text("Draft → Published").await;
    b.sign_out().await;

    b.sign_in(&lab).await;
    b.goto(&order).await;
    b.act("In production", || async {
        b.set_date("The date this order was made", "2026-03-02")
            .await;
    })
    .await;
    b.wait_text("Published → Production").await;
    b.act("Produce", || async {}).await;
    b.wait_text("Production → Produced").await;
    b.act("Ship", || async {
        b.fill("Tracking number", "1Z999AA10123456784").await;
    })
    .await;
    b.wait_text("Produced → Shipped").await;
    b.act("Deliver", || async {}).await;
    b.wait_text("Shipped → Delivered").await;
    b.act("Record payment", || async {
        b.fill("Amount", "240.00").await;
    })
    .await;
    b.wait_text("Delivered → Completed").await;
    let text = b.text().await;
    assert!(
        text.contains("1Z999AA10123456784"),
        "the tracking number shows"
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_input_shows_the_message_beside_the_field_and_changes_nothing() {
    let server = Server::start().await;
    let (clinic, _, lab) = dental_world(&server).await;
    let id = dental_order(&server, &clinic.password).await;
    server
        .api(
            "POST",
            &format!("/orders/{id}/actions/publish"),
            &clinic.password,
            json!({}),
        )
        .await;
    let before = version(&server, &lab.password, &id).await;

    let b = Browser::open(&server, DESKTOP).await;
    b.sign_in(&lab).await;
    b.goto(&format!("/orders/{id}")).await;
    b.act("Record payment", || async {
        b.fill("Amount", "lots").await;
    })
    .await;
    let message = b.error_beside("Amount").await;
    assert!(!message.is_empty(), "the server's message is beside Amount");
    assert_eq!(
        version(&server, &lab.password, &id).await,
        before,
        "nothing changed"
    );

    // The same form, corrected, goes through.
    b.fill("Amount", "10.00").await;
    b.click("Record payment").await;
    b.wait_text("Record payment").await;
    b.wait_text("10.00").await;
    assert_eq!(version(&server, &lab.password, &id).await, before + 1);
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_organisations_order_is_a_404_page_and_forms_need_their_token() {
    let server = Server::start().await;
    let (clinic, other, _) = dental_world(&server).await;
    let id = dental_order(&server, &clinic.password).await;
    let b = Browser::open(&server, DESKTOP).await;

    b.sign_in(&other).await;
    b.goto(&format!("/orders/{id}")).await;
    b.wait_text("Not found").await;
    assert!(
        !b.text().await.contains("Crown"),
        "nothing of the order shows"
    );
    b.goto("/no/such/page").await;
    b.wait_text("Not found").await;
    b.goto("/orders").await;
    b.sign_out().await;

    // A form posted without its CSRF token is refused and changes nothing.
    b.sign_in(&clinic).await;
    b.goto(&format!("/orders/{id}")).await;
    b.client
        .execute(
            "document.querySelectorAll('input[name=csrf]').forEach(e => e.remove());\
             const f = document.querySelector('dialog#action-publish form');\
             f.removeAttribute('hx-post'); f.submit();",
            vec![],
        )
        .await
        .unwrap();
    b.wait_text("security token").await;
    assert_eq!(version(&server, &clinic.password, &id).await, 1);
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_supplier_never_sees_an_order_that_needs_approval() {
    let server = Server::start().await;
    server
        .organization("cafe", "Corner Café", json!({"purchasing_limit": 10000}))
        .await;
    server
        .organization("beans", "Bean Supplier", json!({}))
        .await;
    let buyer = server.user("bea", "cafe", &["buyer"]).await;
    let supplier = server.user("sam", "beans", &[]).await;
    let big = server
        .api(
            "POST",
            "/orders",
            &buyer.password,
            json!({"workflow": "purchasing", "parties": {"supplier": "beans"},
                   "inputs": {"lines": [{"product": "Espresso beans", "quantity": 100, "unit_price": "200000"}]}}),
        )
        .await;
    assert_eq!(big["status"]["id"], "needs_approval");
    let id = big["id"].as_str().unwrap();

    let b = Browser::open(&server, DESKTOP).await;
    b.sign_in(&buyer).await;
    b.wait_text("Needs Approval").await;
    b.sign_out().await;

    b.sign_in(&supplier).await;
    let list = b.text().await;
    assert!(!list.contains("Needs Approval"), "no tab or badge: {list}");
    assert!(
        !list.contains(&id[id.len() - 8..]),
        "the order is not listed"
    );
    assert!(list.contains("All (0)"), "the counts leave it out: {list}");
    b.goto(&format!("/orders/{id}")).await;
    b.wait_text("Not found").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_view_only_compliance_user_sees_no_action_and_no_stage_control() {
    let server = Server::start().await;
    server
        .organization("acme", "Acme Compliance", json!({}))
        .await;
    let editor = server.user("eve", "acme", &["edit"]).await;
    let viewer = server.user("vic", "acme", &["view"]).await;
    let order = server
        .api(
            "POST",
            "/orders",
            &editor.password,
            json!({"workflow": "compliance", "inputs": {"reference": "PO-77",
                   "product_types": [{"product_type": "Cotton", "quantity": 10}]}}),
        )
        .await;
    let id = order["id"].as_str().unwrap();

    let b = Browser::open(&server, DESKTOP).await;
    b.sign_in(&editor).await;
    b.goto(&format!("/orders/{id}")).await;
    b.wait_text("PO-77").await;
    assert!(
        !b.buttons("Allocate batch").await.is_empty(),
        "an editor may allocate"
    );
    b.sign_out().await;

    b.sign_in(&viewer).await;
    b.goto(&format!("/orders/{id}")).await;
    b.wait_text("PO-77").await;
    let mut names = Vec::new();
    for button in b
        .client
        .find_all(fantoccini::Locator::Css("button"))
        .await
        .unwrap()
    {
        if button.is_displayed().await.unwrap_or(false) {
            names.push(button.text().await.unwrap_or_default());
        }
    }
    assert_eq!(
        names,
        vec!["Sign out".to_owned()],
        "no action buttons for a viewer"
    );
    let stage = b
        .client
        .find_all(fantoccini::Locator::XPath(
            "//label[starts-with(normalize-space(.), 'Stage')]",
        ))
        .await
        .unwrap();
    assert!(stage.is_empty(), "no Stage control for a viewer");
    b.close().await;
}
