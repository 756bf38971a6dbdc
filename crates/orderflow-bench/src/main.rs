//! `orderflow-bench`: the benchmark suite of docs/performance.md. It
//! measures the machine's limits, then starts a release `orderflow serve`
//! as a process of its own on loopback (SQLite, then PostgreSQL when its
//! binaries are installed), drives it from this process over keep-alive
//! connections, and prints one table. Every loop is bounded in time.
//!
//! ```text
//! cargo build --release -p orderflow -p orderflow-bench
//! target/release/orderflow-bench [--quick] [--orders N] [--seconds S]
//!     [--backends sqlite,postgres] [--jobs 1,1000,100000] [--server PATH] [--dir DIR]
//! ```

mod fixtures;
mod http;
mod jobs;
mod limits;
mod load;
mod reads;
mod seed;
mod server;
mod stats;
mod table;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use orderflow_postgres::testing::{Cluster, binaries};
use tokio::runtime::Runtime;

use crate::load::Work;
use crate::server::Server;
use crate::table::{Ratio, Table};

/// Connection counts of the closed loop.
const CONNECTIONS: [usize; 3] = [1, 16, 64];
/// The open loop's offered rate, requests a second.
const OFFERED: f64 = 2000.0;
/// Targets the figures are compared with where no limit is measured
/// (docs/performance.md).
const CPU_PER_CHANGE_MICROS: f64 = 130.0;
const OPEN_LOOP_P99_MS: f64 = 5.0;
const LIST_P99_MS: f64 = 10.0;
const COUNTS_P99_MS: f64 = 5.0;
const MEMORY_MIB: f64 = 150.0;
const START_MS: f64 = 300.0;

struct Args {
    orders: usize,
    seconds: u64,
    backends: Vec<String>,
    jobs: Vec<u64>,
    /// Steps measured per order size.
    steps: usize,
    server: PathBuf,
    dir: Option<PathBuf>,
}

fn usage() -> String {
    "usage: orderflow-bench [--quick] [--orders N] [--seconds S] [--backends sqlite,postgres] \
     [--jobs 1,1000,100000] [--server PATH] [--dir DIR]"
        .to_owned()
}

