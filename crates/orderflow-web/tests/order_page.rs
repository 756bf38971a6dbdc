//! The order page's work plan, attachments, allocation bars and timers,
//! and the files chosen in forms, in a real browser (headless Chromium
//! through chromedriver), found by their accessible names, each change
//! checked through the API.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "browser/harness.rs"]
mod harness;
#[path = "browser/worlds.rs"]
mod worlds;

use harness::{Browser, Login, Server};
use serde_json::json;

const DESKTOP: u32 = 1280;

/// A 1×1 PNG a browser can draw.
const PIXEL_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xd0, 0xaa, 0x3a, 0x00,
    0x00, 0x02, 0x36, 0x01, 0x65, 0x0c, 0x92, 0x78, 0xbb, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

/// A published dental-lab order with a work plan of three tasks; the
/// clinic's and the lab's logins and the order's id.
async fn planned_order(server: &Server) -> (Login, Login, String) {
    let worlds::Dental { clinic, lab } = worlds::dental(server, None, json!({}), &[]).await;
    let order = server
        .create(
            &clinic.token,
            worlds::dental_order(&[("Crown", 1, "120.00")]),
        )
        .await;
    let id = order["id"].as_str().unwrap().to_owned();
    server.act(&clinic.token, &id, "publish", json!({})).await;
    for task in ["Scan impression", "Mill crown", "Polish"] {
        server
            .act(&lab.token, &id, "add_task", json!({"name": task}))
            .await;
    }
    (clinic, lab, id)
}

/// The work plan's `done` flags by task name, and the history's length.
async fn plan(server: &Server, lab: &Login, id: &str) -> (Vec<(String, bool)>, usize) {
    let order = server.get(&lab.token, &format!("/orders/{id}")).await;
    let tasks = order["data"]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_owned(),
                t["done"].as_bool().unwrap(),
            )
        })
        .collect();
    let history = server
        .get(&lab.token, &format!("/orders/{id}/history"))
        .await;
    (tasks, history["items"].as_array().unwrap().len())
}

