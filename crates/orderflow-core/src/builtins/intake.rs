//! `fifo_intake`: the intake checks of the `print-production` workflow.
//!
//! The shop floor runs them on a schedule (every 30 to 60 minutes) and on
//! demand, over the jobs waiting at **one** production location: the caller
//! passes that location's waiting jobs and its inventory (bins and purchases).
//! [`run`] is a pure function of its arguments; it returns one [`Decision`] per
//! job and the inventory after them, and the server applies both in one
//! transaction.
//!
//! # The rule
//!
//! Jobs are taken oldest first: by `seq` (creation order), then by `id`, so the
//! order the caller lists them in never matters. Two passes:
//!
//! 1. **Receipts.** A printable job in `on_order` takes one received unit of
//!    the purchase it is tied to, if that purchase has received units not yet
//!    handed out (`received > consumed`), and becomes `pending`
//!    ([`Decision::ReceiveFromPurchase`]). Tied jobs are served oldest first
//!    and before any other job looks at free stock, so received units go to the
//!    jobs tied to the purchase first.
//! 2. **Free stock.** Every job not served in pass 1, oldest first:
//!    - design not printable → it waits ([`WaitReason::DesignNotPrintable`]),
//!      keeping its tie if it has one;
//!    - a bin of its SKU has stock → it reserves one unit from the bin with the
//!      **lowest id** ([`Decision::Reserve`]) and becomes `pending`;
//!    - a purchase of its SKU has received units left over and room for another
//!      tie (`received > consumed` and `ordered > tied`) → it is tied to that
//!      purchase and takes one of those units at once
//!      ([`Decision::ReceiveFromPurchase`]), becoming `pending`;
//!    - a job in `intake_hold` and a purchase of its SKU with unreserved
//!      quantity (`ordered > tied`) → it is tied to it
//!      ([`Decision::TieToPurchase`]) and becomes `on_order`;
//!    - otherwise it waits: [`WaitReason::NoStock`] in `intake_hold`,
//!      [`WaitReason::AwaitingPurchase`] in `on_order`.
//!
//!    When several purchases qualify, the one with the lowest id is used.
//!
//! A job in `on_order` whose purchase has not delivered yet also looks at free
//! stock in pass 2: if a bin (or another purchase's received units) can serve
//! it now, it takes that unit and its tie is released (`untied` in the
//! decision; the purchase's `tied` goes down by one), and a younger job may then
//! tie to the released unit. This is what keeps intake FIFO: **an older job is
//! never left waiting while a younger job of the same SKU takes free stock it
//! could have taken.** Free stock (bin units, received units) only shrinks
//! during pass 2, so when a job finds none, no younger job of its SKU finds any
//! either; and a tie is only released by a job that found free stock, so no
//! older job of its SKU was left without one.
//!
//! A run is complete: running it again on the jobs it left waiting (with their
//! new states) and the inventory it returned decides nothing new.
//!
//! # Choices
//!
//! - **Bin: lowest id with stock**, not the fullest. It drains one bin before
//!   opening the next, so pickers go to few bins and partly used bins do not
//!   pile up; it is stable from run to run (the fullest bin changes as stock
//!   moves, and would need a tie-break anyway); bin ids usually follow the pick
//!   path (aisle, shelf); and a cursor per SKU finds it in amortised constant
//!   time.
//! - **Bins before purchases' received units**: "stock in a bin" is the
//!   ordinary case; received units left over are used when the bins are empty.
//! - **Non-printable tied jobs do not block the purchase**: such a job keeps its
//!   tie and waits, and received units go to the next tied job. As long as
//!   `tied <= ordered`, a purchase delivered in full still covers every tie.
//! - **Inconsistent input is refused** ([`IntakeError`]) instead of guessed
//!   around: duplicate ids, purchase counters that break their invariants, a job
//!   tied to an unknown purchase or to one of another SKU, more jobs tied to a
//!   purchase than it has open ties. The caller filters jobs and inventory to
//!   one location; a purchase canceled upstream must send its jobs back to
//!   `intake_hold` first.
//!
//! # Invariants and arithmetic
//!
//! For every purchase, before and after a run:
//! `consumed <= tied <= ordered` and `consumed <= received` (`received` may
//! exceed `ordered`; units delivered beyond `ordered` are never tied to jobs —
//! the warehouse puts them into bins). `tied - consumed` is the number of jobs
//! still waiting for the purchase, `received - consumed` the units delivered
//! and not handed out, `ordered - tied` the units still free to tie.
//! Every counter changes by one, and only after the comparison that keeps these
//! invariants (`quantity > 0` before taking from a bin, `received > consumed`
//! and `tied > consumed` before consuming, `ordered > tied` before tying,
//! `tied > consumed` before releasing), so no subtraction can underflow and no
//! addition can overflow; the arithmetic is still checked, and a step whose
//! arithmetic would fail is simply not taken.
//!
//! Cost: `O(J log J + B log B + P log P + J·P)` for `J` jobs, `B` bins and `P`
//! purchases; every loop is bounded by those sizes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a job waiting for intake stands.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobIntakeState {
    /// `intake_hold`: not yet served by stock.
    IntakeHold,
    /// `on_order`: tied to one unit of a purchase that has not reached it yet.
    OnOrder { purchase: String },
}

