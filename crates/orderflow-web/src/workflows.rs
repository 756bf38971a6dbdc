//! `/workflows` and `/workflows/{id}`: each workflow drawn (SVG laid out by
//! the engine's diagram module, no external program) with its states and
//! who may take each action. Definitions are the same for every
//! organisation, so any signed-in user may read them.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Html;
use orderflow_core::definition::{Action, Definition};
use orderflow_core::diagram::svg::{self, Highlight};

use crate::Web;
use crate::error::{PageError, html};
use crate::layout::Layout;
use crate::session::Session;

/// One workflow in the list.
struct Summary {
    id: String,
    label: String,
    states: usize,
    actions: usize,
}

#[derive(Template)]
#[template(path = "workflows.html")]
struct ListPage {
    layout: Layout,
    workflows: Vec<Summary>,
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
    drawings: Vec<Drawing>,
    actions: Vec<ActionRow>,
}

pub async fn list(State(web): State<Web>, session: Session) -> Result<Html<String>, PageError> {
    let workflows = web
        .app
        .workflows
        .all_latest()
        .iter()
        .map(|wf| Summary {
            id: wf.def.id.clone(),
            label: wf.def.label.clone(),
            states: wf.def.states.len(),
            actions: wf.def.actions.len(),
        })
        .collect();
    html(&ListPage {
        layout: Layout::signed_in("Workflows", &session),
        workflows,
    })
}

pub async fn page(
    State(web): State<Web>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let wf = web.app.workflow(&id).ok_or(PageError::NotFound)?;
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
    html(&WorkflowPage {
        layout: Layout::signed_in(def.label.clone(), &session),
        label: def.label.clone(),
        id: def.id.clone(),
        drawings,
        actions,
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
