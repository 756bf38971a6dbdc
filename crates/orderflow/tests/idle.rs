//! Idle connections cost little memory and give it back: the built
//! `orderflow serve` is sent one request on each of many connections kept
//! open afterwards (HTTP/1.1 keep-alive), while normal requests are still
//! answered; its resident memory is read from /proc before, while they are
//! held and after they closed (docs/reliability.md).
//!
//! The short form holds 500 connections; `ORDERFLOW_IDLE_CONNECTIONS=1000`
//! is the long form. The figures are printed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[path = "support/server.rs"]
mod support;

use support::Server;

const ADMIN: &str = "admin-token-for-idle-tests";

/// The process's resident memory in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

/// A connection that asked for `/healthz`, read the answer and stays open.
async fn idle_connection(addr: String) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nhost: orderflow\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    // The whole answer is small: its head and a short JSON body.
    while !answer.ends_with(b"}") {
        let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
            .await
            .expect("an answer within 10 s")
            .unwrap();
        assert!(n > 0, "the server closed a fresh connection");
        answer.extend_from_slice(&buf[..n]);
    }
    assert!(answer.starts_with(b"HTTP/1.1 200"));
    s
}

/// The median of a few measurements a moment apart (the allocator and the
/// runtime settle).
async fn settled_rss(pid: u32) -> u64 {
    let mut seen = Vec::new();
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        seen.push(rss_kib(pid));
    }
    seen.sort_unstable();
    seen[seen.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_cost_little_memory_and_give_it_back() {
    let n: usize = std::env::var("ORDERFLOW_IDLE_CONNECTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    // This process holds its side of every connection.
    rlimit::increase_nofile_limit(n as u64 + 512).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), ADMIN, &[("ORDERFLOW_LOG", "error")]);
    let pid = server.child.id();
    let addr = server.url.trim_start_matches("http://").to_owned();
    let http = reqwest::Client::new();

    // Warm: what the first requests build once is not a connection's cost.
    for _ in 0..3 {
        let batch: Vec<_> = (0..50).map(|_| idle_connection(addr.clone())).collect();
        drop(futures_join(batch).await);
    }
    let before = settled_rss(pid).await;

    let during = hold(&addr, n).await;
    let held = settled_rss(pid).await;
    let latency = normal_requests(&http, &server.url).await;
    drop(during);
    let after = given_back(pid, before, held).await;
    // A second wave as large costs the same and is given back again.
    let again = hold(&addr, n).await;
    let held_again = settled_rss(pid).await;
    drop(again);
    let after_again = given_back(pid, before, held_again).await;

    let per_connection = held.saturating_sub(before) * 1024 / n as u64;
    println!(
        "idle connections: {n} held while {NORMAL} normal requests took p50 {} ms, p99 {} ms; \
         resident memory {before} KiB before, {held} KiB while held ({per_connection} bytes a \
         connection), {after} KiB after they closed; a second wave of {n}: {held_again} KiB \
         while held, {after_again} KiB after",
        latency.p50.as_millis(),
        latency.p99.as_millis(),
    );
    assert!(
        latency.p99 < Duration::from_secs(1),
        "normal requests waited behind idle connections: p99 {:?}",
        latency.p99
    );
    // Kernel socket buffers are not the process's; what it holds a
    // connection is a few KiB of buffers and task state.
    assert!(
        per_connection < 64 * 1024,
        "{per_connection} bytes a connection"
    );
    for (wave, (held, after)) in [(held, after), (held_again, after_again)]
        .iter()
        .enumerate()
    {
        assert!(
            after <= &back_to(before, *held),
            "wave {}: the process stayed at {after} KiB after its connections closed \
             ({before} KiB before, {held} KiB while held): memory is not given back",
            wave + 1
        );
    }
}

/// Normal requests sent one after another while connections are held.
const NORMAL: usize = 200;

struct Latency {
    p50: Duration,
    p99: Duration,
}

/// The latency of `NORMAL` health probes (each proves a write), sent one
/// after another on the test's kept-alive client.
async fn normal_requests(http: &reqwest::Client, url: &str) -> Latency {
    let mut took = Vec::with_capacity(NORMAL);
    for _ in 0..NORMAL {
        let asked = Instant::now();
        let answer = http.get(format!("{url}/healthz")).send().await.unwrap();
        assert_eq!(answer.status(), 200);
        took.push(asked.elapsed());
    }
    took.sort_unstable();
    Latency {
        p50: took[NORMAL / 2],
        p99: took[NORMAL * 99 / 100],
    }
}

/// What resident memory must fall back to once a wave's connections have
/// closed: the level before, plus a quarter of what the wave took or
/// 2 MiB, for what the allocator and the runtime keep warm.
fn back_to(before: u64, held: u64) -> u64 {
    before + (held.saturating_sub(before) / 4).max(2048)
}

/// Resident memory once the allocator has given back what the closed
/// connections freed (it does so in the background about a second after
/// the frees), or after 10 s.
async fn given_back(pid: u32, before: u64, held: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = settled_rss(pid).await;
        if now <= back_to(before, held) || Instant::now() > deadline {
            return now;
        }
    }
}

/// `n` idle connections, opened 100 at a time.
async fn hold(addr: &str, n: usize) -> Vec<TcpStream> {
    let mut held = Vec::with_capacity(n);
    while held.len() < n {
        let batch: Vec<_> = (0..100.min(n - held.len()))
            .map(|_| idle_connection(addr.to_owned()))
            .collect();
        held.extend(futures_join(batch).await);
    }
    held
}

/// Every connection of a batch, opened at once.
async fn futures_join(
    batch: Vec<impl Future<Output = TcpStream> + Send + 'static>,
) -> Vec<TcpStream> {
    let tasks: Vec<_> = batch.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}