/// A job waiting for intake at the location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntakeJob {
    pub id: String,
    /// Creation order: lower is older. Ties are broken by `id`.
    pub seq: u64,
    pub sku: String,
    /// Whether the job's design passed the artwork check.
    pub printable: bool,
    pub state: JobIntakeState,
}

/// An inventory bin at the location: units of one SKU ready to pick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bin {
    pub id: String,
    pub sku: String,
    pub quantity: u64,
}

/// A purchase of one SKU for the location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purchase {
    pub id: String,
    pub sku: String,
    /// Units ordered from the supplier.
    pub ordered: u64,
    /// Units delivered so far.
    pub received: u64,
    /// Units promised to jobs (each tied job holds one); `<= ordered`.
    #[serde(default)]
    pub tied: u64,
    /// Received units already handed to tied jobs; `<= tied`, `<= received`.
    #[serde(default)]
    pub consumed: u64,
}

/// The stock of one location.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    #[serde(default)]
    pub bins: Vec<Bin>,
    #[serde(default)]
    pub purchases: Vec<Purchase>,
}

/// Why a job stays where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum WaitReason {
    /// The design failed the artwork check (the job keeps any tie it has).
    DesignNotPrintable,
    /// No stock in a bin and nothing on order for the SKU.
    NoStock,
    /// Tied to this purchase, which has not delivered a unit for it yet.
    AwaitingPurchase { purchase: String },
}

impl fmt::Display for WaitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitReason::DesignNotPrintable => f.write_str("design not printable"),
            WaitReason::NoStock => f.write_str("no stock"),
            WaitReason::AwaitingPurchase { purchase } => {
                write!(f, "awaiting purchase {purchase}")
            }
        }
    }
}

/// What intake does with one job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// One unit of `bin` is reserved for the job; it becomes `pending`.
    Reserve {
        job: String,
        bin: String,
        /// The purchase the job was tied to and no longer is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        untied: Option<String>,
    },
    /// One received unit of `purchase` goes to the job; it becomes `pending`.
    /// The job was tied to `purchase` already, or is tied to it now.
    ReceiveFromPurchase {
        job: String,
        purchase: String,
        /// The other purchase the job was tied to and no longer is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        untied: Option<String>,
    },
    /// The job is tied to one unit of `purchase`; it becomes `on_order`.
    TieToPurchase { job: String, purchase: String },
    /// The job stays in its state.
    Wait { job: String, reason: WaitReason },
}

impl Decision {
    /// The job this decision is about.
    pub fn job(&self) -> &str {
        match self {
            Decision::Reserve { job, .. }
            | Decision::ReceiveFromPurchase { job, .. }
            | Decision::TieToPurchase { job, .. }
            | Decision::Wait { job, .. } => job,
        }
    }

    /// Whether the job passes intake (becomes `pending`).
    pub fn passes(&self) -> bool {
        matches!(
            self,
            Decision::Reserve { .. } | Decision::ReceiveFromPurchase { .. }
        )
    }

    /// The job's state id after the decision: `pending`, `on_order` or
    /// `intake_hold`.
    pub fn state_after(&self, before: &JobIntakeState) -> &'static str {
        match (self, before) {
            (Decision::Reserve { .. } | Decision::ReceiveFromPurchase { .. }, _) => "pending",
            (Decision::TieToPurchase { .. }, _)
            | (Decision::Wait { .. }, JobIntakeState::OnOrder { .. }) => "on_order",
            (Decision::Wait { .. }, JobIntakeState::IntakeHold) => "intake_hold",
        }
    }
}