fn done(plan: &[(String, bool)]) -> Vec<&str> {
    plan.iter()
        .filter(|(_, d)| *d)
        .map(|(n, _)| n.as_str())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lab_ticks_tasks_one_click_each_and_several_at_once() {
    let server = Server::start().await;
    let (clinic, lab, id) = planned_order(&server).await;
    let (_, steps) = plan(&server, &lab, &id).await;
    let b = Browser::open(&server, DESKTOP).await;

    b.sign_in(&lab).await;
    b.goto(&format!("/orders/{id}")).await;
    b.wait_text("Work plan").await;

    // One click marks one task, as one step of the history.
    b.click("Mark done: Mill crown").await;
    b.button("Mark not done: Mill crown").await;
    let (tasks, after_one) = plan(&server, &lab, &id).await;
    assert_eq!(done(&tasks), vec!["Mill crown"]);
    assert_eq!(after_one, steps + 1, "one click, one history step");

    // Several at once: tick their boxes, one button, one step.
    b.field("Select Scan impression")
        .await
        .click()
        .await
        .unwrap();
    b.field("Select Polish").await.click().await.unwrap();
    b.click("Mark selected done").await;
    b.button("Mark not done: Polish").await;
    let (tasks, after_many) = plan(&server, &lab, &id).await;
    assert_eq!(
        done(&tasks),
        vec!["Scan impression", "Mill crown", "Polish"]
    );
    assert_eq!(after_many, steps + 2, "three tasks in one step");
    // The step names the tasks it marked.
    b.wait_text("Scan impression, Polish").await;

    // And undone with one click again.
    b.click("Mark not done: Polish").await;
    b.button("Mark done: Polish").await;
    let (tasks, _) = plan(&server, &lab, &id).await;
    assert_eq!(done(&tasks), vec!["Scan impression", "Mill crown"]);
    b.wait_text("Mark task").await;

    // The clinic may not mark tasks: it sees the plan, no controls.
    b.sign_out().await;
    b.sign_in(&clinic).await;
    b.goto(&format!("/orders/{id}")).await;
    b.wait_text("Work plan").await;
    assert!(b.buttons("Mark done: Polish").await.is_empty());
    assert!(b.buttons("Mark selected done").await.is_empty());
    b.close().await;
}

/// A purchasing outlet (time zone Europe/Berlin, pending orders abandoned
/// after 3 days), its supplier and a stranger; logins of the buyer, the
/// supplier and the stranger.
async fn purchasing_world(server: &Server) -> (Login, Login, Login) {
    let people = worlds::purchasing(
        server,
        json!({"time_zone": "Europe/Berlin", "abandon_pending_after_days": 3}),
    )
    .await;
    server.organization("other", "Other Café", json!({})).await;
    let stranger = server.user("stan", "other", &["buyer"]).await;
    (people.buyer, people.supplier, stranger)
}

async fn purchasing_order(server: &Server, buyer: &Login) -> String {
    let order = server
        .create(
            &buyer.token,
            worlds::purchase(&[("Espresso beans", 2, "12.00")]),
        )
        .await;
    assert_eq!(order["status"]["id"], "pending");
    order["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chosen_images_are_shown_before_they_are_sent_and_too_many_are_said_at_once() {
    let server = Server::start().await;
    let (buyer, _, _) = purchasing_world(&server).await;
    let id = purchasing_order(&server, &buyer).await;
    let before = server.get(&buyer.token, &format!("/orders/{id}")).await;
    let dir = tempfile::tempdir().unwrap();
    let photos: Vec<String> = (1..=4)
        .map(|n| {
            let path = dir.path().join(format!("shelf-{n}.png"));
            std::fs::write(&path, PIXEL_PNG).unwrap();
            path.display().to_string()
        })
        .collect();
    let b = Browser::open(&server, DESKTOP).await;
    b.sign_in(&buyer).await;
    b.goto(&format!("/orders/{id}")).await;
    b.click("Add note").await;
    b.wait_text("Up to 3 images.").await;

    // Two photos: each drawn in the dialog, named by its file.
    let images = b.field("Images").await;
    images.send_keys(&photos[..2].join("\n")).await.unwrap();
    for name in ["shelf-1.png", "shelf-2.png"] {
        let shown = b.images(name).await;
        assert_eq!(shown.len(), 1, "{name} is previewed once");
        assert_eq!(
            b.drawn_width(&shown[0]).await,
            1,
            "the preview is the chosen image itself"
        );
    }
    assert!(!b.text().await.contains("Choose at most"));
    // The field alone answers to its label: the list of chosen files has no
    // name that holds it (a test finding "Images" would find two).
    let named = b
        .client
        .execute(
            "return document.querySelectorAll('[aria-label*=\"Images\"]').length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(named, json!(0));

    // Two more make four: said beside the field before anything is sent.
    images.send_keys(&photos[2..].join("\n")).await.unwrap();
    b.wait_text("Choose at most 3: 4 are chosen.").await;
    assert_eq!(b.images("shelf-4.png").await.len(), 1);

    // Sent anyway, the server refuses it: the order keeps no note, and the
    // four files the form uploaded are removed again.
    b.fill("Note", "Shelf photos").await;
    b.click("Add note").await;
    b.wait_text("takes at most 3 file(s); 4 were given").await;
    let order = server.get(&buyer.token, &format!("/orders/{id}")).await;
    assert_eq!(order["version"], before["version"], "nothing was written");
    assert_eq!(server.stored_files(), 0, "no file is left behind");

    // Three are taken, and kept.
    b.field("Images")
        .await
        .send_keys(&photos[..3].join("\n"))
        .await
        .unwrap();
    b.fill("Note", "Shelf photos").await;
    b.click("Add note").await;
    b.wait_text("Shelf photos").await;
    assert_eq!(server.stored_files(), 3);
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_show_as_thumbnails_and_links_for_the_parties_only() {
    let server = Server::start().await;
    let (buyer, supplier, stranger) = purchasing_world(&server).await;
    let id = purchasing_order(&server, &buyer).await;
    let photo = server
        .upload(
            &buyer.token,
            "torn-bag.png",
            "image/png",
            PIXEL_PNG.to_vec(),
        )
        .await;
    server
        .act(
            &buyer.token,
            &id,
            "add_note",
            json!({"note": "One bag torn", "images": [photo]}),
        )
        .await;
    let b = Browser::open(&server, DESKTOP).await;

    // The supplier, who did not upload it, sees the picture drawn.
    b.sign_in(&supplier).await;
    b.goto(&format!("/orders/{id}")).await;
    b.wait_text("One bag torn").await;
    let img = b
        .client
        .find(fantoccini::Locator::Css(
            ".timeline img[alt='Images: torn-bag.png']",
        ))
        .await
        .expect("a thumbnail named by its input and file");
    assert_eq!(
        b.drawn_width(&img).await,
        1,
        "the thumbnail is the image itself"
    );
    let href = b
        .client
        .find(fantoccini::Locator::XPath(
            "//a[img[@alt='Images: torn-bag.png']]",
        ))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(
        href.ends_with(&format!("/orders/{id}/files/{photo}")),
        "{href}"
    );
    b.sign_out().await;

    // A stranger gets the 404 page for the order's file.
    b.sign_in(&stranger).await;
    b.goto(&format!("/orders/{id}/files/{photo}")).await;
    b.wait_text("Not found").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_is_no_image_is_a_link_named_by_the_file() {
    let server = Server::start().await;
    let editor = worlds::compliance(&server).await.editor;
    let order = server
        .create(
            &editor.token,
            json!({"workflow": "compliance", "inputs": {"reference": "PO-77",
                   "requirements": [{"name": "Origin certificate"}]}}),
        )
        .await;
    let id = order["id"].as_str().unwrap();
    let pdf = server
        .upload(
            &editor.token,
            "origin.pdf",
            "application/pdf",
            b"%PDF-1.4\n%%EOF\n".to_vec(),
        )
        .await;
    server
        .act(
            &editor.token,
            id,
            "provide_evidence",
            json!({"requirement": 1, "file": [pdf]}),
        )
        .await;
    let b = Browser::open(&server, DESKTOP).await;
    b.sign_in(&editor).await;
    b.goto(&format!("/orders/{id}")).await;
    let link = b.link("File: origin.pdf").await;
    let href = link.attr("href").await.unwrap().unwrap();
    assert!(
        href.ends_with(&format!("/orders/{id}/files/{pdf}")),
        "{href}"
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allocation_per_product_type_shows_as_progress_bars() {
    let server = Server::start().await;
    let editor = worlds::compliance(&server).await.editor;
    let order = server
        .create(
            &editor.token,
            json!({"workflow": "compliance", "inputs": {"reference": "PO-77",
                   "product_types": [{"product_type": "Cotton", "quantity": 20},
                                     {"product_type": "Wool", "quantity": 5}]}}),
        )
        .await;
    let id = order["id"].as_str().unwrap();
    server
        .act(
            &editor.token,
            id,
            "allocate",
            json!({"product_type": "Cotton", "quantity": 12, "batch_reference": "B-1"}),
        )
        .await;
    let b = Browser::open(&server, DESKTOP).await;
    b.sign_in(&editor).await;
    b.goto(&format!("/orders/{id}")).await;
    b.wait_text("12 of 20 (60%)").await;
    b.wait_text("0 of 5 (0%)").await;
    for (label, value, max) in [("Cotton", "12", "20"), ("Wool", "0", "5")] {
        let bar = b.field(label).await;
        assert_eq!(bar.tag_name().await.unwrap(), "progress", "{label}");
        assert_eq!(bar.attr("value").await.unwrap().as_deref(), Some(value));
        assert_eq!(bar.attr("max").await.unwrap().as_deref(), Some(max));
    }
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outlet_reschedules_and_cancels_a_timer_the_supplier_only_sees() {
    let server = Server::start().await;
    let (buyer, supplier, _) = purchasing_world(&server).await;
    let id = purchasing_order(&server, &buyer).await;
    let timers = |token: String| {
        let path = format!("/orders/{id}/timers");
        let server = &server;
        async move { server.get(&token, &path).await["items"].clone() }
    };
    let due = timers(buyer.token.clone()).await[0]["due_at"]
        .as_str()
        .unwrap()
        .to_owned();
    let due: chrono::DateTime<chrono::Utc> = due.parse().unwrap();
    let berlin = due.with_timezone(&chrono_tz::Europe::Berlin);
    let b = Browser::open(&server, DESKTOP).await;

    // The supplier sees what will happen and when, and no control.
    b.sign_in(&supplier).await;
    b.goto(&format!("/orders/{id}")).await;
    b.wait_text("Abandon if not accepted: Abandon at").await;
    assert!(
        b.text()
            .await
            .contains(&due.format("%H:%M UTC").to_string())
    );
    assert!(
        b.buttons("Cancel timer Abandon if not accepted")
            .await
            .is_empty()
    );
    b.sign_out().await;

    // The outlet reads it in its own time zone and moves it.
    b.sign_in(&buyer).await;
    b.goto(&format!("/orders/{id}")).await;
    b.wait_text(&berlin.format("%-d %b %Y, %H:%M %Z").to_string())
        .await;
    b.set_date("New time for Abandon if not accepted", "2031-07-01T10:30")
        .await;
    b.click("Reschedule Abandon if not accepted").await;
    b.wait_text("1 Jul 2031, 10:30 CEST").await;
    assert_eq!(
        timers(buyer.token.clone()).await[0]["due_at"],
        "2031-07-01T08:30:00Z",
        "read in Europe/Berlin"
    );

    // A time that never happens there is refused beside the field.
    b.set_date("New time for Abandon if not accepted", "2031-03-30T02:30")
        .await;
    b.click("Reschedule Abandon if not accepted").await;
    let message = b.error_beside("New time for Abandon if not accepted").await;
    assert!(message.contains("2031-03-30T02:30"), "{message}");
    assert_eq!(
        timers(buyer.token.clone()).await[0]["due_at"],
        "2031-07-01T08:30:00Z"
    );

    b.click("Cancel timer Abandon if not accepted").await;
    b.wait_text("History").await;
    let after = timers(supplier.token.clone()).await;
    assert_eq!(after[0]["status"], "canceled");
    assert!(!b.text().await.contains("Abandon if not accepted"));
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_no_serious_violation_on_work_plans_bars_timers_and_thumbnails() {
    let server = Server::start().await;
    let (_, lab, dental) = planned_order(&server).await;
    let (buyer, _, _) = purchasing_world(&server).await;
    let purchase = purchasing_order(&server, &buyer).await;
    let photo = server
        .upload(&buyer.token, "bag.png", "image/png", PIXEL_PNG.to_vec())
        .await;
    server
        .act(
            &buyer.token,
            &purchase,
            "add_note",
            json!({"note": "Bag", "images": [photo]}),
        )
        .await;
    let editor = worlds::compliance(&server).await.editor;
    let compliance = server
        .create(
            &editor.token,
            json!({"workflow": "compliance", "inputs": {"reference": "PO-9",
                   "product_types": [{"product_type": "Cotton", "quantity": 20}]}}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let b = Browser::open(&server, DESKTOP).await;
    let mut found = Vec::new();
    for (login, id, shows) in [
        (&lab, &dental, "Mark selected done"),
        (&buyer, &purchase, "Cancel timer"),
        (&editor, &compliance, "0 of 20"),
    ] {
        b.sign_in(login).await;
        b.goto(&format!("/orders/{id}")).await;
        b.wait_text(shows).await;
        for v in b.axe().await {
            found.push(format!("{id}: {v}"));
        }
        b.sign_out().await;
    }
    b.close().await;
    assert!(found.is_empty(), "axe-core found:\n{}", found.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_order_lists_only_the_blocked_actions_it_may_still_come_to() {
    let server = Server::start().await;
    let people = worlds::purchasing(&server, json!({})).await;
    let id = server
        .create(
            &people.buyer.token,
            worlds::purchase(&[("Espresso beans 1 kg", 3, "18.50")]),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    server
        .act(&people.supplier.token, &id, "accept", json!({}))
        .await;
    server
        .act(&people.approver.token, &id, "complete", json!({}))
        .await;
    let b = Browser::open(&server, DESKTOP).await;

    // The approver may dispute it now, and resolve a dispute later; it
    // will never again need approval, nor be abandoned.
    b.sign_in(&people.approver).await;
    b.goto(&format!("/orders/{id}")).await;
    b.wait_text("Not possible now").await;
    b.button("Dispute").await;
    assert!(
        !b.buttons("Resolve dispute").await[0]
            .is_enabled()
            .await
            .unwrap(),
        "a dispute to resolve may still come"
    );
    b.wait_text("Available when the order is In Dispute.").await;
    for never in ["Approve", "Abandon", "Complete"] {
        assert!(
            b.buttons(never).await.is_empty(),
            "{never} is listed on a completed order:\n{}",
            b.text().await
        );
    }
    b.sign_out().await;

    // The supplier's answers to a pending order are over.
    b.sign_in(&people.supplier).await;
    b.goto(&format!("/orders/{id}")).await;
    b.wait_text("History").await;
    for never in ["Accept", "Decline", "Schedule for delivery"] {
        assert!(
            b.buttons(never).await.is_empty(),
            "{never} is listed on a completed order:\n{}",
            b.text().await
        );
    }
    assert!(!b.text().await.contains("Not possible now"));
    b.close().await;
}

/// The accepted quantity of each line of purchase `id`, by line id.
async fn acceptances(server: &Server, login: &Login, id: &str) -> Vec<(u64, u64)> {
    let order = server.get(&login.token, &format!("/orders/{id}")).await;
    order["data"]["acceptances"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| (r["line"].as_u64().unwrap(), r["quantity"].as_u64().unwrap()))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supplier_accepts_part_of_an_order_in_a_table_of_its_lines() {
    let server = Server::start().await;
    let people = worlds::purchasing(&server, json!({})).await;
    let id = server
        .create(
            &people.buyer.token,
            worlds::purchase(&[
                ("Espresso beans 1 kg", 30, "18.50"),
                ("Oat milk 1 l", 24, "1.90"),
                ("Paper cups", 500, "0.05"),
            ]),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = Browser::open(&server, DESKTOP).await;
    b.sign_in(&people.supplier).await;
    b.goto(&format!("/orders/{id}")).await;
    b.click("Accept").await;

    // The lines' quantities show once "Partial" is ticked, each filled in
    // with the ordered quantity and at most that.
    let oat_milk = "Accepted quantity of Oat milk 1 l";
    assert_eq!(b.labelled(oat_milk).await, 1, "a row per line");
    b.field("Partial").await.click().await.unwrap();
    for (product, ordered) in [
        ("Espresso beans 1 kg", "30"),
        ("Oat milk 1 l", "24"),
        ("Paper cups", "500"),
    ] {
        let f = b.field(&format!("Accepted quantity of {product}")).await;
        assert_eq!(f.prop("value").await.unwrap().as_deref(), Some(ordered));
        assert_eq!(f.attr("max").await.unwrap().as_deref(), Some(ordered));
        assert_eq!(f.attr("min").await.unwrap().as_deref(), Some("0"));
    }

    // More than was ordered: the message is beside that line's quantity,
    // and the order is still pending.
    b.fill(oat_milk, "30").await;
    b.click("Accept").await;
    let message = b.error_beside(oat_milk).await;
    assert!(
        message.contains("cannot be more than the ordered quantity"),
        "{message}"
    );
    assert!(acceptances(&server, &people.supplier, &id).await.is_empty());
    assert_eq!(
        b.field(oat_milk)
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("30"),
        "the form keeps what was typed"
    );

    // Two lines in full, one in part.
    b.fill(oat_milk, "10").await;
    b.click("Accept").await;
    b.wait_text("Pending → Partially Accepted").await;
    let order = server
        .get(&people.supplier.token, &format!("/orders/{id}"))
        .await;
    assert_eq!(order["status"]["id"], "partially_accepted");
    assert_eq!(
        acceptances(&server, &people.supplier, &id).await,
        [(1, 30), (2, 10), (3, 500)]
    );
    // The order page shows what was accepted of each line (by the lines'
    // numbers).
    b.wait_text("Accepted quantities").await;
    let mut accepted = Vec::new();
    for row in b
        .client
        .find_all(fantoccini::Locator::XPath(
            "//section[@aria-label='Accepted quantities']//tbody/tr",
        ))
        .await
        .unwrap()
    {
        accepted.push(row.text().await.unwrap());
    }
    assert_eq!(accepted, ["1 1 30", "2 2 10", "3 3 500"]);
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_design_chosen_in_an_added_row_is_shown_in_that_row_only() {
    let server = Server::start().await;
    let merchant = worlds::print_shop(&server, false, &[]).await.merchant;
    let dir = tempfile::tempdir().unwrap();
    let design = dir.path().join("back-print.png");
    std::fs::write(&design, PIXEL_PNG).unwrap();
    let b = Browser::open(&server, DESKTOP).await;
    b.sign_in(&merchant).await;
    b.goto("/orders/new?workflow=print-production").await;
    b.click("Add row").await;
    let designs = b
        .client
        .find_all(fantoccini::Locator::Css("input[type=file][name^='items.']"))
        .await
        .unwrap();
    assert_eq!(designs.len(), 2, "a design per row");
    designs[1]
        .send_keys(&design.display().to_string())
        .await
        .unwrap();
    assert_eq!(b.images("back-print.png").await.len(), 1);
    // The preview is the second row's, named after its input.
    let list = b
        .client
        .find(fantoccini::Locator::XPath(
            "//img[@alt='back-print.png']/ancestor::ul[1]",
        ))
        .await
        .unwrap();
    let (input_id, list_id) = (
        designs[1].attr("id").await.unwrap().unwrap(),
        list.attr("id").await.unwrap().unwrap(),
    );
    assert_eq!(list_id, format!("{input_id}-chosen"));
    // Another row added after it starts with nothing chosen.
    b.click("Add row").await;
    assert_eq!(b.images("back-print.png").await.len(), 1);
    b.close().await;
}
