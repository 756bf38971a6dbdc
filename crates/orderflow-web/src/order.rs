//! `/orders/{id}`: the order — parties, fields, lines and other records,
//! the status badge, the history as a timeline — and every action the
//! user may take now as a button opening a dialog with the action's form.
//! Actions blocked now are shown disabled with the engine's reason;
//! actions the user's roles can never take are not shown.

use std::sync::Arc;

use crate::posted::FormData;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use orderflow_api::{ActionView, HistoryEntryView, OrderView, Problem};
use orderflow_core::definition::{Action, Field};
use orderflow_core::engine::Workflow;
use orderflow_core::model::PartySettings;

use crate::Web;
use crate::app;
use crate::display;
use crate::error::{PageError, html};
use crate::forms::{self, Input, Posted, Today};
use crate::layout::Layout;
use crate::list::{refused, status_since};
use crate::names::{Names, short_id};
use crate::session::{Session, url_encode};
use crate::{format, view};

/// The action that prints: the page's **Print** link is how it is taken
/// (docs/product.md: printing is a read, not a change).
const PRINT_ACTION: &str = "print";

/// One action's form, in its dialog or on a page of its own.
pub struct ActionForm {
    pub label: String,
    pub description: String,
    pub dialog_id: String,
    pub post_url: String,
    pub csrf: String,
    pub version: u64,
    pub inputs: Vec<Input>,
    /// Refusal messages that name no field.
    pub messages: Vec<String>,
    pub multipart: bool,
}

/// An action as the page lists it.
pub struct ActionButton {
    pub label: String,
    pub reason: String,
    pub reason_id: String,
    pub form: ActionForm,
}

pub struct Timeline {
    pub when: String,
    pub who: String,
    pub what: String,
    pub from: String,
    pub to: String,
    pub moved: bool,
    pub inputs: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage {
    layout: Layout,
    o: view::OrderPage,
    actions: Vec<ActionButton>,
    blocked: Vec<ActionButton>,
    history: Vec<Timeline>,
}

#[derive(Template)]
#[template(path = "action_form_partial.html")]
struct ActionFormPartial {
    form: ActionForm,
}

#[derive(Template)]
#[template(path = "action.html")]
struct ActionPage {
    layout: Layout,
    order_href: String,
    order_title: String,
    form: ActionForm,
}

/// The order, its workflow and the settings date bounds are read in.
pub struct Loaded {
    pub view: OrderView,
    pub wf: Arc<Workflow>,
    pub settings: PartySettings,
}

pub async fn load(web: &Web, session: &Session, id: &str) -> Result<Loaded, PageError> {
    let (view, settings) = app::order(web, &session.caller(), id)
        .await
        .map_err(refused)?;
    let wf = web
        .app
        .workflow(&view.workflow)
        .cloned()
        .ok_or(PageError::NotFound)?;
    Ok(Loaded { view, wf, settings })
}

fn action_def<'a>(wf: &'a Workflow, id: &str) -> Option<&'a Action> {
    wf.def.action(id)
}

fn form_for(
    web: &Web,
    l: &Loaded,
    session: &Session,
    a: &Action,
    posted: &Posted<'_>,
    refusal: Option<&Problem>,
) -> ActionForm {
    let dialog_id = format!("action-{}", a.id);
    let today = Today {
        settings: &l.settings,
        now: web.app.now(),
    };
    let inputs = forms::inputs(&dialog_id, &a.inputs, posted, &today);
    let messages = refusal
        .map(|p| forms::general_messages(p, &inputs))
        .unwrap_or_default();
    ActionForm {
        label: a.label.clone(),
        description: a.description.clone(),
        post_url: format!(
            "/orders/{}/actions/{}",
            url_encode(&l.view.id),
            url_encode(&a.id)
        ),
        dialog_id,
        csrf: session.csrf.clone(),
        version: l.view.version,
        multipart: inputs.iter().any(|i| i.is("files")),
        inputs,
        messages,
    }
}

