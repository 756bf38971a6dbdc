//! What a server needs before it is measured, made over its API as a
//! client would: an organisation, a user, and one compliance order per
//! connection.

use std::net::SocketAddr;

use anyhow::Context;
use bytes::Bytes;
use hyper::Method;
use serde_json::{Value, json};

use crate::http::Conn;
use crate::load::Work;
use crate::server::ADMIN;

/// The owner organisation of the compliance orders and its editor.
pub const OWNER: &str = "brand";
pub const EDITOR: &str = "editor";

/// Creates organisation `id` with `settings`.
pub async fn organization(conn: &mut Conn, id: &str, settings: Value) -> anyhow::Result<()> {
    let body = json!({"id": id, "name": id, "settings": settings});
    conn.json(Method::POST, "/api/v1/organizations", ADMIN, Some(&body))
        .await?;
    Ok(())
}

/// Creates user `id` of `organization`; their API token.
pub async fn user(
    conn: &mut Conn,
    id: &str,
    organization: &str,
    roles: &[&str],
) -> anyhow::Result<String> {
    let body = json!({"id": id, "name": id, "organization": organization, "roles": roles});
    let answer = conn
        .json(Method::POST, "/api/v1/users", ADMIN, Some(&body))
        .await?;
    answer["token"]["token"]
        .as_str()
        .map(str::to_owned)
        .context("the new user's token")
}

/// The body of a new compliance order: `pending_data` (a product type
/// and a requirement, neither met), or `complete` (none of either).
pub fn compliance_order(pending: bool) -> Value {
    let inputs = if pending {
        json!({"product_types": [{"product_type": "cotton", "quantity": 10}],
               "requirements": [{"name": "Certificate of origin"}]})
    } else {
        json!({})
    };
    json!({"workflow": "compliance", "inputs": inputs})
}

/// The owner, its editor and `orders` orders whose stage the connections
/// set in turn (`set_stage` accepts any stage from any stage).
pub async fn compliance(addr: SocketAddr, orders: usize) -> anyhow::Result<Work> {
    let mut conn = Conn::open(addr).await?;
    organization(&mut conn, OWNER, json!({})).await?;
    let token = user(&mut conn, EDITOR, OWNER, &["edit"]).await?;
    let mut paths = Vec::new();
    for _ in 0..orders {
        let order = conn
            .json(
                Method::POST,
                "/api/v1/orders",
                &token,
                Some(&compliance_order(true)),
            )
            .await?;
        let id = order["id"].as_str().context("the new order's id")?;
        paths.push(format!("/api/v1/orders/{id}/actions/set_stage"));
    }
    let bodies = ["created", "packed", "dispatched", "received"]
        .iter()
        .map(|stage| Bytes::from(json!({ "stage": stage }).to_string()))
        .collect();
    Ok(Work {
        paths,
        bodies,
        token,
    })
}
