//! The shop floor's pages in a real browser: an operator scans a job at the
//! station and takes its next step with one button; a batch reports each
//! job, refusals with the engine's reason, and a refused job stays as it
//! was; a manager runs the intake check from the inventory page; a phone
//! without a scanner photographs a label's barcode and the job appears.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "browser/harness.rs"]
mod harness;
#[path = "browser/worlds.rs"]
mod worlds;

use harness::{Browser, Login, Server};
use serde_json::json;

const PHONE: u32 = 375;

struct Shop {
    manager: Login,
    operator: Login,
    shipper: Login,
    /// The order and its jobs, all passed intake (`pending`).
    order: String,
}

/// A print-production order of `units` DTF tees at the shop's one
/// location, its jobs passed intake by the manager.
async fn shop_with_pending_jobs(server: &Server, units: u32) -> Shop {
    let shop = shop_with_held_jobs(server, units).await;
    for n in 1..=units {
        server
            .act_child(
                &shop.manager.token,
                &shop.order,
                &format!("job-{n}"),
                "pass_intake",
                json!({"bin": "A-01"}),
            )
            .await;
    }
    shop
}

/// The same order, its jobs waiting for intake, and a bin `A-01` at the
/// location with a unit for each.
async fn shop_with_held_jobs(server: &Server, units: u32) -> Shop {
    let people = worlds::print_shop(server, false, &[("A-01", "TEE-BLK-M", units)]).await;
    let design = server
        .upload(
            &people.merchant.token,
            "tee.png",
            "image/png",
            worlds::png(3000, 3000),
        )
        .await;
    let order = server
        .create(
            &people.merchant.token,
            worlds::print_order("SO-7", &[("TEE-BLK-M", units, "dtf", &design)]),
        )
        .await;
    assert_eq!(order["status"]["id"], "intake_hold", "{order}");
    Shop {
        manager: people.manager,
        operator: people.operator,
        shipper: people.shipper,
        order: order["id"].as_str().unwrap().to_owned(),
    }
}

