//! The bell and the inbox in a real browser: the header's bell is named
//! with the unread count, leads to the inbox listing each notification
//! with a link to its order, and "Mark all read" empties the count; a
//! supplier's inbox holds nothing of an order it cannot see. The account
//! page's e-mail choices are saved per user.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "browser/harness.rs"]
mod harness;

use fantoccini::Locator;
use harness::{Browser, Login, Server};
use serde_json::json;

const DESKTOP: u32 = 1280;

/// Corner Café (limit 100.00) with buyer `bea`, Bean Supplier with `sam`.
async fn purchasing(server: &Server) -> (Login, Login) {
    server
        .organization("cafe", "Corner Café", json!({"purchasing_limit": "100.00"}))
        .await;
    server
        .organization("beans", "Bean Supplier", json!({}))
        .await;
    let buyer = server.user("bea", "cafe", &["buyer"]).await;
    let supplier = server.user("sam", "beans", &[]).await;
    (buyer, supplier)
}

/// A new order's id and number (the id where orders have no number).
async fn order(server: &Server, buyer: &Login, quantity: u32) -> (String, String) {
    let created = server
        .api(
            "POST",
            "/orders",
            &buyer.token,
            json!({"workflow": "purchasing", "parties": {"supplier": "beans"},
                   "inputs": {"lines": [{"product": "Espresso beans", "quantity": quantity, "unit_price": "2.00"}]}}),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let number = created["number"].as_str().unwrap_or(&id).to_owned();
    (id, number)
}

/// The bell's accessible name.
async fn bell(b: &Browser) -> String {
    let bell = b
        .client
        .find(Locator::Css("a.bell"))
        .await
        .expect("the bell in the header");
    bell.attr("aria-label").await.unwrap().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bell_counts_unread_notifications_and_the_inbox_lists_them() {
    let server = Server::start().await;
    let (buyer, supplier) = purchasing(&server).await;
    let (first, first_no) = order(&server, &buyer, 3).await;
    let (_, second_no) = order(&server, &buyer, 4).await;
    // Over the limit: the supplier never sees it, so it is told nothing.
    let (_, hidden_no) = order(&server, &buyer, 100).await;

    let b = Browser::open(&server, DESKTOP).await;
    b.sign_in(&supplier).await;
    assert_eq!(bell(&b).await, "Notifications, 2 unread");
    b.client
        .find(Locator::Css("a.bell"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait_text("2 unread notifications.").await;
    assert_eq!(b.path().await, "/inbox");
    let text = b.text().await;
    assert!(
        text.contains(&format!("New order {second_no} from Corner Café")),
        "{text}"
    );
    assert!(!text.contains(&hidden_no), "{text}");
    let first_line = text.find(&second_no).unwrap();
    assert!(
        first_line < text.find(&first_no).unwrap(),
        "newest first: {text}"
    );

    // A notification links to its order.
    b.link(&format!("New order {first_no} from Corner Café"))
        .await
        .click()
        .await
        .unwrap();
    b.wait_text("Espresso beans").await;
    assert_eq!(b.path().await, format!("/orders/{first}"));

    b.goto("/inbox").await;
    b.click("Mark all read").await;
    b.wait_text("Nothing unread.").await;
    assert_eq!(bell(&b).await, "Notifications, 0 unread");
    assert!(b.buttons("Mark all read").await.is_empty());
    b.sign_out().await;

    // The outlet's inbox is its own: the order over the limit is there.
    b.sign_in(&buyer).await;
    assert_eq!(bell(&b).await, "Notifications, 1 unread");
    b.goto("/inbox").await;
    b.wait_text(&format!("Order {hidden_no} needs approval"))
        .await;
    let mark = b
        .client
        .find(Locator::Css(&format!(
            "button[aria-label='Mark read: Order {hidden_no} needs approval']"
        )))
        .await
        .expect("a Mark read button named by its notification");
    mark.click().await.unwrap();
    b.wait_text("Nothing unread.").await;

    // E-mail choices on the account page.
    b.goto("/account").await;
    b.wait_text("Send me an e-mail for").await;
    let checkbox = b
        .client
        .find(Locator::XPath(
            "//label[normalize-space(.)='A new order to accept']/input",
        ))
        .await
        .unwrap();
    assert!(checkbox.is_selected().await.unwrap());
    checkbox.click().await.unwrap();
    b.click("Save e-mail choices").await;
    b.wait_text("Your e-mail choices are saved.").await;
    let prefs = server
        .api("GET", "/me/email-preferences", &buyer.token, json!(null))
        .await;
    let opted: Vec<&str> = prefs["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["opted_out"] == json!(true))
        .map(|k| k["id"].as_str().unwrap())
        .collect();
    assert_eq!(opted, ["order_pending"]);
    b.close().await;
}