/// The result of one intake run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntakeOutcome {
    /// One decision per job, oldest job first.
    pub decisions: Vec<Decision>,
    /// The inventory after the decisions (bins and purchases in input order).
    pub inventory: Inventory,
}

impl IntakeOutcome {
    /// The decision about `job`, if it was part of the run.
    pub fn decision(&self, job: &str) -> Option<&Decision> {
        self.decisions.iter().find(|d| d.job() == job)
    }

    /// The jobs still waiting after the run, oldest first, in their new states
    /// (`on_order` for the newly tied): the input of the next run.
    pub fn remaining(&self, jobs: &[IntakeJob]) -> Vec<IntakeJob> {
        let by_id: BTreeMap<&str, &Decision> =
            self.decisions.iter().map(|d| (d.job(), d)).collect();
        let mut out: Vec<IntakeJob> = jobs
            .iter()
            .filter_map(|job| match by_id.get(job.id.as_str()) {
                Some(Decision::TieToPurchase { purchase, .. }) => Some(IntakeJob {
                    state: JobIntakeState::OnOrder {
                        purchase: purchase.clone(),
                    },
                    ..job.clone()
                }),
                Some(Decision::Wait { .. }) | None => Some(job.clone()),
                Some(Decision::Reserve { .. } | Decision::ReceiveFromPurchase { .. }) => None,
            })
            .collect();
        out.sort_by(fifo);
        out
    }
}

/// Input that the intake checks refuse to guess around.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntakeError {
    #[error("job `{0}` is listed twice")]
    DuplicateJob(String),
    #[error("bin `{0}` is listed twice")]
    DuplicateBin(String),
    #[error("purchase `{0}` is listed twice")]
    DuplicatePurchase(String),
    #[error(
        "purchase `{purchase}` has ordered {ordered}, received {received}, tied {tied}, \
         consumed {consumed}: needs consumed <= tied <= ordered and consumed <= received"
    )]
    PurchaseCounts {
        purchase: String,
        ordered: u64,
        received: u64,
        tied: u64,
        consumed: u64,
    },
    #[error("job `{job}` is tied to purchase `{purchase}`, which is not in the inventory")]
    UnknownPurchase { job: String, purchase: String },
    #[error(
        "job `{job}` of SKU `{job_sku}` is tied to purchase `{purchase}` of SKU `{purchase_sku}`"
    )]
    SkuMismatch {
        job: String,
        job_sku: String,
        purchase: String,
        purchase_sku: String,
    },
    #[error("{jobs} jobs are tied to purchase `{purchase}`, which has {open_ties} open ties")]
    TooManyTied {
        purchase: String,
        jobs: u64,
        open_ties: u64,
    },
}

/// Oldest first: by `seq`, then by `id`.
fn fifo(a: &IntakeJob, b: &IntakeJob) -> std::cmp::Ordering {
    a.seq.cmp(&b.seq).then_with(|| a.id.cmp(&b.id))
}

