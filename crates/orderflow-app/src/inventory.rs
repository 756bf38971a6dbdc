//! Print-production's inventory (docs/inventory.md): the stock locations,
//! bins and purchases of the caller's organisation, managed by its
//! managers and administrators. Units leave a bin or a purchase only with a
//! job's step (`orderflow_core::builtins::stock`) or an adjustment by hand.

use std::collections::BTreeMap;

use orderflow_api::{
    BinView, NewBin, NewPurchase, NewStockLocation, PurchaseView, StockLocationView,
};
use orderflow_core::builtins::stock::{STOCK_SLOT, Tie};
use orderflow_store::inventory::{UNITS_MAX, UNITS_MAX_TEXT};
use orderflow_store::{PurchaseRecord, StockBin, StockLocation};
use serde_json::{Map, Value};

use crate::App;
use crate::auth::UserCaller;
use crate::error::AppError;

/// The roles that manage the inventory and run intake on demand.
pub const STOCK_ROLES: [&str; 2] = ["manager", "admin"];
/// The longest id or SKU taken.
const ID_MAX: usize = 100;

/// Refuses a number of units below `least` or above what a bin or a
/// purchase holds, naming `field`.
pub(crate) fn check_units(field: &str, units: u64, least: u64) -> Result<(), AppError> {
    if (least..=UNITS_MAX).contains(&units) {
        Ok(())
    } else {
        Err(AppError::invalid(
            field,
            format!("{least} to {UNITS_MAX_TEXT} units"),
        ))
    }
}

/// The longest supplier's name taken.
const SUPPLIER_MAX: usize = 200;

/// `value` trimmed. Its length is counted before trimming, as the API's
/// schema counts it.
fn id_field(field: &str, value: &str) -> Result<String, AppError> {
    let v = value.trim();
    if v.is_empty() || value.chars().count() > ID_MAX || v.chars().any(char::is_control) {
        return Err(AppError::invalid(
            field,
            format!("1 to {ID_MAX} characters, no control characters"),
        ));
    }
    Ok(v.to_owned())
}

/// A purchase's supplier, trimmed; none when blank.
fn supplier(value: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(v) = value.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if value.map_or(0, |s| s.chars().count()) > SUPPLIER_MAX || v.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "supplier",
            format!("at most {SUPPLIER_MAX} characters, no control characters"),
        ));
    }
    Ok(Some(v.to_owned()))
}

/// A purchase as the API shows it; `tied` counted from the jobs.
pub(crate) fn purchase_view(p: PurchaseRecord, tied: u64) -> PurchaseView {
    PurchaseView {
        id: p.id,
        location: p.location,
        sku: p.sku,
        ordered: p.ordered,
        received: p.received,
        consumed: p.consumed,
        tied,
        supplier: p.supplier,
        created_at: p.created_at,
    }
}

impl App {
    /// Refuses a step tying a job to a purchase that would never serve it:
    /// one the shop has not recorded, or of another SKU or location than
    /// the job's. Purchases keep their SKU and location once recorded, so
    /// a tie checked here stays good.
    pub(crate) async fn check_tie(&self, tie: &Tie) -> Result<(), AppError> {
        let Some(purchase) = self
            .store
            .purchase(&tie.organization, &tie.purchase)
            .await?
        else {
            return Err(AppError::invalid(
                "purchase",
                format!(
                    "no purchase {:?} is recorded in the shop's inventory: record it first, or name one that is",
                    tie.purchase
                ),
            ));
        };
        let differs = |what: &str, of_purchase: &str, of_job: Option<&String>| {
            AppError::invalid(
                "purchase",
                format!(
                    "purchase {:?} is for {what} {of_purchase:?}, not this job's {what} {}",
                    tie.purchase,
                    of_job.map_or_else(|| "(none)".to_owned(), |v| format!("{v:?}"))
                ),
            )
        };
        if tie.sku.as_ref() != Some(&purchase.sku) {
            return Err(differs("SKU", &purchase.sku, tie.sku.as_ref()));
        }
        if tie.location.as_ref() != Some(&purchase.location) {
            return Err(differs(
                "location",
                &purchase.location,
                tie.location.as_ref(),
            ));
        }
        Ok(())
    }

    /// The caller's organisation, if one of their roles manages stock.
    pub fn stock_keeper(&self, caller: &UserCaller) -> Result<String, AppError> {
        if caller
            .user()
            .roles
            .iter()
            .any(|r| STOCK_ROLES.contains(&r.as_str()))
        {
            Ok(caller.organization().to_owned())
        } else {
            Err(AppError::forbidden(
                "the inventory is managed by the organisation's users with the role manager or admin",
            ))
        }
    }

    pub async fn stock_locations(
        &self,
        caller: &UserCaller,
    ) -> Result<Vec<StockLocationView>, AppError> {
        let org = self.stock_keeper(caller)?;
        Ok(self
            .store
            .stock_locations(&org)
            .await?
            .into_iter()
            .map(|l| StockLocationView {
                id: l.id,
                name: l.name,
                created_at: l.created_at,
            })
            .collect())
    }

