//! The built binary as people run it: `orderflow serve` on a temporary
//! data directory, driven by the binary's own client commands; stopped with
//! SIGTERM and started again on the same directory; and `demo --no-serve`.
//! Every wait has a deadline.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ADMIN: &str = "admin-token-for-cli-tests";

#[path = "support/server.rs"]
mod support;

use support::{BIN, Server};

impl Server {
    /// `orderflow serve` on `dir`, durable enough for these tests
    /// (`synchronous = NORMAL`: they never pull the power).
    fn start(dir: &Path) -> Self {
        Server::start_with(
            dir,
            ADMIN,
            &[
                ("ORDERFLOW_SQLITE_SYNCHRONOUS", "normal"),
                ("ORDERFLOW_LOG", "warn"),
            ],
        )
    }

    /// Stops it with SIGTERM and waits (bounded) for a clean exit.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "serve exited with {status}");
                return;
            }
            assert!(
                Instant::now() < deadline,
                "serve did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `GET path` over a plain socket: the status line and the body.
    fn get_raw(&self, path: &str) -> (String, String) {
        let addr = self.url.trim_start_matches("http://");
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).unwrap();
        let status = text.lines().next().unwrap_or_default().to_owned();
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    }

    /// Runs a client command against this server as the administrator.
    fn admin(&self, args: &[&str]) -> Run {
        run(
            args,
            &[
                ("ORDERFLOW_URL", &self.url),
                ("ORDERFLOW_ADMIN_TOKEN", ADMIN),
            ],
        )
    }

    /// Runs a client command against this server with `token`.
    fn cli(&self, token: &str, args: &[&str]) -> Run {
        run(
            args,
            &[("ORDERFLOW_URL", &self.url), ("ORDERFLOW_TOKEN", token)],
        )
    }
}

/// What a command did.
#[derive(Debug)]
struct Run {
    code: i32,
    out: String,
    err: String,
}

impl Run {
    fn ok(self) -> String {
        assert_eq!(self.code, 0, "failed: {}{}", self.out, self.err);
        self.out
    }
}

