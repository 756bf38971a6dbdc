//! `/station`: the shop floor's station page, made for a phone or a
//! terminal with a barcode scanner (which types the code, then Enter).
//! One job: scan it, see it, take its next step with one large button.
//! A batch: scan many, pick one step, take it on each; one line per job.
//! A phone without a scanner: **Scan with camera** takes a photo of the
//! label, whose barcode is read on the server (`camera.rs`) and looked up
//! as if typed. The application finds the job and offers the step
//! (`App::station_job`); the engine decides each step as it does on the
//! order page.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use orderflow_api::Problem;
use orderflow_app::floor::{BatchLine, StationJob};
use orderflow_core::definition::{Action, ChildKind};
use orderflow_core::model::PartySettings;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Web;
use crate::camera;
use crate::error::{PageError, html};
use crate::forms::{self, Input, Posted, Today};
use crate::layout::Layout;
use crate::names::order_name;
use crate::posted::FormData;
use crate::session::{Session, url_encode};

/// The job as the station shows it.
pub struct JobCard {
    pub code: String,
    /// The code as people type it: the order's number for its id
    /// (`PP-1042/job-1`), when it has one.
    pub title: String,
    pub order_href: String,
    pub order_title: String,
    pub item: String,
    pub sku: String,
    pub decoration: String,
    pub badge: String,
    pub step: Option<StepForm>,
    /// Its shipping label, once it is shipped.
    pub label_href: Option<String>,
}

/// The job's next step: one large button, and the action's inputs above
/// it when it has any (a shipper's tracking number).
pub struct StepForm {
    pub action: String,
    pub label: String,
    pub inputs: Vec<Input>,
}

pub struct ResultLine {
    pub code: String,
    pub ok: bool,
    pub text: String,
}

#[derive(Template)]
#[template(path = "station.html")]
struct StationPage {
    layout: Layout,
    csrf: String,
    /// What was taken, for a screen reader and the eye (`role=status`).
    notice: Option<String>,
    /// What was refused or not found (`role=alert`).
    problem: Option<String>,
    /// Why a photo gave no code, beside the camera's field.
    photo_problem: Option<String>,
    job: Option<JobCard>,
    steps: Vec<(String, String, bool)>,
    batch_codes: String,
    results: Vec<ResultLine>,
}

impl StationPage {
    fn new(session: &Session, web: &Web) -> Self {
        let steps = web
            .app
            .station_steps(&session.caller())
            .into_iter()
            .map(|(id, label)| (id, label, false))
            .collect();
        Self {
            layout: Layout::signed_in("Shop floor", session),
            csrf: session.csrf.clone(),
            notice: None,
            problem: None,
            photo_problem: None,
            job: None,
            steps,
            batch_codes: String::new(),
            results: Vec::new(),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct Scan {
    #[serde(default)]
    job: Option<String>,
}

/// The station, with the scanned job when there is one.
pub async fn page(
    State(web): State<Web>,
    session: Session,
    Query(scan): Query<Scan>,
) -> Result<Response, PageError> {
    let mut page = StationPage::new(&session, &web);
    let Some(code) = scan.job.filter(|c| !c.trim().is_empty()) else {
        return Ok(html(&page)?.into_response());
    };
    match web.app.station_job(&session.caller(), &code).await {
        Ok(found) => {
            page.job = Some(card(&web, &found, &Posted::default()));
            Ok(html(&page)?.into_response())
        }
        Err(e) => {
            page.problem = Some(not_found_text(&code, &e.into_problem()));
            Ok((StatusCode::NOT_FOUND, html(&page)?).into_response())
        }
    }
}

/// Reads the barcode in the posted photo and finds its job exactly as if
/// the code had been typed into **Job** (a redirect to that look-up); a
/// photo without one is said beside the camera's field.
pub async fn photo(
    State(web): State<Web>,
    session: Session,
    FormData { fields, files }: FormData,
) -> Result<Response, PageError> {
    session.check_csrf(&web, &fields)?;
    let bytes = files
        .into_iter()
        .find(|f| f.field == "photo")
        .map(|f| f.bytes)
        .unwrap_or_default();
    let read = if bytes.is_empty() {
        Err("Take a photo of the job's label first.".to_owned())
    } else if bytes.len() > web.app.limits.file_bytes_max {
        Err(format!(
            "The photo is larger than {} MB: take it again at a lower resolution.",
            web.app.limits.file_bytes_max / (1024 * 1024)
        ))
    } else {
        // Decoding a photo takes CPU for a while: off the request threads.
        tokio::task::spawn_blocking(move || camera::read_code(&bytes))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "reading a photo failed");
                PageError::Internal
            })?
            .map_err(|unread| unread.to_string())
    };
    match read {
        Ok(code) => {
            Ok(Redirect::to(&format!("/station?job={}", url_encode(&code))).into_response())
        }
        Err(why) => {
            let mut page = StationPage::new(&session, &web);
            page.photo_problem = Some(why);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&page)?).into_response())
        }
    }
}

