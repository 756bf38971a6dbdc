//! The machine's limits, measured in the same run as the server: how many
//! flushes the data directory's disk takes a second, how fast bare SQLite
//! commits with the server's durability, and pgbench on the PostgreSQL the
//! server will use.

use std::fs::OpenOptions;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// Flushes a second: a 4 KiB write then `fdatasync`, again and again.
pub fn fsyncs(dir: &Path, length: Duration) -> anyhow::Result<f64> {
    let path = dir.join("fsync.probe");
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&path)?;
    let page = [7u8; 4096];
    let begun = Instant::now();
    let mut n = 0u64;
    while begun.elapsed() < length {
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&page)?;
        file.sync_data()?;
        n += 1;
    }
    let rate = n as f64 / begun.elapsed().as_secs_f64();
    drop(file);
    std::fs::remove_file(path)?;
    Ok(rate)
}

/// Changes a second that bare SQLite commits (WAL, `synchronous = FULL`,
/// as the server opens it), `per_commit` changes to a transaction. A
/// change is what the smallest action writes: its order's snapshot
/// (about 1 KiB, version-checked) and one history row.
pub fn sqlite_commits(dir: &Path, per_commit: usize, length: Duration) -> anyhow::Result<f64> {
    let path = dir.join(format!("bare-{per_commit}.sqlite"));
    let mut db = rusqlite::Connection::open(&path)?;
    db.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
         CREATE TABLE orders (id INTEGER PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL);
         CREATE TABLE history (order_id INTEGER NOT NULL, seq INTEGER NOT NULL, entry TEXT NOT NULL,
                               PRIMARY KEY (order_id, seq));",
    )?;
    let orders = 1000i64;
    let snapshot = "x".repeat(1024);
    let entry = "y".repeat(300);
    {
        let tx = db.transaction()?;
        for id in 0..orders {
            tx.execute(
                "INSERT INTO orders (id, version, data) VALUES (?1, 0, ?2)",
                rusqlite::params![id, snapshot],
            )?;
        }
        tx.commit()?;
    }
    let begun = Instant::now();
    let mut changes = 0i64;
    while begun.elapsed() < length {
        let tx = db.transaction()?;
        for _ in 0..per_commit {
            let id = changes % orders;
            let version = changes / orders;
            let updated = tx
                .prepare_cached(
                    "UPDATE orders SET version = version + 1, data = ?3 WHERE id = ?1 AND version = ?2",
                )?
                .execute(rusqlite::params![id, version, snapshot])?;
            if updated != 1 {
                bail!("the bare loop lost track of order {id}");
            }
            tx.prepare_cached("INSERT INTO history (order_id, seq, entry) VALUES (?1, ?2, ?3)")?
                .execute(rusqlite::params![id, version + 1, entry])?;
            changes += 1;
        }
        tx.commit()?;
    }
    let rate = changes as f64 / begun.elapsed().as_secs_f64();
    drop(db);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Ok(rate)
}

/// Runs one of PostgreSQL's client programs from `bin` against the
/// cluster in `socket_dir`; its output.
fn pg_tool(bin: &Path, socket_dir: &Path, program: &str, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(bin.join(program))
        .arg("-h")
        .arg(socket_dir)
        .args(["-p", "5432", "-U", "postgres"])
        .args(args)
        .output()
        .with_context(|| format!("running {program}"))?;
    if !out.status.success() {
        bail!("{program}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// pgbench's simple update (one small transaction per change) on the
/// empty database `pgbench` of the cluster in `socket_dir`, with `clients`
/// clients.
pub fn pgbench(
    bin: &Path,
    socket_dir: &Path,
    clients: usize,
    length: Duration,
) -> anyhow::Result<f64> {
    pg_tool(
        bin,
        socket_dir,
        "pgbench",
        &["-i", "-q", "-s", "10", "pgbench"],
    )?;
    let clients = clients.to_string();
    let seconds = length.as_secs().max(1).to_string();
    let out = pg_tool(
        bin,
        socket_dir,
        "pgbench",
        &[
            "-b",
            "simple-update",
            "-c",
            &clients,
            "-j",
            "2",
            "-T",
            &seconds,
            "pgbench",
        ],
    )?;
    // "tps = 5375.123456 (without initial connection time)"
    out.lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .with_context(|| format!("no tps in pgbench's output: {out}"))
}