/// Runs the binary with `args` and `envs`, killing it after 120 s.
fn run(args: &[&str], envs: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in [
        "ORDERFLOW_URL",
        "ORDERFLOW_TOKEN",
        "ORDERFLOW_ADMIN_TOKEN",
        "ORDERFLOW_CONFIG",
        "ORDERFLOW_DATABASE",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("orderflow {args:?} took longer than 120 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code().unwrap_or(-1),
        out: out.join().unwrap(),
        err: err.join().unwrap(),
    }
}

/// The token `users add` prints once.
fn token_of(output: &str) -> String {
    output
        .lines()
        .find_map(|l| l.strip_prefix("token (shown once): "))
        .unwrap_or_else(|| panic!("no token in {output}"))
        .trim()
        .to_owned()
}

#[test]
fn serve_drive_it_from_the_command_line_stop_and_start_again() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());

    let (status, body) = server.get_raw("/healthz");
    assert!(status.contains("200"), "{status}");
    assert!(body.contains("\"ok\""), "{body}");

    // The administrator makes the organisations and their users.
    let admin = |args: &[&str]| server.admin(args);
    let out = admin(&[
        "organizations",
        "add",
        "clinic",
        "--name",
        "Brightsmile Clinic",
        "--setting",
        "time_zone=Europe/Paris",
    ])
    .ok();
    assert!(out.contains("clinic"), "{out}");
    admin(&[
        "organizations",
        "add",
        "lab",
        "--name",
        "Precision Lab",
        "--setting",
        "payment_instructions=IBAN FR76 0000",
    ])
    .ok();
    // The same id again: one line naming the conflict.
    let again = admin(&["organizations", "add", "lab", "--name", "Lab"]);
    assert_eq!(again.code, 1);
    assert_eq!(again.err.lines().count(), 1, "{}", again.err);
    assert!(
        again.err.starts_with("orderflow: conflict"),
        "{}",
        again.err
    );
    let clinic = token_of(
        &admin(&[
            "users",
            "add",
            "--organization",
            "clinic",
            "--name",
            "Dr. Hart",
            "--email",
            "hart@clinic.example",
        ])
        .ok(),
    );
    let lab = token_of(&admin(&["users", "add", "--organization", "lab", "--name", "Marco"]).ok());
    // Passwords for the web UI: at creation, and set again later (from
    // standard input, empty here, or --password).
    admin(&[
        "users",
        "add",
        "--organization",
        "lab",
        "--name",
        "Ines",
        "--id",
        "ines",
        "--password",
        "first password",
    ])
    .ok();
    let empty = admin(&["users", "set-password", "--user", "ines"]);
    assert_eq!(empty.code, 1);
    assert!(
        empty.err.contains("password: at least 8 characters"),
        "{}",
        empty.err
    );
    let out = admin(&[
        "users",
        "set-password",
        "--user",
        "ines",
        "--password",
        "second password",
    ])
    .ok();
    assert_eq!(out, "password of user ines set\n");
    // A user makes itself another token, which works.
    let out = server
        .cli(&clinic, &["tokens", "create", "--name", "laptop"])
        .ok();
    let second = out.lines().last().unwrap().trim().to_owned();
    assert!(second.starts_with("of_"), "{out}");

    // The clinic creates an order and publishes it.
    let out = server
        .cli(
            &second,
            &[
                "orders",
                "create",
                "dental-lab",
                "--party",
                "lab=lab",
                "--inputs",
                r#"{"lines": [{"product": "crown", "quantity": 2, "unit_price": "150.00"}]}"#,
                "--input",
                "notes=shade A2",
            ],
        )
        .ok();
    let id = out.split(':').next().unwrap().trim().to_owned();
    assert!(out.contains("Draft (draft), version 1"), "{out}");
    let out = server
        .cli(
            &clinic,
            &["orders", "act", &id, "publish", "--if-match", "1"],
        )
        .ok();
    assert!(out.contains("Published (published), version 2"), "{out}");

    // The lab is told, in its inbox: listed, then read; its e-mail choices.
    let out = server.cli(&lab, &["notifications", "list"]).ok();
    assert!(out.contains(" from "), "the subject: {out}");
    assert!(out.ends_with("1 unread\n"), "{out}");
    let json = server.cli(&lab, &["notifications", "list", "--json"]).ok();
    let listed: serde_json::Value = serde_json::from_str(&json).unwrap();
    let text = listed["items"][0]["text"].as_str().unwrap();
    assert!(
        text.contains(&format!("{}/orders/{id}", server.url)),
        "the link is the server's own address: {text}"
    );
    let out = server.cli(&lab, &["notifications", "read", "--all"]).ok();
    assert_eq!(out, "1 marked read\n");
    let out = server
        .cli(
            &lab,
            &["notifications", "email", "--off", "order_published"],
        )
        .ok();
    assert!(
        out.lines()
            .any(|l| l.starts_with("off") && l.contains("order_published")),
        "{out}"
    );
    let unknown = server.cli(&lab, &["notifications", "email", "--off", "spam"]);
    assert_eq!(unknown.code, 1, "{unknown:?}");
    assert!(unknown.err.contains("opted_out"), "{}", unknown.err);
    assert_eq!(admin(&["outbox", "dead"]).ok(), "no dead letters\n");

    // A refusal is one line naming what is wrong, and exit code 1.
    let refused = server.cli(
        &lab,
        &[
            "orders",
            "act",
            &id,
            "ship",
            "--input",
            "tracking_number=1Z999",
        ],
    );
    assert_eq!(refused.code, 1, "{refused:?}");
    assert_eq!(refused.out, "");
    assert_eq!(
        refused.err,
        "orderflow: not available: ship is not available while the order is \"published\"; it is available in: produced\n"
    );
    let missing = server.cli(&lab, &["orders", "act", &id, "start_production"]);
    assert_eq!(missing.code, 1);
    assert_eq!(missing.err.lines().count(), 1, "{}", missing.err);
    assert!(missing.err.contains("production_date"), "{}", missing.err);
    // The clinic's draft-era actions are not the lab's.
    let forbidden = server.cli(
        &clinic,
        &[
            "orders",
            "act",
            &id,
            "start_production",
            "--input",
            "production_date=2025-03-01",
        ],
    );
    assert_eq!(forbidden.code, 1);
    assert!(
        forbidden.err.starts_with("orderflow: forbidden"),
        "{}",
        forbidden.err
    );

    // The lab sees it in its list, with its actions.
    let list = server.cli(&lab, &["orders", "list"]).ok();
    let row = list
        .lines()
        .find(|l| l.contains(&id))
        .unwrap_or_else(|| panic!("{list}"));
    assert!(
        row.contains("dental-lab") && row.contains("Published"),
        "{row}"
    );
    assert!(row.starts_with("DL-1001 "), "the number comes first: {row}");
    // The number works wherever the id does.
    let show = server.cli(&lab, &["orders", "show", "DL-1001"]).ok();
    assert!(show.contains(&format!("order     {id}")), "{show}");
    assert!(show.contains("number    DL-1001"), "{show}");
    assert!(show.contains("start_production"), "{show}");
    assert!(show.contains("blocked: not available"), "{show}");
    // Money as it was typed, in the order's currency.
    assert!(show.contains("currency  EUR"), "{show}");
    assert!(
        show.lines()
            .any(|l| l.trim_start().starts_with("total") && l.ends_with("300.00")),
        "{show}"
    );
    let history = server.cli(&clinic, &["orders", "history", &id]).ok();
    assert!(history.contains("publish"), "{history}");
    assert!(
        history.contains("Dr. Hart (Brightsmile Clinic)"),
        "history names who acted: {history}"
    );
    // A bad token: one line.
    let bad = server.cli("of_nope", &["orders", "list"]);
    assert_eq!(bad.code, 1);
    assert_eq!(bad.err.lines().count(), 1);

    // Stop it; start it again on the same directory: the order is there.
    let url = server.url.clone();
    server.stop();
    let down = run(
        &["orders", "list"],
        &[("ORDERFLOW_URL", &url), ("ORDERFLOW_TOKEN", &lab)],
    );
    assert_eq!(down.code, 1);
    assert_eq!(down.err.lines().count(), 1, "{}", down.err);
    assert!(down.err.contains("cannot connect"), "{}", down.err);

    let server = Server::start(dir.path());
    let json = server.cli(&lab, &["orders", "show", &id, "--json"]).ok();
    let order: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(order["version"], 2);
    assert_eq!(order["status"]["id"], "published");
    assert_eq!(order["data"]["notes"], "shade A2");
    // Tokens survived too, and the order moves on from where it was.
    let out = server
        .cli(
            &lab,
            &[
                "orders",
                "act",
                &id,
                "start_production",
                "--input",
                "production_date=2025-03-01",
                "--idempotency-key",
                "k-1",
            ],
        )
        .ok();
    assert!(out.contains("version 3"), "{out}");
    server.stop();
}

