//! The command-line client: `orders list|show|create|act|history`,
//! `organizations add`, `users add`, `tokens create`, all over HTTP.

use std::fmt::Write as _;

use anyhow::{Context, bail};
use orderflow_api::{
    ActionView, CreateOrganization, CreateToken, CreateUser, HistoryPage, OrderList, OrderView,
    OrganizationView, SetPassword, TokenCreated, UserCreated,
};
use reqwest::Method;
use serde_json::{Map, Value as Json};

use crate::client::{Client, enc};

/// Where the server is and who is asking.
#[derive(Debug, Clone, clap::Args)]
pub struct Connection {
    /// The server's address.
    #[arg(
        long,
        env = "ORDERFLOW_URL",
        default_value = "http://127.0.0.1:8080",
        value_name = "URL",
        global = true
    )]
    pub server: String,
    /// A user's API token.
    #[arg(
        long,
        env = "ORDERFLOW_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN",
        global = true
    )]
    pub token: Option<String>,
}

/// Where the server is, and the administrator's token (or a user's).
#[derive(Debug, Clone, clap::Args)]
pub struct AdminConnection {
    #[command(flatten)]
    pub connection: Connection,
    /// The administrator's token (the server's ORDERFLOW_ADMIN_TOKEN).
    #[arg(
        long,
        env = "ORDERFLOW_ADMIN_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN",
        global = true
    )]
    pub admin_token: Option<String>,
}

impl Connection {
    pub fn client(&self) -> anyhow::Result<Client> {
        let Some(token) = &self.token else {
            bail!("no token: pass --token or set ORDERFLOW_TOKEN");
        };
        Ok(Client::new(&self.server, Some(token.clone()))?)
    }
}

impl AdminConnection {
    pub fn client(&self) -> anyhow::Result<Client> {
        let Some(token) = self.admin_token.as_ref().or(self.connection.token.as_ref()) else {
            bail!("no token: pass --admin-token or set ORDERFLOW_ADMIN_TOKEN");
        };
        Ok(Client::new(&self.connection.server, Some(token.clone()))?)
    }
}

