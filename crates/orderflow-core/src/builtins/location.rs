//! `choose_location`: where an order of the `print-production` workflow is
//! produced, decided in `production_hold` from the merchant account's settings,
//! each location's capacity and inventory, and the distance to the customer.
//!
//! # The rule
//!
//! 1. **Allowed**: the locations the account allows (all of them when the
//!    account lists none).
//! 2. **Can decorate**: of those, the ones that can do every decoration the
//!    order asks for (`dtg`, `dtf`, `embroidery`; exact, case-sensitive ids).
//!    Lines of quantity 0 ask for nothing.
//! 3. **Has capacity**: of those, the ones whose free capacity is at least the
//!    order's total units. These are the *candidates*.
//! 4. The account's **preferred** location wins if it is a candidate.
//! 5. Otherwise the candidate covering the **most demanded units from stock**
//!    wins: per SKU, `min(stock, units of that SKU the order asks for)`,
//!    summed (lines of one SKU with different decorations share its stock).
//! 6. Ties: the **nearest** to the customer (great-circle distance, haversine,
//!    mean Earth radius 6371.0088 km; a distance that is not a finite number
//!    counts as infinitely far).
//! 7. Ties: the **lowest id** (byte order); between locations listed twice
//!    with one id, the first listed.
//!
//! The result depends only on the arguments. When no candidate is left,
//! [`NoLocation`] names the step that removed the last one.
//!
//! # Splitting an order: [`place`]
//!
//! One location makes the whole order whenever one can ([`choose`]). When none
//! can — no allowed location does every decoration of the order, or none has
//! room for all its units — each line (an item) goes to the best location
//! that can make it, and the order is split:
//!
//! 1. Lines are placed largest first (most units; ties in input order), so
//!    the big ones find room before small ones fill it (first fit
//!    decreasing). An item is never split: all its units go to one location.
//! 2. A line's candidates are the allowed locations that can do its
//!    decoration and still have free capacity for its units once the lines
//!    placed before it are counted.
//! 3. The account's **preferred** location wins if it is a candidate; then
//!    the candidate covering the **most of the line's units from stock** (the
//!    stock left after the lines placed before it); then one **already
//!    making another line** of the order (fewer parcels); then the
//!    **nearest**; then the **lowest id** (first listed among equal ids).
//!
//! When a line has no candidate, nothing is placed: [`NoLocation::NoneFitsLine`]
//! names it. A decoration no allowed location does at all is reported as by
//! [`choose`].

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// Mean Earth radius (IUGG), in kilometres.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// A production location of the shop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub id: String,
    #[serde(default)]
    pub name: String,
    pub latitude: f64,
    pub longitude: f64,
    /// Units it can take on now.
    pub capacity_units: u64,
    /// Whether its DTG jobs go through a pretreat system.
    #[serde(default)]
    pub uses_pretreat: bool,
    /// Units in its bins, per SKU.
    #[serde(default)]
    pub stock: BTreeMap<String, u64>,
    /// Decorations it can do: `dtg`, `dtf`, `embroidery`.
    #[serde(default)]
    pub decorations: Vec<String>,
}

/// The merchant account's placement settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSettings {
    /// Location ids the account may be produced at; `None`: all of them.
    #[serde(default)]
    pub allowed_locations: Option<Vec<String>>,
    /// Location id used whenever it is a candidate.
    #[serde(default)]
    pub preferred_location: Option<String>,
}

/// One line of what the order asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemandLine {
    pub sku: String,
    pub decoration: String,
    pub quantity: u64,
}

/// What the order asks for, and where the customer is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Demand {
    pub units: Vec<DemandLine>,
    pub latitude: f64,
    pub longitude: f64,
}

/// Which step of the rule decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The account's preferred location is a candidate.
    Preferred,
    /// Only one location passed the filters.
    OnlyCandidate,
    /// It covers more units from stock than any other candidate.
    MostStock,
    /// Stock coverage tied; it is the nearest.
    Nearest,
    /// Stock and distance tied; it has the lowest id.
    LowestId,
}

/// The chosen location and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub location: String,
    pub uses_pretreat: bool,
    pub rule: Rule,
    /// Demanded units it covers from stock.
    pub covered_units: u64,
    /// Great-circle distance to the customer, in kilometres.
    pub distance_km: f64,
    /// Every candidate's id, in input order.
    pub candidates: Vec<String>,
}

/// Why no location can take the order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum NoLocation {
    #[error("the shop has no production locations")]
    NoLocations,
    #[error("the account allows none of the shop's locations")]
    NoneAllowed,
    #[error("no allowed location can do {decoration}")]
    NoneCanDecorate { decoration: String },
    #[error("no allowed location can do all of {}", decorations.join(", "))]
    NoneCanDecorateAll { decorations: Vec<String> },
    #[error(
        "no location that can decorate the order has capacity for {units} units (the most free is {most_free})"
    )]
    NoneHasCapacity { units: u64, most_free: u64 },
    #[error(
        "the order cannot be split: no allowed location that can do {decoration} has room for the {quantity} units of {sku} once the order's larger items are placed"
    )]
    NoneFitsLine {
        sku: String,
        decoration: String,
        quantity: u64,
    },
}

