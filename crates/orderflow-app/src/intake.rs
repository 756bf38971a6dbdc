//! The intake check of `print-production` (`[[schedules]] fifo_intake`):
//! the jobs waiting at each location of each shop, oldest first (by their
//! order's creation, then the job's own order), through the pure
//! `builtins::intake::run`, its decisions taken as the system's job actions
//! (`pass_intake` with the bin or purchase, `tie_to_purchase`), each its
//! own change.
//!
//! Stock here is the shop's `locations[].stock` setting (SKU → units): one
//! bin per location and SKU, named `{location}/{sku}`, and no purchases. A
//! unit a job takes is taken off the setting once the job passed. This
//! function is the one place the scheduler and on-demand runs call, so
//! stock kept as records replaces only its body.

use std::collections::BTreeMap;

use orderflow_core::builtins::intake::{self, Bin, Decision, IntakeJob, Inventory, JobIntakeState};
use orderflow_core::model::{Child, Order};
use orderflow_store::{MAX_LIMIT, OrderFilter, visibility, visibility_once_seen};
use serde_json::{Value, json};

use crate::App;
use crate::error::AppError;

/// The workflow whose jobs intake serves.
pub const WORKFLOW: &str = "print-production";

/// Order statuses whose jobs may still wait for intake.
const ORDER_STATUSES: [&str; 2] = ["intake_hold", "open"];

/// What one intake check did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IntakeReport {
    /// Jobs looked at.
    pub jobs: usize,
    /// Jobs that passed intake (`order/job`), in the order they passed.
    pub passed: Vec<String>,
    /// Jobs tied to a purchase.
    pub tied: Vec<String>,
    /// Jobs left waiting.
    pub waiting: usize,
    /// Decisions the workflow refused (`order/job`, why): the job moved on
    /// meanwhile; the next run looks at it again.
    pub refused: Vec<(String, String)>,
}

/// A waiting job with where it is and when its order came.
struct Waiting {
    order: String,
    created_micros: i64,
    job: Child,
}

impl App {
    /// Runs the intake check over every shop's waiting jobs.
    pub async fn intake_check(&self) -> Result<IntakeReport, AppError> {
        let mut report = IntakeReport::default();
        if self.workflow(WORKFLOW).is_none() {
            return Ok(report);
        }
        for org in self.store.organizations().await? {
            let waiting = self.waiting_jobs(&org.id).await?;
            let mut by_location: BTreeMap<String, Vec<Waiting>> = BTreeMap::new();
            for w in waiting {
                let location = text(&w.job, "location");
                by_location.entry(location).or_default().push(w);
            }
            let mut taken: BTreeMap<(String, String), u64> = BTreeMap::new();
            for (location, mut jobs) in by_location {
                jobs.sort_by(|a, b| {
                    (a.created_micros, &a.order, a.job.seq).cmp(&(
                        b.created_micros,
                        &b.order,
                        b.job.seq,
                    ))
                });
                let inventory = stock_of(&org.settings, &location);
                self.intake_at(&location, &jobs, &inventory, &mut report, &mut taken)
                    .await?;
            }
            if !taken.is_empty() {
                self.take_stock(&org.id, &taken).await?;
            }
        }
        Ok(report)
    }