/// Runs the intake checks over the jobs waiting at one location. See the
/// module documentation for the rule.
pub fn run(jobs: &[IntakeJob], inventory: &Inventory) -> Result<IntakeOutcome, IntakeError> {
    let purchase_index = validate(jobs, inventory)?;
    let mut inv = inventory.clone();

    let mut order: Vec<&IntakeJob> = jobs.iter().collect();
    order.sort_by(|a, b| fifo(a, b));
    let mut decided: Vec<Option<Decision>> = vec![None; order.len()];

    // Pass 1: received units go to the printable jobs tied to them, oldest first.
    for (slot, job) in decided.iter_mut().zip(&order) {
        let JobIntakeState::OnOrder { purchase } = &job.state else {
            continue;
        };
        if !job.printable {
            continue;
        }
        let Some(p) = purchase_index
            .get(purchase.as_str())
            .and_then(|&i| inv.purchases.get_mut(i))
        else {
            continue;
        };
        if consume(p) {
            *slot = Some(Decision::ReceiveFromPurchase {
                job: job.id.clone(),
                purchase: p.id.clone(),
                untied: None,
            });
        }
    }

    // Free stock per SKU: bins and purchases, each sorted by id.
    let mut bins_by_sku: BTreeMap<&str, (Vec<usize>, usize)> = BTreeMap::new();
    for (i, bin) in inventory.bins.iter().enumerate() {
        bins_by_sku.entry(bin.sku.as_str()).or_default().0.push(i);
    }
    for (indices, _) in bins_by_sku.values_mut() {
        indices.sort_by(|&a, &b| bin_id(inventory, a).cmp(bin_id(inventory, b)));
    }
    let mut purchases_by_sku: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, p) in inventory.purchases.iter().enumerate() {
        purchases_by_sku.entry(p.sku.as_str()).or_default().push(i);
    }
    for indices in purchases_by_sku.values_mut() {
        indices.sort_by(|&a, &b| purchase_id(inventory, a).cmp(purchase_id(inventory, b)));
    }

    // Pass 2: everyone else, oldest first.
    let mut decisions = Vec::with_capacity(order.len());
    for (slot, job) in decided.into_iter().zip(&order) {
        if let Some(decision) = slot {
            decisions.push(decision);
            continue;
        }
        let tied_to = match &job.state {
            JobIntakeState::OnOrder { purchase } => purchase_index
                .get(purchase.as_str())
                .map(|&i| (i, purchase.clone())),
            JobIntakeState::IntakeHold => None,
        };
        let untied = || tied_to.as_ref().map(|(_, id)| id.clone());
        let decision = if !job.printable {
            wait(job, WaitReason::DesignNotPrintable)
        } else if let Some(bin) = bins_by_sku
            .get_mut(job.sku.as_str())
            .and_then(|(indices, cursor)| take_from_bins(&mut inv.bins, indices, cursor))
        {
            if let Some((i, _)) = &tied_to {
                release(inv.purchases.get_mut(*i));
            }
            Decision::Reserve {
                job: job.id.clone(),
                bin,
                untied: untied(),
            }
        } else if let Some(purchase) = purchases_by_sku
            .get(job.sku.as_str())
            .and_then(|indices| {
                // The job's own purchase has nothing left to hand out, or
                // pass 1 would have served the job.
                indices.iter().copied().find(|&i| {
                    tied_to.as_ref().is_none_or(|(t, _)| *t != i)
                        && inv.purchases.get(i).is_some_and(has_spare_received)
                })
            })
            .and_then(|i| {
                let p = inv.purchases.get_mut(i)?;
                tie_and_consume(p).then(|| p.id.clone())
            })
        {
            if let Some((t, _)) = &tied_to {
                release(inv.purchases.get_mut(*t));
            }
            Decision::ReceiveFromPurchase {
                job: job.id.clone(),
                purchase,
                untied: untied(),
            }
        } else if let Some((_, purchase)) = &tied_to {
            wait(
                job,
                WaitReason::AwaitingPurchase {
                    purchase: purchase.clone(),
                },
            )
        } else if let Some(purchase) = purchases_by_sku
            .get(job.sku.as_str())
            .and_then(|indices| {
                indices
                    .iter()
                    .copied()
                    .find(|&i| inv.purchases.get(i).is_some_and(|p| p.ordered > p.tied))
            })
            .and_then(|i| {
                let p = inv.purchases.get_mut(i)?;
                tie(p).then(|| p.id.clone())
            })
        {
            Decision::TieToPurchase {
                job: job.id.clone(),
                purchase,
            }
        } else {
            wait(job, WaitReason::NoStock)
        };
        decisions.push(decision);
    }

    Ok(IntakeOutcome {
        decisions,
        inventory: inv,
    })
}

fn wait(job: &IntakeJob, reason: WaitReason) -> Decision {
    Decision::Wait {
        job: job.id.clone(),
        reason,
    }
}

fn bin_id(inventory: &Inventory, i: usize) -> &str {
    inventory.bins.get(i).map_or("", |b| b.id.as_str())
}

fn purchase_id(inventory: &Inventory, i: usize) -> &str {
    inventory.purchases.get(i).map_or("", |p| p.id.as_str())
}

/// Takes one unit from the first bin (in `indices` order, from `cursor` on)
/// that has stock, and returns its id. The cursor only moves past empty bins,
/// so all calls for one SKU together visit each bin once.
fn take_from_bins(bins: &mut [Bin], indices: &[usize], cursor: &mut usize) -> Option<String> {
    while let Some(&i) = indices.get(*cursor) {
        if let Some(bin) = bins.get_mut(i)
            && let Some(left) = bin.quantity.checked_sub(1)
        {
            bin.quantity = left;
            return Some(bin.id.clone());
        }
        *cursor = cursor.saturating_add(1);
    }
    None
}

