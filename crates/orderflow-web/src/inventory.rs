//! `/inventory`: a print shop's stock for its managers — the locations
//! with their bins, the purchases on order, forms to add and adjust them
//! and to record a delivery, and **Run intake check**. Every form calls the
//! application function the API calls (`orderflow_app::{inventory,
//! intake}`) and shows its answer: what was done, or the refusal.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use orderflow_api::{
    BinView, IntakeReport, NewBin, NewPurchase, NewStockLocation, PurchaseView, StockLocationView,
};
use orderflow_app::AppError;

use crate::Web;
use crate::error::{PageError, html};
use crate::layout::Layout;
use crate::posted::FormData;
use crate::session::Session;

pub struct LocationSection {
    pub location: StockLocationView,
    pub bins: Vec<BinView>,
}

#[derive(Template)]
#[template(path = "inventory.html")]
struct InventoryPage {
    layout: Layout,
    csrf: String,
    notice: Option<String>,
    problem: Option<String>,
    report: Option<IntakeReport>,
    locations: Vec<LocationSection>,
    purchases: Vec<PurchaseView>,
}

async fn render(
    web: &Web,
    session: &Session,
    outcome: Result<(String, Option<IntakeReport>), AppError>,
) -> Result<Response, PageError> {
    let caller = session.caller();
    let locations = web.app.stock_locations(&caller).await.map_err(page_error)?;
    let mut sections = Vec::with_capacity(locations.len());
    for location in locations {
        let bins = web
            .app
            .bins(&caller, Some(&location.id))
            .await
            .map_err(page_error)?;
        sections.push(LocationSection { location, bins });
    }
    let purchases = web.app.purchases(&caller).await.map_err(page_error)?;
    let mut page = InventoryPage {
        layout: Layout::signed_in("Inventory", session),
        csrf: session.csrf.clone(),
        notice: None,
        problem: None,
        report: None,
        locations: sections,
        purchases,
    };
    let status = match outcome {
        Ok((notice, report)) => {
            page.notice = (!notice.is_empty()).then_some(notice);
            page.report = report;
            StatusCode::OK
        }
        Err(e) => {
            let p = e.into_problem();
            let fields: Vec<String> = p
                .fields
                .iter()
                .flatten()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect();
            page.problem = Some(if fields.is_empty() {
                p.detail.clone()
            } else {
                fields.join("; ")
            });
            StatusCode::from_u16(p.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
        }
    };
    Ok((status, html(&page)?).into_response())
}

pub async fn page(State(web): State<Web>, session: Session) -> Result<Response, PageError> {
    render(&web, &session, Ok((String::new(), None))).await
}

fn page_error(e: AppError) -> PageError {
    PageError::from_problem(&e.into_problem())
}

fn number<T: std::str::FromStr>(field: &str, text: &str) -> Result<T, AppError> {
    text.trim()
        .parse()
        .map_err(|_| AppError::invalid(field, "a whole number"))
}

/// One of the page's forms: `location`, `bin`, `adjust`, `purchase`,
/// `receipt` or `intake`.
pub async fn submit(
    State(web): State<Web>,
    session: Session,
    Path(form): Path<String>,
    FormData { fields, .. }: FormData,
) -> Result<Response, PageError> {
    session.check_csrf(&web, &fields)?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let optional = |name: &str| Some(field(name)).filter(|v| !v.is_empty());
    let app = &web.app;
    let caller = session.caller();
    let outcome = match form.as_str() {
        "location" => {
            let req = NewStockLocation {
                id: field("id"),
                name: optional("name"),
            };
            app.create_stock_location(&caller, &req)
                .await
                .map(|l| (format!("Location {} added.", l.name), None))
        }
        "bin" => match number("quantity", &field("quantity")) {
            Ok(quantity) => {
                let req = NewBin {
                    id: field("id"),
                    sku: field("sku"),
                    quantity,
                };
                app.create_bin(&caller, &field("location"), &req)
                    .await
                    .map(|b| {
                        let text = format!(
                            "Bin {} at {}: {} × {}.",
                            b.id, b.location, b.quantity, b.sku
                        );
                        (text, None)
                    })
            }
            Err(e) => Err(e),
        },
        "adjust" => match number("delta", &field("delta")) {
            Ok(delta) => app
                .adjust_bin(&caller, &field("location"), &field("bin"), delta)
                .await
                .map(|b| {
                    let text = format!(
                        "Bin {} at {}: {} × {}.",
                        b.id, b.location, b.quantity, b.sku
                    );
                    (text, None)
                }),
            Err(e) => Err(e),
        },
        "purchase" => match number("ordered", &field("ordered")) {
            Ok(ordered) => {
                let req = NewPurchase {
                    id: field("id"),
                    location: field("location"),
                    sku: field("sku"),
                    ordered,
                    supplier: optional("supplier"),
                };
                app.create_purchase(&caller, &req).await.map(|p| {
                    (
                        format!("Purchase {} on order: {} × {}.", p.id, p.ordered, p.sku),
                        None,
                    )
                })
            }
            Err(e) => Err(e),
        },
        "receipt" => match number("quantity", &field("quantity")) {
            Ok(quantity) => app
                .receive(&caller, &field("purchase"), quantity)
                .await
                .map(|r| {
                    let text = format!("Received {quantity} of purchase {}.", r.purchase.id);
                    (text, Some(r.intake))
                }),
            Err(e) => Err(e),
        },
        "intake" => app
            .intake_on_demand(&caller, optional("location").as_deref())
            .await
            .map(|r| ("Intake check done.".to_owned(), Some(r))),
        _ => return Err(PageError::NotFound),
    };
    render(&web, &session, outcome).await
}
