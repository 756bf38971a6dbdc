//! An order's timers as its users see them: listed with the order,
//! cancelled or rescheduled by the parties the timer's `by` names, and only
//! while pending. Cancelling or rescheduling a timer is not a change of the
//! order: no version, no history entry (the timer's row keeps when it was
//! last changed).

use chrono::{DateTime, Utc};
use orderflow_api::{OrderView, RescheduleTimer, TimerList, TimerView};
use orderflow_core::engine::{Workflow, may_manage_timer};
use orderflow_core::model::{Actor, Order};
use orderflow_store::{OrderTimer, StoreError, TimerStatus};

use crate::App;
use crate::auth::UserCaller;
use crate::error::AppError;
use crate::json::Body;

fn view(wf: &Workflow, order: &Order, actor: &Actor, t: OrderTimer) -> TimerView {
    let label = wf
        .def
        .timers
        .iter()
        .find(|d| d.id == t.timer)
        .map_or_else(|| t.timer.clone(), |d| d.label.clone());
    TimerView {
        can_manage: t.status == TimerStatus::Pending
            && may_manage_timer(wf, order, actor, &t.timer),
        label,
        status: t.status.as_str().to_owned(),
        timer: t.timer,
        action: t.action,
        due_at: t.due_at,
        set_at: t.set_at,
        updated_at: t.updated_at,
        last_error: t.last_error,
    }
}

impl App {
    /// The order with its timers: what `GET /api/v1/orders/{id}` answers.
    pub async fn order_with_timers(
        &self,
        caller: &UserCaller,
        id: &str,
    ) -> Result<OrderView, AppError> {
        let mut order = self.order(caller, id).await?;
        order.timers = self.timers(caller, id).await?.items;
        Ok(order)
    }

    /// The order's timers, by due time.
    pub async fn timers(&self, caller: &UserCaller, id: &str) -> Result<TimerList, AppError> {
        let v = self.load_visible(caller, id).await?;
        let actor = caller.actor();
        let items = self
            .store
            .order_timers(id)
            .await?
            .into_iter()
            .map(|t| view(&v.wf, &v.order, &actor, t))
            .collect();
        Ok(TimerList { items })
    }

    /// Cancels the order's pending timer `timer`.
    pub async fn cancel_timer(
        &self,
        caller: &UserCaller,
        id: &str,
        timer: &str,
    ) -> Result<TimerView, AppError> {
        self.manage_timer(caller, id, timer, None).await
    }

    /// Moves the order's pending timer `timer` to the time `body` names
    /// (`{"at": "<RFC 3339>"}`), read once the order is known to be the
    /// caller's, so a stranger learns nothing from a malformed body.
    pub async fn reschedule_timer(
        &self,
        caller: &UserCaller,
        id: &str,
        timer: &str,
        body: Body<'_>,
    ) -> Result<TimerView, AppError> {
        self.load_visible(caller, id).await?;
        let req: RescheduleTimer = serde_json::from_value(body.value()?)
            .map_err(|e| AppError::invalid("at", e.to_string()))?;
        self.manage_timer(caller, id, timer, Some(req.at)).await
    }

    async fn manage_timer(
        &self,
        caller: &UserCaller,
        id: &str,
        timer: &str,
        at: Option<DateTime<Utc>>,
    ) -> Result<TimerView, AppError> {
        let v = self.load_visible(caller, id).await?;
        let actor = caller.actor();
        let current = self
            .store
            .order_timers(id)
            .await?
            .into_iter()
            .find(|t| t.timer == timer)
            .ok_or_else(|| AppError::not_found("timer"))?;
        if !may_manage_timer(&v.wf, &v.order, &actor, timer) {
            let by =
                v.wf.def
                    .timers
                    .iter()
                    .find(|t| t.id == timer)
                    .map(|t| t.by.join(", "))
                    .unwrap_or_default();
            return Err(AppError::forbidden(format!(
                "only {by} may cancel or reschedule timer {timer}"
            )));
        }
        let not_pending = |status: TimerStatus| {
            AppError::new(
                "conflict",
                format!(
                    "timer {timer} is {}: only a pending timer can be cancelled or rescheduled",
                    status.as_str()
                ),
            )
        };
        if current.status != TimerStatus::Pending {
            return Err(not_pending(current.status));
        }
        let now = self.now();
        let done = match at {
            None => self.store.cancel_timer(id, timer, now).await,
            Some(at) => self.store.reschedule_timer(id, timer, at, now).await,
        };
        if let Err(StoreError::NotFound(_)) = done {
            // It fired or was cleared between the read and the write.
            let status = self
                .store
                .order_timers(id)
                .await?
                .into_iter()
                .find(|t| t.timer == timer)
                .map_or(TimerStatus::Canceled, |t| t.status);
            return Err(not_pending(status));
        }
        done?;
        let after = self
            .store
            .order_timers(id)
            .await?
            .into_iter()
            .find(|t| t.timer == timer)
            .ok_or_else(|| AppError::not_found("timer"))?;
        Ok(view(&v.wf, &v.order, &actor, after))
    }
}