#[test]
fn demo_leaves_orders_in_every_state() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let demo = run(
        &[
            "demo",
            "--no-serve",
            "--data-dir",
            data,
            "--listen",
            "127.0.0.1:0",
        ],
        &[
            ("ORDERFLOW_ADMIN_TOKEN", ADMIN),
            ("ORDERFLOW_SQLITE_SYNCHRONOUS", "normal"),
        ],
    );
    let out = demo.ok();
    let tokens: Vec<String> = out
        .split_whitespace()
        .filter(|w| w.starts_with("of_") && w.len() > 60)
        .map(|w| {
            w.trim_end_matches(|c: char| !c.is_ascii_hexdigit())
                .to_owned()
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(tokens.len() >= 8, "{out}");
    assert!(out.contains("URL:"), "{out}");
    assert!(out.contains("password:       orderflow-demo"), "{out}");

    // A second demo on the same directory refuses, in one line.
    let again = run(
        &[
            "demo",
            "--no-serve",
            "--data-dir",
            data,
            "--listen",
            "127.0.0.1:0",
        ],
        &[("ORDERFLOW_ADMIN_TOKEN", ADMIN)],
    );
    assert_eq!(again.code, 1);
    assert!(again.err.contains("already holds orders"), "{}", again.err);
    assert!(again.err.contains("--force"), "{}", again.err);

    // Serve the same directory: every state of every workflow is there.
    // The scheduler's intake check, run at start, would pass the job the
    // demo leaves in intake_hold (the shop has its SKU in stock): this test
    // reads the states as the demo left them.
    let server = Server::start_with(
        dir.path(),
        ADMIN,
        &[
            ("ORDERFLOW_SQLITE_SYNCHRONOUS", "normal"),
            ("ORDERFLOW_LOG", "warn"),
            ("ORDERFLOW_SCHEDULER", "off"),
        ],
    );
    let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for token in &tokens {
        let json = server
            .cli(token, &["orders", "list", "--json", "--limit", "200"])
            .ok();
        let list: serde_json::Value = serde_json::from_str(&json).unwrap();
        for o in list["items"].as_array().unwrap() {
            seen.entry(o["workflow"].as_str().unwrap().to_owned())
                .or_default()
                .insert(o["status"]["id"].as_str().unwrap().to_owned());
        }
    }
    let expected: BTreeMap<&str, &[&str]> = BTreeMap::from([
        (
            "dental-lab",
            &[
                "draft",
                "published",
                "production",
                "produced",
                "shipped",
                "delivered",
                "completed",
                "cancelled",
            ][..],
        ),
        (
            "purchasing",
            &[
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
            ][..],
        ),
        (
            "compliance",
            &[
                "pending_data",
                "pending_products",
                "in_progress",
                "products_in_progress",
                "compliance_in_progress",
                "complete",
            ][..],
        ),
        (
            "print-production",
            &[
                "intake_hold",
                "open",
                "completed",
                "shipped",
                "canceled",
                "production_hold",
            ][..],
        ),
    ]);
    for (workflow, states) in expected {
        let got = seen.get(workflow).cloned().unwrap_or_default();
        let want: BTreeSet<String> = states.iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(got, want, "{workflow}");
    }
    // The open print order's jobs are spread over every job state but
    // `embroidered` (its decoration is DTG).
    let mut job_states = BTreeSet::new();
    for token in &tokens {
        let json = server
            .cli(
                token,
                &[
                    "orders",
                    "list",
                    "--json",
                    "--workflow",
                    "print-production",
                    "--status",
                    "open",
                ],
            )
            .ok();
        let list: serde_json::Value = serde_json::from_str(&json).unwrap();
        for o in list["items"].as_array().unwrap() {
            let id = o["id"].as_str().unwrap();
            let shown = server.cli(token, &["orders", "show", id, "--json"]).ok();
            let order: serde_json::Value = serde_json::from_str(&shown).unwrap();
            for (state, n) in order["counts"]["job"].as_object().unwrap() {
                if n.as_u64().unwrap() > 0 {
                    job_states.insert(state.clone());
                }
            }
        }
    }
    let want: BTreeSet<String> = [
        "intake_hold",
        "on_order",
        "pending",
        "open",
        "labeled",
        "picked",
        "queued_for_pretreat",
        "pretreated",
        "scanned",
        "printed",
        "completed",
        "shipped",
        "canceled",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    assert_eq!(job_states, want);
    server.stop();
}

#[test]
fn inventory_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let admin = |args: &[&str]| server.admin(args);
    admin(&[
        "organizations",
        "add",
        "shop",
        "--name",
        "Print Shop",
        "--setting",
        r#"locations=[{"id": "chi", "latitude": 41.88, "longitude": -87.63, "capacity_units": 10}]"#,
    ])
    .ok();
    let user = |id: &str, role: &str| {
        token_of(
            &admin(&[
                "users",
                "add",
                "--organization",
                "shop",
                "--name",
                id,
                "--id",
                id,
                "--role",
                role,
            ])
            .ok(),
        )
    };
    let manager = user("meg", "manager");
    let operator = user("otis", "operator");

    let out = server
        .cli(
            &manager,
            &["inventory", "add-location", "chi", "--name", "Chicago"],
        )
        .ok();
    assert_eq!(out, "location chi (Chicago) added\n");
    server
        .cli(
            &manager,
            &[
                "inventory",
                "add-bin",
                "A-01",
                "--location",
                "chi",
                "--sku",
                "tee",
                "--quantity",
                "2",
            ],
        )
        .ok();
    // Never below zero: one line naming the bin, exit 1.
    let refused = server.cli(
        &manager,
        &["inventory", "adjust", "A-01", "-5", "--location", "chi"],
    );
    assert_eq!(refused.code, 1);
    assert_eq!(refused.err.lines().count(), 1, "{}", refused.err);
    assert!(
        refused.err.starts_with("orderflow: conflict"),
        "{}",
        refused.err
    );
    assert!(refused.err.contains("A-01"), "{}", refused.err);
    let out = server
        .cli(&manager, &["inventory", "bins", "--location", "chi"])
        .ok();
    assert_eq!(out, "A-01\ttee\t2\n");
    server
        .cli(
            &manager,
            &[
                "inventory",
                "add-purchase",
                "PO-1",
                "--location",
                "chi",
                "--sku",
                "tee",
                "--ordered",
                "4",
            ],
        )
        .ok();
    let out = server
        .cli(&manager, &["inventory", "receive", "PO-1", "3"])
        .ok();
    assert!(
        out.starts_with("PO-1\tchi\ttee\tordered 4\treceived 3\t"),
        "{out}"
    );
    let out = server.cli(&manager, &["inventory", "intake"]).ok();
    assert!(out.starts_with("intake: 0 jobs, 0 reserved"), "{out}");
    let refused = server.cli(&operator, &["inventory", "intake"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.err.starts_with("orderflow: forbidden"),
        "{}",
        refused.err
    );
}

/// A webhook receiver on a loopback port that answers every request with
/// 204: its URL, and the bodies it was sent so far.
fn receiver() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = bodies.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            // The whole request is read before answering: answering first
            // could reset the connection under the sender's last bytes.
            if let Some(body) = read_request(&mut stream) {
                seen.lock().unwrap().push(body);
                let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
            }
        }
    });
    (url, bodies)
}

