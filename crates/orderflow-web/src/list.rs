//! `/orders`: the orders the user may see, with counts per status as tabs,
//! filters (workflow, status), text search and paging. Each row links to
//! its order and says how long it has been in its status.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use chrono::{DateTime, Utc};
use orderflow_api::{HistoryEntryView, OrderSummary};
use serde::Deserialize;

use crate::app::{self, Filter};
use crate::badge::Badge;
use crate::error::{PageError, html};
use crate::format;
use crate::layout::Layout;
use crate::names::{Names, short_id};
use crate::session::{Session, url_encode};
use crate::{Web, app::Refused};

/// Rows on one page.
const PAGE_ROWS: u32 = 25;

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    workflow: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    cursor: String,
}

fn some(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

impl ListParams {
    fn filter(&self) -> Filter {
        Filter {
            workflow: some(&self.workflow),
            status: some(&self.status),
            text: some(&self.q),
            cursor: some(&self.cursor),
            limit: Some(PAGE_ROWS),
        }
    }

    /// This list's URL with `status` (and the rest kept, from the first page).
    fn with_status(&self, workflow: &str, status: &str) -> String {
        let mut parts = Vec::new();
        for (k, v) in [("workflow", workflow), ("status", status), ("q", &self.q)] {
            if !v.is_empty() {
                parts.push(format!("{k}={}", url_encode(v)));
            }
        }
        if parts.is_empty() {
            "/orders".to_owned()
        } else {
            format!("/orders?{}", parts.join("&"))
        }
    }
}

pub struct Tab {
    pub label: String,
    pub count: u64,
    pub href: String,
    pub current: bool,
}

pub struct Row {
    pub href: String,
    pub short: String,
    pub id: String,
    pub workflow: String,
    pub badge: String,
    pub parties: String,
    pub in_status: String,
    pub updated: String,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "orders.html")]
struct OrdersPage {
    layout: Layout,
    tabs: Vec<Tab>,
    workflows: Vec<Choice>,
    statuses: Vec<Choice>,
    q: String,
    rows: Vec<Row>,
    next: Option<String>,
    first: Option<String>,
    filtered: bool,
    /// This page's own URL, fetched again when an order changes.
    self_href: String,
}

fn with_cursor(base: &str, cursor: &str) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}cursor={}", url_encode(cursor))
}

/// When the order entered its current status: the last step that moved
/// it, or its creation.
pub fn status_since(
    history: &[HistoryEntryView],
    created: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    history
        .iter()
        .rev()
        .find(|e| e.status_before != e.status_after)
        .map(|e| e.at)
        .or(created)
}

pub async fn page(
    State(web): State<Web>,
    session: Session,
    Query(params): Query<ListParams>,
) -> Result<Html<String>, PageError> {
    let caller = session.caller();
    let filter = params.filter();
    let list = app::list(&web, &caller, &filter).await.map_err(refused)?;
    // Counts for the tabs: the same filter without the status.
    let counts = app::counts(
        &web,
        &caller,
        &Filter {
            status: None,
            cursor: None,
            ..filter.clone()
        },
    )
    .await
    .map_err(refused)?;

    let several = counts
        .counts
        .iter()
        .map(|c| &c.workflow)
        .collect::<std::collections::BTreeSet<_>>()
        .len()
        > 1;
    let label_of = |workflow: &str| {
        web.app
            .workflow(workflow)
            .map(|w| w.def.label.clone())
            .unwrap_or_else(|| workflow.to_owned())
    };
    let mut tabs = vec![Tab {
        label: "All".to_owned(),
        count: counts.total,
        href: params.with_status(&params.workflow, ""),
        current: params.status.is_empty(),
    }];
    for c in &counts.counts {
        tabs.push(Tab {
            label: if several {
                format!("{}: {}", label_of(&c.workflow), c.status.label)
            } else {
                c.status.label.clone()
            },
            count: c.count,
            href: params.with_status(&c.workflow, &c.status.id),
            current: params.status == c.status.id
                && (params.workflow.is_empty() || params.workflow == c.workflow),
        });
    }

    let workflows = web
        .app
        .workflows
        .all_latest()
        .iter()
        .map(|w| Choice {
            value: w.id().to_owned(),
            label: w.def.label.clone(),
            selected: params.workflow == w.id(),
        })
        .collect();
    let statuses = match web.app.workflow(&params.workflow) {
        Some(w) => w
            .def
            .states
            .iter()
            .map(|s| Choice {
                value: s.id.clone(),
                label: s.label.clone(),
                selected: params.status == s.id,
            })
            .collect(),
        None => Vec::new(),
    };

    let ids = list
        .items
        .iter()
        .flat_map(|o| o.parties.values().cloned())
        .collect();
    let names = Names::of(&web, ids).await;
    let now = web.app.now();
    let mut rows = Vec::with_capacity(list.items.len());
    for o in &list.items {
        rows.push(row(&web, &caller, o, &names, &session, now).await?);
    }
    let here = params.with_status(&params.workflow, &params.status);
    let next = list.next_cursor.as_ref().map(|c| with_cursor(&here, c));
    let self_href = if params.cursor.is_empty() {
        here.clone()
    } else {
        with_cursor(&here, &params.cursor)
    };
    let first =
        (!params.cursor.is_empty()).then(|| params.with_status(&params.workflow, &params.status));
    html(&OrdersPage {
        layout: Layout::signed_in("Orders", &session),
        tabs,
        workflows,
        statuses,
        q: params.q.clone(),
        rows,
        next,
        first,
        filtered: filter.workflow.is_some() || filter.status.is_some() || filter.text.is_some(),
        self_href,
    })
}

async fn row(
    web: &Web,
    caller: &orderflow_app::UserCaller,
    o: &OrderSummary,
    names: &Names,
    session: &Session,
    now: DateTime<Utc>,
) -> Result<Row, PageError> {
    let history = app::history(web, caller, &o.id).await.map_err(refused)?;
    let since = status_since(&history, o.created_at);
    let parties = o
        .parties
        .values()
        .filter(|org| **org != session.user.organization)
        .map(|org| names.get(org))
        .collect::<Vec<_>>()
        .join(", ");
    Ok(Row {
        href: format!("/orders/{}", url_encode(&o.id)),
        short: short_id(&o.id).to_owned(),
        id: o.id.clone(),
        workflow: web
            .app
            .workflow(&o.workflow)
            .map(|w| w.def.label.clone())
            .unwrap_or_else(|| o.workflow.clone()),
        badge: Badge(&o.status).to_string(),
        parties,
        in_status: since.map(|t| format::age(t, now)).unwrap_or_default(),
        updated: o.updated_at.as_ref().map(format::time).unwrap_or_default(),
    })
}

pub fn refused(p: Refused) -> PageError {
    PageError::from_problem(&p)
}
