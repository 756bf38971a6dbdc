//! orderflow's web UI: pages rendered on the server from askama templates
//! compiled into the binary, htmx for partial updates, static files
//! embedded too — it works with no network and no JavaScript build step.
//!
//! The pages are a thin adapter, like the JSON API: they call the same
//! application functions ([`app`]) and render what those answer; no rule
//! of a workflow is written here. Labels on the pages are the contract of
//! docs/product.md ("Web UI"): browser tests find fields and buttons by
//! them.

mod account;
mod app;
mod assets;
mod badge;
mod camera;
mod checklist;
mod client;
mod create;
mod dashboard;
mod deploy;
mod display;
mod error;
mod files;
mod format;
mod forms;
mod inbox;
mod inventory;
mod layout;
mod list;
mod live;
mod login;
mod names;
mod order;
mod posted;
mod print;
mod session;
mod station;
mod timers;
mod view;
mod webhooks;
mod workflows;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use orderflow_app::App;

pub use client::{TrustedProxies, loopback};
pub use error::PageError;

/// What every page handler shares.
#[derive(Clone)]
pub struct Web {
    pub(crate) app: App,
    /// Whose `X-Forwarded-For` names the client of a sign-in.
    pub(crate) proxies: TrustedProxies,
}

/// The pages, under the API's own layers when merged with its router; an
/// HTML 404 page for every path they do not take.
pub fn router(app: App, proxies: TrustedProxies) -> Router {
    // A form may carry a few files (purchasing's `complete`: 3 images and
    // an invoice), each within the files API's own limit.
    let form_limit = app.limits.file_bytes_max.saturating_mul(4) + 64 * 1024;
    let web = Web { app, proxies };
    Router::new()
        .route("/", get(login::home))
        .route("/login", get(login::page).post(login::submit))
        .route("/logout", post(login::sign_out))
        .route(
            "/account",
            get(account::page).post(account::change_password),
        )
        .route("/account/email", post(account::set_email))
        .route("/inbox", get(inbox::page))
        .route("/inbox/read", post(inbox::mark_all_read))
        .route("/inbox/{id}/read", post(inbox::mark_read))
        .route("/dashboard", get(dashboard::page))
        .route("/orders", get(list::page))
        .route("/orders/live", get(live::orders))
        .route("/orders/new", get(create::page).post(create::submit))
        .route("/orders/{id}", get(order::page))
        .route("/orders/{id}/print", get(print::page))
        .route("/orders/{id}/print.pdf", get(print::pdf))
        .route("/orders/{id}/children/{job}/label.pdf", get(print::label))
        .route("/orders/{id}/live", get(live::order))
        .route("/orders/{id}/files/{file}", get(files::download))
        .route("/orders/{id}/timers/{timer}/cancel", post(timers::cancel))
        .route(
            "/orders/{id}/timers/{timer}/reschedule",
            post(timers::reschedule),
        )
        .route(
            "/orders/{id}/children/{child}/actions/{action}",
            get(order::child_action_page).post(order::act_on_child),
        )
        .route(
            "/orders/{id}/actions/{action}",
            get(order::action_page).post(order::act),
        )
        .route("/inventory", get(inventory::page))
        .route("/inventory/{form}", post(inventory::submit))
        .route("/station", get(station::page))
        .route("/station/step", post(station::step))
        .route("/station/batch", post(station::batch))
        .route("/station/photo", post(station::photo))
        .route("/webhooks", get(webhooks::list).post(webhooks::add))
        .route("/webhooks/{id}", get(webhooks::endpoint))
        .route("/webhooks/{id}/remove", post(webhooks::remove))
        .route(
            "/webhooks/{id}/deliveries/{delivery}/redeliver",
            post(webhooks::redeliver),
        )
        .route("/workflows", get(workflows::list))
        .route("/workflows/deploy", get(deploy::page).post(deploy::submit))
        .route("/workflows/{id}", get(workflows::page))
        .route(
            "/workflows/{id}/versions/{version}",
            get(workflows::version_page),
        )
        .route("/static/{*path}", get(assets::serve))
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn_with_state(
            web.clone(),
            error::with_who,
        ))
        .layer(DefaultBodyLimit::max(form_limit))
        .with_state(web)
}
