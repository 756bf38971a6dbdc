//! Deploying a workflow in a real browser: a workflow manager writes a
//! definition, sees the check's problems by line before anything is
//! deployed, then the diagram of what they wrote, deploys it, and finds it
//! listed with its version; a user without the role is refused the editor.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "browser/harness.rs"]
mod harness;

use harness::{Browser, Server};
use serde_json::json;

const DESKTOP: u32 = 1280;

const REPAIRS: &str = r#"id = "repairs"
label = "Repairs"

[[parties]]
id = "customer"
label = "Customer"
creates = true

[[states]]
id = "booked"
label = "Booked"

[[states]]
id = "collected"
label = "Collected"
final = true

[[actions]]
id = "create"
label = "Book a repair"
creates = true
to = "booked"
by = ["customer"]

[[actions]]
id = "collect"
label = "Collected"
from = ["booked"]
to = "collected"
by = ["customer"]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_checks_then_deploys_a_workflow_in_the_browser() {
    let server = Server::start().await;
    server.organization("hq", "Head office", json!({})).await;
    let manager = server.user("mia", "hq", &["workflow_admin"]).await;
    let clerk = server.user("carl", "hq", &[]).await;
    let b = Browser::open(&server, DESKTOP).await;

    // Without the role: no link, and the editor is refused.
    b.sign_in(&clerk).await;
    b.goto("/workflows").await;
    b.wait_text("Dental lab").await;
    assert!(!b.text().await.contains("Deploy a workflow"));
    b.goto("/workflows/deploy").await;
    b.wait_text("workflow_admin").await;
    b.goto("/orders").await;
    b.sign_out().await;

    b.sign_in(&manager).await;
    b.goto("/workflows").await;
    b.link("Deploy a workflow").await.click().await.unwrap();
    b.wait_text("Definition").await;

    // A broken definition: its problem by line, nothing deployed.
    let broken = REPAIRS.replace("from = [\"booked\"]", "from = [\"nowhere\"]");
    let line = broken.lines().position(|l| l.contains("nowhere")).unwrap() + 1;
    b.fill("Definition", &broken).await;
    b.click("Check").await;
    let problems = b.error_beside("Definition").await;
    assert!(
        problems.contains(&format!("Line {line},")) && problems.contains("nowhere"),
        "{problems}"
    );
    let listed = server
        .api("GET", "/workflows", &manager.token, json!(null))
        .await;
    assert!(!listed.to_string().contains("repairs"), "nothing deployed");

    // Fixed: it passes, with the diagram of what was written.
    b.fill("Definition", REPAIRS).await;
    b.click("Check").await;
    b.wait_text("Repairs (repairs) passes its check.").await;
    b.wait_text("Diagram").await;
    assert!(b.text().await.contains("Booked"));
    let violations = b.axe().await;
    assert!(violations.is_empty(), "accessibility: {violations:?}");

    b.click("Deploy").await;
    b.wait_text("Deployed repairs version 1.").await;
    b.link("Open the workflow").await.click().await.unwrap();
    b.wait_text("Versions").await;
    let page = b.text().await;
    assert!(page.contains("Version 1"), "{page}");
    assert!(page.contains("mia"), "the deployer is named: {page}");

    // Edit and deploy again: version 2, version 1 still drawn on its page.
    b.link("Edit and deploy").await.click().await.unwrap();
    b.wait_text("Definition").await;
    let v2 = REPAIRS.replace("label = \"Booked\"", "label = \"Booked in\"");
    b.fill("Definition", &v2).await;
    b.click("Deploy").await;
    b.wait_text("Deployed repairs version 2.").await;
    b.goto("/workflows/repairs/versions/1").await;
    b.wait_text("version 1 (latest is 2)").await;
    b.goto("/workflows").await;
    b.wait_text("Repairs").await;
    let api = server
        .api("GET", "/workflows/repairs", &manager.token, json!(null))
        .await;
    assert_eq!(api["latest_version"], 2);
    b.close().await;
}
