//! `/dashboard`: for the user's organisation, how many orders each workflow
//! has in each status, and the orders that have waited longest there.
//! Read through the same list and count functions as the orders list.

use askama::Template;
use axum::extract::State;
use axum::response::Html;
use orderflow_api::ListQuery;

use crate::Web;
use crate::app;
use crate::badge::Badge;
use crate::error::{PageError, html};
use crate::format;
use crate::layout::Layout;
use crate::list::refused;
use crate::names::order_name;
use crate::session::{Session, url_encode};

/// How many of the longest-waiting orders each status shows.
const LONGEST: u32 = 3;

struct Waiting {
    href: String,
    name: String,
    waited: String,
}

struct StatusRow {
    badge: String,
    count: u64,
    href: String,
    longest: Vec<Waiting>,
}

struct WorkflowBlock {
    label: String,
    total: u64,
    rows: Vec<StatusRow>,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    workflows: Vec<WorkflowBlock>,
}

pub async fn page(State(web): State<Web>, session: Session) -> Result<Html<String>, PageError> {
    let caller = session.caller();
    let counts = app::counts(&web, &caller, &ListQuery::default())
        .await
        .map_err(refused)?;
    let now = web.app.now();
    let mut workflows: Vec<WorkflowBlock> = Vec::new();
    for c in &counts.counts {
        let query = ListQuery {
            workflow: Some(c.workflow.clone()),
            status: Some(c.status.id.clone()),
            sort: Some("waiting".to_owned()),
            limit: Some(LONGEST),
            ..ListQuery::default()
        };
        let longest = app::list(&web, &caller, &query)
            .await
            .map_err(refused)?
            .items
            .iter()
            .map(|o| Waiting {
                href: format!("/orders/{}", url_encode(&o.id)),
                name: order_name(&o.id, o.number.as_deref()).to_owned(),
                waited: o
                    .status_since
                    .map(|t| format::age(t, now))
                    .unwrap_or_default(),
            })
            .collect();
        let row = StatusRow {
            badge: Badge(&c.status).to_string(),
            count: c.count,
            href: format!(
                "/orders?workflow={}&status={}&sort=waiting",
                url_encode(&c.workflow),
                url_encode(&c.status.id)
            ),
            longest,
        };
        match workflows.last_mut() {
            Some(w) if w.label == label(&web, &c.workflow) => {
                w.total += c.count;
                w.rows.push(row);
            }
            _ => workflows.push(WorkflowBlock {
                label: label(&web, &c.workflow),
                total: c.count,
                rows: vec![row],
            }),
        }
    }
    html(&DashboardPage {
        layout: Layout::signed_in("Dashboard", &session),
        workflows,
    })
}

fn label(web: &Web, workflow: &str) -> String {
    web.app
        .workflow(workflow)
        .map(|w| w.def.label.clone())
        .unwrap_or_else(|| workflow.to_owned())
}
