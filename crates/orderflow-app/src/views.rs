//! Engine and store records as the view types of `orderflow-api`: the
//! read model the JSON API answers and the web UI renders.

use orderflow_api::{
    ActionView, ChildView, HistoryEntryView, OrderSummary, OrderView, OrganizationView, StatusView,
    UserView,
};
use orderflow_core::definition::State;
use orderflow_core::engine::{Availability, Workflow, vars};
use orderflow_core::model::{Child, Order, PartySettings};
use orderflow_core::money;
use orderflow_core::rejection::Rejection;
use orderflow_store::{HistoryEntry, Organization, User};
use serde_json::Value as Json;

use crate::error::rejection_problem;

fn state_view(states: &[State], id: &str) -> StatusView {
    match states.iter().find(|s| s.id == id) {
        Some(s) => StatusView {
            id: s.id.clone(),
            label: s.label.clone(),
            color: s.color.clone(),
            marker: s.marker.clone(),
            is_final: s.is_final,
        },
        None => StatusView {
            id: id.to_owned(),
            label: id.to_owned(),
            color: "#6b7280".to_owned(),
            marker: None,
            is_final: false,
        },
    }
}

/// An order status as people see it.
pub fn status(wf: &Workflow, id: &str) -> StatusView {
    state_view(&wf.def.states, id)
}

/// A status of a workflow this server does not know.
pub fn child_status_unknown(id: &str) -> StatusView {
    state_view(&[], id)
}

/// A child status as people see it.
pub fn child_status(wf: &Workflow, kind: &str, id: &str) -> StatusView {
    match wf.def.child_kind(kind) {
        Some(k) => state_view(&k.states, id),
        None => state_view(&[], id),
    }
}

pub fn actions(list: Vec<Availability>) -> Vec<ActionView> {
    list.into_iter()
        .map(|a| ActionView {
            available: a.blocked.is_none(),
            blocked: a.blocked.as_ref().map(rejection_problem),
            id: a.action,
            label: a.label,
            inputs: a.inputs,
        })
        .collect()
}

pub fn child(wf: &Workflow, c: &Child, actions: Option<Vec<ActionView>>) -> ChildView {
    ChildView {
        id: c.id.clone(),
        kind: c.kind.clone(),
        parent: c.parent.clone(),
        seq: c.seq,
        status: child_status(wf, &c.kind, &c.status),
        version: c.version,
        data: Json::Object(money::shown_child(wf.def.child_kind(&c.kind), &c.data)),
        counts: c.counts.clone(),
        actions,
    }
}

/// The order's data with its computed values, amounts as decimal text;
/// the stored data alone when a computed value cannot be evaluated
/// (logged). The currency and the order's own members are not repeated.
pub fn data(wf: &Workflow, order: &Order, settings: &PartySettings) -> Json {
    shown_data(wf, order, vars::order_value(wf, order, settings))
}

/// [`data`] from the order's value as expressions read it, when the
/// caller has it already.
pub fn shown_data(wf: &Workflow, order: &Order, value: Result<Json, Rejection>) -> Json {
    let mut value = match value {
        Ok(Json::Object(value)) => value,
        Ok(_) => order.data.clone(),
        Err(e) => {
            tracing::error!(order = %order.id, error = %e, "computed values failed");
            order.data.clone()
        }
    };
    for key in [
        "id",
        "status",
        "version",
        "created_at",
        "updated_at",
        money::CURRENCY_FIELD,
    ] {
        value.remove(key);
    }
    money::shown_order(&wf.def, &mut value);
    Json::Object(value)
}

/// The currency of an order (the default for orders from before orders
/// carried one).
pub fn currency(order: &Order) -> String {
    order
        .data
        .get(money::CURRENCY_FIELD)
        .and_then(Json::as_str)
        .unwrap_or(money::DEFAULT_CURRENCY)
        .to_owned()
}

pub fn order(
    wf: &Workflow,
    order: &Order,
    settings: &PartySettings,
    actions: Vec<ActionView>,
) -> OrderView {
    order_with_data(wf, order, data(wf, order, settings), actions)
}

/// [`order`] with its [`data`] already shown.
pub fn order_with_data(
    wf: &Workflow,
    order: &Order,
    data: Json,
    actions: Vec<ActionView>,
) -> OrderView {
    OrderView {
        id: order.id.clone(),
        number: order.number.clone(),
        workflow: order.workflow.clone(),
        workflow_version: order.workflow_version,
        status: status(wf, &order.status),
        status_since: order.status_since,
        version: order.version,
        parties: order.parties.clone(),
        currency: currency(order),
        data,
        items: order.children.iter().map(|c| child(wf, c, None)).collect(),
        counts: order.counts.clone(),
        actions,
        created_at: order.created_at,
        updated_at: order.updated_at,
        created_orders: Vec::new(),
        follow_up_problems: Vec::new(),
        timers: Vec::new(),
    }
}

pub fn summary(wf: Option<&Workflow>, order: &Order) -> OrderSummary {
    OrderSummary {
        id: order.id.clone(),
        number: order.number.clone(),
        workflow: order.workflow.clone(),
        status_since: order.status_since,
        status: match wf {
            Some(wf) => status(wf, &order.status),
            None => state_view(&[], &order.status),
        },
        version: order.version,
        parties: order.parties.clone(),
        created_at: order.created_at,
        updated_at: order.updated_at,
    }
}

/// One history entry; with its workflow, the amounts in its inputs and
/// events read as decimal text.
pub fn history(wf: Option<&Workflow>, e: &HistoryEntry) -> HistoryEntryView {
    HistoryEntryView {
        seq: e.seq,
        version: e.version,
        at: e.at,
        user: e.user.clone(),
        organization: e.organization.clone(),
        user_name: e.user_name.clone(),
        organization_name: e.organization_name.clone(),
        action: e.step.action.clone(),
        automatic: e.step.automatic,
        child: e.step.child.clone(),
        inputs: match wf {
            Some(wf) => money::shown_step_inputs(&wf.def, &e.step),
            None => e.step.inputs.clone(),
        },
        status_before: e.step.status_before.clone(),
        status_after: e.step.status_after.clone(),
        events: e
            .step
            .events
            .iter()
            .filter_map(|ev| {
                let raw = serde_json::to_value(ev).ok()?;
                Some(match wf {
                    Some(wf) => money::shown_event(&wf.def, ev, raw),
                    None => raw,
                })
            })
            .collect(),
    }
}

pub fn organization(o: &Organization) -> OrganizationView {
    OrganizationView {
        id: o.id.clone(),
        name: o.name.clone(),
        settings: o.settings.clone(),
        created_at: o.created_at,
    }
}

pub fn user(u: &User) -> UserView {
    UserView {
        id: u.id.clone(),
        name: u.name.clone(),
        organization: u.organization.clone(),
        roles: u.roles.clone(),
        email: u.email.clone(),
        created_at: u.created_at,
    }
}
