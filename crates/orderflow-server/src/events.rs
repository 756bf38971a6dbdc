//! Server-sent events: after each commit the change is broadcast; each
//! subscriber gets only the changes of orders its organisation may see in
//! their new state.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use orderflow_api::ChangeNotice;
use orderflow_core::model::Order;
use tokio_stream::Stream;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;

use crate::AppState;
use crate::auth::UserCaller;

/// A committed change, as broadcast to subscribers.
#[derive(Debug, Clone)]
pub struct Change {
    /// The order after the change (parties and status decide who sees it).
    pub order: std::sync::Arc<Order>,
}

/// Tells subscribers about a committed change. Nobody listening is fine.
pub fn publish(state: &AppState, order: &Order) {
    let _ = state.changes.send(Change {
        order: std::sync::Arc::new(Order {
            // Subscribers need identity, parties and status only.
            data: Default::default(),
            children: Vec::new(),
            counts: Default::default(),
            next_ids: Default::default(),
            ..order.clone()
        }),
    });
}

/// The changes the caller may see, as they commit (`event: order`, data a
/// [`ChangeNotice`]); `event: lagged` when the caller fell behind and
/// missed some.
#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    responses((status = 200, description = "text/event-stream of ChangeNotice", content_type = "text/event-stream", body = ChangeNotice)),
    security(("bearer" = [])))]
pub async fn stream(
    State(state): State<AppState>,
    caller: UserCaller,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let actor = caller.actor();
    let workflows = state.workflows.clone();
    let rx = state.changes.subscribe();
    let events = BroadcastStream::new(rx).filter_map(move |item| match item {
        Ok(change) => {
            let order = &change.order;
            let wf = workflows.get(&order.workflow)?;
            if !wf.can_see(order, &actor) {
                return None;
            }
            let notice = ChangeNotice {
                order: order.id.clone(),
                workflow: order.workflow.clone(),
                version: order.version,
                status: order.status.clone(),
            };
            let data = serde_json::to_string(&notice).ok()?;
            Some(Ok(Event::default()
                .event("order")
                .id(format!("{}:{}", order.id, order.version))
                .data(data)))
        }
        Err(tokio_stream::wrappers::errors::BroadcastStreamRecvError::Lagged(n)) => {
            Some(Ok(Event::default().event("lagged").data(n.to_string())))
        }
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
