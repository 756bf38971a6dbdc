//! The web UI in a real browser: headless Chromium through chromedriver,
//! finding fields by their labels and buttons by their names, as the
//! people of docs/product.md would.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "browser/harness.rs"]
mod harness;
#[path = "browser/worlds.rs"]
mod worlds;

use harness::{Browser, Login, Server};
use serde_json::json;
use std::time::Instant;

const DESKTOP: u32 = 1280;
const PHONE: u32 = 375;

/// A clinic, a second clinic and a lab, with one user each.
async fn dental_world(server: &Server) -> (Login, Login, Login) {
    let worlds::Dental { clinic, lab } = worlds::dental(server, None, json!({}), &[]).await;
    server
        .organization("other-clinic", "Other Clinic", json!({}))
        .await;
    let other = server.user("otto", "other-clinic", &[]).await;
    (clinic, other, lab)
}

/// A dental-lab order made by `token` through the API; its id.
async fn dental_order(server: &Server, token: &str) -> String {
    let order = server
        .create(token, worlds::dental_order(&[("Crown", 2, "120.00")]))
        .await;
    order["id"].as_str().unwrap().to_owned()
}

/// The same, published by `token` (its clinic): the lab sees it now.
async fn published_dental_order(server: &Server, token: &str) -> String {
    let id = dental_order(server, token).await;
    server.act(token, &id, "publish", json!({})).await;
    id
}

