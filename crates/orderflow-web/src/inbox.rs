//! `/inbox`: the signed-in user's notifications (the application's inbox:
//! unread first, then newest), each linking to its order, with "Mark read"
//! per message and "Mark all read"; the bell in the header counts the
//! unread ones.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use orderflow_api::{InboxQuery, NotificationView};

use crate::Web;
use crate::error::{PageError, html};
use crate::format;
use crate::layout::Layout;
use crate::posted::FormData;
use crate::session::Session;

/// One notification as the page lists it.
struct Line {
    id: String,
    subject: String,
    href: String,
    status: String,
    at: String,
    unread: bool,
}

impl From<NotificationView> for Line {
    fn from(n: NotificationView) -> Self {
        Line {
            at: format::time(&n.created_at),
            unread: n.read_at.is_none(),
            id: n.id,
            subject: n.subject,
            href: n.href,
            status: n.status_label,
        }
    }
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    layout: Layout,
    lines: Vec<Line>,
    unread: u64,
    /// The next page, when there is one.
    older: Option<String>,
}

pub async fn page(
    State(web): State<Web>,
    session: Session,
    Query(query): Query<InboxQuery>,
) -> Result<Response, PageError> {
    let list = web
        .app
        .inbox(&session.caller(), query.cursor.as_deref(), query.limit)
        .await
        .map_err(|e| PageError::from_problem(e.problem()))?;
    let page = InboxPage {
        layout: Layout::signed_in("Notifications", &session),
        unread: list.unread,
        older: list.next_cursor.map(|c| format!("/inbox?cursor={c}")),
        lines: list.items.into_iter().map(Line::from).collect(),
    };
    Ok(html(&page)?.into_response())
}

pub async fn mark_all_read(
    State(web): State<Web>,
    session: Session,
    FormData { fields, .. }: FormData,
) -> Result<Response, PageError> {
    session.check_csrf(&web, &fields)?;
    web.app
        .mark_all_notifications_read(&session.caller())
        .await
        .map_err(|e| PageError::from_problem(e.problem()))?;
    Ok(Redirect::to("/inbox").into_response())
}

pub async fn mark_read(
    State(web): State<Web>,
    session: Session,
    Path(id): Path<String>,
    FormData { fields, .. }: FormData,
) -> Result<Response, PageError> {
    session.check_csrf(&web, &fields)?;
    web.app
        .mark_notification_read(&session.caller(), &id)
        .await
        .map_err(|e| PageError::from_problem(e.problem()))?;
    Ok(Redirect::to("/inbox").into_response())
}