/// Takes the posted step on the posted job; the page again with what
/// happened, ready for the next scan.
pub async fn step(
    State(web): State<Web>,
    session: Session,
    FormData { fields, .. }: FormData,
) -> Result<Response, PageError> {
    session.check_csrf(&web, &fields)?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let (code, action) = (field("job"), field("action"));
    let caller = session.caller();
    let mut page = StationPage::new(&session, &web);
    let found = match web.app.station_job(&caller, &code).await {
        Ok(found) => found,
        Err(e) => {
            page.problem = Some(not_found_text(&code, &e.into_problem()));
            return Ok((StatusCode::NOT_FOUND, html(&page)?).into_response());
        }
    };
    let kind = kind_of(&web, &found);
    let def = kind
        .as_ref()
        .and_then(|k| k.actions.iter().find(|a| a.id == action));
    let inputs = def.map_or(Value::Null, |d| forms::read(&d.inputs, &fields));
    match web
        .app
        .station_step(&caller, &code, &action, inputs, None)
        .await
    {
        Ok((before, after)) => {
            let label = def.map_or(action.clone(), |d| d.label.clone());
            page.notice = Some(format!("{label} · {code}: {before} → {after}"));
            if let Ok(now) = web.app.station_job(&caller, &code).await {
                page.job = Some(card(&web, &now, &Posted::default()));
            }
            Ok(html(&page)?.into_response())
        }
        Err(e) => {
            let p = e.into_problem();
            page.problem = Some(reason(kind.as_ref(), &p));
            let posted = Posted {
                values: &fields,
                problems: p.fields.as_deref().unwrap_or_default(),
            };
            page.job = Some(card(&web, &found, &posted));
            let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::CONFLICT);
            Ok((status, html(&page)?).into_response())
        }
    }
}