async fn version(server: &Server, token: &str, id: &str) -> u64 {
    server.get(token, &format!("/orders/{id}")).await["version"]
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
async fn a_bad_input_shows_the_message_beside_the_field_and_changes_nothing() {
    let server = Server::start().await;
    let (clinic, _, lab) = dental_world(&server).await;
    let id = published_dental_order(&server, &clinic.token).await;
    let before = version(&server, &lab.token, &id).await;

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
        version(&server, &lab.token, &id).await,
        before,
        "nothing changed"
    );

    // The same form, corrected, goes through.
    b.fill("Amount", "10.00").await;
    b.click("Record payment").await;
    b.wait_text("Record payment").await;
    b.wait_text("10.00").await;
    assert_eq!(version(&server, &lab.token, &id).await, before + 1);
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_organisations_order_is_a_404_page_and_forms_need_their_token() {
    let server = Server::start().await;
    let (clinic, other, _) = dental_world(&server).await;
    let id = dental_order(&server, &clinic.token).await;
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
    assert_eq!(version(&server, &clinic.token, &id).await, 1);
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_supplier_never_sees_an_order_that_needs_approval() {
    let server = Server::start().await;
    let worlds::Purchasing {
        buyer, supplier, ..
    } = worlds::purchasing(&server, json!({"purchasing_limit": "100.00"})).await;
    let big = server
        .create(
            &buyer.token,
            worlds::purchase(&[("Espresso beans", 100, "200000")]),
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
    let number = big["number"].as_str().unwrap();
    assert_eq!(number, "PO-1001");
    assert!(!list.contains(number), "the order is not listed");
    assert!(list.contains("All (0)"), "the counts leave it out: {list}");
    for path in [format!("/orders/{id}"), format!("/orders/{number}")] {
        b.goto(&path).await;
        b.wait_text("Not found").await;
    }
    b.goto("/dashboard").await;
    let dashboard = b.text().await;
    assert!(!dashboard.contains("Needs Approval"), "{dashboard}");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_view_only_compliance_user_sees_no_action_and_no_stage_control() {
    let server = Server::start().await;
    let worlds::Compliance { editor, viewer } = worlds::compliance(&server).await;
    let order = server
        .create(
            &editor.token,
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn print_production_created_with_a_design_then_cancelled_by_the_merchant() {
    let server = Server::start().await;
    let merchant = worlds::print_shop(&server, false, &[]).await.merchant;
    let design = tempfile::Builder::new().suffix(".png").tempfile().unwrap();
    std::fs::write(design.path(), b"\x89PNG\r\n\x1a\n-a-design-").unwrap();
    let b = Browser::open(&server, DESKTOP).await;

    b.sign_in(&merchant).await;
    worlds::create_print_order(
        &b,
        ("1 Main Street", "Chicago", "41.88", "-87.63"),
        ("TEE-BLK-M", "2", "dtg"),
        design.path(),
    )
    .await;
    b.wait_text("History").await;
    b.wait_text("TEE-BLK-M").await;
    b.act("Cancel", || async {}).await;
    b.wait_text("→ Canceled").await;
    for cancel in b.buttons("Cancel").await {
        assert!(
            !cancel.is_enabled().await.unwrap(),
            "a canceled order cannot be canceled again"
        );
    }
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn print_production_from_received_to_shipped_job_by_job() {
    let server = Server::start().await;
    let worlds::PrintShop {
        merchant,
        manager: shop,
        ..
    } = worlds::print_shop(&server, true, &[("A-01", "tee", 1)]).await;
    let design = tempfile::Builder::new().suffix(".png").tempfile().unwrap();
    std::fs::write(design.path(), worlds::png(3000, 3000)).unwrap();
    let b = Browser::open(&server, DESKTOP).await;

    b.sign_in(&merchant).await;
    worlds::create_print_order(
        &b,
        ("1 Lake Drive", "Milwaukee", "43.04", "-87.91"),
        ("tee", "1", "dtf"),
        design.path(),
    )
    .await;
    b.wait_text("Intake hold").await;
    let order = b.path().await;
    b.sign_out().await;

    // The shop takes its one job through every step, each a dialog.
    b.sign_in(&shop).await;
    b.goto(&order).await;
    b.act("Pass intake", || async {
        b.fill("Bin", "A-01").await;
    })
    .await;
    b.wait_text("Pass intake · job-1").await;
    for step in ["Batch", "Label", "Pick", "Scan", "Printed", "Complete"] {
        b.act(step, || async {}).await;
        b.wait_text(&format!("{step} · job-1")).await;
    }
    b.act("Ship", || async {
        b.fill("Tracking number", "1Z999").await;
    })
    .await;
    b.wait_text("Completed → Shipped").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_go_by_their_numbers_and_the_dashboard_shows_who_waits_longest() {
    let server = Server::start().await;
    let (clinic, _, lab) = dental_world(&server).await;
    let first = dental_order(&server, &clinic.token).await;
    dental_order(&server, &clinic.token).await;
    server
        .act(&clinic.token, "DL-1001", "publish", json!({}))
        .await;
    let b = Browser::open(&server, DESKTOP).await;
    b.sign_in(&clinic).await;
    b.wait_text("DL-1002").await;

    // Search finds an order by its number, and by what is inside it.
    b.fill("Search", "dl-1002").await;
    b.click("Filter").await;
    b.wait_text("All (1)").await;
    let found = b.text().await;
    assert!(
        found.contains("DL-1002") && !found.contains("DL-1001"),
        "{found}"
    );
    b.fill("Search", "crown").await;
    b.click("Filter").await;
    b.wait_text("All (2)").await;

    // The number is the order's name and its address.
    b.goto("/orders/DL-1001").await;
    b.wait_text("Dental lab order DL-1001").await;
    assert_eq!(b.path().await, "/orders/DL-1001");
    b.link("Print").await;

    // The dashboard counts per status and names who waits longest.
    b.goto("/dashboard").await;
    b.wait_text("Dental lab (2)").await;
    let dashboard = b.text().await;
    for expected in ["Draft", "Published", "DL-1001", "DL-1002"] {
        assert!(dashboard.contains(expected), "{expected}: {dashboard}");
    }
    b.link("DL-1001").await.click().await.unwrap();
    b.wait_text("Dental lab order DL-1001").await;
    assert_eq!(b.path().await, format!("/orders/{first}"));
    b.sign_out().await;

    // The lab sees the published order only.
    b.sign_in(&lab).await;
    b.goto("/dashboard").await;
    b.wait_text("Dental lab (1)").await;
    assert!(!b.text().await.contains("DL-1002"));
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_no_serious_or_critical_violation_on_any_page() {
    let server = Server::start().await;
    let (clinic, _, lab) = dental_world(&server).await;
    let id = published_dental_order(&server, &clinic.token).await;
    let b = Browser::open(&server, DESKTOP).await;
    let mut found = Vec::new();
    let mut check = async |page: &str| {
        for v in b.axe().await {
            found.push(format!("{page}: {v}"));
        }
    };
    b.goto("/login").await;
    check("sign-in").await;
    b.sign_in(&lab).await;
    check("orders").await;
    b.goto(&format!("/orders/{id}")).await;
    check("order").await;
    b.act("Record payment", || async {
        b.fill("Amount", "lots").await;
    })
    .await;
    b.error_beside("Amount").await;
    check("order with a refused dialog").await;
    b.goto("/orders/new?workflow=purchasing").await;
    check("new order").await;
    b.goto(&format!("/orders/{id}/print")).await;
    check("print").await;
    b.goto("/account").await;
    check("account").await;
    b.goto("/inbox").await;
    check("inbox").await;
    b.goto("/dashboard").await;
    check("dashboard").await;
    b.goto("/workflows").await;
    check("workflows").await;
    b.goto("/workflows/print-production").await;
    check("a workflow with item and job kinds").await;
    b.goto("/no/such/page").await;
    check("404").await;
    b.close().await;
    assert!(found.is_empty(), "axe-core found:\n{}", found.join("\n"));
}

/// The pages the test above leaves out: an organisation's webhooks (just
/// added, refused, listed) and an endpoint's deliveries, an action's own
/// page (where its button leads without JavaScript), and the pages people
/// open most on a phone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_no_serious_or_critical_violation_on_webhooks_an_action_page_and_a_phone() {
    let server = Server::start().await;
    let worlds::Dental { clinic, lab } = worlds::dental(&server, None, json!({}), &["admin"]).await;
    let id = dental_order(&server, &clinic.token).await;
    let mut found = Vec::new();
    let b = Browser::open(&server, DESKTOP).await;
    let mut check = async |b: &Browser, page: &str| {
        for v in b.axe().await {
            found.push(format!("{page}: {v}"));
        }
    };
    b.sign_in(&lab).await;
    b.goto("/webhooks").await;
    b.wait_text("No webhooks yet.").await;
    check(&b, "webhooks, none").await;
    b.fill("URL", "ftp://nowhere").await;
    b.click("Add webhook").await;
    b.error_beside("URL").await;
    check(&b, "webhooks, a URL refused").await;
    b.fill("URL", "http://127.0.0.1:9/hook").await;
    b.click("Add webhook").await;
    b.wait_text("Signing secret").await;
    check(&b, "webhooks, one just added").await;
    b.goto("/webhooks").await;
    b.wait_text("http://127.0.0.1:9/hook").await;
    check(&b, "webhooks, one").await;

    // Publishing is a change the lab sees: a delivery to the endpoint.
    server.act(&clinic.token, &id, "publish", json!({})).await;
    b.link("http://127.0.0.1:9/hook")
        .await
        .click()
        .await
        .unwrap();
    b.wait_text("Deliveries to http://127.0.0.1:9/hook").await;
    b.wait_text("order.status_changed").await;
    b.button("Redeliver").await;
    check(&b, "an endpoint's deliveries").await;

    b.goto(&format!("/orders/{id}/actions/record_payment"))
        .await;
    b.wait_text("Record payment").await;
    b.field("Amount").await;
    check(&b, "an action's own page").await;
    b.close().await;

    let b = Browser::open(&server, PHONE).await;
    b.sign_in(&lab).await;
    b.wait_text("DL-1001").await;
    check(&b, "orders at 375 px").await;
    b.goto(&format!("/orders/{id}")).await;
    b.wait_text("History").await;
    check(&b, "an order at 375 px").await;
    b.goto("/dashboard").await;
    b.wait_text("Dental lab (1)").await;
    check(&b, "dashboard at 375 px").await;
    b.close().await;
    assert!(found.is_empty(), "axe-core found:\n{}", found.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_elsewhere_arrives_live_on_the_open_page() {
    let server = Server::start().await;
    let (clinic, _, lab) = dental_world(&server).await;
    let id = published_dental_order(&server, &clinic.token).await;
    let b = Browser::open(&server, DESKTOP).await;
    b.sign_in(&lab).await;

    // The list hears of a new order the lab may see.
    b.wait_text("All (1)").await;
    let second = dental_order(&server, &clinic.token).await;
    server
        .act(&clinic.token, &second, "publish", json!({}))
        .await;
    b.wait_text("All (2)").await;

    // The order page hears of a change made by someone else.
    b.goto(&format!("/orders/{id}")).await;
    b.wait_text("History").await;
    server
        .act(
            &lab.token,
            &id,
            "start_production",
            json!({"production_date": "2026-03-02"}),
        )
        .await;
    b.wait_text("Published → Production").await;
    assert_eq!(
        b.path().await,
        format!("/orders/{id}"),
        "no navigation, the page updated itself"
    );
    b.close().await;
}

/// Marks the open page, so that `not_reloaded` can tell a page that
/// changed in place from one loaded again (whose address is the same).
async fn mark_page(b: &Browser) {
    b.client
        .execute("window.notReloaded = true;", vec![])
        .await
        .unwrap();
}

async fn not_reloaded(b: &Browser) -> bool {
    b.client
        .execute("return window.notReloaded === true;", vec![])
        .await
        .unwrap()
        .as_bool()
        .unwrap_or(false)
}

/// Two people at once: what the lab takes in its dialog reaches the
/// clinic's open list and then its open order page, each without a
/// reload. How long each took is printed, not asserted: CI's two cores
/// make any deadline but the harness's own wait a flaky one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_taken_in_one_browser_arrives_live_in_another() {
    let server = Server::start().await;
    let (clinic, _, lab) = dental_world(&server).await;
    let id = published_dental_order(&server, &clinic.token).await;
    let at_lab = Browser::open(&server, DESKTOP).await;
    let at_clinic = at_lab.open_beside(&server, DESKTOP).await;
    at_lab.sign_in(&lab).await;
    at_lab.goto(&format!("/orders/{id}")).await;
    at_lab.wait_text("History").await;
    at_clinic.sign_in(&clinic).await;
    at_clinic.wait_row("DL-1001", "Published").await;
    mark_page(&at_clinic).await;

    at_lab.click("In production").await;
    at_lab
        .set_date("The date this order was made", "2026-03-02")
        .await;
    at_lab.click("In production").await;
    let taken = Instant::now();
    at_clinic.wait_row("DL-1001", "Production").await;
    let to_the_list = taken.elapsed();
    assert!(
        not_reloaded(&at_clinic).await,
        "the list changed in place, not by a reload"
    );

    at_clinic.goto(&format!("/orders/{id}")).await;
    at_clinic.wait_text("Published → Production").await;
    let before = at_clinic.text().await;
    assert!(
        !before.contains("€230.00") && !before.contains("Record payment"),
        "nothing paid yet: {before}"
    );
    mark_page(&at_clinic).await;
    at_lab
        .act("Record payment", || async {
            at_lab.fill("Amount", "10.00").await;
        })
        .await;
    let taken = Instant::now();
    at_clinic.wait_text("€230.00").await;
    let to_the_order = taken.elapsed();
    assert!(
        at_clinic.text().await.contains("Record payment"),
        "the payment is in the clinic's history"
    );
    assert!(
        not_reloaded(&at_clinic).await,
        "the order page changed in place, not by a reload"
    );
    eprintln!(
        "live: taken in one browser, shown in the other after {to_the_list:?} (orders list), \
         {to_the_order:?} (order page), the htmx trigger's 200 ms delay included"
    );
    at_clinic.close().await;
    at_lab.close().await;
}

const TAB: &str = "\u{e004}";
const ENTER: &str = "\u{e007}";
const ESCAPE: &str = "\u{e00c}";

/// Presses `key` where the focus is.
async fn press(b: &Browser, key: &str) {
    b.client
        .active_element()
        .await
        .unwrap()
        .send_keys(key)
        .await
        .unwrap();
}

/// What has the focus: its tag, its id and its text (a button's name).
async fn focused(b: &Browser) -> (String, String, String) {
    let e = b.client.active_element().await.unwrap();
    (
        e.tag_name().await.unwrap_or_default(),
        e.attr("id").await.unwrap().unwrap_or_default(),
        e.text().await.unwrap_or_default().trim().to_owned(),
    )
}

/// Presses Tab until the focus is on what `is_it` accepts, at most
/// `most` times; whether it got there.
async fn tab_to(
    b: &Browser,
    most: usize,
    is_it: impl Fn(&(String, String, String)) -> bool,
) -> bool {
    for _ in 0..most {
        press(b, TAB).await;
        if is_it(&focused(b).await) {
            return true;
        }
    }
    false
}

/// The open dialog's name (its heading), or `None` with none open.
async fn open_dialog(b: &Browser) -> Option<String> {
    let dialog = b
        .client
        .find(fantoccini::Locator::XPath("//dialog[@open]"))
        .await
        .ok()?;
    let heading = dialog
        .find(fantoccini::Locator::XPath(".//h2"))
        .await
        .ok()?;
    Some(heading.text().await.unwrap_or_default())
}

/// Someone without a mouse: Tab reaches an action's button, Enter opens
/// its dialog on its first field, and Escape or its Close button shuts it
/// again, the focus back on the button that opened it (Chromium's own
/// <dialog> does this: app.js only opens and closes it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_is_opened_and_left_from_the_keyboard() {
    let server = Server::start().await;
    let (clinic, _, lab) = dental_world(&server).await;
    let id = published_dental_order(&server, &clinic.token).await;
    let before = version(&server, &lab.token, &id).await;
    let b = Browser::open(&server, DESKTOP).await;
    b.sign_in(&lab).await;
    b.goto(&format!("/orders/{id}")).await;
    b.wait_text("History").await;
    let opener = |f: &(String, String, String)| f.0 == "button" && f.2 == "In production";
    assert!(
        tab_to(&b, 40, opener).await,
        "Tab never reached In production"
    );
    assert_eq!(open_dialog(&b).await, None);
    press(&b, ENTER).await;
    assert_eq!(open_dialog(&b).await.as_deref(), Some("In production"));
    let date = b
        .field("The date this order was made")
        .await
        .attr("id")
        .await
        .unwrap()
        .expect("the date field has an id");
    assert_eq!(focused(&b).await.1, date, "the focus is on the first field");
    press(&b, ESCAPE).await;
    assert_eq!(open_dialog(&b).await, None, "Escape closes the dialog");
    let after_escape = focused(&b).await;
    assert!(opener(&after_escape), "after Escape: {after_escape:?}");

    // The same by its Close button, Tab taking the focus there.
    press(&b, ENTER).await;
    assert_eq!(open_dialog(&b).await.as_deref(), Some("In production"));
    assert_eq!(focused(&b).await.1, date);
    assert!(
        tab_to(&b, 10, |f| f.0 == "button" && f.2 == "Close").await,
        "Tab never reached the dialog's Close"
    );
    press(&b, ENTER).await;
    assert_eq!(open_dialog(&b).await, None, "Close closes the dialog");
    let after_close = focused(&b).await;
    assert!(opener(&after_close), "after Close: {after_close:?}");
    assert_eq!(
        version(&server, &lab.token, &id).await,
        before,
        "nothing changed"
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_workflow_is_drawn_with_who_may_take_each_action() {
    let server = Server::start().await;
    let (clinic, _, _) = dental_world(&server).await;
    let b = Browser::open(&server, DESKTOP).await;
    b.sign_in(&clinic).await;
    b.goto("/workflows").await;
    for label in ["Dental lab", "Purchasing", "Compliance", "Print production"] {
        b.link(label).await;
    }
    b.link("Dental lab").await.click().await.unwrap();
    b.wait_text("Who may take it").await;
    let drawing = b
        .client
        .find(fantoccini::Locator::Css("svg[role=img]"))
        .await
        .expect("the workflow is drawn as an image");
    let title = drawing
        .find(fantoccini::Locator::Css("title"))
        .await
        .unwrap();
    assert_eq!(title.html(true).await.unwrap(), "Dental lab");
    let svg = drawing.html(false).await.unwrap();
    for text in ["Published", "Publish (customer)", "Ship (lab)", "Completed"] {
        assert!(svg.contains(text), "{text} is drawn");
    }
    b.goto("/workflows/no-such-workflow").await;
    b.wait_text("Not found").await;

    // An order's page marks the way it came and where it is now.
    let id = published_dental_order(&server, &clinic.token).await;
    b.goto(&format!("/orders/{id}")).await;
    b.wait_text("Where this order is").await;
    let current = b
        .client
        .find(fantoccini::Locator::Css("svg g.state.current"))
        .await
        .expect("the current state is marked");
    assert_eq!(
        current.attr("data-state").await.unwrap().as_deref(),
        Some("published")
    );
    let visited = b
        .client
        .find_all(fantoccini::Locator::Css("svg g.state.visited"))
        .await
        .unwrap();
    assert_eq!(visited.len(), 2, "draft and published");
    b.close().await;
}
