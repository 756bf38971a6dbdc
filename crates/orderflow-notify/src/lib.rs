//! Delivery of the outbox: the messages a change wrote in its own
//! transaction, sent after it committed, so a crash loses none and a failed
//! delivery never undoes the change.
//!
//! A deliverer claims due messages for a lease (several servers never send
//! one message at the same time), sends each, and marks it delivered, or
//! failed with a retry time that backs off exponentially. Delivery is
//! at-least-once: a crash between sending and marking sends the message
//! again after its lease.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use orderflow_store::{OutboxMessage, Store};
use serde_json::Value as Json;

/// Messages claimed per round.
const BATCH_MAX: u32 = 50;
/// How long a claim lasts before another deliverer may take the message.
const LEASE_SECS: u32 = 120;
/// The longest wait between two attempts.
const BACKOFF_MAX_SECS: i64 = 6 * 3600;

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("SMTP URL is not valid: {0}")]
    SmtpUrl(String),
    #[error("sender address {0:?} is not valid")]
    From(String),
    #[error(transparent)]
    Store(#[from] orderflow_store::StoreError),
}

/// Why one message could not be sent (kept on the message for its next try).
#[derive(Debug, thiserror::Error)]
enum SendError {
    #[error("channel {0:?} is not delivered by this server")]
    Channel(String),
    #[error(
        "organisation {0} has no e-mail address: set its `email` setting or give its users one"
    )]
    NoRecipient(String),
    #[error("address {0:?} is not valid")]
    Address(String),
    #[error("could not build the message: {0}")]
    Build(String),
    #[error("SMTP: {0}")]
    Smtp(String),
    #[error(transparent)]
    Store(#[from] orderflow_store::StoreError),
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub delivered: u32,
    pub failed: u32,
}

pub struct Deliverer {
    store: Arc<dyn Store>,
    smtp: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    public_url: String,
}

impl Deliverer {
    /// `smtp_url` as lettre reads it: `smtp://host:port` (plain, for a
    /// local relay), `smtp://host?tls=required` (STARTTLS, port 587 by
    /// default), `smtps://host` (TLS, port 465); user and password in the
    /// URL (`smtp://user:password@host`).
    pub fn new(
        store: Arc<dyn Store>,
        smtp_url: &str,
        from: &str,
        public_url: &str,
    ) -> Result<Self, NotifyError> {
        let smtp = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| NotifyError::SmtpUrl(e.to_string()))?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        let from = from
            .parse()
            .map_err(|_| NotifyError::From(from.to_owned()))?;
        Ok(Self {
            store,
            smtp,
            from,
            public_url: public_url.trim_end_matches('/').to_owned(),
        })
    }

    /// Claims the messages due at `now` and sends them.
    pub async fn round(&self, now: DateTime<Utc>) -> Result<Round, NotifyError> {
        let mut round = Round::default();
        for message in self.store.claim_outbox(now, LEASE_SECS, BATCH_MAX).await? {
            match self.send(&message).await {
                Ok(()) => {
                    self.store.outbox_delivered(&message.id, now).await?;
                    round.delivered += 1;
                }
                Err(e) => {
                    let retry_at = now + backoff(message.attempts);
                    tracing::warn!(message = %message.id, order = %message.order_id, attempts = message.attempts, %retry_at, "delivery failed: {e}");
                    self.store
                        .outbox_failed(&message.id, &e.to_string(), retry_at)
                        .await?;
                    round.failed += 1;
                }
            }
        }
        Ok(round)
    }

    /// Runs rounds every `every` until `stop` fires.
    pub async fn run(self, every: Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    if let Err(e) = self.round(Utc::now()).await {
                        tracing::error!("outbox round failed: {e}");
                    }
                }
                _ = stop.changed() => return,
            }
        }
    }

    async fn send(&self, message: &OutboxMessage) -> Result<(), SendError> {
        if message.channel != "email" {
            return Err(SendError::Channel(message.channel.clone()));
        }
        let recipients = self.recipients(&message.organization).await?;
        let (subject, body) = render(message, &self.public_url);
        let mut builder = Message::builder().from(self.from.clone()).subject(subject);
        for to in recipients {
            builder = builder.to(to.parse().map_err(|_| SendError::Address(to.clone()))?);
        }
        let email = builder
            .body(body)
            .map_err(|e| SendError::Build(e.to_string()))?;
        self.smtp
            .send(email)
            .await
            .map(|_| ())
            .map_err(|e| SendError::Smtp(e.to_string()))
    }

    /// The organisation's `email` setting (a string or a list), else every
    /// user of it with an address.
    async fn recipients(&self, organization: &str) -> Result<Vec<String>, SendError> {
        let configured = self
            .store
            .organization(organization)
            .await?
            .and_then(|org| org.settings.get("email").cloned());
        let mut out: Vec<String> = match configured {
            Some(Json::String(s)) => vec![s],
            Some(Json::Array(list)) => list
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        if out.is_empty() {
            out = self
                .store
                .users(organization)
                .await?
                .into_iter()
                .filter_map(|u| u.email)
                .collect();
        }
        if out.is_empty() {
            return Err(SendError::NoRecipient(organization.to_owned()));
        }
        Ok(out)
    }
}

/// 1 minute after the first failure, doubling up to six hours.
pub fn backoff(attempts: u32) -> chrono::Duration {
    let secs = 60i64.saturating_mul(1i64 << attempts.saturating_sub(1).min(20));
    chrono::Duration::seconds(secs.min(BACKOFF_MAX_SECS))
}

/// The subject and plain-text body of a notification.
pub fn render(message: &OutboxMessage, public_url: &str) -> (String, String) {
    let text = |key: &str| {
        message
            .payload
            .get(key)
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let what = message.template.replace('_', " ");
    let status = match text("status_label") {
        s if s.is_empty() => text("status"),
        s => s,
    };
    let workflow = text("workflow");
    let subject = format!("Order {}: {what}", message.order_id);
    let mut body = format!("{}.\n\nOrder {}", capitalise(&what), message.order_id);
    if !workflow.is_empty() {
        body.push_str(&format!(" ({workflow})"));
    }
    if !status.is_empty() {
        body.push_str(&format!(" is now {status}"));
    }
    body.push_str(&format!(
        ".\n\nOpen it: {public_url}/orders/{}\n",
        message.order_id
    ));
    (subject, body)
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn backoff_doubles_from_a_minute_to_six_hours() {
        let secs: Vec<i64> = [1, 2, 3, 4, 10, 30, u32::MAX]
            .iter()
            .map(|a| backoff(*a).num_seconds())
            .collect();
        assert_eq!(secs, [60, 120, 240, 480, 6 * 3600, 6 * 3600, 6 * 3600]);
    }

    #[test]
    fn a_notification_says_what_happened_and_links_the_order() {
        let message = OutboxMessage {
            id: "m1".into(),
            order_id: "o-42".into(),
            channel: "email".into(),
            party: "supplier".into(),
            organization: "acme".into(),
            template: "order_disputed".into(),
            payload: json!({"workflow": "purchasing", "status": "in_dispute", "status_label": "In dispute"}),
            created_at: DateTime::<Utc>::default(),
            attempts: 1,
        };
        let (subject, body) = render(&message, "https://of.example");
        assert_eq!(subject, "Order o-42: order disputed");
        assert_eq!(
            body,
            "Order disputed.\n\nOrder o-42 (purchasing) is now In dispute.\n\nOpen it: https://of.example/orders/o-42\n"
        );
    }
}