fn args() -> anyhow::Result<Args> {
    let here = std::env::current_exe()?;
    let mut a = Args {
        orders: 1_000_000,
        seconds: 10,
        backends: vec!["sqlite".into(), "postgres".into()],
        jobs: vec![1, 1_000, 100_000],
        steps: 100,
        server: here.with_file_name("orderflow"),
        dir: None,
    };
    let mut explicit_backends = false;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        let list = |v: String| -> Vec<String> { v.split(',').map(str::to_owned).collect() };
        match flag.as_str() {
            "--quick" => {
                a.orders = 20_000;
                a.seconds = 3;
                a.jobs = vec![1, 1_000, 10_000];
                a.steps = 30;
            }
            "--orders" => a.orders = value()?.parse()?,
            "--seconds" => a.seconds = value()?.parse()?,
            "--backends" => {
                a.backends = list(value()?);
                explicit_backends = true;
            }
            "--jobs" => {
                a.jobs = list(value()?)
                    .iter()
                    .map(|j| j.parse())
                    .collect::<Result<_, _>>()?;
            }
            "--server" => a.server = value()?.into(),
            "--dir" => a.dir = Some(value()?.into()),
            "-h" | "--help" => bail!(usage()),
            other => bail!("unknown argument {other}\n{}", usage()),
        }
    }
    if let Some(b) = a
        .backends
        .iter()
        .find(|b| !matches!(b.as_str(), "sqlite" | "postgres"))
    {
        bail!("unknown backend {b}: sqlite or postgres");
    }
    if !explicit_backends && binaries().is_none() {
        eprintln!("PostgreSQL is not installed: measuring SQLite only");
        a.backends.retain(|b| b == "sqlite");
    }
    if a.seconds == 0 || a.orders < 4 || a.jobs.is_empty() {
        bail!("--seconds must be at least 1, --orders at least 4, --jobs not empty");
    }
    if !a.server.exists() {
        bail!(
            "no server at {}: build it with `cargo build --release -p orderflow`, or name it with --server",
            a.server.display()
        );
    }
    Ok(a)
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("orderflow-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let a = args()?;
    let work = match &a.dir {
        Some(dir) => tempfile::tempdir_in(dir)?,
        None => tempfile::tempdir()?,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let length = Duration::from_secs(a.seconds);
    let mut t = Table::default();

    eprintln!("limits");
    let fsyncs = limits::fsyncs(work.path(), length.min(Duration::from_secs(3)))?;
    t.row(
        "fsync/s (4 KiB write + fdatasync, data directory's disk)",
        format!("{fsyncs:.0}/s"),
        "—",
        Ratio::None,
    );
    let one = limits::sqlite_commits(work.path(), 1, length)?;
    t.row(
        "bare SQLite (WAL, FULL), 1 change per commit",
        format!("{one:.0} changes/s"),
        "fsync/s",
        Ratio::Rate(one, fsyncs),
    );
    let batched = limits::sqlite_commits(work.path(), 64, length)?;
    t.row(
        "bare SQLite (WAL, FULL), 64 changes per commit",
        format!("{batched:.0} changes/s"),
        "—",
        Ratio::None,
    );

    for backend in &a.backends {
        if backend == "sqlite" {
            sqlite(&a, &rt, work.path(), batched, &mut t)?;
        } else {
            postgres(&a, &rt, work.path(), &mut t)?;
        }
    }
    println!(
        "orderflow-bench: {} orders, {} s per load point, {} cores, server {}\n",
        a.orders,
        a.seconds,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        a.server.display()
    );
    print!("{}", t.render());
    Ok(())
}

fn sqlite(a: &Args, rt: &Runtime, work: &Path, limit: f64, t: &mut Table) -> anyhow::Result<()> {
    eprintln!("SQLite");
    let data = work.join("sqlite");
    let log = work.join("sqlite.log");
    let server = Server::start(&a.server, &data, None, &log)?;
    started(t, "SQLite, empty", &server)?;
    let work_orders = rt.block_on(fixtures::compliance(server.addr, 64))?;
    transitions(
        rt,
        &server,
        &work_orders,
        a,
        "SQLite",
        (limit, "bare SQLite, 64/commit"),
        t,
    )?;
    memory(t, "SQLite, after the load", &server)?;
    job_steps(rt, &server, a, t)?;
    server.stop()?;

    eprintln!("seeding {} orders", a.orders);
    let begun = Instant::now();
    let seeded = seed::seed(&data, a.orders)?;
    eprintln!("  seeded in {:.1} s", begun.elapsed().as_secs_f64());
    let server = Server::start(&a.server, &data, None, &log)?;
    let at = format!("SQLite, {} orders", a.orders);
    started(t, &at, &server)?;
    reads::measure(rt, &server, &work_orders.token, &seeded, &at, length(a), t)?;
    memory(t, &at, &server)?;
    server.stop()
}

fn postgres(a: &Args, rt: &Runtime, work: &Path, t: &mut Table) -> anyhow::Result<()> {
    eprintln!("PostgreSQL");
    let cluster = Cluster::durable().map_err(anyhow::Error::msg)?;
    let bin = binaries().context("PostgreSQL's binaries")?;
    rt.block_on(cluster.database("pgbench"))?;
    let tps = limits::pgbench(&bin, cluster.socket_dir(), 16, length(a))?;
    t.row(
        "pgbench simple-update, 16 clients (fsync on)",
        format!("{tps:.0} tps"),
        "—",
        Ratio::None,
    );
    let url = rt.block_on(cluster.database("orderflow"))?;
    let data = work.join("postgres");
    let server = Server::start(&a.server, &data, Some(&url), &work.join("postgres.log"))?;
    started(t, "PostgreSQL, empty", &server)?;
    let work_orders = rt.block_on(fixtures::compliance(server.addr, 64))?;
    transitions(
        rt,
        &server,
        &work_orders,
        a,
        "PostgreSQL",
        (tps, "pgbench tps"),
        t,
    )?;
    memory(t, "PostgreSQL, after the load", &server)?;
    server.stop()
}

fn length(a: &Args) -> Duration {
    Duration::from_secs(a.seconds)
}

fn started(t: &mut Table, at: &str, server: &Server) -> anyhow::Result<()> {
    let ms = server.started_in.as_secs_f64() * 1000.0;
    t.row(
        &format!("{at}: start to serving"),
        format!("{ms:.0} ms"),
        "target ≤ 300 ms",
        Ratio::Cost(ms, START_MS),
    );
    Ok(())
}

fn memory(t: &mut Table, at: &str, server: &Server) -> anyhow::Result<()> {
    let (now, peak) = server.memory()?;
    t.row(
        &format!("{at}: server memory (RSS now / peak)"),
        format!("{now:.0} / {peak:.0} MiB"),
        "target ≤ 150 MB",
        Ratio::Cost(peak, MEMORY_MIB),
    );
    Ok(())
}

/// Closed loop at each connection count, then the open loop.
fn transitions(
    rt: &Runtime,
    server: &Server,
    work: &Work,
    a: &Args,
    backend: &str,
    (limit, limit_name): (f64, &str),
    t: &mut Table,
) -> anyhow::Result<()> {
    for connections in CONNECTIONS {
        eprintln!(
            "  {backend}: {connections} connections for {} s (server pid {})",
            a.seconds,
            server.pid()
        );
        let cpu_before = server.cpu()?;
        let mut s = rt.block_on(load::closed(server.addr, work, connections, length(a)))?;
        let cpu = server.cpu()?.saturating_sub(cpu_before);
        let per_change = cpu.as_secs_f64() * 1e6 / (s.micros.len().max(1) as f64);
        t.row(
            &format!("{backend}: set_stage, {connections} connections"),
            format!(
                "{:.0}/s, {}, CPU {per_change:.0} µs/change{}",
                s.rate(),
                s.latencies(),
                s.error_note()
            ),
            limit_name,
            Ratio::Rate(s.rate(), limit),
        );
        if connections == 64 {
            t.row(
                &format!("{backend}: server CPU per change, 64 connections"),
                format!("{per_change:.0} µs"),
                "target ≤ 130 µs",
                Ratio::Cost(per_change, CPU_PER_CHANGE_MICROS),
            );
        }
    }
    let mut s = rt.block_on(load::open(server.addr, work, OFFERED, length(a)))?;
    t.row(
        &format!("{backend}: open loop, 2,000/s offered (from intended send)"),
        format!("{}{}", s.latencies(), s.error_note()),
        "target p99 ≤ 5 ms",
        Ratio::Cost(s.percentile_ms(99.0), OPEN_LOOP_P99_MS),
    );
    Ok(())
}

/// A step of a job in orders of each size, and the memory after the
/// largest order.
fn job_steps(rt: &Runtime, server: &Server, a: &Args, t: &mut Table) -> anyhow::Result<()> {
    let mut shop = rt.block_on(jobs::Shop::new(server.addr))?;
    let mut first = None;
    for &size in &a.jobs {
        let mut targets = Vec::new();
        let mut created = Duration::ZERO;
        if size == 1 {
            for _ in 0..a.steps {
                let (order, took) = rt.block_on(shop.order(1))?;
                created = created.max(took);
                for job in rt.block_on(shop.jobs(&order, 1))? {
                    targets.push((order.clone(), job));
                }
            }
        } else {
            let (order, took) = rt.block_on(shop.order(size))?;
            created = took;
            for job in rt.block_on(shop.jobs(&order, a.steps))? {
                targets.push((order.clone(), job));
            }
        }
        let mut s = rt.block_on(shop.steps(&targets))?;
        let p50 = s.percentile_ms(50.0);
        let base = *first.get_or_insert(p50);
        t.row(
            &format!("SQLite: job step (cancel) in an order of {size} jobs"),
            format!(
                "p50 {p50:.2} / p99 {:.2} ms; order created in {:.0} ms{}",
                s.percentile_ms(99.0),
                created.as_secs_f64() * 1000.0,
                s.error_note()
            ),
            "1-job order's p50 (target ≤ 1.5×)",
            Ratio::Cost(p50, base),
        );
    }
    let largest = a.jobs.iter().max().copied().unwrap_or_default();
    memory(t, &format!("SQLite, after a {largest}-job order"), server)
}
