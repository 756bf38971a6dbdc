//! An order's pending timers on its page (docs/scheduler.md): what the
//! system will do and when, in the viewer's time zone, with **Cancel
//! timer** and **Reschedule** for the parties the timer's `by` names.
//! Both go through the application functions under the API's timer
//! routes (`App::cancel_timer`, `App::reschedule_timer`), which decide who
//! may; the page only offers the controls where the application says
//! `can_manage`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use chrono_tz::Tz;
use orderflow_app::Body;
use orderflow_core::engine::inputs::TIME_ZONE_SETTING;
use serde_json::json;

use crate::Web;
use crate::error::PageError;
use crate::list::refused;
use crate::order;
use crate::posted::FormData;
use crate::session::{Session, url_encode};

/// A pending timer as the order page lists it.
pub struct TimerRow {
    pub label: String,
    /// The action's label.
    pub action: String,
    /// When it fires, in the viewer's time zone.
    pub due: String,
    pub can_manage: bool,
    pub cancel_url: String,
    pub reschedule_url: String,
    /// The element id of its **New time** field.
    pub input_id: String,
    /// The field's value: the due time as `datetime-local` reads it.
    pub value: String,
    /// The viewer's time zone, which **New time** is read in.
    pub zone: String,
    pub csrf: String,
    /// A refused cancel or reschedule of this timer.
    pub error: Option<String>,
}

/// The viewer's time zone: their organisation's `time_zone` setting,
/// else UTC.
async fn zone(web: &Web, session: &Session) -> Tz {
    match web.app.store.organization(&session.user.organization).await {
        Ok(Some(org)) => org
            .settings
            .get(TIME_ZONE_SETTING)
            .and_then(serde_json::Value::as_str)
            .and_then(|z| z.parse::<Tz>().ok())
            .unwrap_or(Tz::UTC),
        Ok(None) => Tz::UTC,
        Err(e) => {
            tracing::warn!(error = %e, "reading the viewer's time zone");
            Tz::UTC
        }
    }
}

/// The order's pending timers; `refusal` (a timer id and the message) is
/// shown beside that timer.
pub async fn rows(
    web: &Web,
    session: &Session,
    l: &order::Loaded,
    refusal: Option<(&str, String)>,
) -> Result<Vec<TimerRow>, PageError> {
    let id = &l.view.id;
    let list = web
        .app
        .timers(&session.caller(), id)
        .await
        .map_err(|e| refused(Box::new(e.into_problem())))?;
    let tz = zone(web, session).await;
    let base = format!("/orders/{}/timers", url_encode(id));
    Ok(list
        .items
        .into_iter()
        .filter(|t| t.status == "pending")
        .map(|t| {
            let local = t.due_at.with_timezone(&tz);
            TimerRow {
                action: l
                    .wf
                    .def
                    .action(&t.action)
                    .map_or_else(|| t.action.replace('_', " "), |a| a.label.clone()),
                due: local.format("%-d %b %Y, %H:%M %Z").to_string(),
                can_manage: t.can_manage,
                cancel_url: format!("{base}/{}/cancel", url_encode(&t.timer)),
                reschedule_url: format!("{base}/{}/reschedule", url_encode(&t.timer)),
                input_id: format!("timer-{}-at", t.timer),
                value: local.format("%Y-%m-%dT%H:%M").to_string(),
                zone: tz.name().to_owned(),
                csrf: session.csrf.clone(),
                error: refusal
                    .as_ref()
                    .filter(|(timer, _)| *timer == t.timer)
                    .map(|(_, m)| m.clone()),
                label: t.label,
            }
        })
        .collect())
}

/// `POST /orders/{id}/timers/{timer}/cancel`.
pub async fn cancel(
    State(web): State<Web>,
    session: Session,
    Path((id, timer)): Path<(String, String)>,
    FormData { fields, .. }: FormData,
) -> Result<Response, PageError> {
    session.check_csrf(&web, &fields)?;
    let done = web.app.cancel_timer(&session.caller(), &id, &timer).await;
    answer(&web, &session, &id, &timer, done.map(|_| ())).await
}

/// `POST /orders/{id}/timers/{timer}/reschedule` with `at`, a local date
/// and time (`2026-03-02T09:00`) in the viewer's time zone.
pub async fn reschedule(
    State(web): State<Web>,
    session: Session,
    Path((id, timer)): Path<(String, String)>,
    FormData { fields, .. }: FormData,
) -> Result<Response, PageError> {
    session.check_csrf(&web, &fields)?;
    let typed = fields
        .iter()
        .find(|(k, _)| k == "at")
        .map(|(_, v)| v.trim())
        .unwrap_or_default();
    let Some(at) = local_time(typed, zone(&web, &session).await) else {
        let message = format!("{typed:?} is not a date and time: choose both.");
        return refusal_page(&web, &session, &id, &timer, message, 422).await;
    };
    let body = json!({"at": at.to_rfc3339_opts(SecondsFormat::Secs, true)});
    let done = web
        .app
        .reschedule_timer(&session.caller(), &id, &timer, Body::Value(body))
        .await;
    answer(&web, &session, &id, &timer, done.map(|_| ())).await
}

/// `2026-03-02T09:00` (seconds optional) in `tz`; the earlier of two
/// readings when clocks go back, none for a time skipped when they go
/// forward or for text that is no date and time.
fn local_time(text: &str, tz: Tz) -> Option<DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// Back to the order when it went through; the order page with the
/// message beside the timer when it was refused.
async fn answer(
    web: &Web,
    session: &Session,
    id: &str,
    timer: &str,
    done: Result<(), orderflow_app::AppError>,
) -> Result<Response, PageError> {
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/orders/{}", url_encode(id))).into_response()),
        Err(e) => {
            // A stranger's order reads as missing: the page is the 404.
            let p = e.into_problem();
            let message = p
                .fields
                .as_ref()
                .and_then(|f| f.first())
                .map_or_else(|| p.detail.clone(), |f| f.message.clone());
            refusal_page(web, session, id, timer, message, p.status).await
        }
    }
}

/// The order page with `message` beside the timer, answered with the
/// refusal's own status (403 for a user who may not, 409 for a timer no
/// longer pending, 422 for a time that is none).
async fn refusal_page(
    web: &Web,
    session: &Session,
    id: &str,
    timer: &str,
    message: String,
    status: u16,
) -> Result<Response, PageError> {
    let page = order::render(web, session, id, Some((timer, message))).await?;
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    Ok((status, page).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_time_is_read_in_the_viewers_zone() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap_or(Tz::UTC);
        assert_eq!(
            local_time("2026-03-02T09:00", berlin).map(|t| t.to_rfc3339()),
            Some("2026-03-02T08:00:00+00:00".to_owned())
        );
        assert_eq!(
            local_time("2026-07-02T09:00:30", berlin).map(|t| t.to_rfc3339()),
            Some("2026-07-02T07:00:30+00:00".to_owned())
        );
        // Clocks go forward at 02:00 on 29 March 2026: 02:30 never happens.
        assert_eq!(local_time("2026-03-29T02:30", berlin), None);
        assert_eq!(local_time("tomorrow", Tz::UTC), None);
    }
}
