//! Delivery of the outbox: the messages a change wrote in its own
//! transaction, sent after it committed, so a crash loses none and a failed
//! delivery never undoes the change.
//!
//! A deliverer claims due messages for a lease (several servers never send
//! one message at the same time), sends each, and marks it delivered, or
//! failed with a retry time that backs off exponentially, or, after
//! [`MAX_ATTEMPTS`], dead with its last error (listed for the
//! administrator). Delivery is at-least-once: a crash between sending and
//! marking sends the message again after its lease.
//!
//! An e-mail goes to the users of the notified organisation who have an
//! address and did not opt out of its kind (its template), as one
//! multipart/alternative message (the plain text and the HTML the change
//! rendered). With nobody to write to, the message is done: the in-app
//! inbox keeps it either way.
//!
//! Webhooks have their own deliverer (`webhook.rs`): a workflow's webhook
//! notifications never reach the outbox, the application turns them into
//! webhook deliveries when the change commits.

mod webhook;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use orderflow_core::mail::{EMAIL_CHANNEL, INBOX_CHANNEL};
use orderflow_store::{OutboxMessage, Store};
use serde_json::Value as Json;

pub use webhook::{WebhookDeliverer, WebhookPolicy, WebhookRound, sign};

/// Messages claimed per round.
const BATCH_MAX: u32 = 50;
/// How long a claim lasts before another deliverer may take the message.
const LEASE_SECS: u32 = 120;
/// The longest wait between two attempts.
const BACKOFF_MAX_SECS: i64 = 6 * 3600;
/// Attempts before a message is given up on (dead): with the backoff, about
/// a day and a half of trying.
pub const MAX_ATTEMPTS: u32 = 14;

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("SMTP URL is not valid: {0}")]
    SmtpUrl(String),
    #[error("sender address {0:?} is not valid")]
    From(String),
    #[error("HTTP client: {0}")]
    Http(String),
    #[error("the webhooks' CA file: {0}")]
    CaFile(String),
    #[error(transparent)]
    Store(#[from] orderflow_store::StoreError),
}

/// Why one message could not be sent (kept on the message for its next try).
#[derive(Debug, thiserror::Error)]
enum SendError {
    #[error("channel {0:?} is not delivered by this server")]
    Channel(String),
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
    /// Failed for the last time: dead.
    pub dead: u32,
}

pub struct Deliverer {
    store: Arc<dyn Store>,
    smtp: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    public_url: String,
    max_attempts: u32,
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
            max_attempts: MAX_ATTEMPTS,
        })
    }

    /// Gives a message up after `attempts` (at least one) instead of
    /// [`MAX_ATTEMPTS`].
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
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
                // A channel this deliverer does not send is never sent by
                // trying again (`workflow check` refuses such channels).
                Err(e)
                    if message.attempts >= self.max_attempts
                        || matches!(e, SendError::Channel(_)) =>
                {
                    tracing::error!(message = %message.id, order = %message.order_id, attempts = message.attempts, "delivery failed for the last time: {e}");
                    self.store
                        .outbox_dead(&message.id, &e.to_string(), now)
                        .await?;
                    round.dead += 1;
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
        if message.channel == INBOX_CHANNEL {
            // Kept in the inbox; nothing to send.
            return Ok(());
        }
        if message.channel != EMAIL_CHANNEL {
            return Err(SendError::Channel(message.channel.clone()));
        }
        let recipients = self.recipients(message).await?;
        if recipients.is_empty() {
            tracing::debug!(message = %message.id, "nobody to e-mail");
            return Ok(());
        }
        let parts = parts(message, &self.public_url);
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(parts.subject);
        for to in recipients {
            builder = builder.to(to.parse().map_err(|_| SendError::Address(to.clone()))?);
        }
        let email = builder
            .multipart(MultiPart::alternative_plain_html(parts.text, parts.html))
            .map_err(|e| SendError::Build(e.to_string()))?;
        self.smtp
            .send(email)
            .await
            .map(|_| ())
            .map_err(|e| SendError::Smtp(e.to_string()))
    }

    /// The users of the notified organisation with an address who did not
    /// opt out of this kind of message.
    async fn recipients(&self, message: &OutboxMessage) -> Result<Vec<String>, SendError> {
        let mut out = Vec::new();
        for user in self.store.users(&message.organization).await? {
            let Some(email) = user.email else { continue };
            if !self
                .store
                .email_opt_outs(&user.id)
                .await?
                .contains(&message.template)
            {
                out.push(email);
            }
        }
        Ok(out)
    }
}

/// 1 minute after the first failure, doubling up to six hours.
pub fn backoff(attempts: u32) -> chrono::Duration {
    let secs = 60i64.saturating_mul(1i64 << attempts.saturating_sub(1).min(20));
    chrono::Duration::seconds(secs.min(BACKOFF_MAX_SECS))
}

/// What an e-mail says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parts {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The subject, text and HTML the change rendered into the message; for a
/// message written before messages were rendered, what happened and the
/// link.
pub fn parts(message: &OutboxMessage, public_url: &str) -> Parts {
    let text = |key: &str| {
        message
            .payload
            .get(key)
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_owned()
    };
    if !text("subject").is_empty() {
        return Parts {
            subject: text("subject"),
            text: text("text"),
            html: text("html"),
        };
    }
    let status = match text("status_label") {
        s if s.is_empty() => text("status"),
        s => s,
    };
    let body = format!(
        "Order {} is now {status}.\n\nOpen it: {public_url}/orders/{}\n",
        message.order_id, message.order_id
    );
    Parts {
        subject: format!(
            "Order {}: {}",
            message.order_id,
            message.template.replace('_', " ")
        ),
        html: orderflow_core::mail::html_of_text(&body),
        text: body,
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

    fn message(payload: Json) -> OutboxMessage {
        OutboxMessage {
            id: "m1".into(),
            order_id: "o-42".into(),
            channel: "email".into(),
            party: "supplier".into(),
            organization: "acme".into(),
            template: "order_disputed".into(),
            payload,
            created_at: DateTime::<Utc>::default(),
            attempts: 1,
        }
    }

    #[test]
    fn an_e_mail_says_what_the_change_rendered() {
        let m =
            message(json!({"subject": "Order PO-1 is disputed", "text": "T", "html": "<p>H</p>"}));
        assert_eq!(
            parts(&m, "https://of.example"),
            Parts {
                subject: "Order PO-1 is disputed".into(),
                text: "T".into(),
                html: "<p>H</p>".into(),
            }
        );
    }

    #[test]
    fn an_unrendered_message_says_what_happened_and_links_the_order() {
        let m = message(
            json!({"workflow": "purchasing", "status": "in_dispute", "status_label": "In dispute"}),
        );
        let p = parts(&m, "https://of.example");
        assert_eq!(p.subject, "Order o-42: order disputed");
        assert_eq!(
            p.text,
            "Order o-42 is now In dispute.\n\nOpen it: https://of.example/orders/o-42\n"
        );
        assert!(
            p.html
                .contains("<a href=\"https://of.example/orders/o-42\">")
        );
    }
}
