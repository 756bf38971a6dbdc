//! The load generators. Each connection owns one order and takes the same
//! cheap, always-available action on it again and again, so no two
//! requests race for one order's version.
//!
//! - Closed loop: N connections, each sending its next request as soon as
//!   the answer to the last arrives; gives the throughput.
//! - Open loop: requests are due at a fixed rate whatever the server does;
//!   a request waits for a free connection, and its latency runs from the
//!   time it was due, not from the time it was sent, so a server that
//!   stalls is charged for every request it delayed (no coordinated
//!   omission).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::Method;
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinSet;

use crate::http::Conn;
use crate::stats::Sample;

/// What the connections do: the action's path per order, the bodies taken
/// in turn, and the token.
#[derive(Clone)]
pub struct Work {
    pub paths: Vec<String>,
    pub bodies: Vec<Bytes>,
    pub token: String,
}

impl Work {
    fn body(&self, n: usize) -> Bytes {
        self.bodies
            .get(n % self.bodies.len().max(1))
            .cloned()
            .unwrap_or_default()
    }
}

async fn once(conn: &mut Conn, work: &Work, path: &str, n: usize) -> Result<(), String> {
    match conn
        .send(
            Method::POST,
            path,
            &work.token,
            "application/json",
            work.body(n),
        )
        .await
    {
        Ok((status, _)) if status.is_success() => Ok(()),
        Ok((status, body)) => Err(format!("{status} {}", String::from_utf8_lossy(&body))),
        Err(e) => Err(e.to_string()),
    }
}

/// `connections` connections (at most one per order) for `length`.
pub async fn closed(
    addr: SocketAddr,
    work: &Work,
    connections: usize,
    length: Duration,
) -> anyhow::Result<Sample> {
    let mut conns = Vec::new();
    for path in work.paths.iter().take(connections) {
        conns.push((Conn::open(addr).await?, path.clone()));
    }
    let begun = Instant::now();
    let deadline = begun + length;
    let mut tasks = JoinSet::new();
    for (mut conn, path) in conns {
        let work = work.clone();
        tasks.spawn(async move {
            let mut sample = Sample::default();
            let mut n = 0;
            while Instant::now() < deadline {
                n += 1;
                let sent = Instant::now();
                match once(&mut conn, &work, &path, n).await {
                    Ok(()) => sample.micros.push(sent.elapsed().as_micros() as u64),
                    Err(e) => sample.error(e),
                }
            }
            sample
        });
    }
    let mut all = Sample::default();
    while let Some(done) = tasks.join_next().await {
        all.merge(done?);
    }
    all.elapsed = begun.elapsed();
    Ok(all)
}

/// `rate` requests a second for `length`, over one connection per order.
pub async fn open(
    addr: SocketAddr,
    work: &Work,
    rate: f64,
    length: Duration,
) -> anyhow::Result<Sample> {
    let (give, take) = mpsc::unbounded_channel();
    for path in &work.paths {
        let _ = give.send((Conn::open(addr).await?, path.clone()));
    }
    let idle = Arc::new(Mutex::new(take));
    let total = (rate * length.as_secs_f64()) as usize;
    let begun = tokio::time::Instant::now();
    let mut tasks = JoinSet::new();
    for n in 0..total {
        let due = begun + Duration::from_secs_f64(n as f64 / rate);
        tokio::time::sleep_until(due).await;
        let (idle, give, work) = (Arc::clone(&idle), give.clone(), work.clone());
        tasks.spawn(async move {
            let next = idle.lock().await.recv().await;
            let Some((mut conn, path)) = next else {
                return Err("no connection left".to_owned());
            };
            let outcome = once(&mut conn, &work, &path, n).await;
            let waited = due.elapsed();
            let _ = give.send((conn, path));
            outcome.map(|()| waited.as_micros() as u64)
        });
    }
    let mut all = Sample::default();
    while let Some(done) = tasks.join_next().await {
        match done? {
            Ok(micros) => all.micros.push(micros),
            Err(e) => all.error(e),
        }
    }
    all.elapsed = begun.elapsed();
    Ok(all)
}
