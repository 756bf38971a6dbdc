//! Reads at many orders, one request after another: the first page of a
//! status list, a page half-way down it, and the counts by status.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use hyper::Method;
use tokio::runtime::Runtime;

use crate::http::Conn;
use crate::seed::Seeded;
use crate::server::Server;
use crate::stats::Sample;
use crate::table::{Ratio, Table};
use crate::{COUNTS_P99_MS, LIST_P99_MS};

/// Requests per read at most (each read is also bounded by the load
/// points' length).
const SAMPLES: usize = 300;

pub fn measure(
    rt: &Runtime,
    server: &Server,
    token: &str,
    seeded: &Seeded,
    at: &str,
    length: Duration,
    t: &mut Table,
) -> anyhow::Result<()> {
    let list = "/api/v1/orders?status=pending_data&limit=50";
    let reads = [
        ("status list, first page (50)", list.to_owned(), LIST_P99_MS),
        (
            "status list, a page half-way down",
            format!("{list}&cursor={}", seeded.half_way),
            LIST_P99_MS,
        ),
        (
            "counts by status",
            "/api/v1/orders/counts".to_owned(),
            COUNTS_P99_MS,
        ),
    ];
    for (what, path, target) in reads {
        let mut s = rt.block_on(repeat(server, token, &path, length))?;
        t.row(
            &format!("{at}: {what}"),
            format!(
                "p50 {:.2} / p99 {:.2} ms ({} reads){}",
                s.percentile_ms(50.0),
                s.percentile_ms(99.0),
                s.micros.len(),
                s.error_note()
            ),
            &format!("target p99 ≤ {target} ms"),
            Ratio::Cost(s.percentile_ms(99.0), target),
        );
    }
    Ok(())
}

async fn repeat(
    server: &Server,
    token: &str,
    path: &str,
    length: Duration,
) -> anyhow::Result<Sample> {
    let mut conn = Conn::open(server.addr).await?;
    // A read that answers nothing measures nothing.
    let first = conn.json(Method::GET, path, token, None).await?;
    let found = first["items"]
        .as_array()
        .map(Vec::len)
        .or_else(|| first["total"].as_u64().map(|n| n as usize))
        .context("a list or counts")?;
    if found == 0 {
        bail!("GET {path} found nothing: {first}");
    }
    let begun = Instant::now();
    let mut s = Sample::default();
    while s.micros.len() < SAMPLES && begun.elapsed() < length {
        let sent = Instant::now();
        let (status, body) = conn
            .send(Method::GET, path, token, "application/json", Bytes::new())
            .await?;
        if status.is_success() {
            s.micros.push(sent.elapsed().as_micros() as u64);
        } else {
            s.error(format!("{status} {}", String::from_utf8_lossy(&body)));
        }
    }
    s.elapsed = begun.elapsed();
    Ok(s)
}
