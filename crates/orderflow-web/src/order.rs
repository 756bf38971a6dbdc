//! `/orders/{id}`: the order — parties, fields, lines and other records,
//! the status badge, the history as a timeline — and every action the
//! user may take now as a button opening a dialog with the action's form.
//! Actions blocked now that the order may still come to are shown
//! disabled with the engine's reason; actions the user's roles can never
//! take, and those the order can no longer reach, are not shown.

use std::sync::Arc;

use crate::posted::FormData;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use orderflow_api::{ActionView, HistoryEntryView, OrderView, Problem};
use orderflow_core::definition::{Action, Field, FieldKind};
use orderflow_core::diagram::svg::{self, Highlight};
use orderflow_core::engine::Workflow;
use orderflow_core::model::PartySettings;
use orderflow_core::reach::Reach;

use crate::Web;
use crate::app;
use crate::checklist;
use crate::display;
use crate::error::{PageError, html};
use crate::forms::{self, Input, Posted, Today};
use crate::layout::Layout;
use crate::list::refused;
use crate::names::{Names, order_name, short_id};
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
    /// The files the step's inputs carried, each with its input's label.
    pub files: Vec<(String, Attachment)>,
}

/// A file an order refers to, downloaded through the order
/// (`/orders/{id}/files/{file}`): images shown as thumbnails, other
/// files as a link named by the file.
pub struct Attachment {
    pub name: String,
    pub href: String,
    pub image: bool,
}

impl Attachment {
    /// The file `meta` (its stored metadata: `id`, `name`, `media_type`)
    /// of order `order`.
    fn of(order: &str, meta: &serde_json::Value) -> Option<Self> {
        let id = meta.get("id")?.as_str()?;
        Some(Attachment {
            name: meta
                .get("name")
                .and_then(serde_json::Value::as_str)
                .unwrap_or(id)
                .to_owned(),
            href: format!("/orders/{}/files/{}", url_encode(order), url_encode(id)),
            image: meta
                .get("media_type")
                .and_then(serde_json::Value::as_str)
                .is_some_and(|t| t.starts_with("image/")),
        })
    }
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage {
    layout: Layout,
    o: view::OrderPage,
    actions: Vec<ActionButton>,
    blocked: Vec<ActionButton>,
    children: Vec<ChildSection>,
    history: Vec<Timeline>,
    timers: Vec<crate::timers::TimerRow>,
    /// The workflow drawn with the order's path and where it is now.
    diagram: String,
    workflow_id: String,
}

/// Children (items, jobs) the user can act on now, by kind.
pub struct ChildSection {
    pub title: String,
    pub rows: Vec<ChildRow>,
}

pub struct ChildRow {
    pub short: String,
    pub badge: String,
    pub summary: String,
    pub actions: Vec<ActionButton>,
}

/// Children shown per kind, at most: a shop floor works job by job, and
/// the station page is where many are handled at once.
const CHILDREN_SHOWN: u32 = 50;

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
        .workflows
        .at(&view.workflow, view.workflow_version)
        .ok_or(PageError::NotFound)?;
    Ok(Loaded { view, wf, settings })
}

fn action_def<'a>(wf: &'a Workflow, id: &str) -> Option<&'a Action> {
    wf.def.action(id)
}

/// Where an action's form posts: the order's action, or a child's.
fn action_url(order: &str, child: Option<&str>, action: &str) -> String {
    match child {
        None => format!(
            "/orders/{}/actions/{}",
            url_encode(order),
            url_encode(action)
        ),
        Some(c) => format!(
            "/orders/{}/children/{}/actions/{}",
            url_encode(order),
            url_encode(c),
            url_encode(action)
        ),
    }
}

