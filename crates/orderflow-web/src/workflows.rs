//! `/workflows`, `/workflows/{id}` and `/workflows/{id}/versions/{n}`:
//! every deployed workflow with its versions, each version drawn (SVG laid
//! out by the engine's diagram module, no external program) with its
//! states and who may take each action. Definitions are the same for every
//! organisation, so any signed-in user may read them; workflow managers
//! also get the link to the editor (`deploy.rs`).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Html;
use orderflow_core::definition::{Action, Definition};
use orderflow_core::diagram::svg::{self, Highlight};

use orderflow_app::Caller;
use orderflow_app::workflows::may_manage;

use crate::Web;
use crate::error::{PageError, html};
use crate::format;
use crate::layout::Layout;
use crate::session::Session;

/// One workflow in the list.
struct Summary {
    id: String,
    label: String,
    latest: u32,
    retired: bool,
    /// Orders per version, as `v1: 3, v2: 1`.
    orders: String,
}

#[derive(Template)]
#[template(path = "workflows.html")]
struct ListPage {
    layout: Layout,
    workflows: Vec<Summary>,
    can_manage: bool,
}

/// One deployed version in a workflow's page.
struct VersionRow {
    version: u32,
    checksum: String,
    deployed_by: String,
    deployed_at: String,
    orders: u64,
    shown: bool,
}

/// An action as the workflow page lists it.
struct ActionRow {
    label: String,
    id: String,
    from: String,
    to: String,
    by: String,
}

/// A drawing with its heading.
struct Drawing {
    title: String,
    svg: String,
}

#[derive(Template)]
#[template(path = "workflow.html")]
struct WorkflowPage {
    layout: Layout,
    label: String,
    id: String,
    version: u32,
    latest: u32,
    retired: bool,
    versions: Vec<VersionRow>,
    drawings: Vec<Drawing>,
    actions: Vec<ActionRow>,
    can_manage: bool,
}

fn refused(e: orderflow_app::AppError) -> PageError {
    PageError::from_problem(e.problem())
}

pub fn can_manage(session: &Session) -> bool {
    may_manage(&Caller::User(session.user.clone()))
}

pub async fn list(State(web): State<Web>, session: Session) -> Result<Html<String>, PageError> {
    let listed = web.app.list_workflows().await.map_err(refused)?;
    let workflows = listed
        .items
        .into_iter()
        .map(|w| Summary {
            orders: w
                .orders
                .iter()
                .map(|c| format!("v{}: {}", c.version, c.orders))
                .collect::<Vec<_>>()
                .join(", "),
            id: w.id,
            label: w.label,
            latest: w.latest_version,
            retired: w.retired,
        })
        .collect();
    html(&ListPage {
        layout: Layout::signed_in("Workflows", &session),
        workflows,
        can_manage: can_manage(&session),
    })
}

/// The latest version of a workflow.
pub async fn page(
    State(web): State<Web>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    page_at(&web, &session, &id, None).await
}

/// One version of a workflow.
pub async fn version_page(
    State(web): State<Web>,
    session: Session,
    Path((id, version)): Path<(String, u32)>,
) -> Result<Html<String>, PageError> {
    page_at(&web, &session, &id, Some(version)).await
}

async fn page_at(
    web: &Web,
    session: &Session,
    id: &str,
    version: Option<u32>,
) -> Result<Html<String>, PageError> {
    let detail = web.app.workflow_detail(id).await.map_err(refused)?;
    let version = version.unwrap_or(detail.latest_version);
    let wf = web
        .app
        .workflows
        .at(id, version)
        .ok_or(PageError::NotFound)?;
    let def = &wf.def;
    let none = Highlight::default();
    let mut drawings = vec![Drawing {
        title: "Orders".to_owned(),
        svg: svg::order(def, &none),
    }];
    for kind in &def.children {
        if let Some(drawing) = svg::child(def, &kind.id, &none) {
            drawings.push(Drawing {
                title: kind.label.clone(),
                svg: drawing,
            });
        }
    }
    let actions = def
        .actions
        .iter()
        .chain(def.children.iter().flat_map(|k| &k.actions))
        .map(|a| action_row(def, a))
        .collect();
    let versions = detail
        .versions
        .iter()
        .rev()
        .map(|v| VersionRow {
            version: v.version,
            checksum: v.checksum.chars().take(12).collect(),
            deployed_by: v.deployed_by.clone(),
            deployed_at: format::time(&v.deployed_at),
            orders: v.orders,
            shown: v.version == version,
        })
        .collect();
    html(&WorkflowPage {
        layout: Layout::signed_in(format!("{} (version {version})", def.label), session),
        label: def.label.clone(),
        id: def.id.clone(),
        version,
        latest: detail.latest_version,
        retired: detail.retired,
        versions,
        drawings,
        actions,
        can_manage: can_manage(session),
    })
}

fn action_row(def: &Definition, a: &Action) -> ActionRow {
    let state_label = |id: &str| {
        def.state(id)
            .map(|s| s.label.clone())
            .or_else(|| {
                def.children
                    .iter()
                    .flat_map(|k| &k.states)
                    .find(|s| s.id == id)
                    .map(|s| s.label.clone())
            })
            .unwrap_or_else(|| id.to_owned())
    };
    let from = if a.creates {
        "a new order".to_owned()
    } else {
        a.from
            .iter()
            .map(|f| match f.as_str() {
                "*" => "any state".to_owned(),
                other => match other.strip_prefix('!') {
                    Some(out) => format!("not {}", state_label(out)),
                    None => state_label(other),
                },
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let to = {
        let targets: Vec<String> = a.targets().into_iter().map(state_label).collect();
        if targets.is_empty() {
            "stays".to_owned()
        } else {
            targets.join(" or ")
        }
    };
    ActionRow {
        label: a.label.clone(),
        id: a.id.clone(),
        from,
        to,
        by: a.by.join(", "),
    }
}
