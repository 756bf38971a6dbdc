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
}

/// Great-circle distance between two points given in degrees, in kilometres.
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (phi1, phi2) = (lat1.to_radians(), lat2.to_radians());
    let d_phi = (lat2 - lat1).to_radians();
    let d_lambda = (lon2 - lon1).to_radians();
    let a = (d_phi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (d_lambda / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.clamp(0.0, 1.0).sqrt().asin()
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
