//! `/webhooks`: an organisation's admins add, list and remove its webhook
//! endpoints (the signing secret shown once, after adding), and on
//! `/webhooks/{id}` read an endpoint's deliveries and send one again. The
//! application's webhook functions decide everything; refusals show
//! beside their fields.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use orderflow_api::{CreateWebhook, WebhookDeliveryView, WebhookView};
use orderflow_app::{AppError, Caller};

use crate::Web;
use crate::error::{PageError, html};
use crate::layout::Layout;
use crate::posted::FormData;
use crate::session::Session;

#[derive(Template)]
#[template(path = "webhooks.html")]
struct ListPage {
    layout: Layout,
    webhooks: Vec<WebhookView>,
    /// What the add form was sent with, to show it again after a refusal.
    url: String,
    workflows: String,
    events: String,
    actions: String,
    errors: Vec<(String, String)>,
    /// The endpoint just added and its secret, shown this once.
    added: Option<(String, String)>,
    event_types: &'static [&'static str],
}

impl ListPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

#[derive(Template)]
#[template(path = "webhook.html")]
struct EndpointPage {
    layout: Layout,
    webhook: WebhookView,
    deliveries: Vec<WebhookDeliveryView>,
}

fn caller(session: &Session) -> Caller {
    Caller::User(session.user.clone())
}

fn refused(e: &AppError) -> PageError {
    PageError::from_problem(e.problem())
}

async fn list_page(web: &Web, session: &Session) -> Result<ListPage, PageError> {
    let webhooks = web
        .app
        .webhooks(&caller(session))
        .await
        .map_err(|e| refused(&e))?;
    Ok(ListPage {
        layout: Layout::signed_in("Webhooks", session),
        webhooks,
        url: String::new(),
        workflows: String::new(),
        events: String::new(),
        actions: String::new(),
        errors: Vec::new(),
        added: None,
        event_types: orderflow_app::webhooks::EVENT_TYPES,
    })
}

pub async fn list(State(web): State<Web>, session: Session) -> Result<Response, PageError> {
    Ok(html(&list_page(&web, &session).await?)?.into_response())
}

/// A list typed as words separated by commas or spaces.
fn words(text: &str) -> Vec<String> {
    text.split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

pub async fn add(
    State(web): State<Web>,
    session: Session,
    FormData { fields, .. }: FormData,
) -> Result<Response, PageError> {
    session.check_csrf(&web, &fields)?;
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let req = CreateWebhook {
        url: get("url").trim().to_owned(),
        workflows: words(&get("workflows")),
        events: words(&get("events")),
        actions: words(&get("actions")),
    };
    let created = web.app.create_webhook(&caller(&session), req).await;
    let mut page = list_page(&web, &session).await?;
    match created {
        Ok(created) => {
            page.added = Some((created.webhook.url, created.secret));
            Ok((StatusCode::CREATED, html(&page)?).into_response())
        }
        Err(e) if e.status() == 422 => {
            page.url = get("url");
            page.workflows = get("workflows");
            page.events = get("events");
            page.actions = get("actions");
            page.errors = e
                .fields()
                .iter()
                .map(|f| (f.field.clone(), f.message.clone()))
                .collect();
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&page)?).into_response())
        }
        Err(e) => Err(refused(&e)),
    }
}

pub async fn remove(
    State(web): State<Web>,
    session: Session,
    Path(id): Path<String>,
    FormData { fields, .. }: FormData,
) -> Result<Response, PageError> {
    session.check_csrf(&web, &fields)?;
    web.app
        .delete_webhook(&caller(&session), &id)
        .await
        .map_err(|e| refused(&e))?;
    Ok(Redirect::to("/webhooks").into_response())
}

pub async fn endpoint(
    State(web): State<Web>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let who = caller(&session);
    let webhook = web.app.webhook(&who, &id).await.map_err(|e| refused(&e))?;
    let deliveries = web
        .app
        .webhook_deliveries(&who, &id, Some(100))
        .await
        .map_err(|e| refused(&e))?;
    let page = EndpointPage {
        layout: Layout::signed_in("Webhook deliveries", &session),
        webhook,
        deliveries,
    };
    Ok(html(&page)?.into_response())
}

pub async fn redeliver(
    State(web): State<Web>,
    session: Session,
    Path((id, delivery)): Path<(String, String)>,
    FormData { fields, .. }: FormData,
) -> Result<Response, PageError> {
    session.check_csrf(&web, &fields)?;
    web.app
        .redeliver_webhook(&caller(&session), &id, &delivery)
        .await
        .map_err(|e| refused(&e))?;
    Ok(Redirect::to(&format!("/webhooks/{}", crate::session::url_encode(&id))).into_response())
}
