//! What every browser test stands on: the real server in-process on a
//! fresh SQLite store, organisations and users made through the API, and
//! headless Chromium driven over WebDriver (`chromedriver`), with helpers
//! that find things the way a person does — by labels and button names.

#![allow(dead_code)]

use std::net::TcpListener as StdListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use orderflow_server::{AppState, Limits, SystemClock, built_in_workflows, router_with_pages};
use orderflow_sqlite::SqliteStore;
use serde_json::{Value, json};
use tokio::sync::{Mutex, MutexGuard, oneshot};

pub const ADMIN: &str = "admin-secret-for-browser-tests";
const CHROMIUM: &str = "/usr/bin/chromium";
/// How long a page may take to show what a test waits for: generous, as
/// CI runs the browser beside other test binaries on two cores (a check of
/// a pasted definition once took more than 10 s there).
const WAIT: Duration = Duration::from_secs(30);

/// One browser at a time: two cores do not run several Chromiums well.
fn one_at_a_time() -> &'static Mutex<()> {
    static LOCK: OnceLock<Mutex<()>> = OnceLock::new();
    LOCK.get_or_init(|| Mutex::new(()))
}

/// The server under test, and its administrator's HTTP client.
pub struct Server {
    pub base: String,
    http: reqwest::Client,
    _data: tempfile::TempDir,
    _shutdown: oneshot::Sender<()>,
}

/// The servers' log (warnings and errors, or what `RUST_LOG` asks for) in
/// the output of the test whose server wrote it, which the test runner
/// shows when that test fails: why a request failed is logged there, not
/// in its answer.
fn log_to_test_output() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    });
}

impl Server {
    /// How many files the store holds, read from its database file beside
    /// the running server (WAL lets a reader in): what no page shows.
    pub fn stored_files(&self) -> i64 {
        let path = self._data.path().join(orderflow_sqlite::FILE_NAME);
        let db =
            rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .expect("the database file");
        db.query_row("SELECT count(*) FROM files", [], |row| row.get(0))
            .expect("the files counted")
    }