async fn job_status(server: &Server, token: &str, order: &str, job: &str) -> String {
    let job = server
        .get(token, &format!("/orders/{order}/children/{job}"))
        .await;
    job["status"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_scans_a_job_on_a_phone_and_takes_its_next_step() {
    let server = Server::start().await;
    let shop = shop_with_pending_jobs(&server, 1).await;
    let code = format!("{}/job-1", shop.order);
    let b = Browser::open(&server, PHONE).await;

    b.sign_in(&shop.operator).await;
    b.link("Shop floor").await.click().await.unwrap();
    b.wait_text("Scan a job").await;
    // A person types the job by its order's number.
    b.fill("Job", "PP-1001/job-1\n").await;
    b.wait_text("TEE-BLK-M").await;
    assert_eq!(job_title(&b).await, "PP-1001/job-1");
    // A scanner types the label's code, then Enter.
    b.fill("Job", &format!("{code}\n")).await;
    b.wait_text("TEE-BLK-M").await;
    assert_eq!(
        job_title(&b).await,
        "PP-1001/job-1",
        "the job shows by its number"
    );
    let text = b.text().await;
    assert!(text.contains("Pending"), "the job's state shows: {text}");
    assert!(
        text.contains("Order PP-1001 · SO-7"),
        "its order shows by its number: {text}"
    );
    assert!(text.contains("dtf"), "its decoration shows: {text}");

    b.click("Batch").await;
    b.wait_text("Pending → Open").await;
    assert_eq!(
        job_status(&server, &shop.operator.token, &shop.order, "job-1").await,
        "open"
    );
    // The next step is the next button; the scan field is ready again.
    b.click("Label").await;
    b.wait_text("Open → Labeled").await;
    assert_eq!(
        job_status(&server, &shop.operator.token, &shop.order, "job-1").await,
        "labeled"
    );
    let focused = b
        .client
        .execute("return document.activeElement.id", vec![])
        .await
        .unwrap();
    assert_eq!(focused, json!("station-job"), "ready for the next scan");

    let violations = b.axe().await;
    assert!(violations.is_empty(), "axe-core found: {violations:?}");

    // A code that names no job of the shop's says so.
    b.fill("Job", "no-such-order/job-1\n").await;
    b.wait_text("No job no-such-order/job-1 here").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shipper_enters_the_tracking_number_and_the_label_barcode_finds_the_job() {
    let server = Server::start().await;
    let shop = shop_with_pending_jobs(&server, 1).await;
    let shipper = &shop.shipper;
    for step in ["batch", "label", "pick", "scan", "print", "complete"] {
        server
            .act_child(&shop.operator.token, &shop.order, "job-1", step, json!({}))
            .await;
    }
    let b = Browser::open(&server, PHONE).await;
    b.sign_in(shipper).await;
    b.goto("/station").await;
    b.fill("Job", &format!("{}/job-1\n", shop.order)).await;
    b.wait_text("Completed").await;
    // The step's own input comes before its button: the carrier's number.
    b.fill("Tracking number", "1Z999AA10123456784").await;
    b.click("Ship").await;
    b.wait_text("Completed → Shipped").await;

    // The shipping label's Code 128 carries the tracking number: scanning
    // it finds the job.
    b.goto("/station").await;
    b.fill("Job", "1Z999AA10123456784\n").await;
    b.wait_text("TEE-BLK-M").await;
    assert_eq!(job_title(&b).await, "PP-1001/job-1");
    assert!(b.text().await.contains("Shipped"));
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_runs_the_intake_check_from_the_inventory_page() {
    let server = Server::start().await;
    let shop = shop_with_held_jobs(&server, 2).await;
    let b = Browser::open(&server, PHONE).await;
    b.sign_in(&shop.operator).await;
    assert!(
        !b.text().await.contains("Inventory"),
        "an operator does not manage stock"
    );
    b.sign_out().await;

    b.sign_in(&shop.manager).await;
    b.link("Inventory").await.click().await.unwrap();
    b.wait_text("Locations and bins").await;
    b.click("Run intake check").await;
    b.wait_text("2 took a unit from a bin").await;
    for n in 1..=2 {
        assert_eq!(
            job_status(
                &server,
                &shop.manager.token,
                &shop.order,
                &format!("job-{n}")
            )
            .await,
            "pending"
        );
    }
    let violations = b.axe().await;
    assert!(violations.is_empty(), "axe-core found: {violations:?}");

    // The bin is empty now: taking a unit out by hand is refused.
    b.fill("Bin to adjust", "A-01").await;
    b.fill("Units put in (negative: taken out)", "-1").await;
    b.click("Adjust").await;
    b.wait_text("cannot give 1").await;
    let bins = server
        .get(&shop.manager.token, "/inventory/locations/chi/bins")
        .await;
    assert_eq!(bins[0]["quantity"], 0);
    b.close().await;
}

/// The Code 128 of `data` as a shipping label prints it
/// (`orderflow_docs::code128`, the label's own encoder), drawn as a photo
/// of it would show it: dark bars on a light label, `px` pixels a module,
/// quiet zones and some background around.
fn label_photo(data: &str, px: u32) -> image::GrayImage {
    let modules = orderflow_docs::code128(data).unwrap();
    let (quiet, margin, bar_height) = (10 * px, 60, 40 * px);
    let width = modules.len() as u32 * px + 2 * (quiet + margin);
    let height = bar_height + 2 * margin;
    image::GrayImage::from_fn(width, height, |x, y| {
        let on_label = (margin..height - margin).contains(&y);
        let module = x.checked_sub(margin + quiet).map(|d| (d / px) as usize);
        let bar = on_label && module.is_some_and(|m| modules.get(m) == Some(&1));
        image::Luma([if bar {
            25
        } else if on_label {
            240
        } else {
            170
        }])
    })
}

/// `picture` saved as a file a phone would upload.
fn photo_file(picture: &image::GrayImage, format: image::ImageFormat) -> tempfile::TempPath {
    let suffix = if format == image::ImageFormat::Png {
        ".png"
    } else {
        ".jpg"
    };
    let file = tempfile::Builder::new().suffix(suffix).tempfile().unwrap();
    picture.save_with_format(file.path(), format).unwrap();
    file.into_temp_path()
}

async fn scan_with_camera(b: &Browser, photo: &tempfile::TempPath) {
    b.field("Scan with camera")
        .await
        .send_keys(&photo.display().to_string())
        .await
        .unwrap();
    b.click("Read barcode").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_photographs_the_barcode_and_the_job_appears() {
    let server = Server::start().await;
    let shop = shop_with_pending_jobs(&server, 2).await;
    let b = Browser::open(&server, PHONE).await;
    b.sign_in(&shop.operator).await;
    b.goto("/station").await;
    let input = b.field("Scan with camera").await;
    assert_eq!(input.attr("type").await.unwrap().as_deref(), Some("file"));
    assert_eq!(
        input.attr("accept").await.unwrap().as_deref(),
        Some("image/*")
    );
    assert_eq!(
        input.attr("capture").await.unwrap().as_deref(),
        Some("environment"),
        "a phone opens its back camera"
    );

    // A job's code, printed in Code 128 and photographed.
    // Each file stays until the browser has sent it.
    let code = format!("{}/job-2", shop.order);
    let photo = photo_file(&label_photo(&code, 3), image::ImageFormat::Png);
    scan_with_camera(&b, &photo).await;
    b.wait_text("TEE-BLK-M").await;
    assert_eq!(
        job_title(&b).await,
        "PP-1001/job-2",
        "the photo found the job it shows"
    );
    assert!(b.text().await.contains("Pending"));
    // Its next step is one tap away, as after typing the code.
    b.click("Batch").await;
    b.wait_text("Pending → Open").await;
    assert_eq!(
        job_status(&server, &shop.operator.token, &shop.order, "job-2").await,
        "open"
    );

    // A photo without a barcode says so beside the field.
    let blank = image::GrayImage::from_pixel(800, 600, image::Luma([200]));
    let blank = photo_file(&blank, image::ImageFormat::Png);
    scan_with_camera(&b, &blank).await;
    let said = b.error_beside("Scan with camera").await;
    assert!(said.contains("No barcode found in the photo"), "{said}");
    let violations = b.axe().await;
    assert!(violations.is_empty(), "axe-core found: {violations:?}");

    // A shipping label's tracking number, photographed as a JPEG.
    for step in ["batch", "label", "pick", "scan", "print", "complete"] {
        server
            .act_child(&shop.operator.token, &shop.order, "job-1", step, json!({}))
            .await;
    }
    let shipper = &shop.shipper;
    server
        .act_child(
            &shipper.token,
            &shop.order,
            "job-1",
            "ship",
            json!({"tracking_number": "1Z999AA10123456784"}),
        )
        .await;
    let label = photo_file(
        &label_photo("1Z999AA10123456784", 4),
        image::ImageFormat::Jpeg,
    );
    scan_with_camera(&b, &label).await;
    b.wait_text("Shipped").await;
    assert_eq!(job_title(&b).await, "PP-1001/job-1");
    b.close().await;
}

/// The station's pictures in docs/screenshots, at 375 px. Run on demand:
/// `ORDERFLOW_SCREENSHOTS=docs/screenshots cargo test -p orderflow-web --test station -- --ignored screenshots`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes the screenshots of docs/screenshots"]
async fn screenshots() {
    let dir = std::path::PathBuf::from(
        std::env::var("ORDERFLOW_SCREENSHOTS").expect("ORDERFLOW_SCREENSHOTS names a directory"),
    );
    let dir = if dir.is_absolute() {
        dir
    } else {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(dir)
    };
    std::fs::create_dir_all(&dir).unwrap();
    let server = Server::start().await;
    let shop = shop_with_pending_jobs(&server, 3).await;
    let b = Browser::open(&server, PHONE).await;
    b.sign_in(&shop.operator).await;
    b.goto(&format!("/station?job={}/job-1", shop.order)).await;
    b.wait_text("TEE-BLK-M").await;
    b.screenshot(&dir.join("station-phone.png")).await;
    b.click("Batch").await;
    b.wait_text("Pending → Open").await;
    let codes: Vec<String> = (1..=3).map(|n| format!("{}/job-{n}", shop.order)).collect();
    b.fill("Jobs", &codes.join("\n")).await;
    b.select("Step", "Label").await;
    b.click("Apply to all").await;
    b.wait_text("1 taken, 2 refused").await;
    b.client
        .execute(
            "document.querySelector('ul[aria-label=Results]').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    b.screenshot(&dir.join("station-batch-phone.png")).await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_reports_each_job_and_a_refused_one_is_left_as_it_was() {
    let server = Server::start().await;
    let shop = shop_with_pending_jobs(&server, 3).await;
    for job in ["job-1", "job-2"] {
        server
            .act_child(&shop.operator.token, &shop.order, job, "batch", json!({}))
            .await;
    }
    let b = Browser::open(&server, PHONE).await;
    b.sign_in(&shop.operator).await;
    b.goto("/station").await;
    let codes: Vec<String> = (1..=3).map(|n| format!("{}/job-{n}", shop.order)).collect();
    // The scanner's Enter after each code starts a new line.
    b.fill("Jobs", &codes.join("\n")).await;
    b.select("Step", "Label").await;
    b.click("Apply to all").await;
    b.wait_text("2 taken, 1 refused").await;
    let results = b
        .client
        .find(fantoccini::Locator::Css("ul[aria-label=Results]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = results.lines().collect();
    assert_eq!(lines.len(), 3, "{results}");
    assert!(lines[0].contains("job-1") && lines[0].contains("Open → Labeled"));
    assert!(lines[1].contains("job-2") && lines[1].contains("Open → Labeled"));
    assert!(
        lines[2].contains("job-3") && lines[2].contains("Refused: Available when the job is Open."),
        "the engine's reason: {results}"
    );
    for (job, status) in [
        ("job-1", "labeled"),
        ("job-2", "labeled"),
        ("job-3", "pending"),
    ] {
        assert_eq!(
            job_status(&server, &shop.manager.token, &shop.order, job).await,
            status,
            "{job}"
        );
    }
    b.close().await;
}

/// The heading of the job the station shows.
async fn job_title(b: &Browser) -> String {
    b.client
        .find(fantoccini::Locator::Id("job-title"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}
