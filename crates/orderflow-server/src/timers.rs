//! Timer and schedule routes: an order's timers (list, cancel, reschedule)
//! and the declared schedules with their runs.

use axum::Json;
use axum::extract::State;
use orderflow_api::{Problem, RescheduleTimer, ScheduleList, TimerList, TimerView};
use orderflow_app::Body;

use crate::AppState;
use crate::auth::{Auth, AuthUser};
use crate::body::RawJson;
use crate::extract::P;
use crate::problem::ApiError;

/// The order's timers, by due time.
#[utoipa::path(get, path = "/api/v1/orders/{id}/timers", tag = "timers",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = TimerList),
        (status = 404, description = "no such order, or not yours", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    P(id): P<String>,
) -> Result<Json<TimerList>, ApiError> {
    Ok(Json(state.timers(&caller, &id).await?))
}

/// Cancels a pending timer: it will not fire.
#[utoipa::path(delete, path = "/api/v1/orders/{id}/timers/{timer}", tag = "timers",
    params(("id" = String, Path), ("timer" = String, Path)),
    responses(
        (status = 200, description = "the timer, canceled", body = TimerView),
        (status = 403, description = "the timer's `by` does not name the caller", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such order or timer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the timer is not pending", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn cancel(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    P((id, timer)): P<(String, String)>,
) -> Result<Json<TimerView>, ApiError> {
    Ok(Json(state.cancel_timer(&caller, &id, &timer).await?))
}

/// Moves a pending timer to another time.
#[utoipa::path(patch, path = "/api/v1/orders/{id}/timers/{timer}", tag = "timers",
    params(("id" = String, Path), ("timer" = String, Path)),
    request_body = RescheduleTimer,
    responses(
        (status = 200, description = "the timer at its new time", body = TimerView),
        (status = 403, description = "the timer's `by` does not name the caller", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such order or timer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the timer is not pending", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`at` is not an RFC 3339 time", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn reschedule(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    P((id, timer)): P<(String, String)>,
    RawJson(bytes): RawJson,
) -> Result<Json<TimerView>, ApiError> {
    Ok(Json(
        state
            .reschedule_timer(&caller, &id, &timer, Body::Json(&bytes))
            .await?,
    ))
}

/// The workflows' schedules as this deployment runs them, with their runs
/// (any signed-in caller).
#[utoipa::path(get, path = "/api/v1/schedules", tag = "timers",
    responses((status = 200, body = ScheduleList)),
    security(("bearer" = [])))]
pub async fn schedules(
    State(state): State<AppState>,
    Auth(_): Auth,
) -> Result<Json<ScheduleList>, ApiError> {
    Ok(Json(state.schedules(&state.scheduler).await?))
}