    pub async fn start() -> Self {
        log_to_test_output();
        let data = tempfile::tempdir().expect("a temporary directory");
        let store = SqliteStore::open(data.path())
            .await
            .expect("a SQLite store");
        let state = AppState::new(
            Arc::new(store),
            built_in_workflows().expect("the built-in workflows"),
            Some(ADMIN.to_owned()),
            Arc::new(SystemClock),
            Limits::default(),
        );
        // As `orderflow serve` starts: the built-ins deployed as version 1.
        state
            .deploy_built_ins()
            .await
            .expect("the built-ins deployed");
        let app = router_with_pages(
            state.clone(),
            Some(orderflow_web::router(
                state,
                orderflow_web::TrustedProxies::default(),
            )),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let base = format!("http://{}", listener.local_addr().expect("an address"));
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Server {
            base,
            http: reqwest::Client::new(),
            _data: data,
            _shutdown: tx,
        }
    }

    /// A request to the API with `token`; the JSON answer, which must be
    /// a success.
    pub async fn api(&self, method: &str, path: &str, token: &str, body: Value) -> Value {
        let what = format!("{method} /api/v1{path}");
        let request = self.request(method, path, token, body);
        success(&what, request).await
    }

    /// A request to the API with `token` and `body` as JSON, but for a
    /// GET: a body its handler never reads, when it arrives after the
    /// answer, makes the server close the connection, and the client's
    /// pool may hand that closed connection to the next call.
    fn request(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Value,
    ) -> reqwest::RequestBuilder {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let get = method == reqwest::Method::GET;
        let request = self
            .http
            .request(method, format!("{}/api/v1{path}", self.base))
            .bearer_auth(token);
        if get { request } else { request.json(&body) }
    }

    /// An API request as a client sends it, headers and all: the status,
    /// the content type and the body (JSON, or `null`), whatever they are.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        headers: &[(&str, &str)],
        body: Value,
    ) -> (u16, String, Value) {
        let mut request = self.request(method, path, token, body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: no answer: {}", causes(&e)));
        let status = response.status().as_u16();
        let media = media_type(&response);
        (status, media, response.json().await.unwrap_or(Value::Null))
    }

    /// GETs `path` of the API with `token`.
    pub async fn get(&self, token: &str, path: &str) -> Value {
        self.api("GET", path, token, Value::Null).await
    }

    /// Creates an order with `token` (`request` as `POST /orders` takes
    /// it); the order.
    pub async fn create(&self, token: &str, request: Value) -> Value {
        self.api("POST", "/orders", token, request).await
    }

    /// Takes `action` on order `id` with `token`; the answer.
    pub async fn act(&self, token: &str, id: &str, action: &str, inputs: Value) -> Value {
        self.api(
            "POST",
            &format!("/orders/{id}/actions/{action}"),
            token,
            inputs,
        )
        .await
    }

    /// Takes `action` on the child `child` (an item, a job) of order `id`
    /// with `token`; the answer.
    pub async fn act_child(
        &self,
        token: &str,
        id: &str,
        child: &str,
        action: &str,
        inputs: Value,
    ) -> Value {
        self.api(
            "POST",
            &format!("/orders/{id}/children/{child}/actions/{action}"),
            token,
            inputs,
        )
        .await
    }

    /// Uploads a file through the files API with `token`; its id.
    pub async fn upload(
        &self,
        token: &str,
        name: &str,
        media_type: &str,
        bytes: Vec<u8>,
    ) -> String {
        let request = self
            .http
            .post(format!("{}/api/v1/files?name={name}", self.base))
            .bearer_auth(token)
            .header("content-type", media_type)
            .body(bytes);
        let body = success(&format!("POST /api/v1/files?name={name}"), request).await;
        body["id"].as_str().expect("a file id").to_owned()
    }

    pub async fn organization(&self, id: &str, name: &str, settings: Value) {
        self.api(
            "POST",
            "/organizations",
            ADMIN,
            json!({"id": id, "name": name, "settings": settings}),
        )
        .await;
    }

    /// A user with a password; what they sign in with (and, as `token`,
    /// their API token).
    pub async fn user(&self, id: &str, organization: &str, roles: &[&str]) -> Login {
        let password = format!("{id}-password-1");
        let created = self
            .api(
                "POST",
                "/users",
                ADMIN,
                json!({"id": id, "name": format!("{id} (test)"), "organization": organization,
                       "roles": roles, "email": format!("{id}@example.test"), "password": password}),
            )
            .await;
        Login {
            user: id.to_owned(),
            password,
            token: created["token"]["token"]
                .as_str()
                .expect("a token")
                .to_owned(),
        }
    }
}

/// Sends `request` (`what`, for the message) and reads its answer, which
/// must be a success: its JSON, or `null` when it has no body. A set-up
/// call that fails says what it was, how long it took and what came back
/// (the status, the content type and the whole body, a problem JSON's
/// detail and fields included), or why nothing came back (the error and
/// its causes); the server's log is in the test's output beside it.
pub async fn success(what: &str, request: reqwest::RequestBuilder) -> Value {
    let started = Instant::now();
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => panic!(
            "{what}: no answer after {:?}: {}",
            started.elapsed(),
            causes(&e)
        ),
    };
    let status = response.status();
    let media = media_type(&response);
    let text = match response.text().await {
        Ok(t) => t,
        Err(e) => panic!(
            "{what}: {status} ({media}), its body unread after {:?}: {}",
            started.elapsed(),
            causes(&e)
        ),
    };
    assert!(
        status.is_success(),
        "{what}: {status} ({media}) after {:?}:\n{text}",
        started.elapsed()
    );
    if text.is_empty() {
        return Value::Null;
    }
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{what}: {status} ({media}) but not JSON ({e}):\n{text}"))
}

