//! `orderflow webhooks add|list|remove|deliveries|redeliver`: an
//! organisation's webhook endpoints over HTTP, for its admins
//! (docs/webhooks.md).

use anyhow::Context as _;
use orderflow_api::{CreateWebhook, WebhookCreated, WebhookDeliveryView, WebhookView};
use reqwest::Method;

use crate::client::enc;
use crate::commands::{Connection, table};

#[derive(Debug, clap::Subcommand)]
pub enum Webhooks {
    /// Adds an endpoint and prints its signing secret, once.
    Add {
        /// Where deliveries are POSTed (`http://` or `https://`).
        url: String,
        /// Only orders of this workflow (repeatable; all when absent).
        #[arg(long = "workflow", value_name = "ID")]
        workflows: Vec<String>,
        /// Only this event type (repeatable): `order.created`,
        /// `order.status_changed`, `order.updated`, `order.notification`.
        #[arg(long = "event", value_name = "TYPE")]
        events: Vec<String>,
        /// Only changes made by this action (repeatable).
        #[arg(long = "action", value_name = "ID")]
        actions: Vec<String>,
    },
    /// Your organisation's endpoints.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Removes an endpoint and its deliveries.
    Remove { id: String },
    /// An endpoint's deliveries, newest first: state, attempts, next
    /// attempt and last error.
    Deliveries {
        id: String,
        /// At most this many (up to 200).
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// Sends a delivery again (a dead one too), with a fresh attempt limit.
    Redeliver {
        /// The endpoint.
        id: String,
        delivery: String,
    },
}

fn filter(list: &[String]) -> String {
    if list.is_empty() {
        "all".to_owned()
    } else {
        list.join(",")
    }
}

pub async fn webhooks(connection: &Connection, command: Webhooks) -> anyhow::Result<String> {
    let client = connection.client()?;
    match command {
        Webhooks::Add {
            url,
            workflows,
            events,
            actions,
        } => {
            let body = CreateWebhook {
                url,
                workflows,
                events,
                actions,
            };
            let created: WebhookCreated = client.post("/api/v1/webhooks", &body).await?;
            Ok(format!(
                "webhook {} → {}\nsigning secret, shown once:\n{}\n",
                created.webhook.id, created.webhook.url, created.secret
            ))
        }
        Webhooks::List { json } => {
            let list: Vec<WebhookView> = client.get("/api/v1/webhooks").await?;
            if json {
                return Ok(serde_json::to_string_pretty(&list).context("JSON")? + "\n");
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|w| {
                    vec![
                        w.id.clone(),
                        w.url.clone(),
                        filter(&w.workflows),
                        filter(&w.events),
                        filter(&w.actions),
                    ]
                })
                .collect();
            Ok(table(
                &["ID", "URL", "WORKFLOWS", "EVENTS", "ACTIONS"],
                &rows,
            ))
        }
        Webhooks::Remove { id } => {
            let () = client
                .send(client.request(Method::DELETE, &format!("/api/v1/webhooks/{}", enc(&id))))
                .await?;
            Ok(format!("webhook {id} removed\n"))
        }
        Webhooks::Deliveries { id, limit, json } => {
            let path = format!("/api/v1/webhooks/{}/deliveries?limit={limit}", enc(&id));
            let list: Vec<WebhookDeliveryView> = client.get(&path).await?;
            if json {
                return Ok(serde_json::to_string_pretty(&list).context("JSON")? + "\n");
            }
            let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
                t.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                    .unwrap_or_default()
            };
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|d| {
                    vec![
                        d.id.clone(),
                        d.event.clone(),
                        d.order_id.clone(),
                        d.state.clone(),
                        d.attempts.to_string(),
                        time(d.next_attempt_at),
                        d.last_error.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            Ok(table(
                &[
                    "ID",
                    "EVENT",
                    "ORDER",
                    "STATE",
                    "ATTEMPTS",
                    "NEXT",
                    "LAST ERROR",
                ],
                &rows,
            ))
        }
        Webhooks::Redeliver { id, delivery } => {
            let path = format!(
                "/api/v1/webhooks/{}/deliveries/{}/redeliver",
                enc(&id),
                enc(&delivery)
            );
            let d: WebhookDeliveryView = client.post(&path, &serde_json::json!({})).await?;
            Ok(format!("delivery {} is {} again\n", d.id, d.state))
        }
    }
}