    /// The shop `org`'s jobs waiting for intake, in orders it makes.
    async fn waiting_jobs(&self, org: &str) -> Result<Vec<Waiting>, AppError> {
        let mut out = Vec::new();
        for status in ORDER_STATUSES {
            let filter = OrderFilter {
                organization: org.to_owned(),
                visible_statuses: self.workflows.visibility(|wf| visibility([wf])),
                seen_statuses: self.workflows.visibility(|wf| visibility_once_seen([wf])),
                workflow: Some(WORKFLOW.to_owned()),
                status: Some(status.to_owned()),
                ..OrderFilter::default()
            };
            let mut cursor: Option<String> = None;
            loop {
                let page = self
                    .store
                    .orders(&filter, cursor.as_deref(), MAX_LIMIT)
                    .await?;
                for order in page.items.iter().filter(|o| is_shop(o, org)) {
                    self.waiting_of(order, &mut out).await?;
                }
                match page.next_cursor {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
        }
        Ok(out)
    }

    async fn waiting_of(&self, order: &Order, out: &mut Vec<Waiting>) -> Result<(), AppError> {
        let created_micros = order.created_at.map(|t| t.timestamp_micros()).unwrap_or(0);
        let mut after = 0;
        loop {
            let page = self
                .store
                .children(&order.id, "job", after, MAX_LIMIT)
                .await?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = last.seq;
            out.extend(
                page.into_iter()
                    .filter(|j| j.status == "intake_hold" || j.status == "on_order")
                    .map(|job| Waiting {
                        order: order.id.clone(),
                        created_micros,
                        job,
                    }),
            );
        }
    }

    /// One location's run: decide, then take each decision as a job action.
    async fn intake_at(
        &self,
        location: &str,
        jobs: &[Waiting],
        inventory: &Inventory,
        report: &mut IntakeReport,
        taken: &mut BTreeMap<(String, String), u64>,
    ) -> Result<(), AppError> {
        let input: Vec<IntakeJob> = jobs
            .iter()
            .enumerate()
            .map(|(i, w)| IntakeJob {
                id: key(w),
                seq: u64::try_from(i).unwrap_or(u64::MAX),
                sku: text(&w.job, "sku"),
                printable: w.job.data.get("printable") != Some(&Value::Bool(false)),
                state: match w.job.data.get("purchase").and_then(Value::as_str) {
                    Some(p) if w.job.status == "on_order" => JobIntakeState::OnOrder {
                        purchase: p.to_owned(),
                    },
                    _ => JobIntakeState::IntakeHold,
                },
            })
            .collect();
        let outcome = intake::run(&input, inventory).map_err(|e| {
            AppError::new("conflict", format!("intake at location {location}: {e}"))
        })?;
        let by_key: BTreeMap<String, &Waiting> = jobs.iter().map(|w| (key(w), w)).collect();
        report.jobs += jobs.len();
        for decision in &outcome.decisions {
            let Some(w) = by_key.get(decision.job()) else {
                continue;
            };
            let (action, inputs) = match decision {
                Decision::Reserve { bin, .. } => ("pass_intake", json!({ "bin": bin })),
                Decision::ReceiveFromPurchase { purchase, .. } => {
                    ("pass_intake", json!({ "purchase": purchase }))
                }
                Decision::TieToPurchase { purchase, .. } => {
                    ("tie_to_purchase", json!({ "purchase": purchase }))
                }
                Decision::Wait { .. } => {
                    report.waiting += 1;
                    continue;
                }
            };
            match self
                .act_as_system(&w.order, Some(&w.job.id), action, &inputs)
                .await
            {
                Ok(()) if decision.passes() => {
                    report.passed.push(key(w));
                    if matches!(decision, Decision::Reserve { .. }) {
                        let n = taken
                            .entry((location.to_owned(), text(&w.job, "sku")))
                            .or_default();
                        *n = n.saturating_add(1);
                    }
                }
                Ok(()) => report.tied.push(key(w)),
                Err(e) if e.status() < 500 => {
                    report.refused.push((key(w), e.detail().to_owned()));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Takes the units jobs took off the shop's stock setting.
    async fn take_stock(
        &self,
        org: &str,
        taken: &BTreeMap<(String, String), u64>,
    ) -> Result<(), AppError> {
        let Some(mut organization) = self.store.organization(org).await? else {
            return Ok(());
        };
        let Some(locations) = organization
            .settings
            .get_mut("locations")
            .and_then(Value::as_array_mut)
        else {
            return Ok(());
        };
        for location in locations.iter_mut() {
            let id = location
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let Some(stock) = location.get_mut("stock").and_then(Value::as_object_mut) else {
                continue;
            };
            for ((at, sku), n) in taken {
                if *at == id
                    && let Some(units) = stock.get_mut(sku)
                {
                    let left = units.as_u64().unwrap_or(0).saturating_sub(*n);
                    *units = json!(left);
                }
            }
        }
        self.store.update_organization(&organization).await?;
        Ok(())
    }
}

fn is_shop(order: &Order, org: &str) -> bool {
    order.parties.get("shop").map(String::as_str) == Some(org)
}

fn key(w: &Waiting) -> String {
    format!("{}/{}", w.order, w.job.id)
}

fn text(job: &Child, field: &str) -> String {
    job.data
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// One bin per SKU in stock at `location`, from the shop's settings.
fn stock_of(settings: &serde_json::Map<String, Value>, location: &str) -> Inventory {
    let bins = settings
        .get("locations")
        .and_then(Value::as_array)
        .and_then(|ls| {
            ls.iter()
                .find(|l| l.get("id").and_then(Value::as_str) == Some(location))
        })
        .and_then(|l| l.get("stock"))
        .and_then(Value::as_object)
        .map(|stock| {
            stock
                .iter()
                .map(|(sku, units)| Bin {
                    id: format!("{location}/{sku}"),
                    sku: sku.clone(),
                    quantity: units.as_u64().unwrap_or(0),
                })
                .collect()
        })
        .unwrap_or_default();
    Inventory {
        bins,
        purchases: Vec::new(),
    }
}
