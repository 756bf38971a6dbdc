//! Job steps of print-production in orders of different sizes: a step of
//! one job should cost the same in an order of 1 job and of 100,000
//! (docs/ARCHITECTURE.md). The step is the shop manager cancelling a job,
//! available in any state a new job is in and needing no stock.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use hyper::Method;
use serde_json::json;

use crate::fixtures::{organization, user};
use crate::http::Conn;
use crate::stats::Sample;

pub struct Shop {
    conn: Conn,
    merchant: String,
    manager: String,
    design: String,
}

/// A PNG's first bytes, naming a size every decoration takes.
fn png() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    png.extend(3000u32.to_be_bytes());
    png.extend(3000u32.to_be_bytes());
    png.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
    png
}

impl Shop {
    /// A merchant, a shop with one location that takes any order, its
    /// manager and an uploaded design.
    pub async fn new(addr: SocketAddr) -> anyhow::Result<Self> {
        let mut conn = Conn::open(addr).await?;
        organization(&mut conn, "merch", json!({})).await?;
        organization(
            &mut conn,
            "shop",
            json!({"locations": [{"id": "chi", "latitude": 41.88, "longitude": -87.63,
                    "capacity_units": 10_000_000, "decorations": ["dtf"]}]}),
        )
        .await?;
        let merchant = user(&mut conn, "mia", "merch", &[]).await?;
        let manager = user(&mut conn, "meg", "shop", &["manager"]).await?;
        let (status, body) = conn
            .send(
                Method::POST,
                "/api/v1/files?name=tee.png",
                &merchant,
                "image/png",
                Bytes::from(png()),
            )
            .await?;
        anyhow::ensure!(status.is_success(), "upload: {status}");
        let file: serde_json::Value = serde_json::from_slice(&body)?;
        let design = file["id"].as_str().context("the file's id")?.to_owned();
        Ok(Self {
            conn,
            merchant,
            manager,
            design,
        })
    }

    /// A new order of `jobs` jobs waiting for intake; its id and how long
    /// creating it took.
    pub async fn order(&mut self, jobs: u64) -> anyhow::Result<(String, Duration)> {
        let body = json!({
            "workflow": "print-production", "parties": {"shop": "shop"},
            "inputs": {"recipient": "Ada", "address1": "1 Lake Dr", "city": "Milwaukee",
                "country": "US", "latitude": 43.04, "longitude": -87.91,
                "items": [{"sku": "tee", "quantity": jobs, "decoration": "dtf",
                           "design": [self.design]}]}
        });
        let begun = Instant::now();
        let order = self
            .conn
            .json(Method::POST, "/api/v1/orders", &self.merchant, Some(&body))
            .await?;
        let took = begun.elapsed();
        anyhow::ensure!(
            order["status"]["id"] == "intake_hold",
            "a new print order should wait for intake: {order}"
        );
        let id = order["id"].as_str().context("the order's id")?.to_owned();
        Ok((id, took))
    }

    /// The ids of the first `n` jobs of `order`.
    pub async fn jobs(&mut self, order: &str, n: usize) -> anyhow::Result<Vec<String>> {
        let page = self
            .conn
            .json(
                Method::GET,
                &format!("/api/v1/orders/{order}/children?kind=job&limit={n}"),
                &self.manager,
                None,
            )
            .await?;
        Ok(page["items"]
            .as_array()
            .context("a page of jobs")?
            .iter()
            .filter_map(|j| j["id"].as_str().map(str::to_owned))
            .collect())
    }

    /// Cancels each of `jobs` (order, job) one after another.
    pub async fn steps(&mut self, jobs: &[(String, String)]) -> anyhow::Result<Sample> {
        let body = Bytes::from_static(br#"{"reason": "bench"}"#);
        let begun = Instant::now();
        let mut sample = Sample::default();
        for (order, job) in jobs {
            let path = format!("/api/v1/orders/{order}/children/{job}/actions/cancel");
            let sent = Instant::now();
            let (status, answer) = self
                .conn
                .send(
                    Method::POST,
                    &path,
                    &self.manager,
                    "application/json",
                    body.clone(),
                )
                .await?;
            if status.is_success() {
                sample.micros.push(sent.elapsed().as_micros() as u64);
            } else {
                sample.error(format!("{status} {}", String::from_utf8_lossy(&answer)));
            }
        }
        sample.elapsed = begun.elapsed();
        Ok(sample)
    }
}
