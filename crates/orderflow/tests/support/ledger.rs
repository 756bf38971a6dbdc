//! The ledger of what clients were told: orders of the `compliance`
//! workflow whose stage clients set again and again, each request under
//! its own idempotency key, and the check that every acknowledged change
//! is in its order's history at its version, once.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::{Value, json};

/// The orders clients change, one client each.
pub const ORDERS: usize = 6;
pub const STAGES: [&str; 4] = ["created", "packed", "dispatched", "received"];

/// One change the server acknowledged: the order reached `version` with
/// `stage`.
#[derive(Debug, Clone)]
pub struct Acked {
    pub version: u64,
    pub stage: String,
}

/// What the clients saw: acknowledged changes per order, and the request
/// per order that was in flight when the server died (its key and body).
#[derive(Default)]
pub struct Ledger {
    pub acked: BTreeMap<String, Vec<Acked>>,
    pub in_flight: BTreeMap<String, (String, String)>,
}

pub async fn json(r: reqwest::Response) -> Value {
    let status = r.status();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{status}: {body}");
    body
}

pub async fn setup(http: &reqwest::Client, url: &str, admin: &str) -> (String, Vec<String>) {
    json(
        http.post(format!("{url}/api/v1/organizations"))
            .bearer_auth(admin)
            .json(&json!({"id": "acme", "name": "Acme"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let user = json(
        http.post(format!("{url}/api/v1/users"))
            .bearer_auth(admin)
            .json(&json!({"id": "ed", "name": "Ed", "organization": "acme", "roles": ["edit"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let token = user["token"]["token"].as_str().unwrap().to_owned();
    let mut orders = Vec::new();
    for i in 0..ORDERS {
        let o = json(
            http.post(format!("{url}/api/v1/orders"))
                .bearer_auth(&token)
                .json(
                    &json!({"workflow": "compliance", "inputs": {"reference": format!("PO-{i}")}}),
                )
                .send()
                .await
                .unwrap(),
        )
        .await;
        orders.push(o["id"].as_str().unwrap().to_owned());
    }
    (token, orders)
}

/// `set_stage` on `order` under the idempotency key `key`.
pub fn set_stage(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    order: &str,
    key: &str,
    body: &str,
) -> reqwest::RequestBuilder {
    http.post(format!("{url}/api/v1/orders/{order}/actions/set_stage"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .header("content-type", "application/json")
        .body(body.to_owned())
}

/// A copy of what was acknowledged, so no lock is held while it is checked.
pub fn acknowledged(ledger: &Mutex<Ledger>) -> Ledger {
    Ledger {
        acked: ledger.lock().unwrap().acked.clone(),
        in_flight: BTreeMap::new(),
    }
}

/// Every acknowledged change is in the order's history at its version,
/// with its stage, and the history runs 1..=version without a gap.
pub async fn check(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    ledger: &Ledger,
) -> (usize, u64) {
    let mut acked = 0;
    let mut versions = 0;
    for (order, changes) in &ledger.acked {
        let o = json(
            http.get(format!("{url}/api/v1/orders/{order}"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        let version = o["version"].as_u64().unwrap();
        let mut entries: Vec<Value> = Vec::new();
        let mut after = 0;
        loop {
            let page = json(
                http.get(format!(
                    "{url}/api/v1/orders/{order}/history?after={after}&limit=200"
                ))
                .bearer_auth(token)
                .send()
                .await
                .unwrap(),
            )
            .await;
            let items = page["items"].as_array().unwrap().clone();
            let Some(last) = items.last() else { break };
            after = last["seq"].as_u64().unwrap();
            entries.extend(items);
            if page["next_after"].is_null() {
                break;
            }
        }
        let seqs: Vec<u64> = entries.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
        assert_eq!(seqs, (1..=version).collect::<Vec<_>>(), "{order}: a gap");
        for a in changes {
            assert!(
                a.version <= version,
                "{order}: acknowledged v{} lost",
                a.version
            );
            let entry = &entries[usize::try_from(a.version).unwrap() - 1];
            assert_eq!(entry["version"].as_u64(), Some(a.version));
            assert_eq!(entry["inputs"]["stage"], a.stage, "{order} v{}", a.version);
            acked += 1;
        }
        versions += version;
    }
    (acked, versions)
}
