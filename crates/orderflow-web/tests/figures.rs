//! The web UI's figures at 1,000 orders (docs/web.md, "Figures"): 250
//! orders of each of the four workflows, one organisation a party to all
//! of them, then per page the bytes a browser loads (the HTML, and the
//! stylesheets and scripts it links) and the server's time over 50
//! requests (median and 95th percentile, measured from a client on the
//! same machine, so it includes the loopback round trip). Run on demand:
//! `cargo test -p orderflow-web --test figures -- --ignored --nocapture`
//! (add `--release` for the release build's times).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "browser/harness.rs"]
mod harness;
#[path = "support/session.rs"]
mod session;
#[path = "browser/worlds.rs"]
mod worlds;

use std::time::{Duration, Instant};

use harness::{Login, Server};
use reqwest::header::COOKIE;
use serde_json::{Value, json};

const PER_WORKFLOW: usize = 250;
const REQUESTS: usize = 50;

/// The first order of each workflow, by workflow id.
struct Seeded {
    hub: Login,
    firsts: Vec<(&'static str, String)>,
}

async fn act(server: &Server, token: &str, id: &str, action: &str, inputs: Value) {
    server
        .api(
            "POST",
            &format!("/orders/{id}/actions/{action}"),
            token,
            inputs,
        )
        .await;
}

/// 1,000 orders; `hub` is the lab, the supplier, the compliance owner and
/// the print shop, so it sees every one of them.
async fn seed(server: &Server) -> Seeded {
    server
        .organization(
            "hub",
            "Hub Works",
            json!({"payment_instructions": "IBAN DE89 3704 0044 0532 0130 00",
                   "task_templates": {"*": ["Check", "Pack"]},
                   "locations": [{"id": "chi", "name": "Chicago", "latitude": 41.88,
                     "longitude": -87.63, "capacity_units": 100000, "uses_pretreat": false,
                     "decorations": ["dtg", "dtf", "embroidery"]}]}),
        )
        .await;
    server
        .organization("clinic", "Smile Clinic", json!({}))
        .await;
    server.organization("cafe", "Corner Café", json!({})).await;
    server
        .organization("merch", "Tee Merchant", json!({}))
        .await;
    let hub = server
        .user("hana", "hub", &["edit", "manager", "operator", "shipper"])
        .await;
    let clinic = server.user("carla", "clinic", &[]).await;
    let buyer = server.user("bea", "cafe", &["buyer"]).await;
    let merchant = server.user("mia", "merch", &[]).await;
    let design = server
        .upload(
            &merchant.token,
            "tee.png",
            "image/png",
            worlds::png(3000, 3000),
        )
        .await;
    let create = async |token: &str, request: Value| -> String {
        server.api("POST", "/orders", token, request).await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let mut firsts = Vec::new();
    for n in 0..PER_WORKFLOW {
        let products = ["Zirconia crown", "Bridge", "Night guard", "Veneer"];
        let dental = create(
            &clinic.token,
            json!({"workflow": "dental-lab", "parties": {"lab": "hub"},
                   "inputs": {"lines": [{"product": products[n % 4], "quantity": 1 + n % 5,
                                         "unit_price": "120.00"}],
                              "notes": format!("Patient case {n}")}}),
        )
        .await;
        act(server, &clinic.token, &dental, "publish", json!({})).await;
        if n % 2 == 0 {
            act(
                server,
                &hub.token,
                &dental,
                "start_production",
                json!({"production_date": "2026-03-02"}),
            )
            .await;
            act(server, &hub.token, &dental, "plan_work", json!({})).await;
        }
        let purchase = create(
            &buyer.token,
            json!({"workflow": "purchasing", "parties": {"supplier": "hub"},
                   "inputs": {"lines": [{"product": format!("Coffee blend {n}"), "quantity": 2,
                                         "unit_price": "18.50"}]}}),
        )
        .await;
        if n % 2 == 0 {
            act(server, &hub.token, &purchase, "accept", json!({})).await;
        }
        let compliance = create(
            &hub.token,
            json!({"workflow": "compliance", "inputs": {"reference": format!("PO-{n}"),
                   "product_types": [{"product_type": "Cotton", "quantity": 20}],
                   "requirements": [{"name": "Origin certificate"}]}}),
        )
        .await;
        act(
            server,
            &hub.token,
            &compliance,
            "allocate",
            json!({"product_type": "Cotton", "quantity": 1 + n % 20, "batch_reference": format!("B-{n}")}),
        )
        .await;
        let print = create(
            &merchant.token,
            json!({"workflow": "print-production", "parties": {"shop": "hub"},
                   "inputs": {"reference": format!("SO-{n}"), "recipient": "Ada Lovelace",
                     "address1": "1 Lake Dr", "city": "Milwaukee", "country": "US",
                     "latitude": 43.04, "longitude": -87.91,
                     "items": [{"sku": "TEE-BLK-M", "quantity": 2, "decoration": "dtf",
                                "design": [design]}]}}),
        )
        .await;
        if n == 0 {
            firsts = vec![
                ("dental-lab", dental),
                ("purchasing", purchase),
                ("compliance", compliance),
                ("print-production", print),
            ];
        }
    }
    Seeded { hub, firsts }
}

/// The `attribute` values of the tags `tag` of `html` (`<script src>`,
/// `<link href>` of stylesheets).
fn linked(html: &str, tag: &str, attribute: &str) -> Vec<String> {
    html.split(&format!("<{tag} "))
        .skip(1)
        .filter_map(|rest| {
            let tag_text = &rest[..rest.find('>')?];
            if tag == "link" && !tag_text.contains("stylesheet") {
                return None;
            }
            let start = tag_text.find(&format!("{attribute}=\""))? + attribute.len() + 2;
            let len = tag_text[start..].find('"')?;
            Some(tag_text[start..start + len].to_owned())
        })
        .collect()
}

struct Figure {
    page: String,
    bytes: usize,
    assets: usize,
    median: Duration,
    p95: Duration,
}

async fn measure(
    http: &reqwest::Client,
    base: &str,
    session: Option<&str>,
    page: &str,
    path: &str,
) -> Figure {
    let get = async |path: &str| {
        let mut request = http.get(format!("{base}{path}"));
        if let Some(cookie) = session {
            request = request.header(COOKIE, cookie);
        }
        let response = request.send().await.unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.bytes().await.unwrap()
    };
    let body = get(path).await;
    let text = String::from_utf8_lossy(&body).into_owned();
    let mut assets = 0;
    for asset in linked(&text, "link", "href")
        .into_iter()
        .chain(linked(&text, "script", "src"))
    {
        assets += get(&asset).await.len();
    }
    let mut times = Vec::with_capacity(REQUESTS);
    for _ in 0..REQUESTS {
        let start = Instant::now();
        get(path).await;
        times.push(start.elapsed());
    }
    times.sort();
    Figure {
        page: page.to_owned(),
        bytes: body.len(),
        assets,
        median: times[REQUESTS / 2],
        p95: times[REQUESTS * 95 / 100],
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measures the pages at 1,000 orders (minutes in a debug build)"]
async fn figures_at_a_thousand_orders() {
    let server = Server::start().await;
    let seeding = Instant::now();
    let seeded = seed(&server).await;
    let seeding = seeding.elapsed();
    let http = session::client();
    let base = server.base.clone();
    let (session, _) = session::sign_in(&http, &base, &seeded.hub.user, &seeded.hub.password).await;
    let all = http
        .get(format!("{base}/orders"))
        .header(COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert_eq!(all.status(), 200);
    let all = all.text().await.unwrap();
    assert!(
        all.contains(r#"All <span class="count">(1000)"#)
            || all.contains(r#"All <span class="count">(1,000)"#),
        "the hub sees every order"
    );

    let mut figures = vec![measure(&http, &base, None, "sign-in", "/login").await];
    let mut pages = vec![
        ("dashboard".to_owned(), "/dashboard".to_owned()),
        ("orders, first page".to_owned(), "/orders".to_owned()),
        (
            "orders, search \"crown\"".to_owned(),
            "/orders?q=crown".to_owned(),
        ),
    ];
    for (workflow, id) in &seeded.firsts {
        pages.push((format!("order ({workflow})"), format!("/orders/{id}")));
    }
    let (_, dental) = &seeded.firsts[0];
    pages.push(("print view".to_owned(), format!("/orders/{dental}/print")));
    pages.push(("PDF".to_owned(), format!("/orders/{dental}/print.pdf")));
    pages.push(("inbox".to_owned(), "/inbox".to_owned()));
    for (page, path) in &pages {
        figures.push(measure(&http, &base, Some(&session), page, path).await);
    }

    let build = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!(
        "\n1,000 orders seeded in {:.0} s; {build} build, SQLite, {REQUESTS} requests per page\n",
        seeding.as_secs_f64()
    );
    println!("| page | HTML (or PDF) bytes | CSS + JS bytes | total bytes | median ms | p95 ms |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for f in &figures {
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            f.page,
            f.bytes,
            f.assets,
            f.bytes + f.assets,
            ms(f.median),
            ms(f.p95)
        );
    }
}
