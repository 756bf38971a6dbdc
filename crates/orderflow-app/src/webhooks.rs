//! Webhook endpoints of an organisation, managed by its `admin` users, and
//! the deliveries every change writes to them in its own transaction
//! (docs/webhooks.md).
//!
//! Every committed change of an order tells each endpoint of each
//! organisation taking part in it whose filter matches, unless none of the
//! organisation's slots may see the order now: an order a party cannot see
//! is never mentioned to it, nor is a status it could not see (the previous
//! status is then `null`). A workflow's `notify` with `channel = "webhook"`
//! becomes an `order.notification` to the notified party's endpoints.

use std::collections::BTreeSet;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use orderflow_api::{CreateWebhook, WebhookCreated, WebhookDeliveryView, WebhookView};
use orderflow_core::engine::{Change, Workflow};
use orderflow_core::model::Order;
use orderflow_store::{Commit, User, WebhookDelivery, WebhookEndpoint};
use serde_json::{Value as Json, json};

use crate::App;
use crate::auth::Caller;
use crate::error::AppError;

/// The event types, in the order a filter lists them.
pub const EVENT_TYPES: &[&str] = &[
    "order.created",
    "order.status_changed",
    "order.updated",
    "order.notification",
];

/// The outbox channel a workflow's `notify` names to reach webhooks.
pub const CHANNEL: &str = "webhook";

/// Deliveries listed at most per request.
const DELIVERIES_MAX: u32 = 200;

/// The caller as an `admin` user of its organisation.
fn admin_user(caller: &Caller) -> Result<&User, AppError> {
    match caller {
        Caller::User(u) if u.roles.iter().any(|r| r == "admin") => Ok(u),
        Caller::User(_) => Err(AppError::forbidden(
            "webhooks are managed by the organisation's admin role",
        )),
        Caller::Admin => Err(AppError::forbidden(
            "webhooks belong to an organisation: use a token of one of its admins",
        )),
    }
}

/// A new signing secret: `whsec_` and 32 random bytes in base64.
fn new_secret() -> Result<String, AppError> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| AppError::internal("no randomness", e))?;
    Ok(format!("whsec_{}", BASE64.encode(key)))
}

/// Whether `url` is an absolute `http` or `https` URL with a host and no
/// spaces.
fn url_ok(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
    url.len() <= 2000
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
        && host.is_some_and(|h| !h.is_empty() && !h.starts_with(':'))
}

pub fn view(e: &WebhookEndpoint) -> WebhookView {
    WebhookView {
        id: e.id.clone(),
        organization: e.organization.clone(),
        url: e.url.clone(),
        workflows: e.workflows.clone(),
        events: e.events.clone(),
        actions: e.actions.clone(),
        created_at: e.created_at,
    }
}

pub fn delivery_view(d: &WebhookDelivery) -> WebhookDeliveryView {
    WebhookDeliveryView {
        id: d.id.clone(),
        webhook: d.endpoint.clone(),
        order_id: d.order_id.clone(),
        event: d.event.clone(),
        state: d.state().to_owned(),
        attempts: d.attempts,
        created_at: d.created_at,
        next_attempt_at: d.next_attempt_at,
        delivered_at: d.delivered_at,
        dead_at: d.dead_at,
        last_error: d.last_error.clone(),
        payload: d.payload.clone(),
    }
}

