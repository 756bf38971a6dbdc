//! What people are told, kept for them: the in-app inbox (the e-mail
//! notifications of a user's organisation, read or not), the kinds of
//! e-mail each user opted out of, and the messages a deliverer gave up on.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{OutboxMessage, Page, Result};

/// One notification in a user's inbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxEntry {
    pub message: OutboxMessage,
    /// When this user marked it read.
    pub read_at: Option<DateTime<Utc>>,
}

/// A message its deliverer stopped trying to send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    pub message: OutboxMessage,
    pub last_error: String,
    pub dead_at: DateTime<Utc>,
}

/// The inbox, opt-outs and dead letters. A user's inbox holds the messages
/// of the channels for people
/// ([`PEOPLE_CHANNELS`](orderflow_core::mail::PEOPLE_CHANNELS)) addressed to
/// their organisation (the outbox only ever addresses a party that may see
/// the order).
#[async_trait]
pub trait Notifications {
    /// The inbox of `user` of `organization`: unread first, then newest
    /// first, continued after `cursor` (a page's `next_cursor`).
    async fn inbox(
        &self,
        user: &str,
        organization: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<InboxEntry>>;
    /// How many messages of the inbox `user` has not read.
    async fn inbox_unread(&self, user: &str, organization: &str) -> Result<u64>;
    /// Marks one message read (again is fine); `NotFound` when it is not in
    /// the inbox.
    async fn mark_read(
        &self,
        user: &str,
        organization: &str,
        message: &str,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// Marks every message of the inbox read; answers how many were unread.
    async fn mark_all_read(&self, user: &str, organization: &str, at: DateTime<Utc>)
    -> Result<u64>;

    /// The templates (kinds of message) the user gets no e-mail of, sorted.
    async fn email_opt_outs(&self, user: &str) -> Result<Vec<String>>;
    /// Replaces them; `NotFound` when the user does not exist.
    async fn set_email_opt_outs(&self, user: &str, templates: &[String]) -> Result<()>;

    /// The message is never claimed again and is kept with `error`;
    /// `NotFound` for an unknown or delivered message.
    async fn outbox_dead(&self, id: &str, error: &str, at: DateTime<Utc>) -> Result<()>;
    /// Dead messages, the latest first (at most `limit`, bounded by
    /// [`MAX_LIMIT`](crate::MAX_LIMIT)).
    async fn dead_letters(&self, limit: u32) -> Result<Vec<DeadLetter>>;
}