/// An error and each of its causes, outermost first.
pub fn causes(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

/// What a user types on the sign-in page.
#[derive(Debug, Clone)]
pub struct Login {
    pub user: String,
    pub password: String,
    /// For the API calls a test makes beside the browser.
    pub token: String,
}

/// A running chromedriver and one browser session.
pub struct Browser {
    pub client: Client,
    pub base: String,
    driver: Child,
    /// `None` for a browser opened beside another, whose turn it shares.
    _turn: Option<MutexGuard<'static, ()>>,
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn chromedriver() -> String {
    for candidate in ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"] {
        if std::path::Path::new(candidate).exists() {
            return candidate.to_owned();
        }
    }
    panic!(
        "chromedriver is missing: the browser tests need Debian's chromium and chromium-driver \
         (apt-get install chromium chromium-driver; .ci/run installs them)"
    );
}

impl Browser {
    /// Headless Chromium at `width` × 900 pixels, on `server`.
    pub async fn open(server: &Server, width: u32) -> Self {
        let turn = one_at_a_time().lock().await;
        Self::launch(server, width, Some(turn)).await
    }

    /// A second browser for a test that needs two people at once. It
    /// takes no turn of its own: `self` holds the test's turn, and waiting
    /// for another would never end. Close it before `self`.
    pub async fn open_beside(&self, server: &Server, width: u32) -> Self {
        Self::launch(server, width, None).await
    }

    async fn launch(server: &Server, width: u32, turn: Option<MutexGuard<'static, ()>>) -> Self {
        assert!(
            std::path::Path::new(CHROMIUM).exists(),
            "{CHROMIUM} is missing: the browser tests need Debian's chromium and chromium-driver \
             (apt-get install chromium chromium-driver; .ci/run installs them)"
        );
        let port = free_port();
        let mut driver = Command::new(chromedriver())
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        let mut options = json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-dev-shm-usage",
                format!("--window-size={},900", width.max(500)),
            ],
        });
        // A window is at least 500 px wide: narrower screens are emulated.
        if width < 500 {
            options["mobileEmulation"] =
                json!({"deviceMetrics": {"width": width, "height": 800, "pixelRatio": 1}});
        }
        let caps: serde_json::Map<String, Value> =
            serde_json::from_value(json!({"goog:chromeOptions": options})).expect("capabilities");
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            let attempt =
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                    .capabilities(caps.clone())
                    .connect(&url)
                    .await;
            match attempt {
                Ok(c) => break c,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => {
                    let _ = driver.kill();
                    panic!("no browser session from chromedriver: {e}");
                }
            }
        };
        Browser {
            client,
            base: server.base.clone(),
            driver,
            _turn: turn,
        }
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }

    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("opening {path}: {e}"));
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("a URL");
        let mut path = url.path().to_owned();
        if let Some(q) = url.query() {
            path.push('?');
            path.push_str(q);
        }
        path
    }

    /// The page's text; empty while a new page is loading.
    pub async fn text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Waits until the page's text contains `what`.
    pub async fn wait_text(&self, what: &str) {
        self.wait_for(what, "the page", || self.text()).await;
    }

    /// The text of the table row that links to `name` (an orders list's
    /// row by its order's number); empty while there is none.
    pub async fn row(&self, name: &str) -> String {
        let xpath = format!("//tr[.//a[normalize-space(.)={}]]", xpath_text(name));
        match self.client.find(Locator::XPath(&xpath)).await {
            Ok(row) => row.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Waits until the row that links to `name` contains `what`.
    pub async fn wait_row(&self, name: &str, what: &str) {
        let place = format!("the row of {name:?}");
        self.wait_for(what, &place, || self.row(name)).await;
    }

    /// Reads `read` every 100 ms until it contains `what`; after [`WAIT`],
    /// fails with where it looked and what it read last.
    async fn wait_for<F, Fut>(&self, what: &str, place: &str, read: F)
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = String>,
    {
        let deadline = Instant::now() + WAIT;
        loop {
            let text = read().await;
            if text.contains(what) {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "{what:?} never appeared in {place} on {}; it says:\n{text}",
                    self.path().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The displayed elements matching `xpath`.
    async fn shown(&self, xpath: &str) -> Vec<Element> {
        let mut out = Vec::new();
        for e in self
            .client
            .find_all(Locator::XPath(xpath))
            .await
            .unwrap_or_default()
        {
            if e.is_displayed().await.unwrap_or(false) {
                out.push(e);
            }
        }
        out
    }

    /// Waits for a displayed element matching `xpath`.
    async fn one(&self, xpath: &str, what: &str) -> Element {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(e) = self.shown(xpath).await.into_iter().next() {
                return e;
            }
            if Instant::now() > deadline {
                panic!(
                    "no {what} on {}; the page says:\n{}",
                    self.path().await,
                    self.text().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The displayed buttons (or links styled as one) named `name`.
    pub async fn buttons(&self, name: &str) -> Vec<Element> {
        self.shown(&format!(
            "//button[normalize-space(.)={}]",
            xpath_text(name)
        ))
        .await
    }

    pub async fn button(&self, name: &str) -> Element {
        self.one(
            &format!("//button[normalize-space(.)={}]", xpath_text(name)),
            &format!("button {name:?}"),
        )
        .await
    }

    /// Clicks the (last displayed) button named `name`: in an open dialog,
    /// its own button rather than the one that opened it.
    pub async fn click(&self, name: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let mut enabled = Vec::new();
            for b in self.buttons(name).await {
                if b.is_enabled().await.unwrap_or(false) {
                    enabled.push(b);
                }
            }
            if let Some(b) = enabled.pop() {
                b.click()
                    .await
                    .unwrap_or_else(|e| panic!("clicking {name:?}: {e}"));
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "no enabled button {name:?} on {}; the page says:\n{}",
                    self.path().await,
                    self.text().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The displayed images (an `<img>` or any element of role `img`)
    /// whose accessible name is `name`.
    pub async fn images(&self, name: &str) -> Vec<Element> {
        let name = xpath_text(name);
        self.shown(&format!(
            "//img[@alt={name}] | //*[@role='img' and @aria-label={name}]"
        ))
        .await
    }

    /// The width in pixels of the picture `img` decoded, once it has
    /// loaded: 0 when the browser could not draw it.
    pub async fn drawn_width(&self, img: &Element) -> u64 {
        self.client
            .execute(
                "const i = arguments[0]; return new Promise(r => i.complete ? \
                 r(i.naturalWidth) : i.onload = () => r(i.naturalWidth));",
                vec![serde_json::to_value(img).expect("an element")],
            )
            .await
            .expect("the image's width")
            .as_u64()
            .unwrap_or(0)
    }

    /// How many controls on the page, shown or in a closed dialog, have a
    /// label reading exactly `label`.
    pub async fn labelled(&self, label: &str) -> usize {
        self.client
            .find_all(Locator::XPath(&format!(
                "//label[normalize-space(.)={}]",
                xpath_text(label)
            )))
            .await
            .map(|found| found.len())
            .unwrap_or(0)
    }

    pub async fn link(&self, name: &str) -> Element {
        self.one(
            &format!("//a[normalize-space(.)={}]", xpath_text(name)),
            &format!("link {name:?}"),
        )
        .await
    }

    /// The displayed field whose label reads exactly `label`; a visually
    /// hidden label (a list's cells) counts.
    pub async fn field(&self, label: &str) -> Element {
        let xpath = format!("//label[normalize-space(.)={}]", xpath_text(label));
        let deadline = Instant::now() + WAIT;
        loop {
            let labels = self
                .client
                .find_all(Locator::XPath(&xpath))
                .await
                .unwrap_or_default();
            for l in labels {
                let Some(id) = l.attr("for").await.ok().flatten() else {
                    continue;
                };
                if let Ok(f) = self.client.find(Locator::Id(&id)).await
                    && f.is_displayed().await.unwrap_or(false)
                {
                    return f;
                }
            }
            if Instant::now() > deadline {
                panic!(
                    "no field labelled {label:?} on {}; the page says:\n{}",
                    self.path().await,
                    self.text().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn fill(&self, label: &str, value: &str) {
        let f = self.field(label).await;
        f.clear()
            .await
            .unwrap_or_else(|e| panic!("clearing {label:?}: {e}"));
        f.send_keys(value)
            .await
            .unwrap_or_else(|e| panic!("typing into {label:?}: {e}"));
    }

    /// Sets a date field (typing into a date input depends on the locale).
    pub async fn set_date(&self, label: &str, yyyy_mm_dd: &str) {
        let f = self.field(label).await;
        self.client
            .execute(
                "arguments[0].value = arguments[1];",
                vec![
                    serde_json::to_value(&f).expect("an element"),
                    json!(yyyy_mm_dd),
                ],
            )
            .await
            .unwrap_or_else(|e| panic!("setting {label:?}: {e}"));
    }

    pub async fn select(&self, label: &str, option_text: &str) {
        let f = self.field(label).await;
        f.select_by_label(option_text)
            .await
            .unwrap_or_else(|e| panic!("choosing {option_text:?} in {label:?}: {e}"));
    }

    /// The error message shown beside the field labelled `label`.
    pub async fn error_beside(&self, label: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            // The field is looked up afresh each time: a post's answer may
            // replace the page after the first look, leaving that element stale.
            let f = self.field(label).await;
            if let Some(id) = f.attr("id").await.ok().flatten()
                && let Ok(e) = self.client.find(Locator::Id(&format!("{id}-error"))).await
            {
                return e.text().await.unwrap_or_default();
            }
            if Instant::now() > deadline {
                panic!(
                    "no message beside {label:?}; the page says:\n{}",
                    self.text().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn sign_in(&self, login: &Login) {
        self.goto("/login").await;
        self.fill("User", &login.user).await;
        self.fill("Password", &login.password).await;
        self.click("Sign in").await;
        self.wait_text("Sign out").await;
    }

    pub async fn sign_out(&self) {
        self.click("Sign out").await;
        self.wait_text("Sign in").await;
    }

    /// Takes `action` on the open order page: its button, then its
    /// dialog's, after `fill` has filled the dialog.
    pub async fn act<F, Fut>(&self, action: &str, fill: F)
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        self.click(action).await;
        fill().await;
        self.click(action).await;
    }

    /// The serious and critical accessibility violations axe-core (served
    /// from the binary) finds on the page as it is now.
    pub async fn axe(&self) -> Vec<String> {
        let script = r#"
            const done = arguments[arguments.length - 1];
            const run = () => axe.run(document, { resultTypes: ["violations"] }).then((r) =>
                done(r.violations
                    .filter((v) => v.impact === "serious" || v.impact === "critical")
                    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)));
            if (window.axe) { run(); } else {
                const s = document.createElement("script");
                s.src = "/static/vendor/axe-core/axe.min.js";
                s.onload = run;
                s.onerror = () => done(["axe-core did not load"]);
                document.head.appendChild(s);
            }
        "#;
        let found = self
            .client
            .execute_async(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("running axe-core: {e}"));
        serde_json::from_value(found).expect("a list of violations")
    }

    /// What following the link named `name` downloads, fetched with this
    /// browser's cookies (a browser saves a PDF rather than showing it):
    /// the status, the content type and the bytes.
    pub async fn download(&self, name: &str) -> (u16, String, Vec<u8>) {
        let href = self
            .link(name)
            .await
            .attr("href")
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("the link {name:?} has no href"));
        let cookies = self.client.get_all_cookies().await.expect("the cookies");
        let cookie = cookies
            .iter()
            .map(|c| format!("{}={}", c.name(), c.value()))
            .collect::<Vec<_>>()
            .join("; ");
        let url = self
            .client
            .current_url()
            .await
            .expect("a URL")
            .join(&href)
            .expect("a link's URL");
        let response = reqwest::Client::new()
            .get(url.as_str())
            .header("cookie", cookie)
            .send()
            .await
            .expect("the download answers");
        let status = response.status().as_u16();
        let media = media_type(&response);
        let bytes = response.bytes().await.expect("the download's bytes");
        (status, media, bytes.to_vec())
    }

    /// Writes a PNG of the page.
    pub async fn screenshot(&self, path: &std::path::Path) {
        let png = self.client.screenshot().await.expect("a screenshot");
        std::fs::write(path, png).expect("writing the screenshot");
    }
}

/// `text` as an XPath string literal.
fn xpath_text(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else {
        format!("concat('{}')", text.replace('\'', "', \"'\", '"))
    }
}

/// The answer's `Content-Type`, empty when it has none.
fn media_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}