/// Takes one step on every scanned job; a line per job.
pub async fn batch(
    State(web): State<Web>,
    session: Session,
    FormData { fields, .. }: FormData,
) -> Result<Response, PageError> {
    session.check_csrf(&web, &fields)?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (codes_text, action) = (field("jobs"), field("step"));
    let mut codes: Vec<String> = Vec::new();
    for code in codes_text.split(|c: char| c.is_whitespace() || c == ',') {
        if !code.is_empty() && !codes.iter().any(|c| c == code) {
            codes.push(code.to_owned());
        }
    }
    let mut page = StationPage::new(&session, &web);
    page.batch_codes = codes_text;
    for (id, _, selected) in &mut page.steps {
        *selected = *id == action;
    }
    if codes.is_empty() {
        page.problem = Some("Scan at least one job into Jobs.".to_owned());
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&page)?).into_response());
    }
    let caller = session.caller();
    let lines = match web
        .app
        .station_batch(&caller, &codes, &action, &json!({}))
        .await
    {
        Ok(lines) => lines,
        Err(e) => {
            page.problem = Some(e.detail().to_owned());
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&page)?).into_response());
        }
    };
    let label = page
        .steps
        .iter()
        .find(|(id, _, _)| *id == action)
        .map_or(action.clone(), |(_, l, _)| l.clone());
    let mut refused = 0;
    for BatchLine { code, outcome } in lines {
        page.results.push(match outcome {
            Ok((before, after)) => ResultLine {
                code,
                ok: true,
                text: format!("{label}: {before} → {after}"),
            },
            Err(p) => {
                refused += 1;
                let kind = match web.app.station_job(&caller, &code).await {
                    Ok(found) => kind_of(&web, &found),
                    Err(_) => None,
                };
                ResultLine {
                    text: format!("Refused: {}", reason(kind.as_ref(), &p)),
                    code,
                    ok: false,
                }
            }
        });
    }
    let taken = page.results.len() - refused;
    page.notice = Some(format!("{label}: {taken} taken, {refused} refused."));
    Ok(html(&page)?.into_response())
}

/// The job's kind in the version of its workflow its order runs under.
fn kind_of(web: &Web, found: &StationJob) -> Option<ChildKind> {
    web.app
        .workflows
        .at(&found.workflow, found.workflow_version)?
        .def
        .child_kind(&found.job.kind)
        .cloned()
}

fn card(web: &Web, found: &StationJob, posted: &Posted<'_>) -> JobCard {
    let data = |key: &str| {
        found
            .job
            .data
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let item = found
        .parent
        .as_ref()
        .map(|p| format!("{} ({})", p.id, p.status.label))
        .unwrap_or_default();
    JobCard {
        code: found.code.clone(),
        title: match &found.number {
            Some(n) => format!("{n}/{}", found.job.id),
            None => found.code.clone(),
        },
        order_href: format!("/orders/{}", url_encode(&found.order)),
        order_title: match &found.reference {
            Some(r) => format!(
                "Order {} · {r}",
                order_name(&found.order, found.number.as_deref())
            ),
            None => format!(
                "Order {}",
                order_name(&found.order, found.number.as_deref())
            ),
        },
        item,
        sku: data("sku"),
        decoration: data("decoration"),
        badge: crate::badge::Badge(&found.job.status).to_string(),
        step: found.next.as_ref().map(|a| step_form(web, a, posted)),
        label_href: found
            .job
            .data
            .as_object()
            .and_then(orderflow_app::label::shipped_with)
            .map(|_| {
                format!(
                    "/orders/{}/children/{}/label.pdf",
                    url_encode(&found.order),
                    url_encode(&found.job.id)
                )
            }),
    }
}

fn step_form(web: &Web, a: &Action, posted: &Posted<'_>) -> StepForm {
    // No date inputs among job steps need a party's time zone; the order
    // page's forms read them where they do.
    let settings = PartySettings::new();
    let today = Today {
        settings: &settings,
        now: web.app.now(),
    };
    StepForm {
        action: a.id.clone(),
        label: a.label.clone(),
        inputs: forms::inputs("station", &a.inputs, posted, &today, None),
    }
}

/// A refusal in words: the job states the step waits for, or the rule's
/// message, or the detail.
fn reason(kind: Option<&ChildKind>, p: &Problem) -> String {
    if let Some(states) = &p.available_in {
        let labels: Vec<String> = states
            .iter()
            .map(|s| {
                kind.and_then(|k| k.states.iter().find(|st| st.id == *s))
                    .map_or_else(|| s.clone(), |st| st.label.clone())
            })
            .collect();
        return format!("Available when the job is {}.", labels.join(", "));
    }
    p.message.clone().unwrap_or_else(|| p.detail.clone())
}

fn not_found_text(code: &str, p: &Problem) -> String {
    if p.status == 404 {
        format!("No job {code} here: check the code and scan it again.")
    } else {
        p.detail.clone()
    }
}