#[allow(clippy::too_many_arguments)]
fn form_for(
    web: &Web,
    l: &Loaded,
    session: &Session,
    a: &Action,
    child: Option<&str>,
    posted: &Posted<'_>,
    refusal: Option<&Problem>,
) -> ActionForm {
    let dialog_id = match child {
        None => format!("action-{}", a.id),
        Some(c) => format!(
            "action-{}-{}",
            c.chars()
                .filter(|ch| ch.is_ascii_alphanumeric() || *ch == '-')
                .collect::<String>(),
            a.id
        ),
    };
    let today = Today {
        settings: &l.settings,
        now: web.app.now(),
    };
    let records = forms::Records {
        collections: &l.wf.def.collections,
        data: &l.view.data,
    };
    let inputs = forms::inputs(&dialog_id, &a.inputs, posted, &today, Some(&records));
    let messages = refusal
        .map(|p| forms::general_messages(p, &inputs))
        .unwrap_or_default();
    ActionForm {
        label: a.label.clone(),
        description: a.description.clone(),
        post_url: action_url(&l.view.id, child, &a.id),
        dialog_id,
        csrf: session.csrf.clone(),
        version: l.view.version,
        multipart: inputs.iter().any(Input::takes_files),
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

/// The actions the user may take now, and those blocked now that this
/// order may still come to: an action available only in states the order
/// can no longer reach is not listed (when where it can go cannot be
/// decided, every action is).
fn buttons(web: &Web, l: &Loaded, session: &Session) -> (Vec<ActionButton>, Vec<ActionButton>) {
    let reach = Reach::from(&l.wf.def, &l.view.status.id);
    let mut now = Vec::new();
    let mut later = Vec::new();
    for a in &l.view.actions {
        if a.id == PRINT_ACTION || is_forbidden(a) {
            continue;
        }
        let Some(def) = action_def(&l.wf, &a.id) else {
            continue;
        };
        if !a.available && reach.as_ref().is_some_and(|r| !r.may_come_to(def)) {
            continue;
        }
        let button = ActionButton {
            label: a.label.clone(),
            reason: a
                .blocked
                .as_ref()
                .map(|p| reason(&l.wf, p))
                .unwrap_or_default(),
            reason_id: format!("why-{}", a.id),
            form: form_for(web, l, session, def, None, &Posted::default(), None),
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
    order: &OrderView,
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
            let def = match &e.child {
                None => wf.def.action(&e.action),
                Some(_) => wf
                    .def
                    .children
                    .iter()
                    .flat_map(|k| &k.actions)
                    .find(|a| a.id == e.action),
            };
            let field = |k: &str| def.and_then(|d| d.inputs.iter().find(|f| f.id == k));
            let is_files =
                |k: &str| field(k).is_some_and(|f| matches!(f.kind, FieldKind::Files { .. }));
            let files = match &e.inputs {
                serde_json::Value::Object(m) => m
                    .iter()
                    .filter(|(k, _)| is_files(k))
                    .flat_map(|(k, v)| {
                        let label = field(k).map(display::label).unwrap_or_else(|| k.clone());
                        v.as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|meta| Attachment::of(&order.id, meta))
                            .map(move |a| (label.clone(), a))
                    })
                    .collect(),
                _ => Vec::new(),
            };
            // Records a step ticked are named, not numbered.
            let ticked = def.and_then(|d| checklist::names(wf, d, &order.data));
            let named = |k: &str, v: &serde_json::Value| {
                let (_, names) = ticked.as_ref().filter(|(input, _)| input == k)?;
                let ids = v.as_array()?;
                Some(
                    ids.iter()
                        .map(|id| {
                            let id = id.to_string();
                            names.get(&id).cloned().unwrap_or_else(|| format!("#{id}"))
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            };
            let inputs = match (&e.inputs, def) {
                (serde_json::Value::Object(m), Some(def)) => m
                    .iter()
                    .filter(|(k, v)| !v.is_null() && *v != &serde_json::json!([]) && !is_files(k))
                    .map(|(k, v)| {
                        let field: Option<&Field> = def.inputs.iter().find(|f| f.id == *k);
                        (
                            field.map(display::label).unwrap_or_else(|| k.clone()),
                            named(k, v).unwrap_or_else(|| {
                                display::value(field.map(|f| &f.kind), v, currency)
                            }),
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
                what: {
                    // Automatic steps have no label: their id, spelled out.
                    let what = def.map(|d| d.label.clone()).unwrap_or_else(|| {
                        let words = e.action.replace('_', " ");
                        let mut chars = words.chars();
                        chars.next().map_or_else(String::new, |first| {
                            first.to_uppercase().chain(chars).collect()
                        })
                    });
                    match &e.child {
                        Some(c) => format!("{what} · {c}"),
                        None => what,
                    }
                },
                from: state(&e.status_before),
                to: state(&e.status_after),
                moved: e.status_before != e.status_after,
                inputs,
                files,
            }
        })
        .collect()
}

pub async fn page(
    State(web): State<Web>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    render(&web, &session, &id, None).await
}

/// The order page; `timer_refusal` is a refused change of a timer, shown
/// beside that timer's controls.
pub async fn render(
    web: &Web,
    session: &Session,
    id: &str,
    timer_refusal: Option<(&str, String)>,
) -> Result<Html<String>, PageError> {
    let l = load(web, session, id).await?;
    let history = app::history(web, &session.caller(), id)
        .await
        .map_err(refused)?;
    let mut o = view::order_page(web, &l, session).await;
    for t in &mut o.tables {
        let Some(c) = t.collection.as_deref().and_then(|c| l.wf.def.collection(c)) else {
            continue;
        };
        let records = l.view.data.get(&c.id).and_then(serde_json::Value::as_array);
        t.checklist = checklist::of(
            &l.wf,
            c,
            records.map(Vec::as_slice).unwrap_or_default(),
            (&l.view.id, l.view.version),
            &l.view.actions,
            &session.csrf,
        );
    }
    let timers = crate::timers::rows(web, session, &l, timer_refusal).await?;
    let (actions, blocked) = buttons(web, &l, session);
    let children = children(web, &l, session, o.currency.as_deref()).await?;
    let path = path_of(&history);
    let diagram = svg::order(
        &l.wf.def,
        &Highlight {
            path: &path,
            current: Some(&l.view.status.id),
        },
    );
    let history = timeline(web, &l.wf, &l.view, &history, o.currency.as_deref()).await;
    html(&OrderPage {
        layout: Layout::signed_in(o.title.clone(), session),
        o,
        actions,
        blocked,
        children,
        history,
        timers,
        diagram,
        workflow_id: l.wf.def.id.clone(),
    })
}

/// The statuses the order went through as the user's history shows them,
/// oldest first, each once per stay.
fn path_of(history: &[HistoryEntryView]) -> Vec<String> {
    let mut path: Vec<String> = Vec::new();
    for e in history {
        if path.last() != Some(&e.status_after) && !e.status_after.is_empty() {
            path.push(e.status_after.clone());
        }
    }
    path
}

/// The children of each kind with the actions the user may take on them
/// now; children with none are left out.
async fn children(
    web: &Web,
    l: &Loaded,
    session: &Session,
    currency: Option<&str>,
) -> Result<Vec<ChildSection>, PageError> {
    let caller = session.caller();
    let mut out = Vec::new();
    for kind in &l.wf.def.children {
        let list = if kind.parent == "order" {
            l.view
                .items
                .iter()
                .filter(|c| c.kind == kind.id)
                .take(CHILDREN_SHOWN as usize)
                .cloned()
                .collect()
        } else {
            app::children(web, &caller, &l.view.id, &kind.id, CHILDREN_SHOWN)
                .await
                .map_err(refused)?
        };
        let mut rows = Vec::new();
        for c in list {
            let c = app::child(web, &caller, &l.view.id, &c.id)
                .await
                .map_err(refused)?;
            let actions: Vec<ActionButton> = c
                .actions
                .iter()
                .flatten()
                .filter(|a| a.available)
                .filter_map(|a| {
                    let def = kind.actions.iter().find(|d| d.id == a.id)?;
                    Some(ActionButton {
                        label: a.label.clone(),
                        reason: String::new(),
                        reason_id: String::new(),
                        form: form_for(web, l, session, def, Some(&c.id), &Posted::default(), None),
                    })
                })
                .collect();
            if actions.is_empty() {
                continue;
            }
            let summary = kind
                .fields
                .iter()
                .filter_map(|f| {
                    let v = display::value(Some(&f.kind), c.data.get(&f.id)?, currency);
                    (!v.is_empty()).then(|| format!("{}: {v}", display::label(f)))
                })
                .collect::<Vec<_>>()
                .join(" · ");
            rows.push(ChildRow {
                short: short_id(&c.id).to_owned(),
                badge: crate::badge::Badge(&c.status).to_string(),
                summary,
                actions,
            });
        }
        if !rows.is_empty() {
            out.push(ChildSection {
                title: kind.label.clone(),
                rows,
            });
        }
    }
    Ok(out)
}

/// The action's form on a page of its own: where the button leads
/// without JavaScript.
pub async fn action_page(
    State(web): State<Web>,
    session: Session,
    Path((id, action)): Path<(String, String)>,
) -> Result<Html<String>, PageError> {
    form_page(&web, &session, &id, None, &action).await
}

/// A child's action's form on a page of its own.
pub async fn child_action_page(
    State(web): State<Web>,
    session: Session,
    Path((id, child, action)): Path<(String, String, String)>,
) -> Result<Html<String>, PageError> {
    form_page(&web, &session, &id, Some(&child), &action).await
}

async fn form_page(
    web: &Web,
    session: &Session,
    id: &str,
    child: Option<&str>,
    action: &str,
) -> Result<Html<String>, PageError> {
    let l = load(web, session, id).await?;
    let def = shown_action(web, session, &l, child, action).await?;
    let form = form_for(web, &l, session, &def, child, &Posted::default(), None);
    html(&ActionPage {
        layout: Layout::signed_in(def.label.clone(), session),
        order_href: format!("/orders/{}", url_encode(&l.view.id)),
        order_title: format!("Order {}", order_name(&l.view.id, l.view.number.as_deref())),
        form,
    })
}

/// The action (of the order, or of its child) if the page would offer it
/// to this user.
async fn shown_action(
    web: &Web,
    session: &Session,
    l: &Loaded,
    child: Option<&str>,
    action: &str,
) -> Result<Action, PageError> {
    let Some(child) = child else {
        return l
            .view
            .actions
            .iter()
            .find(|a| a.id == action && !is_forbidden(a))
            .and_then(|a| action_def(&l.wf, &a.id))
            .cloned()
            .ok_or(PageError::NotFound);
    };
    let c = app::child(web, &session.caller(), &l.view.id, child)
        .await
        .map_err(refused)?;
    c.actions
        .iter()
        .flatten()
        .find(|a| a.id == action && !is_forbidden(a))
        .and_then(|a| {
            l.wf.def
                .child_kind(&c.kind)?
                .actions
                .iter()
                .find(|d| d.id == a.id)
        })
        .cloned()
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
    form: FormData,
) -> Result<Response, PageError> {
    run(&web, &session, &headers, &id, None, &action, form).await
}

/// Runs the posted action on a child (an item, a job).
pub async fn act_on_child(
    State(web): State<Web>,
    session: Session,
    headers: HeaderMap,
    Path((id, child, action)): Path<(String, String, String)>,
    form: FormData,
) -> Result<Response, PageError> {
    run(&web, &session, &headers, &id, Some(&child), &action, form).await
}

#[allow(clippy::too_many_arguments)]
async fn run(
    web: &Web,
    session: &Session,
    headers: &HeaderMap,
    id: &str,
    child: Option<&str>,
    action: &str,
    FormData { fields, files }: FormData,
) -> Result<Response, PageError> {
    session.check_csrf(web, &fields)?;
    let l = load(web, session, id).await?;
    let def = shown_action(web, session, &l, child, action).await?;
    let version = fields
        .iter()
        .find(|(k, _)| k == "version")
        .and_then(|(_, v)| v.parse::<u64>().ok());
    let inputs = forms::read(&def.inputs, &fields);
    let order_href = format!("/orders/{}", url_encode(&l.view.id));
    let caller = session.caller();
    let outcome = app::with_files(web, &caller, &files, inputs, |inputs| {
        app::act(web, &caller, id, child, action, inputs, version)
    })
    .await;
    match outcome {
        Ok(_) => Ok(done(headers, &order_href)),
        Err(p) if matches!(p.status, 404 | 401) => Err(refused(p)),
        Err(p) => {
            let posted = Posted {
                values: &fields,
                problems: p.fields.as_deref().unwrap_or_default(),
            };
            let mut form = form_for(web, &l, session, &def, child, &posted, Some(&p));
            if p.code == "precondition_failed" {
                form.messages = vec![format!(
                    "The order changed while this form was open: {}. Reload the order to see it.",
                    p.detail
                )];
            }
            if is_htmx(headers) {
                Ok(html(&ActionFormPartial { form })?.into_response())
            } else {
                let page = ActionPage {
                    layout: Layout::signed_in(def.label.clone(), session),
                    order_href,
                    order_title: format!(
                        "Order {}",
                        order_name(&l.view.id, l.view.number.as_deref())
                    ),
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
