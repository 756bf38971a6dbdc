//! A PostgreSQL for tests (the `testing` feature).
//!
//! With `ORDERFLOW_TEST_POSTGRES_URL` set (`postgres://user@host/postgres`,
//! a role that may create databases), tests use that server. Otherwise the
//! first test of a process starts ONE throw-away cluster from the local
//! binaries (`/usr/lib/postgresql/<newest>/bin`): `initdb` and `pg_ctl` run
//! as the `postgres` OS user through `runuser` when the tests run as root
//! (initdb refuses root), the data directory and the unix socket live in a
//! fresh temporary directory owned by `postgres`, and no TCP port is opened
//! (`listen_addresses=''`). A sentinel process (detached with `setsid`)
//! waits for the test process to end, however it ends, then stops the
//! server with `pg_ctl stop -m immediate` and removes the directory: a
//! finished run leaves no server behind.
//!
//! Every test gets its own database, created from a template migrated once
//! per process. When PostgreSQL is neither installed nor configured, the
//! tests fail with a message saying how to get it; they are never skipped.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use orderflow_store::Result;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, Connection, Executor};
use tokio::sync::{Mutex, OnceCell};

use crate::{MIGRATOR, PgStore, backend};

/// The environment variable naming an existing server for tests.
pub const URL_VARIABLE: &str = "ORDERFLOW_TEST_POSTGRES_URL";

/// Where test databases are created.
#[derive(Debug, Clone)]
pub struct Server {
    /// Options reaching the `postgres` database as a superuser (or a role
    /// that may create databases).
    pub admin: PgConnectOptions,
    /// The throw-away cluster's directory, when this process started one.
    pub dir: Option<PathBuf>,
}

static SERVER: OnceLock<std::result::Result<Server, String>> = OnceLock::new();
static TEMPLATE: OnceCell<String> = OnceCell::const_new();
static CREATING: Mutex<()> = Mutex::const_new(());
static NEXT: AtomicU64 = AtomicU64::new(1);

/// The server tests use, started on first use.
pub fn server() -> Result<Server> {
    SERVER
        .get_or_init(start)
        .clone()
        .map_err(orderflow_store::StoreError::Backend)
}

fn start() -> std::result::Result<Server, String> {
    if let Ok(url) = std::env::var(URL_VARIABLE) {
        let admin: PgConnectOptions = url
            .parse()
            .map_err(|e| format!("{URL_VARIABLE}={url:?} is not a PostgreSQL URL: {e}"))?;
        return Ok(Server { admin, dir: None });
    }
    // Tests never crash PostgreSQL itself here, so commits need not wait
    // for the disk.
    let cluster = Cluster::init(&format!("{NO_FLUSH} -c synchronous_commit=off"))?;
    let server = Server {
        admin: cluster.admin.clone(),
        dir: Some(cluster.dir.clone()),
    };
    // Stopped by its sentinel when the process ends, not when dropped.
    std::mem::forget(cluster);
    Ok(server)
}

/// What the tests' clusters give up: the machine does not crash under them.
const NO_FLUSH: &str = "-c fsync=off -c full_page_writes=off";

/// A throw-away cluster of one test's own, which the test may stop and
/// start again (the shared one of [`server`] must stay up for the others).
/// Commits wait for the write-ahead log (`synchronous_commit = on`), so
/// stopping it with `immediate`, a crash of PostgreSQL, loses no
/// acknowledged change; `fsync` stays off (the machine does not crash).
/// Stopped and removed when dropped, and by a sentinel when the process
/// ends however it ends.
pub struct Cluster {
    /// Options reaching its `postgres` database as the superuser.
    pub admin: PgConnectOptions,
    dir: PathBuf,
    pg_ctl: PathBuf,
    settings: String,
    as_root: bool,
}

impl Cluster {
    /// Starts a new cluster from the local binaries.
    pub fn start() -> std::result::Result<Self, String> {
        Self::init(NO_FLUSH)
    }

    /// A cluster with PostgreSQL's default durability (fsync and
    /// full-page writes on, commits wait for the disk): what measurements
    /// of durable throughput need (`orderflow-bench`).
    pub fn durable() -> std::result::Result<Self, String> {
        Self::init("")
    }

    /// The directory of its unix socket (port 5432), for PostgreSQL's own
    /// client programs (`-h`).
    pub fn socket_dir(&self) -> &Path {
        &self.dir
    }

