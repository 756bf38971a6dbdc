//! The intake check (`[[schedules]] fifo_intake`), run on demand by a
//! manager or by the scheduler ([`App::intake_check`]), and a purchase's
//! receipt handing its units to the jobs tied to it ([`App::receive`]).
//!
//! Per stock location: the waiting jobs (`intake_hold`, `on_order`) of
//! every order of the organisation, oldest first, and the location's bins
//! and purchases go to the engine's pure `builtins::intake::run`; each of
//! its decisions is taken as the job's own action (`pass_intake`,
//! `tie_to_purchase`) through the same decide → commit path as any step, so
//! the unit leaves its bin or purchase in the transaction of the job's step
//! (`builtins::stock`). A step that lost a race (the unit or the job moved
//! since the check read them) is refused by the store and reported; it
//! changes nothing and the next check tries again.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

pub use orderflow_api::IntakeReport;
use orderflow_api::{IntakeRefusal, ReceiptResult};
use orderflow_core::builtins::intake::{self, Bin, Decision, IntakeJob, Inventory, JobIntakeState};
use orderflow_core::builtins::stock::{PASSED, STOCK_SLOT, WAITING, keeps_stock};
use orderflow_core::engine::{self, Workflow};
use orderflow_core::model::{Actor, Child};
use orderflow_store::{PurchaseRecord, Receipt, WAITING_MAX, WaitingJob, commit_of};
use serde_json::{Value, json};

use crate::App;
use crate::auth::UserCaller;
use crate::commit::Prepared;
use crate::error::AppError;
use crate::floor::job_code;
use crate::inventory::purchase_view;

/// The job kinds intake serves: of workflows that keep stock, the kinds
/// with the waiting states and the state they pass to.
fn intake_kinds(workflows: &[Arc<Workflow>]) -> Vec<String> {
    let mut kinds: Vec<String> = workflows
        .iter()
        .filter(|wf| keeps_stock(&wf.def))
        .flat_map(|wf| wf.def.children.iter())
        .filter(|k| {
            let has = |s: &str| k.states.iter().any(|st| st.id == s);
            WAITING.iter().all(|s| has(s)) && has(PASSED)
        })
        .map(|k| k.id.clone())
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    kinds
}

fn text<'a>(job: &'a Child, key: &str) -> Option<&'a str> {
    job.data
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// Jobs tied to each purchase (`on_order` with a `purchase`).
fn tied_counts(jobs: &[WaitingJob]) -> BTreeMap<String, u64> {
    let mut tied = BTreeMap::new();
    for w in jobs.iter().filter(|w| w.job.status == "on_order") {
        if let Some(p) = text(&w.job, "purchase") {
            *tied.entry(p.to_owned()).or_insert(0) += 1;
        }
    }
    tied
}

/// One location's check: the jobs, the inventory and where each job came
/// from (its order and id, by code).
struct Check {
    jobs: Vec<IntakeJob>,
    inventory: Inventory,
    at: BTreeMap<String, (String, String)>,
    /// Jobs tied to a purchase the location does not have (of another
    /// location, of another SKU, or never recorded): the engine cannot serve
    /// them; they wait and are reported.
    unknown: Vec<IntakeRefusal>,
}

fn check_of(
    waiting: Vec<WaitingJob>,
    bins: Vec<orderflow_store::StockBin>,
    purchases: Vec<PurchaseRecord>,
) -> Check {
    let tied = tied_counts(&waiting);
    let sku_of: BTreeMap<&str, &str> = purchases
        .iter()
        .map(|p| (p.id.as_str(), p.sku.as_str()))
        .collect();
    let mut check = Check {
        jobs: Vec::with_capacity(waiting.len()),
        inventory: Inventory::default(),
        at: BTreeMap::new(),
        unknown: Vec::new(),
    };
    for (seq, w) in (0u64..).zip(&waiting) {
        let code = job_code(&w.order_id, &w.job.id);
        let sku = text(&w.job, "sku").unwrap_or("").to_owned();
        let state = match (w.job.status.as_str(), text(&w.job, "purchase")) {
            ("on_order", Some(p)) if sku_of.get(p) == Some(&sku.as_str()) => {
                JobIntakeState::OnOrder {
                    purchase: p.to_owned(),
                }
            }
            ("on_order", p) => {
                check.unknown.push(IntakeRefusal {
                    job: code,
                    reason: format!(
                        "tied to purchase {}, which is not on order for {sku} at this location",
                        p.unwrap_or("(none)")
                    ),
                });
                continue;
            }
            _ => JobIntakeState::IntakeHold,
        };
        check
            .at
            .insert(code.clone(), (w.order_id.clone(), w.job.id.clone()));
        check.jobs.push(IntakeJob {
            id: code,
            seq,
            sku,
            printable: w.job.data.get("printable") == Some(&Value::Bool(true)),
            state,
        });
    }
    check.inventory.bins = bins
        .into_iter()
        .map(|b| Bin {
            id: b.id,
            sku: b.sku,
            quantity: b.quantity,
        })
        .collect();
    check.inventory.purchases = purchases
        .into_iter()
        .map(|p| {
            // Ties are read from the jobs; ties made beyond what was ordered
            // (by hand, or by two checks at once) wait like the others.
            let waiting = tied.get(&p.id).copied().unwrap_or(0);
            let tied = p.consumed.saturating_add(waiting);
            intake::Purchase {
                id: p.id,
                sku: p.sku,
                ordered: p.ordered.max(tied),
                received: p.received,
                tied,
                consumed: p.consumed,
            }
        })
        .collect();
    check
}

