//! `/orders/{id}/print`: the order on one clean page for paper — parties,
//! lines, totals, status, dates, tracking, notes, work plan — with the
//! print stylesheet; `/orders/{id}/print.pdf`: the same order as an A4 PDF
//! to download; `/orders/{id}/children/{job}/label.pdf`: a shipped job's
//! shipping label. Reading any of them changes nothing.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use orderflow_docs::{OrderSheet, SheetTable};

use crate::Web;
use crate::app;
use crate::error::{PageError, html};
use crate::layout::Layout;
use crate::list::refused;
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

/// The order as the print view shows it, with its status's label and
/// when it is printed.
struct Printed {
    o: OrderPage,
    status: String,
    printed: String,
}

async fn printed(web: &Web, session: &Session, id: &str) -> Result<Printed, PageError> {
    let l = load(web, session, id).await?;
    let o = view::order_page(web, &l, session).await;
    Ok(Printed {
        o,
        status: l.view.status.label.clone(),
        printed: crate::format::time(&web.app.now()),
    })
}

pub async fn page(
    State(web): State<Web>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let p = printed(&web, &session, &id).await?;
    html(&PrintPage {
        layout: Layout::signed_in(p.o.title.clone(), &session),
        printed: p.printed,
        o: p.o,
    })
}

pub async fn pdf(
    State(web): State<Web>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let p = printed(&web, &session, &id).await?;
    let disposition = format!(r#"inline; filename="{}.pdf""#, file_name(&p.o.title));
    let body = sheet(p).pdf();
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

/// A shipped job's shipping label, the 4 × 6 in PDF the shipper prints
/// (docs/product.md, `print-production`): the API's label behind the
/// session, for whoever sees the order.
pub async fn label(
    State(web): State<Web>,
    session: Session,
    Path((id, job)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let pdf = app::shipping_label(&web, &session.caller(), &id, &job)
        .await
        .map_err(refused)?;
    let disposition = format!(r#"inline; filename="label-{}.pdf""#, file_name(&job));
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        pdf,
    )
        .into_response())
}

/// The print view's content, in its order, as the PDF's input.
fn sheet(p: Printed) -> OrderSheet {
    let o = p.o;
    let mut facts = vec![
        ("Workflow".to_owned(), o.workflow),
        ("Order id".to_owned(), o.id),
        ("Created".to_owned(), o.created),
        ("Last change".to_owned(), o.updated),
    ];
    facts.extend(o.facts);
    OrderSheet {
        footer: format!("Printed {} · version {}", p.printed, o.version),
        title: o.title,
        status: p.status,
        parties: o.parties,
        facts,
        tables: o
            .tables
            .into_iter()
            .map(|t| SheetTable {
                title: t.title,
                columns: t.columns,
                numeric: t.numeric,
                rows: t.rows,
            })
            .collect(),
    }
}

/// The title as a file name: letters, digits and dashes only, so it needs
/// no escaping in the header and is valid on every file system.
fn file_name(title: &str) -> String {
    let name: String = title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if name.is_empty() {
        "order".to_owned()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn file_names_keep_letters_digits_and_dashes() {
        assert_eq!(
            file_name("Dental lab order 0192f1c4"),
            "Dental-lab-order-0192f1c4"
        );
        assert_eq!(file_name("Zoë's \"order\" 1/2"), "Zo-s-order-1-2");
        assert_eq!(file_name("東京"), "order");
    }
}
