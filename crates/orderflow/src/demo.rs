//! `orderflow demo`: the server on the configured store, filled over its own
//! HTTP API with realistic organisations, users and orders in every state
//! of the four built-in workflows; then their tokens and the URL.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, bail};
use chrono::{Duration, Utc};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use orderflow_api::{
    ChildList, CreateOrder, CreateOrganization, CreateUser, FileView, OrderView, OrganizationView,
    UserCreated,
};
use orderflow_core::money;
use orderflow_store::{OrderFilter, Store};
use serde_json::{Value as Json, json};
use tokio::net::TcpListener;

use crate::client::Client;
use crate::commands::table;
use crate::config::{Config, Database};
use crate::serve;

/// The password of every demo user, for the web UI (printed with the
/// table: the demo's data is for trying things out, not for keeping).
pub const DEMO_PASSWORD: &str = "orderflow-demo";

/// Orders the demo creates (the progress bar's length).
const ORDERS: u64 = 8 + 10 + 6 + 6;

pub async fn demo(mut config: Config, no_serve: bool, force: bool) -> anyhow::Result<()> {
    let store = serve::open_store(&config).await?;
    if !force && holds_orders(store.as_ref()).await? {
        let place = match &config.database {
            Database::Sqlite { .. } => config.data_dir.display().to_string(),
            Database::Postgres { .. } => "the database".to_owned(),
        };
        bail!(
            "{place} already holds orders: pick another --data-dir, or pass --force to add the demo's beside them"
        );
    }
    // Ids get a suffix when the store is not empty, so a second demo
    // never collides with the first.
    let has_orgs = !store
        .organizations()
        .await
        .context("reading organisations")?
        .is_empty();
    let tag = if has_orgs {
        format!("-{}", &random_hex(3)?)
    } else {
        String::new()
    };
    let (admin, generated) = match &config.admin_token {
        Some(t) => (t.clone(), false),
        None => (format!("demo-admin-{}", random_hex(16)?), true),
    };
    config.admin_token = Some(admin.clone());
    // The seeded orders stand where the demo puts them (jobs waiting in
    // intake among them): `serve` on the same data runs the scheduler.
    config.scheduler.enabled = false;

    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let address = reachable(listener.local_addr()?);
    let base = format!("http://{address}");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        tokio::select! {
            _ = stop_rx => {}
            () = serve::shutdown_signal() => {}
        }
    };
    let server = tokio::spawn(serve::run_until(
        config.clone(),
        Arc::clone(&store),
        listener,
        shutdown,
    ));

    let seeded = seed(&base, &admin, &tag).await;
    let users = match seeded {
        Ok(users) => users,
        Err(e) => {
            let _ = stop_tx.send(());
            let _ = server.await;
            return Err(e);
        }
    };

    let rows = users
        .iter()
        .map(|u| {
            vec![
                u.organization.clone(),
                u.id.clone(),
                u.name.clone(),
                if u.roles.is_empty() {
                    "-".to_owned()
                } else {
                    u.roles.join(", ")
                },
                u.token.clone(),
            ]
        })
        .collect::<Vec<_>>();
    let mut out = String::from("\n");
    out.push_str(&table(
        &["ORGANISATION", "USER", "NAME", "ROLES", "TOKEN"],
        &rows,
    ));
    out.push_str(&format!(
        "\n{ORDERS} orders in every state of dental-lab, purchasing, compliance and print-production.\n"
    ));
    out.push_str(&format!(
        "URL:            {base}  (API under /api/v1, documentation at {base}/api/docs)\n"
    ));
    out.push_str(&format!(
        "password:       {DEMO_PASSWORD}  (every user above: sign in to the web UI with a USER id and it)\n"
    ));
    if generated {
        out.push_str(&format!(
            "administrator:  {admin}  (generated; set ORDERFLOW_ADMIN_TOKEN to choose it)\n"
        ));
    } else {
        out.push_str("administrator:  the token in ORDERFLOW_ADMIN_TOKEN\n");
    }
    if let Some(first) = users.first() {
        out.push_str(&format!(
            "try:            ORDERFLOW_URL={base} ORDERFLOW_TOKEN={} orderflow orders list\n",
            first.token
        ));
    }
    print!("{out}");

    if no_serve {
        let _ = stop_tx.send(());
    } else {
        println!("serving until Ctrl-C");
    }
    server.await.context("the server task failed")??;
    Ok(())
}

