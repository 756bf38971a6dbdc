//! `/orders/new`: a new order from a form derived from the workflow's
//! creating action (lines as an editable table), with the organisations
//! for the other party slots. The user's own organisation fills the
//! creating slot; the application decides the rest.

use crate::posted::FormData;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use orderflow_api::{FieldProblem, Problem};
use orderflow_core::engine::Workflow;
use orderflow_core::model::PartySettings;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::Web;
use crate::app;
use crate::error::{PageError, html};
use crate::forms::{self, Input, Posted, Today, Widget};
use crate::layout::Layout;
use crate::list::{Choice, refused};
use crate::order::done;
use crate::session::{Session, url_encode};

#[derive(Deserialize, Default)]
pub struct Which {
    #[serde(default)]
    workflow: String,
}

/// The create form in the shape `action_form_partial.html` draws.
pub struct CreateForm {
    pub workflow: String,
    pub label: String,
    /// The creating action's label, on the submit button.
    pub submit: String,
    pub csrf: String,
    pub multipart: bool,
    pub inputs: Vec<Input>,
    pub messages: Vec<String>,
}

#[derive(Template)]
#[template(path = "create.html")]
struct CreatePage {
    layout: Layout,
    workflows: Vec<Choice>,
    form: Option<CreateForm>,
}

/// A select of the organisations for each slot the creator does not fill.
async fn party_inputs(
    web: &Web,
    session: &Session,
    wf: &Workflow,
    posted: &Posted<'_>,
) -> Result<Vec<Input>, PageError> {
    let orgs = web.app.store.organizations().await.map_err(|e| {
        tracing::error!(error = %e, "listing organisations");
        PageError::Internal
    })?;
    let mut out = Vec::new();
    for party in wf.def.parties.iter().filter(|p| !p.creates) {
        let name = format!("parties.{}", party.id);
        let chosen = posted
            .values
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let error = posted
            .problems
            .iter()
            .find(|p| p.field == name)
            .map(|p| p.message.clone());
        out.push(Input {
            id: format!("create-parties-{}", party.id),
            name,
            label: party.label.clone(),
            widget: Widget::Select,
            required: true,
            value: chosen.clone(),
            hint: String::new(),
            error,
            min: String::new(),
            max: String::new(),
            step: String::new(),
            options: orgs
                .iter()
                .filter(|o| o.id != session.user.organization)
                .map(|o| (o.id.clone(), o.name.clone(), o.id == chosen))
                .collect(),
            accept: String::new(),
            max_files: 0,
            list: None,
            quick: Vec::new(),
        });
    }
    Ok(out)
}

async fn form(
    web: &Web,
    session: &Session,
    wf: &Workflow,
    posted: &Posted<'_>,
    refusal: Option<&Problem>,
) -> Result<CreateForm, PageError> {
    let def = wf.def.create_action().ok_or(PageError::NotFound)?;
    let mut settings = PartySettings::new();
    if let (Some(slot), Ok(Some(org))) = (
        wf.def.parties.iter().find(|p| p.creates),
        web.app.store.organization(&session.user.organization).await,
    ) {
        settings.insert(slot.id.clone(), org.settings);
    }
    let today = Today {
        settings: &settings,
        now: web.app.now(),
    };
    let mut inputs = party_inputs(web, session, wf, posted).await?;
    inputs.extend(forms::inputs("create", &def.inputs, posted, &today, None));
    let messages = refusal
        .map(|p| forms::general_messages(p, &inputs))
        .unwrap_or_default();
    Ok(CreateForm {
        workflow: wf.id().to_owned(),
        label: format!("New {} order", wf.def.label.to_lowercase()),
        submit: def.label.clone(),
        csrf: session.csrf.clone(),
        multipart: inputs.iter().any(Input::takes_files),
        inputs,
        messages,
    })
}

fn choices(web: &Web, chosen: &str) -> Vec<Choice> {
    let known = web.app.workflows.snapshot();
    known
        .values()
        .filter(|d| !d.retired)
        .filter_map(|d| d.latest())
        .filter(|w| w.def.create_action().is_some())
        .map(|w| Choice {
            value: w.id().to_owned(),
            label: w.def.label.clone(),
            selected: w.id() == chosen,
        })
        .collect()
}

pub async fn page(
    State(web): State<Web>,
    session: Session,
    Query(which): Query<Which>,
) -> Result<Response, PageError> {
    let form = match web.app.workflow(&which.workflow) {
        Some(wf) => Some(form(&web, &session, &wf, &Posted::default(), None).await?),
        None => None,
    };
    Ok(html(&CreatePage {
        layout: Layout::signed_in("New order", &session),
        workflows: choices(&web, &which.workflow),
        form,
    })?
    .into_response())
}

pub async fn submit(
    State(web): State<Web>,
    session: Session,
    headers: HeaderMap,
    FormData { fields, files }: FormData,
) -> Result<Response, PageError> {
    session.check_csrf(&web, &fields)?;
    let workflow = fields
        .iter()
        .find(|(k, _)| k == "workflow")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let wf = web.app.workflow(&workflow).ok_or(PageError::NotFound)?;
    let def = wf.def.create_action().ok_or(PageError::NotFound)?;
    let mut parties = Map::new();
    for (k, v) in &fields {
        if let Some(slot) = k.strip_prefix("parties.")
            && !v.is_empty()
        {
            parties.insert(slot.to_owned(), Value::String(v.clone()));
        }
    }
    let caller = session.caller();
    let inputs = forms::read(&def.inputs, &fields);
    let outcome = app::with_files(&web, &caller, &files, inputs, |inputs| {
        let request = json!({"workflow": workflow, "parties": parties, "inputs": inputs});
        app::create(&web, &caller, request)
    })
    .await;
    match outcome {
        Ok(order) => Ok(done(
            &headers,
            &format!("/orders/{}", url_encode(&order.id)),
        )),
        Err(p) if matches!(p.status, 404 | 401) => Err(refused(p)),
        Err(p) => {
            let problems: &[FieldProblem] = p.fields.as_deref().unwrap_or_default();
            let posted = Posted {
                values: &fields,
                problems,
            };
            let form = form(&web, &session, &wf, &posted, Some(&p)).await?;
            let page = CreatePage {
                layout: Layout::signed_in("New order", &session),
                workflows: choices(&web, &workflow),
                form: Some(form),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&page)?).into_response())
        }
    }
}