impl App {
    /// Jobs waiting for each purchase at `location`.
    pub(crate) async fn tied_jobs(
        &self,
        organization: &str,
        location: &str,
    ) -> Result<BTreeMap<String, u64>, AppError> {
        let mut tied = BTreeMap::new();
        for kind in intake_kinds(&self.workflows.all_versions()) {
            let jobs = self
                .store
                .waiting_jobs(
                    organization,
                    STOCK_SLOT,
                    &kind,
                    &["on_order"],
                    location,
                    WAITING_MAX,
                )
                .await?;
            for (p, n) in tied_counts(&jobs) {
                *tied.entry(p).or_insert(0) += n;
            }
        }
        Ok(tied)
    }

    /// The intake check of `organization`'s jobs at `location` (every stock
    /// location when `None`), its steps taken by the system. The one
    /// function behind the API, the CLI, the web page's **Run intake
    /// check** and the schedule ([`App::intake_check`]).
    pub async fn intake_check_of(
        &self,
        organization: &str,
        location: Option<&str>,
    ) -> Result<IntakeReport, AppError> {
        let started = Instant::now();
        let locations: Vec<String> = match location {
            Some(l) => {
                let known = self.store.stock_locations(organization).await?;
                if !known.iter().any(|k| k.id == l) {
                    return Err(AppError::not_found("location"));
                }
                vec![l.to_owned()]
            }
            None => self
                .store
                .stock_locations(organization)
                .await?
                .into_iter()
                .map(|l| l.id)
                .collect(),
        };
        let mut report = IntakeReport::default();
        for kind in intake_kinds(&self.workflows.all_versions()) {
            for loc in &locations {
                let waiting = self
                    .store
                    .waiting_jobs(organization, STOCK_SLOT, &kind, &WAITING, loc, WAITING_MAX)
                    .await?;
                let bins = self.store.bins(organization, Some(loc)).await?;
                let purchases = self.store.purchases(organization, Some(loc)).await?;
                let check = check_of(waiting, bins, purchases);
                self.run_check(check, &Actor::System, &mut report).await?;
            }
        }
        report.millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        Ok(report)
    }