/// One HTTP request's body, read to its `Content-Length`.
fn read_request(stream: &mut TcpStream) -> Option<String> {
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).ok().filter(|n| *n > 0)?;
        request.extend_from_slice(&buf[..n]);
        let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&request[..end]);
        let length = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        let body = &request[end + 4..];
        if body.len() >= length {
            return Some(String::from_utf8_lossy(body).into_owned());
        }
    }
}

/// Runs `check` every 100 ms until it gives something, for at most 30 s
/// (the server's deliverer looks for work every second).
fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(Instant::now() < deadline, "never: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn webhooks_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let admin = |args: &[&str]| server.admin(args);
    admin(&["organizations", "add", "clinic", "--name", "Clinic"]).ok();
    admin(&["organizations", "add", "lab", "--name", "Lab"]).ok();
    let clinic = token_of(
        &admin(&[
            "users",
            "add",
            "--organization",
            "clinic",
            "--name",
            "Carla",
        ])
        .ok(),
    );
    let lab = token_of(
        &admin(&[
            "users",
            "add",
            "--organization",
            "lab",
            "--name",
            "Lara",
            "--role",
            "admin",
        ])
        .ok(),
    );
    let (url, received) = receiver();

    // A URL the server refuses: one line saying what a URL must be.
    let refused = server.cli(&lab, &["webhooks", "add", "ftp://nowhere"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert_eq!(refused.out, "");
    assert_eq!(
        refused.err,
        "orderflow: invalid input: url: an absolute http:// or https:// URL with a host, \
         at most 2000 characters\n"
    );

    let out = server.cli(&lab, &["webhooks", "add", &url]).ok();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    let hook = lines[0]
        .strip_prefix("webhook ")
        .and_then(|l| l.strip_suffix(&format!(" → {url}")))
        .unwrap_or_else(|| panic!("the endpoint's id and URL: {out}"))
        .to_owned();
    assert_eq!(lines[1], "signing secret, shown once:");
    assert!(lines[2].starts_with("whsec_"), "{out}");

    // One line per endpoint under the columns' names, aligned.
    let id_width = hook.len();
    let url_width = url.len();
    let out = server.cli(&lab, &["webhooks", "list"]).ok();
    assert_eq!(
        out,
        format!(
            "{:id_width$}  {:url_width$}  WORKFLOWS  EVENTS  ACTIONS\n\
             {hook}  {url}  all        all     all\n",
            "ID", "URL"
        )
    );
    assert!(!out.contains("whsec_"), "the secret is shown once");

    // Publishing is a change the lab sees: delivered to the receiver.
    let out = server
        .cli(
            &clinic,
            &[
                "orders",
                "create",
                "dental-lab",
                "--party",
                "lab=lab",
                "--inputs",
                r#"{"lines": [{"product": "crown", "quantity": 1, "unit_price": "10.00"}]}"#,
            ],
        )
        .ok();
    let order = out.split(':').next().unwrap().trim().to_owned();
    server
        .cli(&clinic, &["orders", "act", &order, "publish"])
        .ok();
    let out = eventually("the delivery delivered", || {
        let out = server.cli(&lab, &["webhooks", "deliveries", &hook]).ok();
        out.contains("delivered").then_some(out)
    });
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "one delivery: {out}");
    let delivery = lines[1].split_whitespace().next().unwrap().to_owned();
    let (id_width, order_width) = (delivery.len(), order.len());
    assert_eq!(
        lines[0],
        format!(
            "{:id_width$}  EVENT                 {:order_width$}  STATE      ATTEMPTS  NEXT  LAST ERROR",
            "ID", "ORDER"
        )
    );
    assert_eq!(
        lines[1],
        format!("{delivery}  order.status_changed  {order}  delivered  1"),
        "nothing next, no error"
    );
    {
        let bodies = received.lock().unwrap();
        assert_eq!(bodies.len(), 1);
        assert!(bodies[0].contains(&order), "{}", bodies[0]);
    }

    // Sent again: pending, then at the receiver a second time.
    let out = server
        .cli(&lab, &["webhooks", "redeliver", &hook, &delivery])
        .ok();
    assert_eq!(out, format!("delivery {delivery} is pending again\n"));
    eventually("the delivery sent again", || {
        (received.lock().unwrap().len() == 2).then_some(())
    });

    let out = server.cli(&lab, &["webhooks", "remove", &hook]).ok();
    assert_eq!(out, format!("webhook {hook} removed\n"));
    let out = server.cli(&lab, &["webhooks", "list"]).ok();
    assert_eq!(
        out, "ID  URL  WORKFLOWS  EVENTS  ACTIONS\n",
        "no endpoint left"
    );
    let gone = server.cli(&lab, &["webhooks", "deliveries", &hook]);
    assert_eq!(gone.code, 1);
    assert_eq!(gone.err, "orderflow: not found: no such webhook\n");
    server.stop();
}