/// A purchase with received units nobody waits for, and room for one more tie.
fn has_spare_received(p: &Purchase) -> bool {
    p.received > p.consumed && p.ordered > p.tied
}

/// Hands one received unit to a job already tied to `p`: needs a delivered unit
/// not yet handed out and an open tie. Returns whether it did.
fn consume(p: &mut Purchase) -> bool {
    if p.received <= p.consumed || p.tied <= p.consumed {
        return false;
    }
    match p.consumed.checked_add(1) {
        Some(c) => {
            p.consumed = c;
            true
        }
        None => false,
    }
}

/// Ties one more job to `p` and hands it a received unit at once: needs a
/// delivered unit not yet handed out and unreserved quantity. Returns whether
/// it did; changes nothing when it did not.
fn tie_and_consume(p: &mut Purchase) -> bool {
    if !has_spare_received(p) {
        return false;
    }
    match (p.tied.checked_add(1), p.consumed.checked_add(1)) {
        (Some(t), Some(c)) => {
            p.tied = t;
            p.consumed = c;
            true
        }
        _ => false,
    }
}

/// Ties one more job to `p`: needs unreserved quantity. Returns whether it did.
fn tie(p: &mut Purchase) -> bool {
    if p.tied >= p.ordered {
        return false;
    }
    match p.tied.checked_add(1) {
        Some(t) => {
            p.tied = t;
            true
        }
        None => false,
    }
}

/// Releases one open tie of `p` (never one already consumed).
fn release(p: Option<&mut Purchase>) {
    if let Some(p) = p
        && p.tied > p.consumed
    {
        p.tied = p.tied.saturating_sub(1);
    }
}

/// Checks the input and indexes purchases by id.
fn validate<'a>(
    jobs: &[IntakeJob],
    inventory: &'a Inventory,
) -> Result<BTreeMap<&'a str, usize>, IntakeError> {
    let mut job_ids = BTreeSet::new();
    for job in jobs {
        if !job_ids.insert(job.id.as_str()) {
            return Err(IntakeError::DuplicateJob(job.id.clone()));
        }
    }
    let mut bin_ids = BTreeSet::new();
    for bin in &inventory.bins {
        if !bin_ids.insert(bin.id.as_str()) {
            return Err(IntakeError::DuplicateBin(bin.id.clone()));
        }
    }
    let mut purchases = BTreeMap::new();
    for (i, p) in inventory.purchases.iter().enumerate() {
        if purchases.insert(p.id.as_str(), i).is_some() {
            return Err(IntakeError::DuplicatePurchase(p.id.clone()));
        }
        if p.consumed > p.tied || p.tied > p.ordered || p.consumed > p.received {
            return Err(IntakeError::PurchaseCounts {
                purchase: p.id.clone(),
                ordered: p.ordered,
                received: p.received,
                tied: p.tied,
                consumed: p.consumed,
            });
        }
    }
    let mut tied_jobs: BTreeMap<usize, u64> = BTreeMap::new();
    for job in jobs {
        let JobIntakeState::OnOrder { purchase } = &job.state else {
            continue;
        };
        let Some((&i, p)) = purchases
            .get(purchase.as_str())
            .and_then(|i| Some((i, inventory.purchases.get(*i)?)))
        else {
            return Err(IntakeError::UnknownPurchase {
                job: job.id.clone(),
                purchase: purchase.clone(),
            });
        };
        if p.sku != job.sku {
            return Err(IntakeError::SkuMismatch {
                job: job.id.clone(),
                job_sku: job.sku.clone(),
                purchase: p.id.clone(),
                purchase_sku: p.sku.clone(),
            });
        }
        let count = tied_jobs.entry(i).or_default();
        *count = count.saturating_add(1);
    }
    for (&i, &count) in &tied_jobs {
        if let Some(p) = inventory.purchases.get(i) {
            // `tied >= consumed` was checked above.
            let open_ties = p.tied.saturating_sub(p.consumed);
            if count > open_ties {
                return Err(IntakeError::TooManyTied {
                    purchase: p.id.clone(),
                    jobs: count,
                    open_ties,
                });
            }
        }
    }
    Ok(purchases)
}
