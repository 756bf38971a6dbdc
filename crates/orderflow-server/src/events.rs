//! Server-sent events over the application layer's change subscription
//! ([`orderflow_app::App::subscribe`]): each subscriber gets only the
//! changes of orders its organisation may see in their new state.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use orderflow_api::ChangeNotice;
use orderflow_app::events::Notice;
use tokio_stream::Stream;
use tokio_stream::StreamExt;

use crate::AppState;
use crate::auth::AuthUser;

/// The changes the caller may see, as they commit (`event: order`, data a
/// [`ChangeNotice`]); `event: lagged` when the caller fell behind and
/// missed some.
#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    responses((status = 200, description = "text/event-stream of ChangeNotice", content_type = "text/event-stream", body = ChangeNotice)),
    security(("bearer" = [])))]
pub async fn stream(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let events = state.subscribe(&caller).filter_map(|notice| match notice {
        Notice::Order(n) => {
            let data = serde_json::to_string(&n).ok()?;
            Some(Ok(Event::default()
                .event("order")
                .id(format!("{}:{}", n.order, n.version))
                .data(data)))
        }
        Notice::Lagged(n) => Some(Ok(Event::default().event("lagged").data(n.to_string()))),
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