#[derive(Debug, clap::Subcommand)]
pub enum Orders {
    /// The orders you see, newest first: id, workflow, status, version,
    /// last change.
    List {
        #[arg(long)]
        workflow: Option<String>,
        /// A status id (`shipped`, `needs_approval` ...).
        #[arg(long)]
        status: Option<String>,
        /// Orders where this organisation takes part.
        #[arg(long, value_name = "ORG")]
        party: Option<String>,
        /// Text in the id, the number, the reference, a party's name or
        /// anything written in the order (products, SKUs, tracking, notes).
        #[arg(long, value_name = "TEXT")]
        q: Option<String>,
        /// newest (the default), oldest, updated, or waiting (longest in
        /// its status first).
        #[arg(long, value_name = "ORDER")]
        sort: Option<String>,
        /// At most this many (up to 200).
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Print the server's JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// One order: its status, its data, and the actions you may take (with
    /// their inputs) or why each is blocked.
    Show {
        /// The order's id or its number (`DL-1042`).
        id: String,
        /// One of its children (an item, a job) instead of the order.
        #[arg(long, value_name = "CHILD")]
        child: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Creates an order: the workflow, the other parties' organisations
    /// and the creating action's inputs. Your organisation fills the
    /// creating slot.
    Create {
        workflow: String,
        /// A party slot and the organisation in it: `lab=precision-lab`.
        /// Repeatable.
        #[arg(long = "party", value_name = "SLOT=ORG")]
        parties: Vec<String>,
        /// An input as key=value (JSON when it parses, else text).
        #[arg(long = "input", value_name = "KEY=VALUE")]
        input: Vec<String>,
        /// Every input as one JSON object (--input entries override it).
        #[arg(long, value_name = "JSON")]
        inputs: Option<String>,
        /// A retry with the same key returns the first answer.
        #[arg(long, value_name = "KEY")]
        idempotency_key: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Takes an action on an order (or on one of its children).
    Act {
        id: String,
        action: String,
        /// An input as key=value; the value is read as JSON when it is
        /// JSON (`3`, `true`, `["a"]`), else as text. Repeatable.
        #[arg(long = "input", value_name = "KEY=VALUE")]
        input: Vec<String>,
        /// Every input as one JSON object (--input entries override it).
        #[arg(long, value_name = "JSON")]
        inputs: Option<String>,
        /// Refuse unless the order is at this version.
        #[arg(long, value_name = "VERSION")]
        if_match: Option<u64>,
        /// A retry with the same key returns the first answer.
        #[arg(long, value_name = "KEY")]
        idempotency_key: Option<String>,
        /// Act on this child (an item, a job) of the order.
        #[arg(long, value_name = "CHILD")]
        child: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Every change of an order, oldest first.
    History {
        id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum Organizations {
    /// Creates an organisation (administrator).
    Add {
        id: String,
        #[arg(long)]
        name: String,
        /// A setting as key=value (JSON when it parses, else text):
        /// `purchasing_limit=1000.00`, `time_zone=Europe/Paris`.
        #[arg(long = "setting", value_name = "KEY=VALUE")]
        settings: Vec<String>,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum Users {
    /// Creates a user (administrator) and prints its token, once.
    Add {
        #[arg(long, value_name = "ORG")]
        organization: String,
        #[arg(long)]
        name: String,
        /// A role in the organisation (`buyer`, `edit`, `operator` ...).
        #[arg(long = "role", value_name = "ROLE")]
        roles: Vec<String>,
        #[arg(long)]
        email: Option<String>,
        /// The user's id (chosen by the server when absent).
        #[arg(long)]
        id: Option<String>,
        /// A password to sign in to the web UI with (at least 8
        /// characters).
        #[arg(long)]
        password: Option<String>,
    },
    /// Sets a user's password for the web UI (administrator), read from
    /// standard input (its first line) unless `--password` gives it; the
    /// user's web sessions end.
    SetPassword {
        #[arg(long, value_name = "ID")]
        user: String,
        #[arg(long)]
        password: Option<String>,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum Tokens {
    /// Makes another API token for the calling user and prints it, once.
    Create {
        #[arg(long)]
        name: Option<String>,
    },
}

/// `key=value` with the value read as JSON when it parses, else as text.
pub fn key_value(s: &str) -> anyhow::Result<(String, Json)> {
    let Some((key, value)) = s.split_once('=') else {
        bail!("{s:?} is not key=value");
    };
    if key.is_empty() {
        bail!("{s:?} has no key before =");
    }
    let value = serde_json::from_str(value).unwrap_or_else(|_| Json::String(value.to_owned()));
    Ok((key.to_owned(), value))
}

/// The inputs of `orders act`: the `--inputs` object, then each `--input`.
pub fn action_inputs(inputs: Option<&str>, input: &[String]) -> anyhow::Result<Json> {
    let mut map = match inputs {
        Some(text) => match serde_json::from_str::<Json>(text).context("--inputs is not JSON")? {
            Json::Object(m) => m,
            _ => bail!("--inputs must be a JSON object"),
        },
        None => Map::new(),
    };
    for kv in input {
        let (k, v) = key_value(kv)?;
        map.insert(k, v);
    }
    Ok(Json::Object(map))
}

pub async fn orders(connection: &Connection, command: Orders) -> anyhow::Result<String> {
    let client = connection.client()?;
    match command {
        Orders::List {
            workflow,
            status,
            party,
            q,
            sort,
            limit,
            json,
        } => {
            let mut query = vec![format!("limit={limit}")];
            for (k, v) in [
                ("workflow", workflow),
                ("status", status),
                ("party", party),
                ("q", q),
                ("sort", sort),
            ] {
                if let Some(v) = v {
                    query.push(format!("{k}={}", enc(&v)));
                }
            }
            let list: OrderList = client
                .get(&format!("/api/v1/orders?{}", query.join("&")))
                .await?;
            if json {
                return Ok(format!("{}\n", serde_json::to_string_pretty(&list)?));
            }
            Ok(order_table(&list))
        }
        Orders::Show { id, child, json } => {
            let path = match &child {
                Some(c) => format!("/api/v1/orders/{}/children/{}", enc(&id), enc(c)),
                None => format!("/api/v1/orders/{}", enc(&id)),
            };
            let value: Json = client.get(&path).await?;
            if json {
                return Ok(format!("{}\n", serde_json::to_string_pretty(&value)?));
            }
            if child.is_some() {
                let c: orderflow_api::ChildView = serde_json::from_value(value)?;
                return Ok(show_child(&c));
            }
            let order: OrderView = serde_json::from_value(value)?;
            Ok(show_order(&order))
        }
        Orders::Create {
            workflow,
            parties,
            input,
            inputs,
            idempotency_key,
            json,
        } => {
            let mut slots = std::collections::BTreeMap::new();
            for p in &parties {
                let Some((slot, org)) = p.split_once('=') else {
                    bail!("--party {p:?} is not SLOT=ORG");
                };
                slots.insert(slot.to_owned(), org.to_owned());
            }
            let body = orderflow_api::CreateOrder {
                workflow,
                parties: slots,
                inputs: action_inputs(inputs.as_deref(), &input)?,
            };
            let mut req = client.request(Method::POST, "/api/v1/orders").json(&body);
            if let Some(k) = &idempotency_key {
                req = req.header("idempotency-key", k);
            }
            let order: OrderView = client.send(req).await?;
            Ok(changed(&order, json)?)
        }
        Orders::Act {
            id,
            action,
            input,
            inputs,
            if_match,
            idempotency_key,
            child,
            json,
        } => {
            let body = action_inputs(inputs.as_deref(), &input)?;
            let path = match &child {
                Some(c) => format!(
                    "/api/v1/orders/{}/children/{}/actions/{}",
                    enc(&id),
                    enc(c),
                    enc(&action)
                ),
                None => format!("/api/v1/orders/{}/actions/{}", enc(&id), enc(&action)),
            };
            let mut req = client.request(Method::POST, &path).json(&body);
            if let Some(v) = if_match {
                req = req.header("if-match", format!("\"{v}\""));
            }
            if let Some(k) = &idempotency_key {
                req = req.header("idempotency-key", k);
            }
            let order: OrderView = client.send(req).await?;
            Ok(changed(&order, json)?)
        }
        Orders::History { id, json } => {
            let mut items = Vec::new();
            let mut after: Option<u64> = None;
            loop {
                let path = match after {
                    Some(a) => format!("/api/v1/orders/{}/history?limit=200&after={a}", enc(&id)),
                    None => format!("/api/v1/orders/{}/history?limit=200", enc(&id)),
                };
                let page: HistoryPage = client.get(&path).await?;
                items.extend(page.items);
                // A page may hold no entry the caller may read, and still
                // lead to the next one.
                match page.next_after {
                    Some(a) if after.is_none_or(|b| a > b) => after = Some(a),
                    _ => break,
                }
            }
            if json {
                return Ok(format!("{}\n", serde_json::to_string_pretty(&items)?));
            }
            let rows = items
                .iter()
                .map(|e| {
                    // Names as they were when the entry was written; ids
                    // for entries written before names were kept.
                    let user = e.user_name.as_ref().or(e.user.as_ref());
                    let org = e.organization_name.as_ref().or(e.organization.as_ref());
                    let who = match (user, org) {
                        (Some(u), Some(o)) => format!("{u} ({o})"),
                        (Some(u), None) => u.clone(),
                        _ => orderflow_core::model::SYSTEM_NAME.to_owned(),
                    };
                    let action = match &e.child {
                        Some(c) => format!("{} ({c})", e.action),
                        None => e.action.clone(),
                    };
                    let status = if e.status_before == e.status_after {
                        e.status_after.clone()
                    } else if e.status_before.is_empty() {
                        format!("→ {}", e.status_after)
                    } else {
                        format!("{} → {}", e.status_before, e.status_after)
                    };
                    let inputs = match &e.inputs {
                        Json::Object(m) if m.is_empty() => String::new(),
                        Json::Null => String::new(),
                        other => shorten(&other.to_string(), 80),
                    };
                    vec![
                        e.seq.to_string(),
                        e.version.to_string(),
                        e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                        who,
                        action,
                        status,
                        inputs,
                    ]
                })
                .collect::<Vec<_>>();
            Ok(table(
                &["SEQ", "VERSION", "AT", "BY", "ACTION", "STATUS", "INPUTS"],
                &rows,
            ))
        }
    }
}

pub async fn organizations(
    connection: &AdminConnection,
    command: Organizations,
) -> anyhow::Result<String> {
    let client = connection.client()?;
    match command {
        Organizations::Add { id, name, settings } => {
            let mut map = Map::new();
            for kv in &settings {
                let (k, v) = key_value(kv)?;
                map.insert(k, v);
            }
            let org: OrganizationView = client
                .post(
                    "/api/v1/organizations",
                    &CreateOrganization {
                        id,
                        name,
                        settings: map,
                    },
                )
                .await?;
            Ok(format!("organisation {} ({}) created\n", org.id, org.name))
        }
    }
}

pub async fn users(connection: &AdminConnection, command: Users) -> anyhow::Result<String> {
    let client = connection.client()?;
    match command {
        Users::Add {
            organization,
            name,
            roles,
            email,
            id,
            password,
        } => {
            let created: UserCreated = client
                .post(
                    "/api/v1/users",
                    &CreateUser {
                        id,
                        name,
                        organization,
                        roles,
                        email,
                        password,
                    },
                )
                .await?;
            let u = &created.user;
            let roles = if u.roles.is_empty() {
                "no roles".to_owned()
            } else {
                format!("roles {}", u.roles.join(", "))
            };
            Ok(format!(
                "user {} ({}) of {}, {roles}\ntoken (shown once): {}\n",
                u.id, u.name, u.organization, created.token.token
            ))
        }
        Users::SetPassword { user, password } => {
            let password = match password {
                Some(p) => p,
                None => {
                    let mut line = String::new();
                    std::io::stdin()
                        .read_line(&mut line)
                        .context("reading the password from standard input")?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let () = client
                .put(
                    &format!("/api/v1/users/{}/password", enc(&user)),
                    &SetPassword { password },
                )
                .await?;
            Ok(format!("password of user {user} set\n"))
        }
    }
}

pub async fn tokens(connection: &Connection, command: Tokens) -> anyhow::Result<String> {
    let client = connection.client()?;
    match command {
        Tokens::Create { name } => {
            let t: TokenCreated = client.post("/api/v1/tokens", &CreateToken { name }).await?;
            Ok(format!(
                "token {} ({}), shown once:\n{}\n",
                t.id, t.name, t.token
            ))
        }
    }
}

/// An order a command changed: its id, status and version (and the
/// orders it created), or the server's JSON.
fn changed(order: &OrderView, json: bool) -> anyhow::Result<String> {
    if json {
        return Ok(format!("{}\n", serde_json::to_string_pretty(order)?));
    }
    let mut out = format!(
        "{}: {} ({}), version {}\n",
        order.id, order.status.label, order.status.id, order.version
    );
    for created in &order.created_orders {
        let _ = writeln!(out, "created order {created}");
    }
    for p in &order.follow_up_problems {
        let _ = writeln!(
            out,
            "a follow-up was refused: {}",
            crate::client::problem_line(p)
        );
    }
    Ok(out)
}

fn order_table(list: &OrderList) -> String {
    let rows = list
        .items
        .iter()
        .map(|o| {
            let mut status = o.status.label.clone();
            if o.status.label.to_lowercase().replace(' ', "_") != o.status.id {
                status = format!("{status} ({})", o.status.id);
            }
            vec![
                o.number.clone().unwrap_or_default(),
                o.id.clone(),
                o.workflow.clone(),
                status,
                o.version.to_string(),
                o.updated_at
                    .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default(),
            ]
        })
        .collect::<Vec<_>>();
    let mut out = table(
        &["NUMBER", "ID", "WORKFLOW", "STATUS", "VERSION", "UPDATED"],
        &rows,
    );
    if list.next_cursor.is_some() {
        out.push_str("(more orders: narrow the filters or raise --limit)\n");
    }
    out
}

fn show_order(o: &OrderView) -> String {
    let mut out = String::new();
    let marker = o
        .status
        .marker
        .as_deref()
        .map(|m| format!(" [{m}]"))
        .unwrap_or_default();
    let _ = writeln!(out, "order     {}", o.id);
    if let Some(n) = &o.number {
        let _ = writeln!(out, "number    {n}");
    }
    let _ = writeln!(out, "workflow  {}", o.workflow);
    let _ = writeln!(
        out,
        "status    {} ({}){marker}",
        o.status.label, o.status.id
    );
    let _ = writeln!(out, "version   {}", o.version);
    let parties = o
        .parties
        .iter()
        .map(|(slot, org)| format!("{slot}: {org}"))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(out, "parties   {parties}");
    let _ = writeln!(out, "currency  {}", o.currency);
    if let Some(t) = o.updated_at {
        let _ = writeln!(out, "updated   {}", t.format("%Y-%m-%d %H:%M:%S UTC"));
    }
    if let Json::Object(data) = &o.data {
        let summary = data
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), summarize(v)))
            .collect::<Vec<_>>();
        if !summary.is_empty() {
            out.push_str("data\n");
            let width = summary.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
            for (k, v) in summary {
                let _ = writeln!(out, "  {k:width$}  {v}");
            }
        }
    }
    if !o.items.is_empty() {
        out.push_str("items\n");
        for c in &o.items {
            let _ = writeln!(
                out,
                "  {}  {} ({})  {}",
                c.id,
                c.status.label,
                c.status.id,
                summarize(&c.data)
            );
        }
    }
    for (kind, counts) in &o.counts {
        let line = counts
            .iter()
            .filter(|(k, n)| **n > 0 && k.as_str() != "total")
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        if !line.is_empty() {
            let _ = writeln!(out, "{kind}s     {line}");
        }
    }
    out.push_str(&actions_text(&o.actions));
    out
}

fn show_child(c: &orderflow_api::ChildView) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}  {}", c.kind, c.id);
    let _ = writeln!(out, "status    {} ({})", c.status.label, c.status.id);
    let _ = writeln!(out, "version   {}", c.version);
    let _ = writeln!(out, "data      {}", summarize(&c.data));
    if let Some(actions) = &c.actions {
        out.push_str(&actions_text(actions));
    }
    out
}

fn actions_text(actions: &[ActionView]) -> String {
    let mut out = String::from("actions\n");
    if actions.is_empty() {
        out.push_str("  (none for you)\n");
    }
    let width = actions.iter().map(|a| a.id.len()).max().unwrap_or(0);
    for a in actions.iter().filter(|a| a.available) {
        let inputs = a
            .inputs
            .iter()
            .map(input_text)
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            out,
            "  {:width$}  {}{}",
            a.id,
            a.label,
            if inputs.is_empty() {
                String::new()
            } else {
                format!(" — {inputs}")
            }
        );
    }
    for a in actions.iter().filter(|a| !a.available) {
        let why = a
            .blocked
            .as_ref()
            .map(crate::client::problem_line)
            .unwrap_or_else(|| "not available".to_owned());
        let _ = writeln!(out, "  {:width$}  blocked: {why}", a.id);
    }
    out
}

/// One declared input: `id (type, required)`.
fn input_text(input: &Json) -> String {
    let id = input["id"].as_str().unwrap_or("?");
    let mut kind = input["type"].as_str().unwrap_or("").to_owned();
    if let Some(values) = input["values"].as_array() {
        let values = values
            .iter()
            .filter_map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join("|");
        kind = format!("{kind} {values}");
    }
    if input["required"].as_bool() == Some(true) {
        format!("{id} ({kind}, required)")
    } else {
        format!("{id} ({kind})")
    }
}

/// A value in a few words: collections as their size.
fn summarize(v: &Json) -> String {
    match v {
        Json::String(s) => shorten(s, 80),
        Json::Array(a) => match a.len() {
            1 => "1 record".to_owned(),
            n => format!("{n} records"),
        },
        Json::Object(m) => shorten(
            &m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| match v {
                    Json::String(s) => format!("{k}={s}"),
                    Json::Array(a) => format!("{k}=[{}]", a.len()),
                    other => format!("{k}={other}"),
                })
                .collect::<Vec<_>>()
                .join(" "),
            120,
        ),
        other => other.to_string(),
    }
}

fn shorten(s: &str, max: usize) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        format!("{}…", one_line.chars().take(max - 1).collect::<String>())
    }
}

/// Left-aligned columns separated by two spaces.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            let pad = widths[i].saturating_sub(cell.chars().count());
            text.push_str(cell);
            text.push_str(&" ".repeat(pad));
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(headers.to_vec(), &mut out);
    for row in rows {
        line(row.iter().map(String::as_str).collect(), &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_json_when_they_parse() {
        assert_eq!(key_value("n=3").ok(), Some(("n".into(), Json::from(3))));
        assert_eq!(
            key_value("partial=true").ok(),
            Some(("partial".into(), Json::Bool(true)))
        );
        assert_eq!(
            key_value("note=two bags torn").ok(),
            Some(("note".into(), Json::from("two bags torn")))
        );
        assert_eq!(
            key_value("date=2099-01-01").ok(),
            Some(("date".into(), Json::from("2099-01-01")))
        );
        assert_eq!(
            key_value("a=b=c").ok(),
            Some(("a".into(), Json::from("b=c")))
        );
        assert!(key_value("novalue").is_err());
        assert!(key_value("=x").is_err());
    }

    #[test]
    fn flags_override_the_inputs_object() {
        let inputs = action_inputs(
            Some(r#"{"lines": [{"line": 1, "quantity": 2}], "note": "x"}"#),
            &["note=y".to_owned(), "partial=true".to_owned()],
        )
        .ok();
        assert_eq!(
            inputs,
            Some(
                serde_json::json!({"lines": [{"line": 1, "quantity": 2}], "note": "y", "partial": true})
            )
        );
        assert!(action_inputs(Some("[1]"), &[]).is_err());
    }

    #[test]
    fn tables_align_columns() {
        let t = table(
            &["ID", "STATUS"],
            &[
                vec!["a".into(), "Draft".into()],
                vec!["bbb".into(), "X".into()],
            ],
        );
        assert_eq!(t, "ID   STATUS\na    Draft\nbbb  X\n");
    }
}