    fn init(extra: &str) -> std::result::Result<Self, String> {
        let bin = binaries().ok_or_else(|| {
            format!(
                "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): \
                 run `apt-get install -y postgresql`, or set {URL_VARIABLE} to a server's URL"
            )
        })?;
        let as_root = run(Command::new("id").arg("-u"))?.trim() == "0";
        let dir = if as_root {
            run(Command::new("runuser").args([
                "-u",
                "postgres",
                "--",
                "mktemp",
                "-d",
                "/tmp/orderflow-pg.XXXXXX",
            ]))?
        } else {
            run(Command::new("mktemp").args(["-d", "/tmp/orderflow-pg.XXXXXX"]))?
        };
        let dir = PathBuf::from(dir.trim());
        let cluster = Cluster {
            admin: PgConnectOptions::new()
                .socket(&dir)
                .port(5432)
                .username("postgres")
                .database("postgres"),
            settings: format!(
                "-c listen_addresses='' -k {} -p 5432 -c max_connections=400 {extra}",
                dir.display()
            ),
            pg_ctl: bin.join("pg_ctl"),
            dir,
            as_root,
        };
        let data = cluster.dir.join("data");
        run(cluster
            .as_postgres(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]))?;
        // The sentinel first, so that even a failed start is cleaned up.
        let stop = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.2; done; \
             {runuser}{pg_ctl} -D {data} stop -m immediate >/dev/null 2>&1; rm -rf {dir}",
            pid = std::process::id(),
            runuser = if as_root {
                "runuser -u postgres -- "
            } else {
                ""
            },
            pg_ctl = cluster.pg_ctl.display(),
            data = data.display(),
            dir = cluster.dir.display(),
        );
        Command::new("setsid")
            .args(["sh", "-c", &stop])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting the clean-up sentinel: {e}"))?;
        cluster.resume()?;
        Ok(cluster)
    }

    fn as_postgres(&self, program: &Path) -> Command {
        if self.as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    /// Starts the (stopped) cluster and waits until it takes connections.
    pub fn resume(&self) -> std::result::Result<(), String> {
        run(self
            .as_postgres(&self.pg_ctl)
            .arg("-D")
            .arg(self.dir.join("data"))
            .arg("-l")
            .arg(self.dir.join("server.log"))
            .args(["-w", "-t", "60", "-o", &self.settings, "start"]))
        .map(drop)
    }

    /// Stops the cluster: `fast` (a clean shutdown, clients cut off) or,
    /// when `crash`, `immediate` (no shutdown checkpoint: recovery at the
    /// next start, as after a crash).
    pub fn stop(&self, crash: bool) -> std::result::Result<(), String> {
        run(self
            .as_postgres(&self.pg_ctl)
            .arg("-D")
            .arg(self.dir.join("data"))
            .args([
                "-w",
                "-t",
                "60",
                "-m",
                if crash { "immediate" } else { "fast" },
                "stop",
            ]))
        .map(drop)
    }

    /// A `postgres://` URL of `database` on this cluster, as `orderflow
    /// serve --database` takes it.
    pub fn url(&self, database: &str) -> String {
        url_of(&self.admin.clone().database(database))
    }

    /// Creates an empty database; its URL.
    pub async fn database(&self, name: &str) -> Result<String> {
        let mut conn = PgConnection::connect_with(&self.admin)
            .await
            .map_err(backend)?;
        conn.execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .map_err(backend)?;
        conn.close().await.map_err(backend)?;
        Ok(self.url(name))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.stop(true);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A `postgres://` URL for `options` (over its unix socket when it has
/// one), as `orderflow serve --database` takes it.
pub fn url_of(options: &PgConnectOptions) -> String {
    let host = options
        .get_socket()
        .map(|s| s.display().to_string())
        .unwrap_or_else(|| options.get_host().to_owned());
    format!(
        "postgres://{}@localhost:{}/{}?host={host}",
        options.get_username(),
        options.get_port(),
        options.get_database().unwrap_or("postgres")
    )
}

/// A fresh, migrated, empty database of its own on the shared server; its
/// URL, for a test that starts the binary on it.
pub async fn fresh_database_url() -> Result<String> {
    let store = fresh_store().await?;
    let url = url_of(&store.pool().connect_options());
    store.close().await;
    Ok(url)
}

/// The newest `/usr/lib/postgresql/<version>/bin` holding `initdb`.
pub fn binaries() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn run(command: &mut Command) -> std::result::Result<String, String> {
    let out = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{command:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{command:?} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

async fn admin(server: &Server) -> Result<PgConnection> {
    PgConnection::connect_with(&server.admin)
        .await
        .map_err(|e| backend(format!("connecting to the test server: {e}")))
}

/// A database migrated once per process, copied for every test.
async fn template(server: &Server) -> Result<String> {
    TEMPLATE
        .get_or_try_init(|| async {
            let name = format!("orderflow_template_{}", std::process::id());
            let mut conn = admin(server).await?;
            conn.execute(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
                .await
                .map_err(backend)?;
            conn.execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .await
                .map_err(backend)?;
            conn.close().await.map_err(backend)?;
            let mut db = PgConnection::connect_with(&server.admin.clone().database(&name))
                .await
                .map_err(backend)?;
            MIGRATOR.run(&mut db).await.map_err(backend)?;
            db.close().await.map_err(backend)?;
            Ok(name)
        })
        .await
        .cloned()
}

/// A fresh, migrated, empty database of its own and a store on it.
pub async fn fresh_store() -> Result<PgStore> {
    let server = server()?;
    let template = template(&server).await?;
    let name = format!(
        "orderflow_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    {
        let _one_at_a_time = CREATING.lock().await;
        let mut conn = admin(&server).await?;
        conn.execute(AssertSqlSafe(format!(
            "CREATE DATABASE {name} TEMPLATE {template}"
        )))
        .await
        .map_err(backend)?;
        conn.close().await.map_err(backend)?;
    }
    PgStore::connect_with(server.admin.clone().database(&name), 4).await
}
