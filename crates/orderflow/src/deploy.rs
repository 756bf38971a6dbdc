//! `orderflow workflow deploy | list | migrate`: a thin client of the
//! server's workflow routes.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::bail;
use orderflow_api::{Deployment, MigrateRequest, MigrationOutcome, MigrationReport, WorkflowList};
use orderflow_core::check;
use reqwest::Method;
use reqwest::header::CONTENT_TYPE;

use crate::client::{ClientError, enc};
use crate::commands::AdminConnection;
use crate::read_definition;

/// Deploys each file, even after one fails: one line per file, or its
/// problems as `file:line:col: message`. `false` when any failed.
pub async fn deploy(
    connection: &AdminConnection,
    files: &[PathBuf],
) -> anyhow::Result<(String, bool)> {
    let client = connection.client()?;
    let mut out = String::new();
    let mut clean = true;
    for file in files {
        let name = file.display().to_string();
        let source = read_definition(file)?;
        // The server checks it again; checking here first names the
        // problems without a round trip and gives the id to deploy it as.
        let def = match check::check_source(&name, &source) {
            Ok(def) => def,
            Err(problems) => {
                clean = false;
                for p in problems {
                    out.push_str(&format!("{p}\n"));
                }
                continue;
            }
        };
        let req = client
            .request(Method::PUT, &format!("/api/v1/workflows/{}", enc(&def.id)))
            .header(CONTENT_TYPE, "application/toml")
            .body(source);
        match client.send::<Deployment>(req).await {
            Ok(d) if d.changed => out.push_str(&format!(
                "{name}: {} version {} deployed\n",
                d.id, d.version
            )),
            Ok(d) => out.push_str(&format!(
                "{name}: {} unchanged (version {})\n",
                d.id, d.version
            )),
            Err(ClientError::Problem(p)) if p.problems.is_some() => {
                clean = false;
                for d in p.problems.iter().flatten() {
                    out.push_str(&format!("{name}:{}:{}: {}\n", d.line, d.column, d.message));
                }
            }
            Err(e) => {
                clean = false;
                out.push_str(&format!("{name}: {e}\n"));
            }
        }
    }
    Ok((out, clean))
}

/// One line per workflow: id, label, latest version, orders per version.
pub async fn list(connection: &AdminConnection) -> anyhow::Result<String> {
    let list: WorkflowList = connection.client()?.get("/api/v1/workflows").await?;
    let mut out = String::new();
    for w in list.items {
        let orders = w
            .orders
            .iter()
            .map(|c| format!("v{}: {}", c.version, c.orders))
            .collect::<Vec<_>>()
            .join(", ");
        out.push_str(&format!(
            "{}\t{}\tversion {}{}\torders {}\n",
            w.id,
            w.label,
            w.latest_version,
            if w.retired { " (retired)" } else { "" },
            if orders.is_empty() {
                "none".to_owned()
            } else {
                orders
            }
        ));
    }
    Ok(out)
}

/// Prints what the migration did, or would do, to each order.
pub async fn migrate(
    connection: &AdminConnection,
    id: &str,
    from: u32,
    to: Option<u32>,
    mapping: &[String],
    apply: bool,
) -> anyhow::Result<String> {
    let mut map = BTreeMap::new();
    for m in mapping {
        let Some((old, new)) = m.split_once('=') else {
            bail!("--map {m:?} is not OLD=NEW");
        };
        map.insert(old.trim().to_owned(), new.trim().to_owned());
    }
    let req = MigrateRequest {
        from,
        to,
        mapping: map,
        dry_run: !apply,
    };
    let report: MigrationReport = connection
        .client()?
        .post(&format!("/api/v1/workflows/{}/migrate", enc(id)), &req)
        .await?;
    let mut out = format!(
        "{} {id} version {} → {}: {} orders\n",
        if report.dry_run {
            "dry run of"
        } else {
            "migrated"
        },
        report.from,
        report.to,
        report.results.len()
    );
    for r in &report.results {
        let new = r.new_status.as_deref().unwrap_or("");
        out.push_str(&match r.outcome {
            MigrationOutcome::Kept => format!("{}\tkept {}\n", r.order, r.status),
            MigrationOutcome::Mapped => format!("{}\tmapped {} → {new}\n", r.order, r.status),
            MigrationOutcome::Refused => format!(
                "{}\trefused ({}): {}\n",
                r.order,
                r.status,
                r.reason.as_deref().unwrap_or("")
            ),
        });
    }
    if report.dry_run {
        out.push_str("nothing changed: run again with --apply to migrate\n");
    }
    Ok(out)
}
