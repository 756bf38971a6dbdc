//! Live pages: an open order page or orders list hears, over server-sent
//! events (htmx's SSE extension), that something it shows changed, and
//! fetches itself again (`templates/live_partial.html`). The changes come
//! from the application's subscription, so a page hears only of orders
//! its user may see.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use orderflow_app::events::Notice;
use serde::Deserialize;
use tokio_stream::{Stream, StreamExt};

use crate::Web;
use crate::error::PageError;
use crate::order::load;
use crate::session::Session;

/// The event a live page reacts to.
const CHANGED: &str = "changed";

fn changed(what: String) -> Result<Event, Infallible> {
    Ok(Event::default().event(CHANGED).data(what))
}

fn sse(
    events: impl Stream<Item = Result<Event, Infallible>> + Send + 'static,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// Any change of an order the user sees (the orders list).
pub async fn orders(
    State(web): State<Web>,
    session: Session,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    sse(web
        .app
        .subscribe(&session.caller())
        .map(|notice| match notice {
            Notice::Order(n) => changed(n.order),
            Notice::Lagged(n) => changed(format!("{n} missed")),
        }))
}

#[derive(Deserialize)]
pub struct Seen {
    #[serde(default)]
    version: u64,
}

/// Changes of one order after the version the page shows.
pub async fn order(
    State(web): State<Web>,
    session: Session,
    Path(id): Path<String>,
    Query(seen): Query<Seen>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, PageError> {
    let subscription = web.app.subscribe(&session.caller());
    // Subscribed first, then read: a change in between is not missed.
    let now = load(&web, &session, &id).await?.view.version;
    let initial = (now > seen.version).then(|| changed(now.to_string()));
    let later = subscription.filter_map(move |notice| match notice {
        Notice::Order(n) if n.order == id && n.version > seen.version => {
            Some(changed(n.version.to_string()))
        }
        Notice::Order(_) => None,
        Notice::Lagged(n) => Some(changed(format!("{n} missed"))),
    });
    Ok(sse(tokio_stream::iter(initial).chain(later)))
}
