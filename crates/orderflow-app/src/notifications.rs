//! The in-app inbox, the kinds of e-mail a user opts out of, and the
//! messages the server gave up delivering (for the administrator).
//!
//! The inbox is the outbox's messages to people, addressed to the user's
//! organisation: the outbox only ever addresses a party that may see the
//! order, so nothing reaches an inbox that its reader could not open.

use std::collections::BTreeMap;

use orderflow_api::{
    DeadLetterList, DeadLetterView, EmailKind, EmailPreferences, NotificationList, NotificationView,
};
use orderflow_store::{InboxEntry, StoreError};
use serde_json::Value as Json;

use crate::App;
use crate::admin::admin_only;
use crate::auth::{Caller, UserCaller};
use crate::error::AppError;
use crate::read::limit_within;

/// Notifications one page holds at most.
pub const INBOX_PAGE_MAX: u32 = 100;

impl App {
    /// A page of the caller's inbox: unread first, then newest first.
    pub async fn inbox(
        &self,
        caller: &UserCaller,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<NotificationList, AppError> {
        let limit = limit_within(limit, 50, INBOX_PAGE_MAX)?;
        let (user, org) = (&caller.0.id, caller.organization());
        let cursor = cursor.filter(|c| !c.is_empty());
        let page = self
            .store
            .inbox(user, org, cursor, limit)
            .await
            .map_err(|e| match e {
                // A cursor the server never gave is the client's mistake.
                StoreError::Invalid(m) => AppError::bad_request(m),
                other => other.into(),
            })?;
        Ok(NotificationList {
            items: page
                .items
                .into_iter()
                .map(|e| self.notification(e))
                .collect(),
            unread: self.store.inbox_unread(user, org).await?,
            next_cursor: page.next_cursor,
        })
    }

    /// How many notifications the caller has not read (the bell's count).
    pub async fn unread_notifications(&self, caller: &UserCaller) -> Result<u64, AppError> {
        Ok(self
            .store
            .inbox_unread(&caller.0.id, caller.organization())
            .await?)
    }

    /// Marks one of the caller's notifications read; `not_found` for one
    /// that is not theirs.
    pub async fn mark_notification_read(
        &self,
        caller: &UserCaller,
        id: &str,
    ) -> Result<(), AppError> {
        self.store
            .mark_read(&caller.0.id, caller.organization(), id, self.now())
            .await
            .map_err(|e| match e {
                orderflow_store::StoreError::NotFound(_) => AppError::not_found("notification"),
                e => e.into(),
            })
    }

    /// Marks every notification of the caller read; answers how many were
    /// unread.
    pub async fn mark_all_notifications_read(&self, caller: &UserCaller) -> Result<u64, AppError> {
        Ok(self
            .store
            .mark_all_read(&caller.0.id, caller.organization(), self.now())
            .await?)
    }

    fn notification(&self, e: InboxEntry) -> NotificationView {
        let m = e.message;
        let text = |key: &str| m.payload.get(key).and_then(Json::as_str).map(str::to_owned);
        let status = text("status").unwrap_or_default();
        let workflow = text("workflow").unwrap_or_default();
        let status_label = text("status_label")
            .or_else(|| {
                self.workflow(&workflow)
                    .map(|wf| orderflow_core::mail::state_label(&wf.def, &status).to_owned())
            })
            .unwrap_or_else(|| status.clone());
        let number = text("number").unwrap_or_else(|| m.order_id.clone());
        NotificationView {
            subject: text("subject").unwrap_or_else(|| format!("Order {number}: {status_label}")),
            text: text("text").unwrap_or_default(),
            workflow,
            href: format!("/orders/{}", m.order_id),
            order_number: number,
            status,
            status_label,
            id: m.id,
            order_id: m.order_id,
            template: m.template,
            created_at: m.created_at,
            read_at: e.read_at,
        }
    }

    /// Every kind of e-mail the workflows send (the templates they e-mail,
    /// by id), with the label of the first workflow declaring it.
    fn email_kinds(&self) -> BTreeMap<String, (String, Vec<String>)> {
        let mut kinds: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
        for wf in self.workflows.all_latest() {
            let emailed = orderflow_core::mail::emailed(&wf.def);
            for t in wf
                .def
                .templates
                .iter()
                .filter(|t| emailed.contains(t.id.as_str()))
            {
                kinds
                    .entry(t.id.clone())
                    .or_insert_with(|| (t.label.clone(), Vec::new()))
                    .1
                    .push(wf.id().to_owned());
            }
        }
        kinds
    }

    /// The kinds of e-mail the caller may get, and which they opted out of.
    pub async fn email_preferences(
        &self,
        caller: &UserCaller,
    ) -> Result<EmailPreferences, AppError> {
        let opted_out = self.store.email_opt_outs(&caller.0.id).await?;
        Ok(EmailPreferences {
            email: caller.0.email.clone(),
            kinds: self
                .email_kinds()
                .into_iter()
                .map(|(id, (label, workflows))| EmailKind {
                    opted_out: opted_out.contains(&id),
                    id,
                    label,
                    workflows,
                })
                .collect(),
        })
    }

    /// Replaces the kinds of e-mail the caller opted out of; an unknown
    /// kind is refused (`opted_out[i]`) and nothing changes.
    pub async fn set_email_opt_outs(
        &self,
        caller: &UserCaller,
        opted_out: &[String],
    ) -> Result<EmailPreferences, AppError> {
        let kinds = self.email_kinds();
        let unknown: Vec<(String, String)> = opted_out
            .iter()
            .enumerate()
            .filter(|(_, id)| !kinds.contains_key(*id))
            .map(|(i, id)| {
                (
                    format!("opted_out[{i}]"),
                    format!(
                        "\"{id}\" is not a kind of e-mail (known: {})",
                        kinds.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                )
            })
            .collect();
        if !unknown.is_empty() {
            return Err(AppError::invalid_fields(unknown));
        }
        self.store
            .set_email_opt_outs(&caller.0.id, opted_out)
            .await?;
        self.email_preferences(caller).await
    }

    /// The messages the server stopped trying to deliver, latest first
    /// (administrator only).
    pub async fn dead_letters(
        &self,
        caller: &Caller,
        limit: Option<u32>,
    ) -> Result<DeadLetterList, AppError> {
        admin_only(caller)?;
        let limit = limit_within(limit, 100, orderflow_store::MAX_LIMIT)?;
        let items = self
            .store
            .dead_letters(limit)
            .await?
            .into_iter()
            .map(|d| DeadLetterView {
                id: d.message.id,
                order_id: d.message.order_id,
                channel: d.message.channel,
                party: d.message.party,
                organization: d.message.organization,
                template: d.message.template,
                attempts: d.message.attempts,
                last_error: d.last_error,
                created_at: d.message.created_at,
                dead_at: d.dead_at,
                payload: d.message.payload,
            })
            .collect();
        Ok(DeadLetterList { items })
    }
}