/// Whether any organisation of the store takes part in an order.
async fn holds_orders(store: &dyn Store) -> anyhow::Result<bool> {
    let workflows =
        orderflow_server::built_in_workflows().context("loading the built-in workflows")?;
    let mut visible = BTreeMap::new();
    for (id, wf) in &workflows {
        let states: Vec<String> = wf.def.states.iter().map(|s| s.id.clone()).collect();
        let slots = wf
            .def
            .parties
            .iter()
            .map(|p| (p.id.clone(), states.clone()))
            .collect::<BTreeMap<_, _>>();
        visible.insert(id.clone(), slots);
    }
    for org in store
        .organizations()
        .await
        .context("reading organisations")?
    {
        let filter = OrderFilter {
            organization: org.id.clone(),
            visible_statuses: visible.clone(),
            ..OrderFilter::default()
        };
        let counts = store
            .count_by_status(&filter)
            .await
            .context("counting orders")?;
        if counts.iter().any(|(_, _, n)| *n > 0) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// An address to connect to: a server listening on every interface is
/// reached on loopback.
fn reachable(addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        let ip = if addr.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        };
        SocketAddr::new(ip, addr.port())
    } else {
        addr
    }
}

fn random_hex(bytes: usize) -> anyhow::Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// A user the demo made, as the table shows it.
struct DemoUser {
    organization: String,
    id: String,
    name: String,
    roles: Vec<String>,
    token: String,
}

/// The demo's world, as the seeding steps use it.
struct World {
    admin: Client,
    tag: String,
    users: Vec<DemoUser>,
    bar: ProgressBar,
}

impl World {
    fn id(&self, base: &str) -> String {
        format!("{base}{}", self.tag)
    }

    async fn org(&self, id: &str, name: &str, settings: Json) -> anyhow::Result<String> {
        let id = self.id(id);
        let settings = match settings {
            Json::Object(m) => m,
            _ => serde_json::Map::new(),
        };
        let _: OrganizationView = self
            .admin
            .post(
                "/api/v1/organizations",
                &CreateOrganization {
                    id: id.clone(),
                    name: name.to_owned(),
                    settings,
                },
            )
            .await
            .with_context(|| format!("creating organisation {id}"))?;
        Ok(id)
    }

    /// A user of `org`; a client acting as them.
    async fn user(
        &mut self,
        org: &str,
        id: &str,
        name: &str,
        roles: &[&str],
        email: &str,
    ) -> anyhow::Result<Client> {
        let created: UserCreated = self
            .admin
            .post(
                "/api/v1/users",
                &CreateUser {
                    id: Some(self.id(id)),
                    name: name.to_owned(),
                    organization: org.to_owned(),
                    roles: roles.iter().map(|r| (*r).to_owned()).collect(),
                    email: Some(email.to_owned()),
                    password: Some(DEMO_PASSWORD.to_owned()),
                },
            )
            .await
            .with_context(|| format!("creating user {name}"))?;
        let token = created.token.token;
        self.users.push(DemoUser {
            organization: org.to_owned(),
            id: created.user.id.clone(),
            name: name.to_owned(),
            roles: created.user.roles,
            token: token.clone(),
        });
        Ok(self.admin.with_token(&token))
    }

    fn progress(&self, what: &str) {
        self.bar.set_message(what.to_owned());
    }

    fn done(&self) {
        self.bar.inc(1);
    }
}

async fn create(
    client: &Client,
    workflow: &str,
    parties: &[(&str, &str)],
    inputs: Json,
) -> anyhow::Result<OrderView> {
    client
        .post(
            "/api/v1/orders",
            &CreateOrder {
                workflow: workflow.to_owned(),
                parties: parties
                    .iter()
                    .map(|(s, o)| ((*s).to_owned(), (*o).to_owned()))
                    .collect(),
                inputs,
            },
        )
        .await
        .with_context(|| format!("creating a {workflow} order"))
}

