//! THE authorisation choke point for orders: every function that takes an
//! order id goes through [`App::load_visible`], so a missing order and
//! another organisation's order get the same `not_found`.

use std::sync::Arc;

use orderflow_api::OrderView;
use orderflow_core::builtins::stock::keeps_stock;
use orderflow_core::engine::{self, Memo, Workflow};
use orderflow_core::model::{Actor, Child, Order, PartySettings};

use crate::auth::UserCaller;
use crate::error::AppError;
use crate::{App, views};

/// An order the caller may see, with its workflow.
pub struct Visible {
    pub wf: Arc<Workflow>,
    pub order: Order,
}

impl App {
    /// The order, if it exists and the caller's organisation fills a slot
    /// that may see its current state; otherwise `not_found`, the same
    /// answer as for an id that never existed.
    ///
    /// `id` may also be the order's number (`DL-1042`), looked up among the
    /// orders of the caller's organisation: the one it numbered itself
    /// first, else the only one; several numbered alike by others are a
    /// `conflict` naming their ids.
    pub async fn load_visible(&self, caller: &UserCaller, id: &str) -> Result<Visible, AppError> {
        if looks_like_number(id) {
            return self.load_numbered(caller, id).await;
        }
        let v = self.load_any(id).await?;
        if !v.wf.can_see(&v.order, &caller.actor()) {
            return Err(AppError::not_found("order"));
        }
        Ok(v)
    }

    /// The visible order numbered `number` for `caller`, each candidate
    /// read once.
    async fn load_numbered(&self, caller: &UserCaller, number: &str) -> Result<Visible, AppError> {
        let mut visible = Vec::new();
        for n in self.store.numbered(number, caller.organization()).await? {
            let v = self.load_any(&n.id).await?;
            if v.wf.can_see(&v.order, &caller.actor()) {
                visible.push((n.numbered_by == caller.organization(), v));
            }
        }
        if let Some(i) = visible.iter().position(|(own, _)| *own) {
            return Ok(visible.swap_remove(i).1);
        }
        if visible.len() > 1 {
            return Err(AppError::new(
                "conflict",
                format!(
                    "several orders are numbered {number}; use one of their ids: {}",
                    visible
                        .iter()
                        .map(|(_, v)| v.order.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        visible
            .pop()
            .map(|(_, v)| v)
            .ok_or_else(|| AppError::not_found("order"))
    }

    /// The order whoever asks (the administrator, the system).
    pub(crate) async fn load_any(&self, id: &str) -> Result<Visible, AppError> {
        let not_found = || AppError::not_found("order");
        let order = self.store.order(id).await?.ok_or_else(not_found)?;
        let wf = match self.workflow_of(&order) {
            Some(wf) => wf,
            None => {
                // A version deployed by another server since the last look.
                self.workflows.refresh(&*self.store).await?;
                self.workflow_of(&order).ok_or_else(not_found)?
            }
        };
        Ok(Visible { wf, order })
    }

    /// The settings of the organisations in the order's slots, by slot.
    pub async fn party_settings(&self, order: &Order) -> Result<PartySettings, AppError> {
        let stock = self
            .workflow_of(order)
            .is_some_and(|wf| keeps_stock(&wf.def));
        let mut out = PartySettings::new();
        for (slot, org) in &order.parties {
            if let Some(o) = self.store.organization(org).await? {
                let settings = if stock {
                    self.with_stock(slot, org, o.settings).await?
                } else {
                    o.settings
                };
                out.insert(slot.clone(), settings);
            }
        }
        Ok(out)
    }

    /// The order view for `actor`: its actions now included (the computed
    /// values the request evaluated already taken from `memo`).
    pub fn view_for(
        &self,
        wf: &Workflow,
        order: &Order,
        settings: &PartySettings,
        actor: &Actor,
        memo: &mut Memo,
    ) -> Result<OrderView, AppError> {
        let (actions, value) =
            engine::available_actions_and_order(wf, order, settings, actor, self.now(), memo)?;
        let actions = views::actions(actions);
        if order.hidden_records.is_empty() {
            // Nothing was written out of a slot's sight: the order shown
            // is the one the actions were decided on, whose computed
            // values are computed already.
            let data = views::shown_data(wf, order, Ok(value));
            return Ok(views::order_with_data(wf, order, data, actions));
        }
        let slots = match actor {
            Actor::User { organization, .. } => order.slots_of(organization),
            Actor::System => order.parties.keys().cloned().collect(),
        };
        let seen = order.as_seen_by(&slots);
        Ok(views::order(wf, &seen, settings, actions))
    }

    /// The child `child_id` of a visible order: loaded with it, or stored
    /// beside it.
    pub(crate) async fn find_child(
        &self,
        order: &Order,
        child_id: &str,
    ) -> Result<Child, AppError> {
        if let Some(c) = order.child(child_id) {
            return Ok(c.clone());
        }
        self.store
            .child(&order.id, child_id)
            .await?
            .ok_or_else(|| AppError::not_found("child"))
    }
}

/// Whether `id` has the shape of an order number (`DL-1042`: a prefix of
/// capital letters or digits, a dash, digits), which no order id has.
fn looks_like_number(id: &str) -> bool {
    id.split_once('-').is_some_and(|(prefix, n)| {
        orderflow_core::definition::is_number_prefix(prefix)
            && !n.is_empty()
            && n.len() <= 18
            && n.bytes().all(|b| b.is_ascii_digit())
    })
}
