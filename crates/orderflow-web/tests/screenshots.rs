//! The pictures in docs/screenshots: every page, at desktop width (the
//! whole page) and at 375 px (the first screen), over orders of the four
//! workflows in the states worth seeing. Run on demand:
//! `ORDERFLOW_SCREENSHOTS=docs/screenshots cargo test -p orderflow-web --test screenshots -- --ignored`
//! (the station's are taken by `--test station -- --ignored screenshots`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "browser/harness.rs"]
mod harness;
#[path = "browser/worlds.rs"]
mod worlds;

use std::path::{Path, PathBuf};

use harness::{Browser, Login, Server};
use serde_json::{Value, json};

/// A `size`×`size` PNG of soft diagonal stripes (a photo's stand-in),
/// written uncompressed: deflate's stored blocks need no compressor.
fn stripes(size: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for b in bytes {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        out.extend(&body);
        out.extend(crc32(&body).to_be_bytes());
    }
    let mut raw = Vec::new();
    for y in 0..size {
        raw.push(0);
        for x in 0..size {
            let band = ((x + y) / 12) % 2 == 0;
            raw.extend(if band { [180, 140, 90] } else { [120, 85, 50] });
        }
    }
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (n, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(n + 1 == blocks.len()));
        let len = block.len() as u16;
        zlib.extend(len.to_le_bytes());
        zlib.extend((!len).to_le_bytes());
        zlib.extend(*block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for byte in &raw {
        a = (a + u32::from(*byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    zlib.extend(((b << 16) | a).to_be_bytes());
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = size.to_be_bytes().to_vec();
    header.extend(size.to_be_bytes());
    header.extend([8, 2, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &header);
    chunk(&mut png, b"IDAT", &zlib);
    chunk(&mut png, b"IEND", &[]);
    png
}

/// Everyone the pictures need, and an order of each kind.
struct World {
    lab: Login,
    buyer: Login,
    editor: Login,
    manager: Login,
    /// Dental-lab: in production with a half-done work plan; delivered
    /// and partly paid (payment instructions).
    planned: String,
    delivered: String,
    purchasing: String,
    compliance: String,
    print: String,
}

async fn create(server: &Server, token: &str, request: Value) -> String {
    server.create(token, request).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn dental(server: &Server) -> (Login, String, String) {
    let worlds::Dental { clinic, lab } = worlds::dental(
        server,
        Some("Europe/Berlin"),
        json!({"payment_instructions": "Transfer to IBAN DE89 3704 0044 0532 0130 00 (Dental Lab Co), quoting the order number.",
               "task_templates": {"Zirconia crown": ["Scan impression", "Design crown", "Mill crown", "Sinter", "Polish"]}}),
        &["admin", "workflow_admin"],
    )
    .await;
    let new_order = |product: &str, quantity: u32, price: &str| {
        json!({"workflow": "dental-lab", "parties": {"lab": "lab"},
               "inputs": {"lines": [{"product": product, "quantity": quantity, "unit_price": price}],
                          "notes": "Shade A2, please."}})
    };
    let mut planned = String::new();
    let mut delivered = String::new();
    for n in 0..6 {
        let id = create(
            server,
            &clinic.token,
            new_order("Zirconia crown", 2 + n, "120.00"),
        )
        .await;
        if n == 0 {
            continue;
        }
        server.act(&clinic.token, &id, "publish", json!({})).await;
        if n == 1 {
            continue;
        }
        server
            .act(
                &lab.token,
                &id,
                "start_production",
                json!({"production_date": "2026-03-02"}),
            )
            .await;
        if n == 2 {
            server.act(&lab.token, &id, "plan_work", json!({})).await;
            server
                .act(
                    &lab.token,
                    &id,
                    "mark_task",
                    json!({"tasks": [1, 2], "done": true}),
                )
                .await;
            planned = id;
            continue;
        }
        server.act(&lab.token, &id, "produce", json!({})).await;
        server
            .act(
                &lab.token,
                &id,
                "ship",
                json!({"tracking_number": format!("1Z999AA1012345678{n}")}),
            )
            .await;
        server.act(&lab.token, &id, "deliver", json!({})).await;
        server
            .act(
                &lab.token,
                &id,
                "record_payment",
                json!({"amount": "240.00", "reference": "Transfer 0042"}),
            )
            .await;
        delivered = id;
    }
    // Published orders wait for the lab: its inbox has them.
    (lab, planned, delivered)
}

async fn purchasing(server: &Server) -> (Login, String) {
    let worlds::Purchasing {
        buyer, supplier, ..
    } = worlds::purchasing(
        server,
        json!({"purchasing_limit": "500.00", "time_zone": "Europe/Berlin",
               "abandon_pending_after_days": 3}),
    )
    .await;
    let order = |quantity: u32| {
        json!({"workflow": "purchasing", "parties": {"supplier": "beans"},
               "inputs": {"lines": [{"product": "Espresso beans 1 kg", "quantity": quantity, "unit_price": "18.50"},
                                    {"product": "Oat milk 1 l", "quantity": 24, "unit_price": "1.90"}]}})
    };
    let done = create(server, &buyer.token, order(10)).await;
    server
        .act(&supplier.token, &done, "accept", json!({}))
        .await;
    let photo = server
        .upload(&buyer.token, "delivery.png", "image/png", stripes(240))
        .await;
    server
        .act(
            &buyer.token,
            &done,
            "complete",
            json!({"note": "All there.", "images": [photo]}),
        )
        .await;
    server
        .act(
            &buyer.token,
            &done,
            "dispute",
            json!({"note": "Two bags were torn."}),
        )
        .await;
    server.act(&buyer.token, &done, "resolve", json!({})).await;
    create(server, &buyer.token, order(40)).await;
    let pending = create(server, &buyer.token, order(12)).await;
    let photo = server
        .upload(&buyer.token, "shelf.png", "image/png", stripes(180))
        .await;
    server
        .act(
            &buyer.token,
            &pending,
            "add_note",
            json!({"note": "The shelf this goes on.", "images": [photo]}),
        )
        .await;
    (buyer, pending)
}

async fn compliance(server: &Server) -> (Login, String) {
    let editor = worlds::compliance(server).await.editor;
    let id = create(
        server,
        &editor.token,
        json!({"workflow": "compliance", "inputs": {"reference": "PO-77",
               "product_types": [{"product_type": "Organic cotton", "quantity": 20},
                                 {"product_type": "Wool", "quantity": 5},
                                 {"product_type": "Linen", "quantity": 10}],
               "requirements": [{"name": "Origin certificate"}, {"name": "Chemical test report"}]}}),
    )
    .await;
    for (product_type, quantity, batch) in [("Organic cotton", 12, "B-1"), ("Wool", 5, "B-2")] {
        server.act(&editor.token,
            &id,
            "allocate",
            json!({"product_type": product_type, "quantity": quantity, "batch_reference": batch}),
        )
        .await;
    }
    server
        .act(
            &editor.token,
            &id,
            "provide_evidence",
            json!({"requirement": 1, "note": "Certificate GOTS-2291 on file."}),
        )
        .await;
    (editor, id)
}

async fn print_production(server: &Server) -> (Login, String) {
    let shop = worlds::print_shop(server, false, &[("A-01", "TEE-BLK-M", 2)]).await;
    let design = server
        .upload(
            &shop.merchant.token,
            "tee.png",
            "image/png",
            worlds::png(3000, 3000),
        )
        .await;
    let id = create(
        server,
        &shop.merchant.token,
        worlds::print_order("SO-7", &[("TEE-BLK-M", 3, "dtf", &design)]),
    )
    .await;
    for job in ["job-1", "job-2"] {
        server
            .act_child(
                &shop.manager.token,
                &id,
                job,
                "pass_intake",
                json!({"bin": "A-01"}),
            )
            .await;
    }
    server
        .act_child(&shop.manager.token, &id, "job-1", "batch", json!({}))
        .await;
    (shop.manager, id)
}

async fn world(server: &Server) -> World {
    let (lab, planned, delivered) = dental(server).await;
    let (buyer, purchasing) = purchasing(server).await;
    let (editor, compliance) = compliance(server).await;
    let (manager, print) = print_production(server).await;
    server
        .api(
            "POST",
            "/webhooks",
            &lab.token,
            json!({"url": "https://clinic-erp.example/hooks/orderflow",
                   "workflows": ["dental-lab"], "events": ["order.status_changed"]}),
        )
        .await;
    World {
        lab,
        buyer,
        editor,
        manager,
        planned,
        delivered,
        purchasing,
        compliance,
        print,
    }
}

/// Where the pictures go.
fn directory() -> PathBuf {
    let dir = PathBuf::from(
        std::env::var("ORDERFLOW_SCREENSHOTS").expect("ORDERFLOW_SCREENSHOTS names a directory"),
    );
    if dir.is_absolute() {
        dir
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(dir)
    }
}

/// A picture of the page as it is now: at desktop width the whole page
/// (the window grown until the page fits), on a phone the first screen,
/// scrolled to `focus` (a CSS selector) when given.
async fn shoot(b: &Browser, dir: &Path, name: &str, width: u32, focus: Option<&str>) {
    let phone = width < 500;
    if phone {
        if let Some(css) = focus {
            b.client
                .execute(
                    "document.querySelector(arguments[0]).scrollIntoView(true);",
                    vec![json!(css)],
                )
                .await
                .unwrap();
        }
    } else {
        let mut height = 900;
        for _ in 0..3 {
            let missing = b
                .client
                .execute(
                    "return Math.ceil(document.documentElement.scrollHeight - window.innerHeight);",
                    vec![],
                )
                .await
                .unwrap()
                .as_i64()
                .unwrap_or(0);
            if missing <= 0 {
                break;
            }
            height = (height + missing as u32).min(8000);
            b.client.set_window_size(width, height).await.unwrap();
        }
    }
    let suffix = if phone { "phone" } else { "desktop" };
    b.screenshot(&dir.join(format!("{name}-{suffix}.png")))
        .await;
    if !phone {
        b.client.set_window_size(width, 900).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes the screenshots of docs/screenshots"]
async fn screenshots() {
    let dir = directory();
    std::fs::create_dir_all(&dir).unwrap();
    let server = Server::start().await;
    let w = world(&server).await;
    for width in [1280, 375] {
        let b = Browser::open(&server, width).await;
        b.goto("/login").await;
        shoot(&b, &dir, "login", width, None).await;

        b.sign_in(&w.lab).await;
        for (path, name, shows, focus) in [
            ("/dashboard".to_owned(), "dashboard", "Dental lab", None),
            ("/orders".to_owned(), "orders", "DL-1006", None),
            (
                format!("/orders/{}", w.planned),
                "order-dental-lab",
                "Work plan",
                Some("section[aria-label='Work plan']"),
            ),
            (
                format!("/orders/{}", w.delivered),
                "order-dental-lab-payment",
                "Payment instructions",
                Some("#details-title"),
            ),
            (
                format!("/orders/{}/print", w.delivered),
                "print",
                "Printed",
                None,
            ),
            ("/account".to_owned(), "account", "Change password", None),
            ("/inbox".to_owned(), "inbox", "Mark all read", None),
            (
                "/webhooks".to_owned(),
                "webhooks",
                "clinic-erp.example",
                None,
            ),
            (
                "/workflows".to_owned(),
                "workflows",
                "Print production",
                None,
            ),
            (
                "/workflows/dental-lab".to_owned(),
                "workflow",
                "Who may take it",
                None,
            ),
            ("/workflows/deploy".to_owned(), "deploy", "Definition", None),
        ] {
            b.goto(&path).await;
            b.wait_text(shows).await;
            shoot(&b, &dir, name, width, focus).await;
        }
        b.goto(&format!("/orders/{}", w.delivered)).await;
        b.act("Record payment", || async {
            b.fill("Amount", "lots").await;
        })
        .await;
        b.error_beside("Amount").await;
        b.screenshot(&dir.join(format!(
            "order-dialog-{}.png",
            if width < 500 { "phone" } else { "desktop" }
        )))
        .await;
        b.goto("/orders").await;
        b.sign_out().await;

        b.sign_in(&w.buyer).await;
        b.goto("/orders/new?workflow=purchasing").await;
        b.wait_text("Create order").await;
        shoot(&b, &dir, "new-order", width, None).await;
        b.goto(&format!("/orders/{}", w.purchasing)).await;
        b.wait_text("Timers").await;
        shoot(&b, &dir, "order-purchasing", width, Some("#timers-title")).await;
        b.sign_out().await;

        b.sign_in(&w.editor).await;
        b.goto(&format!("/orders/{}", w.compliance)).await;
        b.wait_text("12 of 20").await;
        shoot(
            &b,
            &dir,
            "order-compliance",
            width,
            Some("section[aria-label='Allocation by product type']"),
        )
        .await;
        b.sign_out().await;

        b.sign_in(&w.manager).await;
        b.goto(&format!("/orders/{}", w.print)).await;
        b.wait_text("Jobs").await;
        shoot(
            &b,
            &dir,
            "order-print-production",
            width,
            Some("section[aria-label='Jobs']"),
        )
        .await;
        b.goto("/inventory").await;
        b.wait_text("Run intake check").await;
        shoot(&b, &dir, "inventory", width, None).await;
        b.close().await;
    }
}
