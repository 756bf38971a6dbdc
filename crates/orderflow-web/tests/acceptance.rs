//! Acceptance: each built-in workflow's main path walked as its people
//! walk it, in a real browser, only through what a person reads and
//! clicks (labels, button and link names, the accessible names of
//! markers), each party signing in in turn; then what the API promises
//! beside it (docs/product.md, "Interfaces"; docs/api.md).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "browser/harness.rs"]
mod harness;
#[path = "browser/worlds.rs"]
mod worlds;

use chrono::{NaiveDate, Utc};
use harness::{Browser, Server};
use serde_json::{Value, json};

const DESKTOP: u32 = 1280;

/// A date as the pages write it: `30 Nov 2026`.
fn day(d: NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dental_lab_the_clinic_orders_the_lab_produces_ships_and_is_paid() {
    let server = Server::start().await;
    let people = worlds::dental(
        &server,
        Some("Europe/Berlin"),
        json!({"payment_instructions": "Transfer to IBAN DE89 3704 0044 0532 0130 00.",
               "task_templates": {"Zirconia crown": ["Mill crown", "Polish"]}}),
        &[],
    )
    .await;
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
    let b = Browser::open(&server, DESKTOP).await;

    // The clinic writes the order; its due date says which dates it takes.
    b.sign_in(&people.clinic).await;
    b.link("New order").await.click().await.unwrap();
    b.select("Workflow", "Dental lab").await;
    b.click("Choose").await;
    b.select("Lab", "Dental Lab Co").await;
    b.fill("Product", "Zirconia crown").await;
    b.fill("Quantity", "2").await;
    b.fill("Unit price", "120.00").await;
    b.wait_text(&format!(
        "Allowed dates: {} or later (today is {} in Europe/Berlin).",
        day(today),
        day(today)
    ))
    .await;
    b.click("Tomorrow").await;
    let due = today.succ_opt().unwrap();
    assert_eq!(
        b.field("Due date").await.prop("value").await.unwrap(),
        Some(due.to_string())
    );
    b.click("Create order").await;
    b.wait_text("History").await;
    b.wait_text("Draft").await;
    let order = b.path().await;
    b.act("Publish", || async {}).await;
    b.wait_text("Draft → Published").await;
    b.wait_text("carla (test) (Smile Clinic)").await;
    b.sign_out().await;

    // The lab finds it under its status, with its count.
    b.sign_in(&people.lab).await;
    b.wait_text("Published (1)").await;
    b.link("DL-1001").await.click().await.unwrap();
    b.wait_text("Zirconia crown").await;
    assert_eq!(b.path().await, order);
    b.act("Plan work", || async {}).await;
    b.wait_text("Mill crown").await;
    b.act("In production", || async {
        b.set_date("The date this order was made", &today.to_string())
            .await;
    })
    .await;
    b.wait_text("Published → Production").await;

    // Produce waits for the work plan, and says so beside its button.
    b.wait_text("2 of 2 tasks are still open").await;
    for produce in b.buttons("Produce").await {
        assert!(!produce.is_enabled().await.unwrap(), "Produce is disabled");
    }
    b.click("Mark done: Mill crown").await;
    b.button("Mark not done: Mill crown").await;
    b.wait_text("1 of 2 tasks are still open").await;
    b.click("Mark done: Polish").await;
    b.button("Mark not done: Polish").await;
    b.act("Produce", || async {}).await;
    b.wait_text("Production → Produced").await;
    b.act("Ship", || async {
        b.fill("Tracking number", "1Z999AA10123456784").await;
    })
    .await;
    b.wait_text("Produced → Shipped").await;
    b.act("Update tracking number", || async {
        b.fill("Tracking number", "1Z999AA10123456785").await;
    })
    .await;
    b.wait_text("1Z999AA10123456785").await;
    assert!(
        b.text().await.contains("1Z999AA10123456784"),
        "the history keeps the first tracking number"
    );
    b.act("Deliver", || async {}).await;
    b.wait_text("Shipped → Delivered").await;
    b.sign_out().await;

    // The clinic sees it delivered, and how to pay what is due.
    b.sign_in(&people.clinic).await;
    b.goto(&order).await;
    b.wait_text("Transfer to IBAN DE89 3704 0044 0532 0130 00.")
        .await;
    let text = b.text().await;
    assert!(text.contains("Delivered"), "{text}");
    assert!(text.contains("240.00"), "the balance due: {text}");
    assert!(
        b.buttons("Record payment").await.is_empty(),
        "the clinic records no payment"
    );
    b.sign_out().await;

    // Paid in full: the order completes on its own, as orderflow's step.
    b.sign_in(&people.lab).await;
    b.goto(&order).await;
    b.act("Record payment", || async {
        b.fill("Amount", "240.00").await;
    })
    .await;
    b.wait_text("Delivered → Completed").await;
    b.wait_text("orderflow (automatic)").await;
    b.sign_out().await;

    b.sign_in(&people.clinic).await;
    b.goto(&order).await;
    b.wait_text("Completed").await;
    // Where it went, drawn; then printed, on paper and as a PDF.
    b.wait_text("Where this order is").await;
    b.link("Print").await.click().await.unwrap();
    b.wait_text("Download PDF").await;
    let sheet = b.text().await;
    for shown in [
        "Smile Clinic",
        "Dental Lab Co",
        "Zirconia crown",
        "Completed",
        "1Z999AA10123456785",
    ] {
        assert!(
            sheet.contains(shown),
            "the print view shows {shown}: {sheet}"
        );
    }
    let (status, media, pdf) = b.download("Download PDF").await;
    assert_eq!((status, media.as_str()), (200, "application/pdf"));
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compliance_the_status_follows_allocation_and_evidence_and_a_viewer_only_reads() {
    let server = Server::start().await;
    let people = worlds::compliance(&server).await;
    let b = Browser::open(&server, DESKTOP).await;

    b.sign_in(&people.editor).await;
    b.goto("/orders/new?workflow=compliance").await;
    b.fill("Reference", "PO-77").await;
    b.fill("Product type", "Organic cotton").await;
    b.fill("Required quantity", "10").await;
    b.fill("Requirement", "Origin certificate").await;
    b.click("Create order").await;
    b.wait_text("History").await;
    b.wait_text("Pending data").await;
    let order = b.path().await;

    let allocate = |quantity: &'static str, batch: &'static str| {
        let b = &b;
        async move {
            b.act("Allocate batch", || async {
                b.fill("Product type", "Organic cotton").await;
                b.fill("Quantity", quantity).await;
                b.fill("Batch reference", batch).await;
            })
            .await;
        }
    };
    allocate("4", "B-1").await;
    b.wait_text("Pending data → In progress").await;
    b.wait_text("4 of 10 (40%)").await;
    allocate("6", "B-2").await;
    b.wait_text("In progress → Compliance in progress").await;
    let certificate = number_of(&b, "Origin certificate").await;
    b.act("Provide evidence", || async {
        b.fill("Requirement", &certificate).await;
        b.fill("Note", "Certificate GOTS-2291 on file.").await;
    })
    .await;
    b.wait_text("Certificate GOTS-2291 on file.").await;
    b.act("Complete evidence", || async {
        b.fill("Requirement", &certificate).await;
    })
    .await;
    b.wait_text("Compliance in progress → Complete").await;
    b.act("Set stage", || async {
        b.select("Stage", "dispatched").await;
    })
    .await;
    b.wait_text("Dispatched at").await;
    b.sign_out().await;

    // A view-only user reads it all and has nothing to click: no Stage.
    b.sign_in(&people.viewer).await;
    b.goto(&order).await;
    b.wait_text("Dispatched at").await;
    let text = b.text().await;
    assert!(text.contains("Complete"), "{text}");
    assert!(text.contains("Certificate GOTS-2291 on file."), "{text}");
    for action in [
        "Set stage",
        "Allocate batch",
        "Provide evidence",
        "Remove evidence",
    ] {
        assert!(
            b.buttons(action).await.is_empty(),
            "a viewer has no {action:?}"
        );
    }
    assert_eq!(b.labelled("Stage").await, 0, "no Stage control");
    b.sign_out().await;

    // Evidence taken away: Complete drops back.
    b.sign_in(&people.editor).await;
    b.goto(&order).await;
    b.act("Remove evidence", || async {
        b.fill("Requirement", &certificate).await;
    })
    .await;
    b.wait_text("Complete → Compliance in progress").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn print_production_the_merchant_orders_and_the_shop_floor_makes_and_ships_the_job() {
    let server = Server::start().await;
    let people = worlds::print_shop(&server, false, &[("A-01", "TEE-BLK-M", 1)]).await;
    let design = tempfile::Builder::new().suffix(".png").tempfile().unwrap();
    std::fs::write(design.path(), worlds::png(3000, 3000)).unwrap();
    let b = Browser::open(&server, DESKTOP).await;

    b.sign_in(&people.merchant).await;
    worlds::create_print_order(
        &b,
        ("1 Lake Drive", "Milwaukee", "43.04", "-87.91"),
        ("TEE-BLK-M", "1", "dtf"),
        design.path(),
    )
    .await;
    b.wait_text("Intake hold").await;
    // The merchant follows its jobs by state, though it takes no step.
    b.wait_text("1 Intake hold").await;
    let order = b.path().await;
    let id = order.trim_start_matches("/orders/").to_owned();
    b.sign_out().await;

    // The manager runs the intake check: the job takes the bin's unit.
    b.sign_in(&people.manager).await;
    b.link("Inventory").await.click().await.unwrap();
    b.click("Run intake check").await;
    b.wait_text("1 took a unit from a bin").await;
    b.goto(&order).await;
    b.wait_text("Intake hold → Open").await;
    b.sign_out().await;

    // The operator scans the job at the station and takes each next step.
    b.sign_in(&people.operator).await;
    b.link("Shop floor").await.click().await.unwrap();
    b.fill("Job", &format!("{id}/job-1\n")).await;
    b.wait_text("TEE-BLK-M").await;
    for (step, to) in [
        ("Batch", "Pending → Open"),
        ("Label", "Open → Labeled"),
        ("Pick", "Labeled → Picked"),
        ("Scan", "Picked → Scanned"),
        ("Printed", "Scanned → Printed"),
        ("Complete", "Printed → Completed"),
    ] {
        b.click(step).await;
        b.wait_text(to).await;
    }
    b.sign_out().await;

    // The shipper ships it with the carrier's number.
    b.sign_in(&people.shipper).await;
    b.link("Shop floor").await.click().await.unwrap();
    b.fill("Job", &format!("{id}/job-1\n")).await;
    b.wait_text("Completed").await;
    b.fill("Tracking number", "1Z999AA10123456784").await;
    b.click("Ship").await;
    b.wait_text("Completed → Shipped").await;
    // And prints its label: 4 × 6 in, the tracking number on it.
    let (status, media, label) = b.download("Shipping label").await;
    assert_eq!((status, media.as_str()), (200, "application/pdf"));
    let label = String::from_utf8_lossy(&label);
    assert!(label.contains("/MediaBox [0 0 288 432]"), "4 x 6 in");
    assert!(label.contains("1Z999AA10123456784"), "the tracking number");
    b.sign_out().await;

    // The merchant sees the order shipped, as its job is.
    b.sign_in(&people.merchant).await;
    b.goto(&order).await;
    b.wait_text("Completed → Shipped").await;
    b.wait_text("1 Shipped").await;
    let head = b.text().await;
    assert!(head.contains("Shipped"), "{head}");
    assert!(
        b.buttons("Cancel").await.is_empty()
            || !b.buttons("Cancel").await[0].is_enabled().await.unwrap(),
        "a shipped order is not canceled"
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purchasing_approval_partial_acceptance_line_by_line_and_a_dispute_marked_with_a_red_circle()
 {
    let server = Server::start().await;
    let people = worlds::purchasing(&server, json!({"purchasing_limit": "500.00"})).await;
    let b = Browser::open(&server, DESKTOP).await;

    // Over the limit: the buyer's order waits for an approver.
    b.sign_in(&people.buyer).await;
    b.goto("/orders/new?workflow=purchasing").await;
    b.select("Supplier", "Bean Supplier").await;
    b.fill("Product or SKU", "Espresso beans 1 kg").await;
    b.fill("Quantity", "30").await;
    b.fill("Unit price", "18.50").await;
    b.click("Add row").await;
    let products = b.buttons("Remove row").await;
    assert_eq!(products.len(), 2, "a second line");
    fill_last(&b, "Product or SKU", "Oat milk 1 l").await;
    fill_last(&b, "Quantity", "24").await;
    fill_last(&b, "Unit price", "1.90").await;
    b.click("Create order").await;
    b.wait_text("History").await;
    b.wait_text("Needs Approval").await;
    let order = b.path().await;
    b.sign_out().await;

    // The supplier does not see it yet.
    b.sign_in(&people.supplier).await;
    b.goto(&order).await;
    b.wait_text("Not found").await;
    // Still signed in on that page, and can sign out from it.
    b.wait_text("sam (test) · Bean Supplier").await;
    b.sign_out().await;

    b.sign_in(&people.approver).await;
    b.goto(&order).await;
    b.act("Approve", || async {}).await;
    b.wait_text("Needs Approval → Pending").await;
    b.sign_out().await;

    // The supplier accepts 10 of the 24 cartons of oat milk, then
    // schedules the delivery within the dates the dialog names.
    b.sign_in(&people.supplier).await;
    b.goto(&order).await;
    b.act("Accept", || async {
        b.field("Partial").await.click().await.unwrap();
        b.fill("Accepted quantity of Oat milk 1 l", "10").await;
    })
    .await;
    b.wait_text("Pending → Partially Accepted").await;
    b.wait_text("574.00").await;
    let today = Utc::now().date_naive();
    b.click("Schedule for delivery").await;
    b.wait_text(&format!(
        "Allowed dates: {} or later (today is {} in UTC).",
        day(today),
        day(today)
    ))
    .await;
    b.click("Tomorrow").await;
    b.click("Schedule for delivery").await;
    b.wait_text("Partially Accepted → Scheduled For Delivery")
        .await;
    b.wait_text(&day(today.succ_opt().unwrap())).await;
    b.sign_out().await;

    // The outlet confirms, disputes, resolves: Completed, red circle.
    b.sign_in(&people.buyer).await;
    b.goto(&order).await;
    let invoice = tempfile::Builder::new()
        .prefix("invoice-")
        .suffix(".png")
        .tempfile()
        .unwrap();
    std::fs::write(invoice.path(), worlds::png(600, 800)).unwrap();
    b.act("Complete", || async {
        b.field("Invoice")
            .await
            .send_keys(&invoice.path().display().to_string())
            .await
            .unwrap();
        b.fill("Note", "All there.").await;
    })
    .await;
    b.wait_text("Scheduled For Delivery → Completed").await;
    assert_eq!(
        b.images(&format!(
            "Invoice: {}",
            invoice.path().file_name().unwrap().to_string_lossy()
        ))
        .await
        .len(),
        1,
        "the invoice shows as a thumbnail"
    );
    assert!(
        b.images("red circle").await.is_empty(),
        "no red circle before a dispute"
    );
    b.act("Dispute", || async {
        b.fill("Note", "Two bags were torn.").await;
    })
    .await;
    b.wait_text("Completed → In Dispute").await;
    b.act("Resolve dispute", || async {}).await;
    b.wait_text("In Dispute → Completed").await;
    assert_eq!(b.images("red circle").await.len(), 1, "the order's badge");
    assert!(b.text().await.contains("Two bags were torn."), "the notes");
    b.sign_out().await;

    // The supplier's list shows it Completed, with the red circle too.
    b.sign_in(&people.supplier).await;
    b.wait_text("PO-1001").await;
    assert_eq!(b.images("red circle").await.len(), 1, "the list's badge");
    b.close().await;
}

/// The number in the `#` column of the table row that lists `record`:
/// what an action's input names the record by.
async fn number_of(b: &Browser, record: &str) -> String {
    let xpath = format!(
        "//table[thead/tr/th[1][normalize-space(.)='#']]/tbody/tr[td[normalize-space(.)='{record}']]/td[1]"
    );
    b.client
        .find(fantoccini::Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|_| panic!("no numbered row lists {record:?}"))
        .text()
        .await
        .unwrap()
}

/// Fills the last displayed field labelled `label` (a list's new row).
async fn fill_last(b: &Browser, label: &str, value: &str) {
    let fields = b
        .client
        .find_all(fantoccini::Locator::XPath(&format!(
            "//label[normalize-space(.)='{label}']"
        )))
        .await
        .unwrap();
    let id = fields.last().unwrap().attr("for").await.unwrap().unwrap();
    let field = b.client.find(fantoccini::Locator::Id(&id)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

#[tokio::test]
async fn the_api_refuses_with_problems_honours_if_match_and_replays_an_idempotency_key() {
    let server = Server::start().await;
    let people = worlds::dental(&server, None, json!({}), &[]).await;
    let compliance = worlds::compliance(&server).await;
    let (clinic, lab) = (&people.clinic.token, &people.lab.token);

    let (status, _, order) = server
        .call(
            "POST",
            "/orders",
            clinic,
            &[],
            worlds::dental_order(&[("Crown", 2, "120.00")]),
        )
        .await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(order["status"]["id"], "draft");
    assert_eq!(order["status"]["label"], "Draft");
    let id = order["id"].as_str().unwrap().to_owned();
    let version = order["version"].as_u64().unwrap();
    let actions: Vec<&str> = order["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    assert!(actions.contains(&"publish"), "{actions:?}");

    // A foreign organisation's order is a missing one; the lab sees no draft.
    let (status, media, problem) = server
        .call("GET", &format!("/orders/{id}"), lab, &[], Value::Null)
        .await;
    assert_eq!((status, media.as_str()), (404, "application/problem+json"));
    assert_eq!(problem["code"], "not_found");

    // A stale If-Match: 412, the current version named, nothing changed.
    let publish = format!("/orders/{id}/actions/publish");
    let stale = format!("\"{}\"", version - 1);
    let (status, media, problem) = server
        .call("POST", &publish, clinic, &[("if-match", &stale)], json!({}))
        .await;
    assert_eq!((status, media.as_str()), (412, "application/problem+json"));
    assert_eq!(problem["code"], "precondition_failed");
    assert_eq!(problem["current_version"], version);

    // The version seen, with a key; the same request again replays it.
    let seen = format!("\"{version}\"");
    let headers = [
        ("if-match", seen.as_str()),
        ("idempotency-key", "publish-1"),
    ];
    let (status, _, first) = server
        .call("POST", &publish, clinic, &headers, json!({}))
        .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["status"]["id"], "published");
    let (status, _, again) = server
        .call("POST", &publish, clinic, &headers, json!({}))
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again, first, "the first answer, again");
    let history = server.get(clinic, &format!("/orders/{id}/history")).await;
    assert_eq!(
        history["items"].as_array().unwrap().len(),
        2,
        "created and published, once"
    );

    // Wrong state: 409 naming where the action is available.
    let (status, _, problem) = server.call("POST", &publish, clinic, &[], json!({})).await;
    assert_eq!(status, 409);
    assert_eq!(problem["code"], "not_available");
    assert_eq!(problem["available_in"], json!(["draft"]));

    // Not the clinic's action: 403 naming who may.
    let start = format!("/orders/{id}/actions/start_production");
    let (status, _, problem) = server
        .call(
            "POST",
            &start,
            clinic,
            &[],
            json!({"production_date": "2026-03-02"}),
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(problem["allowed"], json!(["lab"]));

    // A missing input: 422 naming the field.
    let (status, _, problem) = server.call("POST", &start, lab, &[], json!({})).await;
    assert_eq!(status, 422);
    assert_eq!(problem["fields"][0]["field"], "production_date");

    // A guard: 409 naming the rule and the values it read.
    server
        .act(lab, &id, "add_task", json!({"name": "Mill crown"}))
        .await;
    server
        .act(
            lab,
            &id,
            "start_production",
            json!({"production_date": "2026-03-02"}),
        )
        .await;
    let (status, _, problem) = server
        .call(
            "POST",
            &format!("/orders/{id}/actions/produce"),
            lab,
            &[],
            json!({}),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(problem["code"], "guard_failed");
    assert_eq!(problem["rule"], "tasks_done");
    assert!(
        problem["message"]
            .as_str()
            .unwrap()
            .contains("1 of 1 tasks are still open"),
        "{problem}"
    );

    // A view-only compliance user may read and do nothing.
    let co = server
        .create(
            &compliance.editor.token,
            json!({"workflow": "compliance", "inputs": {"reference": "PO-1"}}),
        )
        .await;
    assert_eq!(
        co["status"]["id"], "complete",
        "nothing to allocate or prove"
    );
    let co = co["id"].as_str().unwrap();
    let (status, _, problem) = server
        .call(
            "POST",
            &format!("/orders/{co}/actions/set_stage"),
            &compliance.viewer.token,
            &[],
            json!({"stage": "packed"}),
        )
        .await;
    assert_eq!(status, 403, "{problem}");
    assert_eq!(problem["code"], "forbidden");
}
