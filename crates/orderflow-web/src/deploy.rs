//! `/workflows/deploy`: a workflow manager writes, pastes or uploads a
//! definition, checks it — every problem by line and column, the same
//! checker as `orderflow workflow check` and the API's — sees the diagram
//! of what they wrote, and deploys it as a new version. Checking and
//! deploying are the application's (`orderflow_app::workflows`).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use orderflow_api::DefinitionProblem;
use orderflow_app::Caller;
use orderflow_app::workflows::compile;
use orderflow_core::diagram::svg::{self, Highlight};
use serde::Deserialize;

use crate::Web;
use crate::error::{PageError, html};
use crate::layout::Layout;
use crate::posted::FormData;
use crate::session::Session;
use crate::workflows::can_manage;

#[derive(Template)]
#[template(path = "deploy.html")]
struct DeployPage {
    layout: Layout,
    definition: String,
    problems: Vec<DefinitionProblem>,
    /// The drawing of a definition that passed its check.
    diagram: Option<String>,
    notice: Option<String>,
    /// The deployed workflow's page, after a deployment.
    deployed: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct From {
    /// A workflow whose latest definition fills the editor.
    #[serde(default)]
    from: Option<String>,
}

fn manager(session: &Session) -> Result<(), PageError> {
    if can_manage(session) {
        Ok(())
    } else {
        Err(PageError::Forbidden(
            "Deploying workflows needs the workflow_admin role.".to_owned(),
        ))
    }
}

fn empty(session: &Session, definition: String) -> DeployPage {
    DeployPage {
        layout: Layout::signed_in("Deploy a workflow", session),
        definition,
        problems: Vec::new(),
        diagram: None,
        notice: None,
        deployed: None,
    }
}

pub async fn page(
    State(web): State<Web>,
    session: Session,
    Query(from): Query<From>,
) -> Result<Response, PageError> {
    manager(&session)?;
    let definition = match from.from.as_deref().filter(|f| !f.is_empty()) {
        Some(id) => {
            web.app
                .workflow_detail(id)
                .await
                .map_err(|e| PageError::from_problem(e.problem()))?
                .definition
        }
        None => String::new(),
    };
    Ok(html(&empty(&session, definition))?.into_response())
}

/// `intent=check` shows the problems or the diagram; `intent=deploy`
/// deploys a clean definition. An uploaded file replaces the text.
pub async fn submit(
    State(web): State<Web>,
    session: Session,
    FormData { fields, files }: FormData,
) -> Result<Response, PageError> {
    session.check_csrf(&web, &fields)?;
    manager(&session)?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let definition = match files.into_iter().find(|f| f.field == "file") {
        Some(upload) => match String::from_utf8(upload.bytes) {
            Ok(text) => text,
            Err(_) => {
                let mut page = empty(&session, String::new());
                page.problems = vec![DefinitionProblem {
                    line: 1,
                    column: 1,
                    message: format!("{} is not UTF-8 text", upload.file_name),
                }];
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&page)?).into_response());
            }
        },
        None => field("definition"),
    };
    let mut page = empty(&session, definition);
    let wf = match compile("definition", &page.definition) {
        Ok(wf) => wf,
        Err(e) => {
            page.problems = e.problem().problems.clone().unwrap_or_default();
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&page)?).into_response());
        }
    };
    page.diagram = Some(svg::order(&wf.def, &Highlight::default()));
    if field("intent") != "deploy" {
        page.notice = Some(format!("{} ({}) passes its check.", wf.def.label, wf.id()));
        return Ok(html(&page)?.into_response());
    }
    let caller = Caller::User(session.user.clone());
    match web
        .app
        .deploy_workflow(&caller, wf.id(), &page.definition)
        .await
    {
        Ok(d) => {
            page.notice = Some(if d.changed {
                format!("Deployed {} version {}.", d.id, d.version)
            } else {
                format!("{} version {} is this definition already.", d.id, d.version)
            });
            page.deployed = Some(format!("/workflows/{}", d.id));
            Ok(html(&page)?.into_response())
        }
        Err(e) => {
            let p = e.problem();
            page.problems = p.problems.clone().unwrap_or_else(|| {
                vec![DefinitionProblem {
                    line: 1,
                    column: 1,
                    message: p.detail.clone(),
                }]
            });
            page.diagram = None;
            let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::CONFLICT);
            Ok((status, html(&page)?).into_response())
        }
    }
}
