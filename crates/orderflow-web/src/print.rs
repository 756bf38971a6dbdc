//! `/orders/{id}/print`: the order on one clean page for paper — parties,
//! lines, totals, status, dates, tracking, notes, work plan — with the
//! print stylesheet. Reading it changes nothing.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Html;

use crate::Web;
use crate::app;
use crate::error::{PageError, html};
use crate::layout::Layout;
use crate::list::{refused, status_since};
use crate::order::load;
use crate::session::Session;
use crate::view::{self, OrderPage};

#[derive(Template)]
#[template(path = "print.html")]
struct PrintPage {
    layout: Layout,
    o: OrderPage,
    printed: String,
}

pub async fn page(
    State(web): State<Web>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let l = load(&web, &session, &id).await?;
    let history = app::history(&web, &session.caller(), &id)
        .await
        .map_err(refused)?;
    let o = view::order_page(
        &web,
        &l,
        &session,
        status_since(&history, l.view.created_at),
    )
    .await;
    html(&PrintPage {
        layout: Layout::signed_in(o.title.clone(), &session),
        printed: crate::format::time(&web.app.now()),
        o,
    })
}