    pub async fn create_stock_location(
        &self,
        caller: &UserCaller,
        req: &NewStockLocation,
    ) -> Result<StockLocationView, AppError> {
        let org = self.stock_keeper(caller)?;
        let id = id_field("id", &req.id)?;
        let name = match req.name.as_deref().filter(|n| !n.trim().is_empty()) {
            Some(n) => id_field("name", n)?,
            None => id.clone(),
        };
        let location = StockLocation {
            organization: org,
            id,
            name,
            created_at: self.now(),
        };
        self.store.create_stock_location(&location).await?;
        Ok(StockLocationView {
            id: location.id,
            name: location.name,
            created_at: location.created_at,
        })
    }

    pub async fn bins(
        &self,
        caller: &UserCaller,
        location: Option<&str>,
    ) -> Result<Vec<BinView>, AppError> {
        let org = self.stock_keeper(caller)?;
        // A location is named within the caller's organisation: one it
        // does not have is missing, not empty (another organisation's
        // location of that name is none of its business).
        if let Some(location) = location
            && !self
                .store
                .stock_locations(&org)
                .await?
                .iter()
                .any(|l| l.id == location)
        {
            return Err(AppError::not_found("location"));
        }
        Ok(self
            .store
            .bins(&org, location)
            .await?
            .into_iter()
            .map(bin_view)
            .collect())
    }

    pub async fn create_bin(
        &self,
        caller: &UserCaller,
        location: &str,
        req: &NewBin,
    ) -> Result<BinView, AppError> {
        let org = self.stock_keeper(caller)?;
        let bin = StockBin {
            organization: org,
            location: location.to_owned(),
            id: id_field("id", &req.id)?,
            sku: id_field("sku", &req.sku)?,
            quantity: req.quantity,
        };
        check_units("quantity", bin.quantity, 0)?;
        self.store.create_bin(&bin).await?;
        Ok(bin_view(bin))
    }

    /// Adds `delta` units to a bin (negative: takes them out); a bin never
    /// goes below zero.
    pub async fn adjust_bin(
        &self,
        caller: &UserCaller,
        location: &str,
        bin: &str,
        delta: i64,
    ) -> Result<BinView, AppError> {
        let org = self.stock_keeper(caller)?;
        if delta == 0 || delta.unsigned_abs() > UNITS_MAX {
            return Err(AppError::invalid(
                "delta",
                format!("a number of units other than 0, at most {UNITS_MAX_TEXT} either way"),
            ));
        }
        self.store.adjust_bin(&org, location, bin, delta).await?;
        self.store
            .bins(&org, Some(location))
            .await?
            .into_iter()
            .find(|b| b.id == bin)
            .map(bin_view)
            .ok_or_else(|| AppError::not_found("bin"))
    }

    pub async fn purchases(&self, caller: &UserCaller) -> Result<Vec<PurchaseView>, AppError> {
        let org = self.stock_keeper(caller)?;
        let records = self.store.purchases(&org, None).await?;
        let mut out = Vec::with_capacity(records.len());
        let mut tied_at: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        for p in records {
            if !tied_at.contains_key(&p.location) {
                let tied = self.tied_jobs(&org, &p.location).await?;
                tied_at.insert(p.location.clone(), tied);
            }
            let tied = tied_at
                .get(&p.location)
                .and_then(|t| t.get(&p.id))
                .copied()
                .unwrap_or(0);
            out.push(purchase_view(p, tied));
        }
        Ok(out)
    }

    pub async fn create_purchase(
        &self,
        caller: &UserCaller,
        req: &NewPurchase,
    ) -> Result<PurchaseView, AppError> {
        let org = self.stock_keeper(caller)?;
        check_units("ordered", req.ordered, 1)?;
        let purchase = PurchaseRecord {
            organization: org,
            id: id_field("id", &req.id)?,
            location: id_field("location", &req.location)?,
            sku: id_field("sku", &req.sku)?,
            ordered: req.ordered,
            received: 0,
            consumed: 0,
            supplier: supplier(req.supplier.as_deref())?,
            created_at: self.now(),
        };
        self.store.create_purchase(&purchase).await?;
        Ok(purchase_view(purchase, 0))
    }

    /// The settings of a workflow that keeps stock, as the engine reads
    /// them: each of the stock slot's `locations` with its `stock` (SKU →
    /// units) summed from the organisation's bins at it, so the location
    /// choice weighs the stock there is.
    pub(crate) async fn with_stock(
        &self,
        slot: &str,
        organization: &str,
        mut settings: Map<String, Value>,
    ) -> Result<Map<String, Value>, AppError> {
        if slot != STOCK_SLOT {
            return Ok(settings);
        }
        let Some(Value::Array(locations)) = settings.get_mut("locations") else {
            return Ok(settings);
        };
        let mut stock: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
        for b in self.store.bins(organization, None).await? {
            let units = stock.entry(b.location).or_default();
            let had = units.get(&b.sku).and_then(Value::as_u64).unwrap_or(0);
            units.insert(b.sku, Value::from(had.saturating_add(b.quantity)));
        }
        for location in locations.iter_mut().filter_map(Value::as_object_mut) {
            let id = location.get("id").and_then(Value::as_str).unwrap_or("");
            let units = stock.get(id).cloned().unwrap_or_default();
            location.insert("stock".to_owned(), Value::Object(units));
        }
        Ok(settings)
    }
}

fn bin_view(b: StockBin) -> BinView {
    BinView {
        location: b.location,
        id: b.id,
        sku: b.sku,
        quantity: b.quantity,
    }
}