/// Where one line of the order is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinePlacement {
    pub location: String,
    pub uses_pretreat: bool,
}

/// Where the order is made: one entry per line of the demand, in its order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Placement {
    /// The choice of one location for the whole order; `None` when split.
    pub whole: Option<Choice>,
    pub lines: Vec<LinePlacement>,
}

impl Placement {
    /// The locations making the order, each once, in the order of the lines
    /// they make first.
    pub fn locations(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for line in &self.lines {
            if !out.contains(&line.location.as_str()) {
                out.push(&line.location);
            }
        }
        out
    }
}

/// Great-circle distance between two points given in degrees, in kilometres.
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (phi1, phi2) = (lat1.to_radians(), lat2.to_radians());
    let d_phi = (lat2 - lat1).to_radians();
    let d_lambda = (lon2 - lon1).to_radians();
    let a = (d_phi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (d_lambda / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.clamp(0.0, 1.0).sqrt().asin()
}

/// Places every line of the order: at one location when one can make it all
/// ([`choose`]), otherwise split line by line. See the module documentation.
pub fn place(
    locations: &[Location],
    account: &AccountSettings,
    demand: &Demand,
) -> Result<Placement, NoLocation> {
    match choose(locations, account, demand) {
        Ok(choice) => {
            let line = LinePlacement {
                location: choice.location.clone(),
                uses_pretreat: choice.uses_pretreat,
            };
            Ok(Placement {
                lines: vec![line; demand.units.len()],
                whole: Some(choice),
            })
        }
        Err(NoLocation::NoneCanDecorateAll { .. } | NoLocation::NoneHasCapacity { .. }) => {
            split(locations, account, demand).map(|lines| Placement { whole: None, lines })
        }
        Err(e) => Err(e),
    }
}

/// Each line at the best allowed location that can make it (module docs).
fn split(
    locations: &[Location],
    account: &AccountSettings,
    demand: &Demand,
) -> Result<Vec<LinePlacement>, NoLocation> {
    let allowed = |l: &Location| {
        account
            .allowed_locations
            .as_ref()
            .is_none_or(|ids| ids.contains(&l.id))
    };
    let mut free: Vec<u64> = locations.iter().map(|l| l.capacity_units).collect();
    let mut stock: Vec<BTreeMap<&str, u64>> = locations
        .iter()
        .map(|l| l.stock.iter().map(|(k, v)| (k.as_str(), *v)).collect())
        .collect();
    let mut used = vec![false; locations.len()];
    let distance: Vec<f64> = locations
        .iter()
        .map(|l| {
            let d = distance_km(l.latitude, l.longitude, demand.latitude, demand.longitude);
            if d.is_finite() { d } else { f64::INFINITY }
        })
        .collect();

    let mut order: Vec<usize> = (0..demand.units.len()).collect();
    order.sort_by_key(|&i| demand.units.get(i).map_or(0, |l| u64::MAX - l.quantity));
    let mut placed: Vec<Option<LinePlacement>> = vec![None; demand.units.len()];
    for i in order {
        let Some(line) = demand.units.get(i) else {
            continue;
        };
        let covered = |j: usize| -> u64 {
            stock
                .get(j)
                .and_then(|s| s.get(line.sku.as_str()))
                .map_or(0, |have| (*have).min(line.quantity))
        };
        let candidates = locations.iter().enumerate().filter(|(j, l)| {
            allowed(l)
                && l.decorations.contains(&line.decoration)
                && free.get(*j).is_some_and(|f| *f >= line.quantity)
        });
        let preferred = account.preferred_location.as_deref();
        // Best first; `min_by` keeps the first of equal ones.
        let best = candidates.min_by(|(a, la), (b, lb)| {
            let is_preferred = |l: &Location| Some(l.id.as_str()) == preferred;
            is_preferred(lb)
                .cmp(&is_preferred(la))
                .then_with(|| covered(*b).cmp(&covered(*a)))
                .then_with(|| used.get(*b).cmp(&used.get(*a)))
                .then_with(|| {
                    let d = |j: usize| distance.get(j).copied().unwrap_or(f64::INFINITY);
                    d(*a).total_cmp(&d(*b))
                })
                .then_with(|| la.id.cmp(&lb.id))
        });
        let Some((j, location)) = best else {
            return Err(NoLocation::NoneFitsLine {
                sku: line.sku.clone(),
                decoration: line.decoration.clone(),
                quantity: line.quantity,
            });
        };
        let taken = covered(j);
        if let Some(f) = free.get_mut(j) {
            *f -= line.quantity;
        }
        if let Some(have) = stock.get_mut(j).and_then(|s| s.get_mut(line.sku.as_str())) {
            *have -= taken;
        }
        if let Some(u) = used.get_mut(j) {
            *u = true;
        }
        if let Some(slot) = placed.get_mut(i) {
            *slot = Some(LinePlacement {
                location: location.id.clone(),
                uses_pretreat: location.uses_pretreat,
            });
        }
    }
    Ok(placed.into_iter().flatten().collect())
}

/// Chooses the production location of an order. See the module
/// documentation for the rule.
pub fn choose(
    locations: &[Location],
    account: &AccountSettings,
    demand: &Demand,
) -> Result<Choice, NoLocation> {
    let mut total: u64 = 0;
    let mut per_sku: BTreeMap<&str, u64> = BTreeMap::new();
    let mut decorations: BTreeSet<&str> = BTreeSet::new();
    for line in demand.units.iter().filter(|l| l.quantity > 0) {
        total = total.saturating_add(line.quantity);
        let n = per_sku.entry(line.sku.as_str()).or_default();
        *n = n.saturating_add(line.quantity);
        decorations.insert(line.decoration.as_str());
    }

    if locations.is_empty() {
        return Err(NoLocation::NoLocations);
    }
    let allowed_ids: Option<BTreeSet<&str>> = account
        .allowed_locations
        .as_ref()
        .map(|ids| ids.iter().map(String::as_str).collect());
    let allowed: Vec<&Location> = locations
        .iter()
        .filter(|l| {
            allowed_ids
                .as_ref()
                .is_none_or(|ids| ids.contains(l.id.as_str()))
        })
        .collect();
    if allowed.is_empty() {
        return Err(NoLocation::NoneAllowed);
    }

    let can_do = |l: &Location, d: &str| l.decorations.iter().any(|x| x == d);
    let decorating: Vec<&Location> = allowed
        .iter()
        .copied()
        .filter(|l| decorations.iter().all(|d| can_do(l, d)))
        .collect();
    if decorating.is_empty() {
        let missing = decorations
            .iter()
            .find(|d| !allowed.iter().any(|l| can_do(l, d)));
        return Err(match missing {
            Some(d) => NoLocation::NoneCanDecorate {
                decoration: (*d).to_owned(),
            },
            None => NoLocation::NoneCanDecorateAll {
                decorations: decorations.iter().map(|d| (*d).to_owned()).collect(),
            },
        });
    }

    let candidates: Vec<&Location> = decorating
        .iter()
        .copied()
        .filter(|l| l.capacity_units >= total)
        .collect();
    if candidates.is_empty() {
        return Err(NoLocation::NoneHasCapacity {
            units: total,
            most_free: decorating
                .iter()
                .map(|l| l.capacity_units)
                .max()
                .unwrap_or(0),
        });
    }

    let covered = |l: &Location| -> u64 {
        per_sku.iter().fold(0u64, |sum, (sku, need)| {
            let have = l.stock.get(*sku).copied().unwrap_or(0);
            sum.saturating_add(have.min(*need))
        })
    };
    let distance = |l: &Location| -> f64 {
        let d = distance_km(l.latitude, l.longitude, demand.latitude, demand.longitude);
        if d.is_finite() { d } else { f64::INFINITY }
    };
    struct Scored<'a> {
        location: &'a Location,
        covered: u64,
        distance: f64,
    }
    let mut scored: Vec<Scored<'_>> = candidates
        .iter()
        .map(|&location| Scored {
            location,
            covered: covered(location),
            distance: distance(location),
        })
        .collect();
    let ids = candidates.iter().map(|l| l.id.clone()).collect();

    let preferred = account
        .preferred_location
        .as_deref()
        .and_then(|p| scored.iter().position(|s| s.location.id == p));
    // Best first; `sort_by` is stable, so equal ids keep input order.
    let rank = |a: &Scored<'_>, b: &Scored<'_>| -> Ordering {
        b.covered
            .cmp(&a.covered)
            .then_with(|| a.distance.total_cmp(&b.distance))
            .then_with(|| a.location.id.cmp(&b.location.id))
    };
    let (best, rule) = match preferred {
        Some(i) => (scored.swap_remove(i), Rule::Preferred),
        None => {
            scored.sort_by(rank);
            let mut it = scored.into_iter();
            let Some(best) = it.next() else {
                // Unreachable: `candidates` is not empty.
                return Err(NoLocation::NoneAllowed);
            };
            let rule = match it.next() {
                None => Rule::OnlyCandidate,
                Some(second) if second.covered != best.covered => Rule::MostStock,
                Some(second) if second.distance.total_cmp(&best.distance) != Ordering::Equal => {
                    Rule::Nearest
                }
                Some(_) => Rule::LowestId,
            };
            (best, rule)
        }
    };
    Ok(Choice {
        location: best.location.id.clone(),
        uses_pretreat: best.location.uses_pretreat,
        rule,
        covered_units: best.covered,
        distance_km: best.distance,
        candidates: ids,
    })
}