/// Why an action cannot be taken now, in words: the states it waits for,
/// or the rule's message.
fn reason(wf: &Workflow, p: &Problem) -> String {
    if let Some(states) = &p.available_in {
        let labels: Vec<String> = states
            .iter()
            .map(|s| {
                wf.def
                    .state(s)
                    .map(|st| st.label.clone())
                    .unwrap_or_else(|| s.clone())
            })
            .collect();
        return match labels.as_slice() {
            [] => "Not available in any state.".to_owned(),
            [one] => format!("Available when the order is {one}."),
            _ => format!("Available when the order is {}.", labels.join(", ")),
        };
    }
    p.message.clone().unwrap_or_else(|| p.detail.clone())
}

fn buttons(web: &Web, l: &Loaded, session: &Session) -> (Vec<ActionButton>, Vec<ActionButton>) {
    let mut now = Vec::new();
    let mut later = Vec::new();
    for a in &l.view.actions {
        if a.id == PRINT_ACTION || is_forbidden(a) {
            continue;
        }
        let Some(def) = action_def(&l.wf, &a.id) else {
            continue;
        };
        let button = ActionButton {
            label: a.label.clone(),
            reason: a
                .blocked
                .as_ref()
                .map(|p| reason(&l.wf, p))
                .unwrap_or_default(),
            reason_id: format!("why-{}", a.id),
            form: form_for(web, l, session, def, &Posted::default(), None),
        };
        if a.available {
            now.push(button);
        } else {
            later.push(button);
        }
    }
    (now, later)
}

/// Blocked because the user's roles do not allow it: never theirs to take.
fn is_forbidden(a: &ActionView) -> bool {
    a.blocked.as_ref().is_some_and(|p| p.code == "forbidden")
}

async fn timeline(
    web: &Web,
    wf: &Workflow,
    history: &[HistoryEntryView],
    currency: Option<&str>,
) -> Vec<Timeline> {
    let users = Names::users(web, history.iter().filter_map(|e| e.user.clone()).collect()).await;
    let orgs = Names::of(
        web,
        history
            .iter()
            .filter_map(|e| e.organization.clone())
            .collect(),
    )
    .await;
    let state = |id: &str| {
        wf.def
            .state(id)
            .map(|s| s.label.clone())
            .unwrap_or_else(|| id.to_owned())
    };
    history
        .iter()
        .rev()
        .map(|e| {
            let def = wf.def.action(&e.action);
            let inputs = match (&e.inputs, def) {
                (serde_json::Value::Object(m), Some(def)) => m
                    .iter()
                    .filter(|(_, v)| !v.is_null() && *v != &serde_json::json!([]))
                    .map(|(k, v)| {
                        let field: Option<&Field> = def.inputs.iter().find(|f| f.id == *k);
                        (
                            field.map(display::label).unwrap_or_else(|| k.clone()),
                            display::value(field.map(|f| &f.kind), v, currency),
                        )
                    })
                    .collect(),
                _ => Vec::new(),
            };
            Timeline {
                when: format::time(&e.at),
                who: match (&e.user, &e.organization) {
                    (Some(u), Some(o)) => format!("{} ({})", users.get(u), orgs.get(o)),
                    (Some(u), None) => users.get(u),
                    _ => "orderflow (automatic)".to_owned(),
                },
                what: def
                    .map(|d| d.label.clone())
                    .unwrap_or_else(|| e.action.replace('_', " ")),
                from: state(&e.status_before),
                to: state(&e.status_after),
                moved: e.status_before != e.status_after,
                inputs,
            }
        })
        .collect()
}