impl App {
    /// Adds an endpoint to the caller's organisation (its admins); the
    /// answer shows the signing secret this once.
    pub async fn create_webhook(
        &self,
        caller: &Caller,
        req: CreateWebhook,
    ) -> Result<WebhookCreated, AppError> {
        let user = admin_user(caller)?;
        let mut wrong = Vec::new();
        if !url_ok(&req.url) {
            wrong.push((
                "url".to_owned(),
                "an absolute http:// or https:// URL with a host, at most 2000 characters"
                    .to_owned(),
            ));
        }
        for w in &req.workflows {
            if self.workflow(w).is_none() {
                wrong.push(("workflows".to_owned(), format!("no workflow {w:?}")));
            }
        }
        for e in &req.events {
            if !EVENT_TYPES.contains(&e.as_str()) {
                wrong.push((
                    "events".to_owned(),
                    format!("no event type {e:?} (known: {})", EVENT_TYPES.join(", ")),
                ));
            }
        }
        for a in &req.actions {
            let known = self
                .workflows
                .all_versions()
                .iter()
                .filter(|wf| req.workflows.is_empty() || req.workflows.iter().any(|w| w == wf.id()))
                .any(|wf| wf.def.actions.iter().any(|d| &d.id == a));
            if !known {
                wrong.push((
                    "actions".to_owned(),
                    format!("no action {a:?} in these workflows"),
                ));
            }
        }
        if !wrong.is_empty() {
            return Err(AppError::invalid_fields(wrong));
        }
        let endpoint = WebhookEndpoint {
            id: uuid::Uuid::now_v7().to_string(),
            organization: user.organization.clone(),
            url: req.url,
            secret: new_secret()?,
            workflows: req.workflows,
            events: req.events,
            actions: req.actions,
            created_at: self.now(),
        };
        self.store.create_webhook(&endpoint).await?;
        Ok(WebhookCreated {
            webhook: view(&endpoint),
            secret: endpoint.secret,
        })
    }

    /// The caller's organisation's endpoints (its admins).
    pub async fn webhooks(&self, caller: &Caller) -> Result<Vec<WebhookView>, AppError> {
        let user = admin_user(caller)?;
        let list = self.store.webhooks(&user.organization).await?;
        Ok(list.iter().map(view).collect())
    }

    /// One endpoint of the caller's organisation; another's is missing.
    async fn own_webhook(&self, caller: &Caller, id: &str) -> Result<WebhookEndpoint, AppError> {
        let user = admin_user(caller)?;
        self.store
            .webhook(id)
            .await?
            .filter(|e| e.organization == user.organization)
            .ok_or_else(|| AppError::not_found("webhook"))
    }

    pub async fn webhook(&self, caller: &Caller, id: &str) -> Result<WebhookView, AppError> {
        Ok(view(&self.own_webhook(caller, id).await?))
    }

    /// Removes an endpoint and its deliveries.
    pub async fn delete_webhook(&self, caller: &Caller, id: &str) -> Result<(), AppError> {
        let endpoint = self.own_webhook(caller, id).await?;
        self.store.delete_webhook(&endpoint.id).await?;
        Ok(())
    }

    /// An endpoint's deliveries, newest first, with their attempts and
    /// last error.
    pub async fn webhook_deliveries(
        &self,
        caller: &Caller,
        id: &str,
        limit: Option<u32>,
    ) -> Result<Vec<WebhookDeliveryView>, AppError> {
        let endpoint = self.own_webhook(caller, id).await?;
        let limit = limit.unwrap_or(50).clamp(1, DELIVERIES_MAX);
        let list = self.store.webhook_deliveries(&endpoint.id, limit).await?;
        Ok(list.iter().map(delivery_view).collect())
    }

    /// Sends a delivery again (whatever its state), as soon as a
    /// deliverer runs, with a fresh attempt limit.
    pub async fn redeliver_webhook(
        &self,
        caller: &Caller,
        webhook: &str,
        delivery: &str,
    ) -> Result<WebhookDeliveryView, AppError> {
        let endpoint = self.own_webhook(caller, webhook).await?;
        let found = self
            .store
            .webhook_delivery(delivery)
            .await?
            .filter(|d| d.endpoint == endpoint.id)
            .ok_or_else(|| AppError::not_found("webhook delivery"))?;
        self.store.redeliver_webhook(&found.id, self.now()).await?;
        let after = self
            .store
            .webhook_delivery(&found.id)
            .await?
            .unwrap_or(found);
        Ok(delivery_view(&after))
    }

