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
    let bin = binaries().ok_or_else(|| {
        format!(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): \
             run `apt-get install -y postgresql`, or set {URL_VARIABLE} to a server's URL"
        )
    })?;
    let as_root = run(Command::new("id").arg("-u"))?.trim() == "0";
    let as_postgres = |program: &Path| {
        if as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    };
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
    let data = dir.join("data");
    run(as_postgres(&bin.join("initdb")).arg("-D").arg(&data).args([
        "-A",
        "trust",
        "-U",
        "postgres",
        "-E",
        "UTF8",
        "--no-sync",
    ]))?;
    let settings = format!(
        "-c listen_addresses='' -k {} -p 5432 -c fsync=off -c synchronous_commit=off \
         -c full_page_writes=off -c max_connections=400",
        dir.display()
    );
    let pg_ctl = bin.join("pg_ctl");
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
        pg_ctl = pg_ctl.display(),
        data = data.display(),
        dir = dir.display(),
    );
    Command::new("setsid")
        .args(["sh", "-c", &stop])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting the clean-up sentinel: {e}"))?;
    run(as_postgres(&pg_ctl)
        .arg("-D")
        .arg(&data)
        .arg("-l")
        .arg(dir.join("server.log"))
        .args(["-w", "-t", "60", "-o", &settings, "start"]))?;
    let admin = PgConnectOptions::new()
        .socket(&dir)
        .port(5432)
        .username("postgres")
        .database("postgres");
    Ok(Server {
        admin,
        dir: Some(dir),
    })
}

/// The newest `/usr/lib/postgresql/<version>/bin` holding `initdb`.
fn binaries() -> Option<PathBuf> {
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