pub async fn page(
    State(web): State<Web>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let l = load(&web, &session, &id).await?;
    let history = app::history(&web, &session.caller(), &id)
        .await
        .map_err(refused)?;
    let o = view::order_page(
        &web,
        &l,
        &session,
        status_since(&history, l.view.created_at),
    )
    .await;
    let (actions, blocked) = buttons(&web, &l, &session);
    let history = timeline(&web, &l.wf, &history, o.currency.as_deref()).await;
    html(&OrderPage {
        layout: Layout::signed_in(o.title.clone(), &session),
        o,
        actions,
        blocked,
        history,
    })
}

/// The action's form on a page of its own: where the button leads
/// without JavaScript.
pub async fn action_page(
    State(web): State<Web>,
    session: Session,
    Path((id, action)): Path<(String, String)>,
) -> Result<Html<String>, PageError> {
    let l = load(&web, &session, &id).await?;
    let def = shown_action(&l, &action)?;
    let form = form_for(&web, &l, &session, def, &Posted::default(), None);
    html(&ActionPage {
        layout: Layout::signed_in(def.label.clone(), &session),
        order_href: format!("/orders/{}", url_encode(&l.view.id)),
        order_title: format!("Order {}", short_id(&l.view.id)),
        form,
    })
}

/// The action if the page would offer it to this user.
fn shown_action<'a>(l: &'a Loaded, action: &str) -> Result<&'a Action, PageError> {
    l.view
        .actions
        .iter()
        .find(|a| a.id == action && !is_forbidden(a))
        .and_then(|a| action_def(&l.wf, &a.id))
        .ok_or(PageError::NotFound)
}

/// Runs the posted action. Taken: back to the order. Refused: the form
/// again with the messages beside its fields — a partial for htmx, the
/// action's page otherwise — and the order unchanged.
pub async fn act(
    State(web): State<Web>,
    session: Session,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    FormData { fields, files }: FormData,
) -> Result<Response, PageError> {
    session.check_csrf(&web, &fields)?;
    let l = load(&web, &session, &id).await?;
    let def = shown_action(&l, &action)?;
    let version = fields
        .iter()
        .find(|(k, _)| k == "version")
        .and_then(|(_, v)| v.parse::<u64>().ok());
    let mut inputs = forms::read(&def.inputs, &fields);
    let order_href = format!("/orders/{}", url_encode(&l.view.id));
    let caller = session.caller();
    let refused_files = app::attach(&web, &caller, &files, &mut inputs).await;
    let outcome = if refused_files.is_empty() {
        app::act(&web, &caller, &id, &action, inputs, version).await
    } else {
        let mut p = Problem::new(422, "invalid_input", "Invalid input", "a file was refused");
        p.fields = Some(refused_files);
        Err(Box::new(p))
    };
    match outcome {
        Ok(_) => Ok(done(&headers, &order_href)),
        Err(p) if matches!(p.status, 404 | 401) => Err(refused(p)),
        Err(p) => {
            let posted = Posted {
                values: &fields,
                problems: p.fields.as_deref().unwrap_or_default(),
            };
            let mut form = form_for(&web, &l, &session, def, &posted, Some(&p));
            if p.code == "precondition_failed" {
                form.messages = vec![format!(
                    "The order changed while this form was open: {}. Reload the order to see it.",
                    p.detail
                )];
            }
            if is_htmx(&headers) {
                Ok(html(&ActionFormPartial { form })?.into_response())
            } else {
                let page = ActionPage {
                    layout: Layout::signed_in(def.label.clone(), &session),
                    order_href,
                    order_title: format!("Order {}", short_id(&l.view.id)),
                    form,
                };
                Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&page)?).into_response())
            }
        }
    }
}

pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.get("hx-request").is_some_and(|v| v == "true")
}

/// After a change: htmx loads `to` as a whole page; a plain form post is
/// redirected there.
pub fn done(headers: &HeaderMap, to: &str) -> Response {
    if is_htmx(headers) {
        let mut response = StatusCode::OK.into_response();
        if let Ok(v) = HeaderValue::from_str(to) {
            response.headers_mut().insert("hx-redirect", v);
        }
        response
    } else {
        Redirect::to(to).into_response()
    }
}
