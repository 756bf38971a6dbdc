//! Messages to people, rendered when the change that sends them commits:
//! each outbox message to people (e-mail, inbox) gets its subject, text and
//! HTML from the workflow's template, with the order as the notified party
//! sees it right after the change. The deliverer and the inbox show what
//! was rendered, so a message says what happened then, however late it
//! goes out.

use std::collections::BTreeMap;

use orderflow_core::engine::Workflow;
use orderflow_core::mail::{self, Occasion, PEOPLE_CHANNELS, PartyName};
use orderflow_core::model::PartySettings;
use orderflow_store::{Commit, OutboxMessage};
use serde_json::{Value as Json, json};

use crate::App;
use crate::error::AppError;

impl App {
    /// `commit` with its messages to people rendered.
    pub(crate) async fn with_messages(
        &self,
        wf: &Workflow,
        mut commit: Commit,
    ) -> Result<Commit, AppError> {
        if !commit
            .outbox
            .iter()
            .any(|m| PEOPLE_CHANNELS.contains(&m.channel.as_str()))
        {
            return Ok(commit);
        }
        let order = &commit.order;
        let mut settings = PartySettings::new();
        let mut names = BTreeMap::new();
        for (slot, org) in &order.parties {
            if let Some(o) = self.store.organization(org).await? {
                names.insert(
                    slot.clone(),
                    PartyName {
                        organization: o.id.clone(),
                        name: o.name.clone(),
                    },
                );
                settings.insert(slot.clone(), o.settings);
            }
        }
        let link = self.order_link(&order.id);
        for message in commit
            .outbox
            .iter_mut()
            .filter(|m| PEOPLE_CHANNELS.contains(&m.channel.as_str()))
        {
            let action = text(&message.payload, "action");
            let inputs = message.payload.get("inputs").cloned().unwrap_or(Json::Null);
            let context = mail::context(
                wf,
                order,
                &settings,
                &names,
                Occasion {
                    party: &message.party,
                    action: &action,
                    inputs: &inputs,
                    link: &link,
                },
            );
            let number = context
                .pointer("/order/number")
                .cloned()
                .unwrap_or_else(|| json!(order.id));
            let status_label = mail::state_label(&wf.def, &order.status).to_owned();
            let rendered = wf
                .def
                .templates
                .iter()
                .find(|t| t.id == message.template)
                .ok_or_else(|| format!("template \"{}\" is not declared", message.template))
                .and_then(|t| mail::render(t, &context));
            let rendered = rendered.unwrap_or_else(|e| {
                // The change stands; the message says what it can.
                tracing::error!(order = %order.id, template = %message.template, "message not rendered: {e}");
                plain(message, &number, &status_label, &link)
            });
            if let Json::Object(payload) = &mut message.payload {
                payload.insert("number".into(), number);
                payload.insert("status_label".into(), json!(status_label));
                payload.insert("link".into(), json!(link));
                payload.insert("subject".into(), json!(rendered.subject));
                payload.insert("text".into(), json!(rendered.text));
                payload.insert("html".into(), json!(rendered.html));
            }
        }
        Ok(commit)
    }

    /// The absolute address of an order's page.
    pub fn order_link(&self, order_id: &str) -> String {
        format!("{}/orders/{order_id}", self.public_url)
    }
}

fn text(payload: &Json, key: &str) -> String {
    payload
        .get(key)
        .and_then(Json::as_str)
        .unwrap_or("")
        .to_owned()
}

/// A message without its template: what happened and the link.
fn plain(message: &OutboxMessage, number: &Json, status: &str, link: &str) -> mail::Rendered {
    let number = number.as_str().unwrap_or(&message.order_id);
    let text = format!("Order {number} is now {status}.\n\nOpen the order: {link}\n");
    mail::Rendered {
        subject: format!("Order {number}: {status}"),
        html: mail::html_of_text(&text),
        text,
    }
}