    /// Puts into `commit` a delivery per matching endpoint of every
    /// organisation in the order that may see it, and turns the outbox's
    /// `webhook` notifications into deliveries to the notified party's
    /// endpoints.
    pub(crate) async fn add_webhooks(
        &self,
        wf: &Workflow,
        change: &Change,
        commit: &mut Commit,
    ) -> Result<(), AppError> {
        let order = &commit.order;
        let (notifications, outbox) = std::mem::take(&mut commit.outbox)
            .into_iter()
            .partition(|m| m.channel == CHANNEL);
        commit.outbox = outbox;
        let organizations: BTreeSet<&String> = order.parties.values().collect();
        let first = change.steps.first();
        let action = first.map(|s| s.action.as_str()).unwrap_or("");
        let before = first.map(|s| s.status_before.as_str()).unwrap_or("");
        let event = if commit.expected_version == 0 {
            "order.created"
        } else if before != order.status {
            "order.status_changed"
        } else {
            "order.updated"
        };
        let mut out = Vec::new();
        for organization in organizations {
            let slots: Vec<&String> = order
                .parties
                .iter()
                .filter(|(_, o)| *o == organization)
                .map(|(slot, _)| slot)
                .collect();
            if !slots
                .iter()
                .any(|slot| wf.slot_sees_now(&order.status, &order.seen_by, slot))
            {
                continue;
            }
            let endpoints = self.store.webhooks(organization).await?;
            if endpoints.is_empty() {
                continue;
            }
            let saw_before =
                commit.expected_version > 0 && slots.iter().any(|slot| wf.slot_sees(before, slot));
            let data = data(order, action, saw_before.then_some(before), change);
            for e in endpoints
                .iter()
                .filter(|e| matches(e, order, event, action))
            {
                out.push(delivery(e, order, event, data.clone(), change));
            }
            for n in notifications
                .iter()
                .filter(|n| &n.organization == organization)
            {
                let mut data = data.clone();
                data["template"] = json!(n.template);
                data["party"] = json!(n.party);
                for e in endpoints
                    .iter()
                    .filter(|e| matches(e, order, "order.notification", action))
                {
                    out.push(delivery(
                        e,
                        order,
                        "order.notification",
                        data.clone(),
                        change,
                    ));
                }
            }
        }
        commit.webhooks = out;
        Ok(())
    }
}

fn matches(e: &WebhookEndpoint, order: &Order, event: &str, action: &str) -> bool {
    let any_or = |list: &[String], value: &str| list.is_empty() || list.iter().any(|v| v == value);
    any_or(&e.workflows, &order.workflow) && any_or(&e.events, event) && any_or(&e.actions, action)
}

/// What every endpoint of one organisation is told about the change.
fn data(order: &Order, action: &str, previous: Option<&str>, change: &Change) -> Json {
    json!({
        "order_id": order.id,
        // The short number people use, once the order has one.
        "number": order.data.get("number"),
        "workflow": order.workflow,
        "previous_status": previous,
        "status": order.status,
        "version": order.version,
        "action": action,
        "child": change.steps.first().and_then(|s| s.child.clone()),
    })
}

fn delivery(
    e: &WebhookEndpoint,
    order: &Order,
    event: &str,
    data: Json,
    change: &Change,
) -> WebhookDelivery {
    let id = format!("msg_{}", uuid::Uuid::now_v7().simple());
    WebhookDelivery {
        payload: json!({
            "id": id,
            "type": event,
            "timestamp": change.at,
            "data": data,
        }),
        id,
        endpoint: e.id.clone(),
        organization: e.organization.clone(),
        order_id: order.id.clone(),
        event: event.to_owned(),
        created_at: change.at,
        retrying_since: None,
        attempts: 0,
        next_attempt_at: Some(change.at),
        delivered_at: None,
        dead_at: None,
        last_error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_need_a_scheme_and_a_host() {
        for good in [
            "http://127.0.0.1:8080/hook",
            "https://example.com",
            "https://h/p?q=1",
        ] {
            assert!(url_ok(good), "{good}");
        }
        for bad in [
            "ftp://x",
            "http://",
            "https:///p",
            "http://a b",
            "example.com",
            "",
        ] {
            assert!(!url_ok(bad), "{bad}");
        }
    }
}
