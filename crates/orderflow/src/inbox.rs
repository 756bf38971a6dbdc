//! `orderflow notifications` (the caller's inbox and e-mail choices) and
//! `orderflow outbox dead` (the administrator's dead letters): a thin
//! client of the notification routes.

use anyhow::bail;
use orderflow_api::{
    DeadLetterList, EmailPreferences, MarkedRead, NotificationList, SetEmailPreferences,
};
use reqwest::Method;

use crate::client::enc;
use crate::commands::{AdminConnection, Connection, table};

#[derive(Debug, clap::Subcommand)]
pub enum Notifications {
    /// Your notifications, unread first: when, order, what.
    List {
        /// At most this many (1 to 100).
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// The server's JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Marks one notification read, or all of them with --all.
    Read {
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<String>,
        #[arg(long)]
        all: bool,
    },
    /// The kinds of e-mail you get; --off and --on change them.
    Email {
        /// A kind (template id) to get no e-mail of (repeatable).
        #[arg(long, value_name = "KIND")]
        off: Vec<String>,
        /// A kind to get e-mail of again (repeatable).
        #[arg(long, value_name = "KIND")]
        on: Vec<String>,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum Outbox {
    /// Messages the server gave up delivering, with their last error.
    Dead {
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
}

pub async fn notifications(
    connection: &Connection,
    command: Notifications,
) -> anyhow::Result<String> {
    let client = connection.client()?;
    match command {
        Notifications::List { limit, json } => {
            let list: NotificationList = client
                .get(&format!("/api/v1/notifications?limit={limit}"))
                .await?;
            if json {
                return Ok(serde_json::to_string_pretty(&list)? + "\n");
            }
            let rows: Vec<Vec<String>> = list
                .items
                .iter()
                .map(|n| {
                    vec![
                        if n.read_at.is_none() { "*" } else { "" }.to_owned(),
                        n.created_at.format("%Y-%m-%d %H:%M").to_string(),
                        n.order_number.clone(),
                        n.subject.clone(),
                        n.id.clone(),
                    ]
                })
                .collect();
            Ok(format!(
                "{}{} unread\n",
                table(&["", "WHEN", "ORDER", "WHAT", "ID"], &rows),
                list.unread
            ))
        }
        Notifications::Read { id: Some(id), .. } => {
            client
                .send::<serde_json::Value>(client.request(
                    Method::POST,
                    &format!("/api/v1/notifications/{}/read", enc(&id)),
                ))
                .await?;
            Ok(format!("notification {id} read\n"))
        }
        Notifications::Read { id: None, .. } => {
            let marked: MarkedRead = client
                .post("/api/v1/notifications/read", &serde_json::json!({}))
                .await?;
            Ok(format!("{} marked read\n", marked.marked))
        }
        Notifications::Email { off, on } => {
            let mut prefs: EmailPreferences = client.get("/api/v1/me/email-preferences").await?;
            if !off.is_empty() || !on.is_empty() {
                if let Some(both) = off.iter().find(|k| on.contains(k)) {
                    bail!("{both} is given both --off and --on");
                }
                let opted_out = prefs
                    .kinds
                    .iter()
                    .filter(|k| (k.opted_out || off.contains(&k.id)) && !on.contains(&k.id))
                    .map(|k| k.id.clone())
                    .chain(
                        off.iter()
                            .filter(|k| !prefs.kinds.iter().any(|x| &x.id == *k))
                            .cloned(),
                    )
                    .collect();
                prefs = client
                    .put(
                        "/api/v1/me/email-preferences",
                        &SetEmailPreferences { opted_out },
                    )
                    .await?;
            }
            let rows: Vec<Vec<String>> = prefs
                .kinds
                .iter()
                .map(|k| {
                    vec![
                        if k.opted_out { "off" } else { "on" }.to_owned(),
                        k.id.clone(),
                        k.label.clone(),
                    ]
                })
                .collect();
            let to = match &prefs.email {
                Some(e) => format!("e-mail goes to {e}\n"),
                None => "you have no e-mail address: you get no e-mail\n".to_owned(),
            };
            Ok(to + &table(&["E-MAIL", "KIND", "WHAT"], &rows))
        }
    }
}

pub async fn outbox(connection: &AdminConnection, command: Outbox) -> anyhow::Result<String> {
    let client = connection.client()?;
    match command {
        Outbox::Dead { limit } => {
            let list: DeadLetterList = client
                .get(&format!("/api/v1/outbox/dead?limit={limit}"))
                .await?;
            if list.items.is_empty() {
                return Ok("no dead letters\n".to_owned());
            }
            let rows: Vec<Vec<String>> = list
                .items
                .iter()
                .map(|d| {
                    vec![
                        d.dead_at.format("%Y-%m-%d %H:%M").to_string(),
                        d.order_id.clone(),
                        format!("{} to {} ({})", d.template, d.organization, d.channel),
                        d.attempts.to_string(),
                        d.last_error.clone(),
                    ]
                })
                .collect();
            Ok(table(
                &["DEAD", "ORDER", "MESSAGE", "TRIES", "LAST ERROR"],
                &rows,
            ))
        }
    }
}