    async fn run_check(
        &self,
        check: Check,
        by: &Actor,
        report: &mut IntakeReport,
    ) -> Result<(), AppError> {
        report.jobs += (check.jobs.len() + check.unknown.len()) as u64;
        report.waiting += check.unknown.len() as u64;
        report.refused.extend(check.unknown);
        let outcome = intake::run(&check.jobs, &check.inventory)
            .map_err(|e| AppError::internal("the intake check's inventory", e))?;
        for d in &outcome.decisions {
            let (action, inputs) = match d {
                Decision::Reserve { bin, .. } => ("pass_intake", json!({"bin": bin})),
                Decision::ReceiveFromPurchase { purchase, .. } => {
                    ("pass_intake", json!({"purchase": purchase}))
                }
                Decision::TieToPurchase { purchase, .. } => {
                    ("tie_to_purchase", json!({"purchase": purchase}))
                }
                Decision::Wait { .. } => {
                    report.waiting += 1;
                    continue;
                }
            };
            let Some((order, job)) = check.at.get(d.job()) else {
                continue;
            };
            match self.step_job(by, order, job, action, &inputs).await {
                Ok(()) => match d {
                    Decision::Reserve { .. } => {
                        report.reserved += 1;
                        report.passed.push(d.job().to_owned());
                    }
                    Decision::ReceiveFromPurchase { .. } => {
                        report.received += 1;
                        report.passed.push(d.job().to_owned());
                    }
                    _ => report.tied += 1,
                },
                Err(e) if e.status() < 500 || e.code() == "unavailable" => {
                    report.refused.push(IntakeRefusal {
                        job: d.job().to_owned(),
                        reason: e.detail().to_owned(),
                    });
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Takes `action` on a job as `by`, through the engine and one commit.
    async fn step_job(
        &self,
        by: &Actor,
        order: &str,
        job: &str,
        action: &str,
        inputs: &Value,
    ) -> Result<(), AppError> {
        let v = self.load_any(order).await?;
        let child = self.find_child(&v.order, job).await?;
        let settings = self.party_settings(&v.order).await?;
        let change = engine::decide_child(
            &v.wf,
            &v.order,
            &child,
            &settings,
            by,
            action,
            inputs,
            self.now(),
        )?;
        let commit = commit_of(&v.wf, &v.order, Some(&child), &change);
        self.commit(
            Prepared {
                wf: v.wf.clone(),
                commit,
                change,
                memo: Default::default(),
            },
            None,
        )
        .await
    }

    /// Records a delivery of `quantity` units of `purchase` and hands them
    /// to the jobs tied to it, oldest first; units left over stay on the
    /// purchase for the next check.
    pub async fn receive(
        &self,
        caller: &UserCaller,
        purchase: &str,
        quantity: u64,
    ) -> Result<ReceiptResult, AppError> {
        let org = self.stock_keeper(caller)?;
        crate::inventory::check_units("quantity", quantity, 1)?;
        let p = self
            .store
            .purchase(&org, purchase)
            .await?
            .ok_or_else(|| AppError::not_found("purchase"))?;
        self.store
            .receive(&Receipt {
                organization: org.clone(),
                purchase: p.id.clone(),
                seq: 0,
                quantity,
                received_at: self.now(),
                user: Some(caller.user().id.clone()),
            })
            .await?;
        let started = Instant::now();
        let mut report = IntakeReport::default();
        for kind in intake_kinds(&self.workflows.all_versions()) {
            let tied: Vec<WaitingJob> = self
                .store
                .waiting_jobs(
                    &org,
                    STOCK_SLOT,
                    &kind,
                    &["on_order"],
                    &p.location,
                    WAITING_MAX,
                )
                .await?
                .into_iter()
                .filter(|w| text(&w.job, "purchase") == Some(p.id.as_str()))
                .collect();
            let now = self
                .store
                .purchase(&org, &p.id)
                .await?
                .ok_or_else(|| AppError::not_found("purchase"))?;
            let check = check_of(tied, Vec::new(), vec![now]);
            self.run_check(check, &Actor::System, &mut report).await?;
        }
        report.millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let after = self
            .store
            .purchase(&org, &p.id)
            .await?
            .ok_or_else(|| AppError::not_found("purchase"))?;
        let tied = self
            .tied_jobs(&org, &after.location)
            .await?
            .get(&after.id)
            .copied()
            .unwrap_or(0);
        Ok(ReceiptResult {
            purchase: purchase_view(after, tied),
            intake: report,
        })
    }

    /// The intake check asked for by a manager of the caller's
    /// organisation; its steps are the system's, as on the schedule.
    pub async fn intake_on_demand(
        &self,
        caller: &UserCaller,
        location: Option<&str>,
    ) -> Result<IntakeReport, AppError> {
        let org = self.stock_keeper(caller)?;
        self.intake_check_of(&org, location).await
    }

    /// The scheduled intake check (`[[schedules]] fifo_intake`): every
    /// organisation with stock locations, one after the other; one report
    /// for all of them.
    pub async fn intake_check(&self) -> Result<IntakeReport, AppError> {
        let started = Instant::now();
        let mut all = IntakeReport::default();
        for org in self.store.organizations().await? {
            if self.store.stock_locations(&org.id).await?.is_empty() {
                continue;
            }
            let r = self.intake_check_of(&org.id, None).await?;
            all.jobs += r.jobs;
            all.reserved += r.reserved;
            all.received += r.received;
            all.tied += r.tied;
            all.waiting += r.waiting;
            all.passed.extend(r.passed);
            all.refused.extend(r.refused);
        }
        all.millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        Ok(all)
    }
}