/// Uploads a blank PNG of `width` x `height` pixels; its id.
async fn upload_png(
    client: &Client,
    name: &str,
    width: u32,
    height: u32,
) -> anyhow::Result<String> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    let mut writer = encoder.write_header()?;
    let row = usize::try_from(width.div_ceil(8))?;
    writer.write_image_data(&vec![0xFF; row.saturating_mul(usize::try_from(height)?)])?;
    writer.finish()?;
    let file: FileView = client
        .send(
            client
                .request(reqwest::Method::POST, &format!("/api/v1/files?name={name}"))
                .header(reqwest::header::CONTENT_TYPE, "image/png")
                .body(bytes),
        )
        .await
        .with_context(|| format!("uploading {name}"))?;
    Ok(file.id)
}

async fn act(
    client: &Client,
    order: &str,
    action: &str,
    inputs: Json,
) -> anyhow::Result<OrderView> {
    client
        .act(order, action, &inputs)
        .await
        .with_context(|| format!("{action} on order {order}"))
}

fn check(order: &OrderView, expected: &str) -> anyhow::Result<()> {
    if order.status.id != expected {
        bail!(
            "order {} is {:?}, the demo meant it to be {expected:?}",
            order.id,
            order.status.id
        );
    }
    Ok(())
}

async fn seed(base: &str, admin: &str, tag: &str) -> anyhow::Result<Vec<DemoUser>> {
    let admin_client = Client::new(base, Some(admin.to_owned()))?;
    // The server has said where it serves before the bar starts drawing.
    let mut tries = 0;
    while let Err(e) = admin_client.get::<orderflow_api::Health>("/healthz").await {
        tries += 1;
        if tries > 100 {
            return Err(e).context("the demo's server does not answer");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let bar = if std::io::stdout().is_terminal() {
        ProgressBar::with_draw_target(Some(ORDERS), ProgressDrawTarget::stdout())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} orders  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut w = World {
        admin: admin_client,
        tag: tag.to_owned(),
        users: Vec::new(),
        bar,
    };
    w.progress("organisations and users");
    dental_lab(&mut w).await?;
    purchasing(&mut w).await?;
    compliance(&mut w).await?;
    print_production(&mut w).await?;
    w.bar.finish_and_clear();
    Ok(w.users)
}

fn in_days(days: i64) -> String {
    (Utc::now() + Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

async fn dental_lab(w: &mut World) -> anyhow::Result<()> {
    let clinic = w
        .org(
            "brightsmile-clinic",
            "Brightsmile Dental Clinic",
            json!({"time_zone": "America/New_York", "currency": "USD"}),
        )
        .await?;
    let lab = w
        .org(
            "precision-lab",
            "Precision Dental Lab",
            json!({
                "time_zone": "America/New_York",
                "payment_instructions": "Bank transfer to Precision Dental Lab, account 0042 7781 3390, routing 021000021; put the order id in the reference. Net 30.",
                "task_templates": {
                    "zirconia crown": ["scan impression", "design", "mill", "sinter", "glaze"],
                    "implant bridge": ["scan impression", "design framework", "mill framework", "porcelain layering"],
                    "night guard": ["print model", "thermoform"],
                    "*": ["final quality check"]
                }
            }),
        )
        .await?;
    let dr = w
        .user(
            &clinic,
            "amelia-hart",
            "Dr. Amelia Hart",
            &[],
            "amelia.hart@brightsmile.example",
        )
        .await?;
    let tech = w
        .user(
            &lab,
            "marco-rossi",
            "Marco Rossi",
            &[],
            "marco@precisionlab.example",
        )
        .await?;

    let cases = [
        ("draft", "zirconia crown", 1, "189.00", "shade A2, tooth 14"),
        (
            "published",
            "implant bridge",
            1,
            "640.00",
            "3-unit bridge 35-37",
        ),
        (
            "production",
            "zirconia crown",
            2,
            "189.00",
            "teeth 11 and 21, shade B1",
        ),
        ("produced", "night guard", 1, "95.00", "hard acrylic, upper"),
        (
            "shipped",
            "zirconia crown",
            1,
            "189.00",
            "tooth 26, shade A3",
        ),
        (
            "delivered",
            "implant bridge",
            1,
            "640.00",
            "4-unit bridge 44-47",
        ),
        (
            "completed",
            "night guard",
            2,
            "95.00",
            "soft, upper and lower",
        ),
        ("cancelled", "zirconia crown", 1, "189.00", "tooth 36"),
    ];
    for (i, (target, product, quantity, price, notes)) in cases.into_iter().enumerate() {
        w.progress(&format!("dental-lab: {target}"));
        let order = create(
            &dr,
            "dental-lab",
            &[("lab", &lab)],
            json!({
                "lines": [
                    {"product": product, "quantity": quantity, "unit_price": price},
                    {"product": "shipping", "quantity": 1, "unit_price": "12.50"}
                ],
                "due_date": in_days(10 + i as i64),
                "notes": notes
            }),
        )
        .await?;
        let id = order.id.clone();
        let mut last = order;
        let steps: &[&str] = match target {
            "draft" => &[],
            "published" => &["publish"],
            "production" => &["publish", "start_production", "plan_work"],
            "produced" => &["publish", "start_production", "plan_work", "produce"],
            "shipped" => &[
                "publish",
                "start_production",
                "plan_work",
                "produce",
                "ship",
            ],
            "delivered" | "completed" => &[
                "publish",
                "start_production",
                "plan_work",
                "produce",
                "ship",
                "deliver",
                "pay",
            ],
            _ => &["publish", "start_production", "cancel"],
        };
        for step in steps {
            last = match *step {
                "publish" => act(&dr, &id, "publish", json!({})).await?,
                "start_production" => {
                    act(
                        &tech,
                        &id,
                        "start_production",
                        json!({"production_date": in_days(0)}),
                    )
                    .await?
                }
                "plan_work" => act(&tech, &id, "plan_work", json!({})).await?,
                "produce" => {
                    let tasks = last.data["tasks"].as_array().cloned().unwrap_or_default();
                    for t in &tasks {
                        act(
                            &tech,
                            &id,
                            "mark_task",
                            json!({"task": t["id"], "done": true}),
                        )
                        .await?;
                    }
                    act(&tech, &id, "produce", json!({})).await?
                }
                "ship" => {
                    act(
                        &tech,
                        &id,
                        "ship",
                        json!({"tracking_number": format!("1Z999AA1012345{:04}", 6700 + i)}),
                    )
                    .await?
                }
                "deliver" => act(&tech, &id, "deliver", json!({})).await?,
                "pay" => {
                    let total = money::minor_units(&last.data["total"]).unwrap_or(0);
                    // Delivered: half paid; completed: paid in full.
                    let cents = if target == "completed" {
                        total
                    } else {
                        total / 2
                    };
                    act(
                        &tech,
                        &id,
                        "record_payment",
                        json!({"amount": money::decimal(cents), "reference": format!("WIRE-{}", 88100 + i)}),
                    )
                    .await?
                }
                _ => {
                    act(
                        &tech,
                        &id,
                        "cancel",
                        json!({"reason": "the clinic sent a new impression; this one is void"}),
                    )
                    .await?
                }
            };
        }
        if target == "production" {
            // Some of the plan done, some not.
            if let Some(first) = last.data["tasks"].as_array().and_then(|t| t.first()) {
                last = act(
                    &tech,
                    &id,
                    "mark_task",
                    json!({"task": first["id"], "done": true}),
                )
                .await?;
            }
        }
        check(&last, target)?;
        w.done();
    }
    Ok(())
}

async fn purchasing(w: &mut World) -> anyhow::Result<()> {
    let outlet = w
        .org(
            "harbour-cafe",
            "Harbour Café, Brighton",
            json!({"purchasing_limit": "500.00", "currency": "GBP", "time_zone": "Europe/London"}),
        )
        .await?;
    let supplier = w
        .org(
            "fresh-valley",
            "Fresh Valley Farms",
            json!({"time_zone": "Europe/London"}),
        )
        .await?;
    let buyer = w
        .user(
            &outlet,
            "olivia-brown",
            "Olivia Brown",
            &["buyer"],
            "olivia@harbourcafe.example",
        )
        .await?;
    let approver = w
        .user(
            &outlet,
            "noah-green",
            "Noah Green",
            &["approver"],
            "noah@harbourcafe.example",
        )
        .await?;
    let sales = w
        .user(
            &supplier,
            "ethan-clark",
            "Ethan Clark",
            &[],
            "orders@freshvalley.example",
        )
        .await?;

    let small = json!({
        "lines": [
            {"product": "Free-range eggs (tray of 30)", "quantity": 6, "unit_price": "7.80"},
            {"product": "Whole milk 2L", "quantity": 12, "unit_price": "1.65"},
            {"product": "Sourdough loaf", "quantity": 10, "unit_price": "3.20"}
        ],
        "note": "Back door, before 7am please"
    });
    let big = json!({
        "lines": [
            {"product": "Arabica beans 1kg", "quantity": 40, "unit_price": "18.50"},
            {"product": "Oat milk 1L", "quantity": 60, "unit_price": "1.90"}
        ],
        "note": "Monthly stock-up"
    });
    let targets = [
        "needs_approval",
        "pending",
        "accepted",
        "partially_accepted",
        "scheduled_for_delivery",
        "completed",
        "in_dispute",
        "completed_after_dispute",
        "declined",
        "abandoned",
    ];
    for target in targets {
        w.progress(&format!("purchasing: {target}"));
        let inputs = if target == "needs_approval" {
            big.clone()
        } else {
            small.clone()
        };
        let order = create(&buyer, "purchasing", &[("supplier", &supplier)], inputs).await?;
        let id = order.id.clone();
        let mut last = order;
        if target == "needs_approval" {
            check(&last, target)?;
            w.done();
            continue;
        }
        match target {
            "pending" => {}
            "declined" => {
                last = act(
                    &sales,
                    &id,
                    "decline",
                    json!({"note": "Sourdough is off the list this week, sorry"}),
                )
                .await?;
            }
            "abandoned" => {
                last = act(
                    &buyer,
                    &id,
                    "abandon",
                    json!({"note": "Ordered twice by mistake"}),
                )
                .await?;
            }
            "partially_accepted" => {
                last = act(
                    &sales,
                    &id,
                    "accept",
                    json!({"partial": true, "lines": [{"line": 1, "quantity": 4}], "note": "Only 4 trays of eggs left"}),
                )
                .await?;
            }
            _ => {
                last = act(&sales, &id, "accept", json!({"note": "All in stock"})).await?;
            }
        }
        if matches!(
            target,
            "scheduled_for_delivery" | "completed" | "in_dispute" | "completed_after_dispute"
        ) {
            last = act(
                &sales,
                &id,
                "schedule",
                json!({"delivery_date": in_days(2)}),
            )
            .await?;
        }
        if matches!(
            target,
            "completed" | "in_dispute" | "completed_after_dispute"
        ) {
            last = act(
                &approver,
                &id,
                "complete",
                json!({"note": "Delivered and checked"}),
            )
            .await?;
        }
        if matches!(target, "in_dispute" | "completed_after_dispute") {
            last = act(
                &buyer,
                &id,
                "dispute",
                json!({"note": "Two cartons of milk were leaking"}),
            )
            .await?;
        }
        if target == "completed_after_dispute" {
            last = act(
                &buyer,
                &id,
                "resolve",
                json!({"note": "Credit note received for the milk"}),
            )
            .await?;
        }
        if target == "pending" {
            last = act(
                &sales,
                &id,
                "add_note",
                json!({"note": "We will confirm by noon"}),
            )
            .await?;
        }
        check(&last, target)?;
        w.done();
    }
    Ok(())
}

async fn compliance(w: &mut World) -> anyhow::Result<()> {
    let owner = w
        .org(
            "northwind-apparel",
            "Northwind Apparel",
            json!({"time_zone": "Europe/Amsterdam"}),
        )
        .await?;
    let editor = w
        .user(
            &owner,
            "priya-shah",
            "Priya Shah",
            &["edit"],
            "priya@northwind.example",
        )
        .await?;
    w.user(
        &owner,
        "tom-becker",
        "Tom Becker",
        &["view"],
        "tom@northwind.example",
    )
    .await?;

    let targets = [
        "pending_data",
        "pending_products",
        "in_progress",
        "products_in_progress",
        "compliance_in_progress",
        "complete",
    ];
    for (i, target) in targets.into_iter().enumerate() {
        w.progress(&format!("compliance: {target}"));
        let order = create(
            &editor,
            "compliance",
            &[],
            json!({
                "product_types": [
                    {"product_type": "organic cotton jersey", "quantity": 1200},
                    {"product_type": "recycled polyester lining", "quantity": 400}
                ],
                "requirements": [
                    {"name": "GOTS transaction certificate"},
                    {"name": "OEKO-TEX test report"}
                ],
                "reference": format!("PO-2024-{:03}", 310 + i),
                "notes": format!("Spring collection, style NW-{i}")
            }),
        )
        .await?;
        let id = order.id.clone();
        let mut last = order;
        let full = matches!(target, "compliance_in_progress" | "complete");
        let partial = matches!(target, "in_progress" | "products_in_progress");
        if full || partial {
            last = act(
                &editor,
                &id,
                "allocate",
                json!({"product_type": "organic cotton jersey", "quantity": if full { 1200 } else { 700 }, "batch_reference": format!("LOT-C-{:04}", 5100 + i)}),
            )
            .await?;
        }
        if full {
            last = act(
                &editor,
                &id,
                "allocate",
                json!({"product_type": "recycled polyester lining", "quantity": 400, "batch_reference": format!("LOT-P-{:04}", 7300 + i)}),
            )
            .await?;
        }
        // Evidence: one requirement provided (partial), or both completed.
        let evidence_complete = matches!(target, "products_in_progress" | "complete");
        let evidence_partial = matches!(
            target,
            "pending_products" | "in_progress" | "compliance_in_progress"
        );
        if evidence_partial || evidence_complete {
            last = act(
                &editor,
                &id,
                "provide_evidence",
                json!({"requirement": 1, "note": "Certificate TC-88412 from the spinning mill"}),
            )
            .await?;
        }
        if evidence_complete {
            last = act(
                &editor,
                &id,
                "provide_evidence",
                json!({"requirement": 2, "note": "Report 24.HIN.55102, class II"}),
            )
            .await?;
            for r in [1, 2] {
                last = act(&editor, &id, "complete_evidence", json!({"requirement": r})).await?;
            }
        }
        if target == "pending_products" {
            // Evidence complete without products is pending products too.
            last = act(&editor, &id, "complete_evidence", json!({"requirement": 1})).await?;
        }
        if target == "complete" {
            last = act(&editor, &id, "set_stage", json!({"stage": "dispatched"})).await?;
        } else if full {
            last = act(&editor, &id, "set_stage", json!({"stage": "packed"})).await?;
        }
        check(&last, target)?;
        w.done();
    }
    Ok(())
}

/// The steps that take one job from `intake_hold` to `shipped`, for its
/// decoration and pretreat path.
fn job_path(job: &Json, n: usize) -> Vec<(&'static str, Json)> {
    let sku = job["sku"].as_str().unwrap_or_default();
    let mut steps = vec![
        ("pass_intake", json!({"bin": stock_bin(sku)})),
        ("batch", json!({"batch": format!("Q-{}", 400 + n / 4)})),
        ("label", json!({})),
        ("pick", json!({})),
    ];
    if job["pretreat"] == json!(true) {
        steps.push(("queue_pretreat", json!({})));
        steps.push(("pretreat", json!({})));
    }
    steps.push(("scan", json!({})));
    if job["decoration"] == json!("embroidery") {
        steps.push(("embroider", json!({})));
    } else {
        steps.push(("print", json!({})));
    }
    steps.push(("complete", json!({})));
    steps.push((
        "ship",
        json!({"tracking_number": format!("9400 1000 0000 {:04}", 2200 + n), "carrier": "USPS"}),
    ));
    steps
}

/// The demo's one bin of `sku` at each location.
fn stock_bin(sku: &str) -> String {
    format!("stock-{sku}")
}

async fn jobs(client: &Client, order: &str) -> anyhow::Result<Vec<orderflow_api::ChildView>> {
    let list: ChildList = client
        .get(&format!(
            "/api/v1/orders/{order}/children?kind=job&limit=200"
        ))
        .await
        .with_context(|| format!("listing the jobs of order {order}"))?;
    Ok(list.items)
}

/// Takes the first `steps` steps of a job's path.
async fn drive_job(
    client: &Client,
    order: &str,
    job: &orderflow_api::ChildView,
    steps: usize,
    n: usize,
) -> anyhow::Result<Option<OrderView>> {
    let mut last = None;
    for (action, inputs) in job_path(&job.data, n).into_iter().take(steps) {
        last = Some(
            client
                .act_child(order, &job.id, action, &inputs)
                .await
                .with_context(|| format!("{action} on job {} of order {order}", job.id))?,
        );
    }
    Ok(last)
}

async fn print_production(w: &mut World) -> anyhow::Result<()> {
    let merchant = w
        .org(
            "teeswell",
            "Teeswell Merch",
            json!({"time_zone": "America/Chicago", "currency": "USD"}),
        )
        .await?;
    let shop = w
        .org(
            "inkworks",
            "Inkworks Print Co.",
            json!({
                "time_zone": "America/Chicago",
                "locations": [
                    {"id": "chicago", "name": "Chicago", "latitude": 41.88, "longitude": -87.63,
                     "capacity_units": 500, "uses_pretreat": true, "decorations": ["dtg", "dtf"]},
                    {"id": "dallas", "name": "Dallas", "latitude": 32.78, "longitude": -96.80,
                     "capacity_units": 300, "uses_pretreat": false, "decorations": ["dtf", "embroidery"]}
                ]
            }),
        )
        .await?;
    let jordan = w
        .user(
            &merchant,
            "jordan-lee",
            "Jordan Lee",
            &[],
            "jordan@teeswell.example",
        )
        .await?;
    let manager = w
        .user(
            &shop,
            "sam-ortiz",
            "Sam Ortiz",
            &["manager", "operator", "shipper"],
            "sam@inkworks.example",
        )
        .await?;
    // The shop's inventory: a bin per SKU at each location
    // (docs/inventory.md); jobs pass intake with a unit from it.
    let stock = [
        (
            "chicago",
            "Chicago",
            &[
                ("tee-black-m", 120),
                ("tee-white-l", 80),
                ("hoodie-grey-l", 30),
            ],
        ),
        (
            "dallas",
            "Dallas",
            &[("cap-navy", 60), ("tee-white-l", 40), ("polo-navy-m", 25)],
        ),
    ];
    for (location, name, bins) in stock {
        let _: Json = manager
            .post(
                "/api/v1/inventory/locations",
                &json!({"id": location, "name": name}),
            )
            .await
            .with_context(|| format!("stock location {location}"))?;
        for (sku, quantity) in bins {
            let _: Json = manager
                .post(
                    &format!("/api/v1/inventory/locations/{location}/bins"),
                    &json!({"id": stock_bin(sku), "sku": sku, "quantity": quantity}),
                )
                .await
                .with_context(|| format!("bin of {sku} at {location}"))?;
        }
    }
    // Black tees on order from the blank supplier; a job waits for them.
    let _: Json = manager
        .post(
            "/api/v1/inventory/purchases",
            &json!({"id": "PO-4471", "location": "chicago", "sku": "tee-black-m",
                    "ordered": 24, "supplier": "Blank Goods Co."}),
        )
        .await
        .context("purchase PO-4471")?;
    w.user(
        &shop,
        "dana-kim",
        "Dana Kim",
        &["operator"],
        "dana@inkworks.example",
    )
    .await?;
    w.user(
        &shop,
        "luis-vega",
        "Luis Vega",
        &["shipper"],
        "luis@inkworks.example",
    )
    .await?;

    // One artwork file, large enough for every decoration, on every item.
    let art = json!([upload_png(&jordan, "teeswell-logo.png", 4500, 5400).await?]);
    let address = |recipient: &str, city: &str, region: &str, lat: f64, lon: f64| {
        json!({
            "recipient": recipient, "address1": "1200 Main St", "city": city, "region": region,
            "postal_code": "00000", "country": "US", "latitude": lat, "longitude": lon
        })
    };
    let with_items = |mut a: Json, reference: &str, items: Json| {
        a["reference"] = json!(reference);
        a["items"] = items;
        a
    };

    // intake_hold: assigned to a location, nothing past intake yet.
    w.progress("print-production: intake_hold");
    let order = create(
        &jordan,
        "print-production",
        &[("shop", &shop)],
        with_items(
            address("Ada Park", "Milwaukee", "WI", 43.04, -87.91),
            "TW-1001",
            json!([{"sku": "tee-white-l", "quantity": 3, "decoration": "dtf", "design": art.clone()}]),
        ),
    )
    .await?;
    check(&order, "intake_hold")?;
    w.done();

    // open: a DTG order at Chicago (pretreat), its jobs spread over every
    // state from intake to shipped, one on order and one canceled.
    w.progress("print-production: open");
    let order = create(
        &jordan,
        "print-production",
        &[("shop", &shop)],
        with_items(
            address("Ben Ortega", "Madison", "WI", 43.07, -89.40),
            "TW-1002",
            json!([{"sku": "tee-black-m", "quantity": 13, "decoration": "dtg", "design": art.clone()}]),
        ),
    )
    .await?;
    let id = order.id.clone();
    let list = jobs(&manager, &id).await?;
    // steps: 0 intake_hold, 1 pending, 2 open, 3 labeled, 4 picked,
    // 5 queued_for_pretreat, 6 pretreated, 7 scanned, 8 printed,
    // 9 completed; then on_order, canceled, shipped.
    for (n, job) in list.iter().enumerate() {
        match n {
            0..=9 => {
                drive_job(&manager, &id, job, n, n).await?;
            }
            10 => {
                manager
                    .act_child(
                        &id,
                        &job.id,
                        "tie_to_purchase",
                        &json!({"purchase": "PO-4471"}),
                    )
                    .await
                    .context("tie_to_purchase")?;
            }
            12 => {
                drive_job(&manager, &id, job, usize::MAX, n).await?;
            }
            _ => {
                manager
                    .act_child(
                        &id,
                        &job.id,
                        "cancel",
                        &json!({"reason": "misprint reported by the merchant"}),
                    )
                    .await
                    .context("cancel job")?;
            }
        }
    }
    let now: OrderView = jordan.get(&format!("/api/v1/orders/{id}")).await?;
    check(&now, "open")?;
    w.done();

    // completed: embroidery at Dallas, every job ready to ship.
    w.progress("print-production: completed");
    let order = create(
        &jordan,
        "print-production",
        &[("shop", &shop)],
        with_items(
            address("Carla Diaz", "Houston", "TX", 29.76, -95.37),
            "TW-1003",
            json!([{"sku": "cap-navy", "quantity": 2, "decoration": "embroidery", "design": art.clone()}]),
        ),
    )
    .await?;
    let id = order.id.clone();
    let mut last = order;
    for (n, job) in jobs(&manager, &id).await?.iter().enumerate() {
        let steps = job_path(&job.data, n).len() - 1;
        if let Some(o) = drive_job(&manager, &id, job, steps, 20 + n).await? {
            last = o;
        }
    }
    check(&last, "completed")?;
    w.done();

    // shipped: DTF tees and a hoodie, every job shipped.
    w.progress("print-production: shipped");
    let order = create(
        &jordan,
        "print-production",
        &[("shop", &shop)],
        with_items(
            address("Dev Patel", "Naperville", "IL", 41.75, -88.15),
            "TW-1004",
            json!([
                {"sku": "tee-white-l", "quantity": 2, "decoration": "dtf", "design": art.clone()},
                {"sku": "hoodie-grey-l", "quantity": 1, "decoration": "dtf", "design": art.clone()}
            ]),
        ),
    )
    .await?;
    let id = order.id.clone();
    let mut last = order;
    for (n, job) in jobs(&manager, &id).await?.iter().enumerate() {
        if let Some(o) = drive_job(&manager, &id, job, usize::MAX, 30 + n).await? {
            last = o;
        }
    }
    check(&last, "shipped")?;
    w.done();

    // canceled by the merchant while in intake.
    w.progress("print-production: canceled");
    let order = create(
        &jordan,
        "print-production",
        &[("shop", &shop)],
        with_items(
            address("Eve Stone", "Chicago", "IL", 41.90, -87.65),
            "TW-1005",
            json!([{"sku": "tee-black-m", "quantity": 2, "decoration": "dtg", "design": art.clone()}]),
        ),
    )
    .await?;
    let id = order.id.clone();
    if let Some(job) = jobs(&manager, &id).await?.first() {
        drive_job(&manager, &id, job, 1, 40).await?;
    }
    let last = act(
        &jordan,
        &id,
        "cancel",
        json!({"reason": "the customer changed their mind"}),
    )
    .await?;
    check(&last, "canceled")?;
    w.done();

    // production_hold: 400 embroidered polos, more than the one location
    // that embroiders has room for: it waits for a manager to assign one.
    w.progress("print-production: production_hold");
    let order = create(
        &jordan,
        "print-production",
        &[("shop", &shop)],
        with_items(
            address("Finn Moreau", "St. Louis", "MO", 38.63, -90.20),
            "TW-1006",
            json!([
                {"sku": "tee-black-m", "quantity": 1, "decoration": "dtg", "design": art.clone()},
                {"sku": "polo-navy-m", "quantity": 400, "decoration": "embroidery", "design": art.clone()}
            ]),
        ),
    )
    .await?;
    check(&order, "production_hold")?;
    w.done();
    Ok(())
}
