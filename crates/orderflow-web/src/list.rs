//! `/orders`: the orders the user may see, with counts per status as tabs,
//! filters (workflow, status), text search and paging. Each row links to
//! its order and says how long it has been in its status.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use chrono::{DateTime, Utc};
use orderflow_api::{ListQuery, OrderSummary};
use serde::Deserialize;

use crate::app;
use crate::badge::Badge;
use crate::error::{PageError, html};
use crate::format;
use crate::layout::Layout;
use crate::names::{Names, order_name};
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
    party: String,
    #[serde(default)]
    created_from: String,
    #[serde(default)]
    created_to: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    cursor: String,
}

fn some(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

impl ListParams {
    fn query(&self) -> ListQuery {
        ListQuery {
            workflow: some(&self.workflow),
            status: some(&self.status),
            q: some(&self.q),
            party: some(&self.party),
            created_from: some(&self.created_from),
            created_to: some(&self.created_to),
            sort: some(&self.sort),
            cursor: some(&self.cursor),
            limit: Some(PAGE_ROWS),
            ..ListQuery::default()
        }
    }

    /// This list's URL with `status` (and the rest kept, from the first page).
    fn with_status(&self, workflow: &str, status: &str) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("workflow", workflow),
            ("status", status),
            ("q", &self.q),
            ("party", &self.party),
            ("created_from", &self.created_from),
            ("created_to", &self.created_to),
            ("sort", &self.sort),
        ] {
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
    parties: Vec<Choice>,
    sorts: Vec<Choice>,
    q: String,
    created_from: String,
    created_to: String,
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

pub async fn page(
    State(web): State<Web>,
    session: Session,
    Query(params): Query<ListParams>,
) -> Result<Html<String>, PageError> {
    let caller = session.caller();
    let query = params.query();
    let list = app::list(&web, &caller, &query).await.map_err(refused)?;
    // Counts for the tabs: the same filter without the status.
    let counts = app::counts(
        &web,
        &caller,
        &ListQuery {
            status: None,
            cursor: None,
            ..query.clone()
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

    let parties = partners(&web, &session, &params.party).await?;
    let sorts = SORTS
        .iter()
        .map(|(value, label)| Choice {
            value: (*value).to_owned(),
            label: (*label).to_owned(),
            selected: params.sort == *value,
        })
        .collect();

    let ids = list
        .items
        .iter()
        .flat_map(|o| o.parties.values().cloned())
        .collect();
    let names = Names::of(&web, ids).await;
    let now = web.app.now();
    let rows = list
        .items
        .iter()
        .map(|o| row(&web, o, &names, &session, now))
        .collect();
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
        filtered: [&query.workflow, &query.status, &query.q, &query.party]
            .iter()
            .any(|v| v.is_some())
            || query.created_from.is_some()
            || query.created_to.is_some(),
        parties,
        sorts,
        created_from: params.created_from.clone(),
        created_to: params.created_to.clone(),
        self_href,
    })
}

fn row(web: &Web, o: &OrderSummary, names: &Names, session: &Session, now: DateTime<Utc>) -> Row {
    let parties = o
        .parties
        .values()
        .filter(|org| **org != session.user.organization)
        .map(|org| names.get(org))
        .collect::<Vec<_>>()
        .join(", ");
    Row {
        href: format!("/orders/{}", url_encode(&o.id)),
        short: order_name(&o.id, o.number.as_deref()).to_owned(),
        id: o.id.clone(),
        workflow: web
            .app
            .workflow(&o.workflow)
            .map(|w| w.def.label.clone())
            .unwrap_or_else(|| o.workflow.clone()),
        badge: Badge(&o.status).to_string(),
        parties,
        in_status: o
            .status_since
            .map(|t| format::age(t, now))
            .unwrap_or_default(),
        updated: o.updated_at.as_ref().map(format::time).unwrap_or_default(),
    }
}

/// The sorts the list offers, by their `sort` value.
const SORTS: [(&str, &str); 4] = [
    ("newest", "Newest first"),
    ("oldest", "Oldest first"),
    ("updated", "Last changed first"),
    ("waiting", "Longest in status first"),
];

/// The organisations other than the user's own, for the "With" filter.
async fn partners(web: &Web, session: &Session, chosen: &str) -> Result<Vec<Choice>, PageError> {
    let orgs = web.app.store.organizations().await.map_err(|e| {
        tracing::error!(error = %e, "listing organisations");
        PageError::Internal
    })?;
    Ok(orgs
        .into_iter()
        .filter(|o| o.id != session.user.organization)
        .map(|o| Choice {
            selected: o.id == chosen,
            value: o.id,
            label: o.name,
        })
        .collect())
}

pub fn refused(p: Refused) -> PageError {
    PageError::from_problem(&p)
}
