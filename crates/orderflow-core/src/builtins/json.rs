//! Reading a built-in's typed inputs out of an action's JSON variables, with
//! errors that name the path of the bad value.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::BuiltinError;
use super::location::{AccountSettings, Demand, DemandLine, Location};

type Object = Map<String, Value>;

fn invalid(path: &str, reason: impl Into<String>) -> BuiltinError {
    BuiltinError::Invalid {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `obj[key]`, absent when missing or null, with its path.
fn optional<'a>(obj: &'a Object, parent: &str, key: &str) -> (Option<&'a Value>, String) {
    let path = join(parent, key);
    (obj.get(key).filter(|v| !v.is_null()), path)
}

fn required<'a>(
    obj: &'a Object,
    parent: &str,
    key: &str,
) -> Result<(&'a Value, String), BuiltinError> {
    match optional(obj, parent, key) {
        (Some(v), path) => Ok((v, path)),
        (None, path) => Err(invalid(&path, "missing")),
    }
}

fn as_object<'a>(v: &'a Value, path: &str) -> Result<&'a Object, BuiltinError> {
    v.as_object()
        .ok_or_else(|| invalid(path, format!("expected an object, found {}", kind(v))))
}

fn as_array<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>, BuiltinError> {
    v.as_array()
        .ok_or_else(|| invalid(path, format!("expected an array, found {}", kind(v))))
}

fn as_str<'a>(v: &'a Value, path: &str) -> Result<&'a str, BuiltinError> {
    v.as_str()
        .ok_or_else(|| invalid(path, format!("expected a string, found {}", kind(v))))
}

fn as_u64(v: &Value, path: &str) -> Result<u64, BuiltinError> {
    v.as_u64().ok_or_else(|| {
        invalid(
            path,
            format!("expected a non-negative whole number, found {v}"),
        )
    })
}

fn as_bool(v: &Value, path: &str) -> Result<bool, BuiltinError> {
    v.as_bool()
        .ok_or_else(|| invalid(path, format!("expected a boolean, found {}", kind(v))))
}

/// A coordinate in degrees within `-limit..=limit`.
fn as_degrees(v: &Value, path: &str, limit: f64) -> Result<f64, BuiltinError> {
    match v.as_f64() {
        Some(x) if x.is_finite() && (-limit..=limit).contains(&x) => Ok(x),
        _ => Err(invalid(
            path,
            format!("expected degrees between -{limit} and {limit}, found {v}"),
        )),
    }
}

fn object_at<'a>(
    obj: &'a Object,
    parent: &str,
    key: &str,
) -> Result<(&'a Object, String), BuiltinError> {
    let (v, path) = required(obj, parent, key)?;
    Ok((as_object(v, &path)?, path))
}

fn strings(v: &Value, path: &str) -> Result<Vec<String>, BuiltinError> {
    as_array(v, path)?
        .iter()
        .enumerate()
        .map(|(i, x)| as_str(x, &format!("{path}[{i}]")).map(str::to_owned))
        .collect()
}

fn location(v: &Value, path: &str) -> Result<Location, BuiltinError> {
    let obj = as_object(v, path)?;
    let (id, p) = required(obj, path, "id")?;
    let id = as_str(id, &p)?.to_owned();
    let name = match optional(obj, path, "name") {
        (Some(v), p) => as_str(v, &p)?.to_owned(),
        (None, _) => String::new(),
    };
    let (lat, p) = required(obj, path, "latitude")?;
    let latitude = as_degrees(lat, &p, 90.0)?;
    let (lon, p) = required(obj, path, "longitude")?;
    let longitude = as_degrees(lon, &p, 180.0)?;
    let (cap, p) = required(obj, path, "capacity_units")?;
    let capacity_units = as_u64(cap, &p)?;
    let uses_pretreat = match optional(obj, path, "uses_pretreat") {
        (Some(v), p) => as_bool(v, &p)?,
        (None, _) => false,
    };
    let mut stock = BTreeMap::new();
    if let (Some(v), p) = optional(obj, path, "stock") {
        for (sku, n) in as_object(v, &p)? {
            stock.insert(sku.clone(), as_u64(n, &join(&p, sku))?);
        }
    }
    let decorations = match optional(obj, path, "decorations") {
        (Some(v), p) => strings(v, &p)?,
        (None, _) => Vec::new(),
    };
    Ok(Location {
        id,
        name,
        latitude,
        longitude,
        capacity_units,
        uses_pretreat,
        stock,
        decorations,
    })
}

fn demand_line(v: &Value, path: &str) -> Result<DemandLine, BuiltinError> {
    let obj = as_object(v, path)?;
    let (sku, p) = required(obj, path, "sku")?;
    let sku = as_str(sku, &p)?.to_owned();
    let (decoration, p) = required(obj, path, "decoration")?;
    let decoration = as_str(decoration, &p)?.to_owned();
    let (quantity, p) = required(obj, path, "quantity")?;
    let quantity = as_u64(quantity, &p)?;
    Ok(DemandLine {
        sku,
        decoration,
        quantity,
    })
}

/// The shop's locations (none when unset), ids unique.
fn shop_locations(parties: &Object, parties_path: &str) -> Result<Vec<Location>, BuiltinError> {
    let (shop, shop_path) = object_at(parties, parties_path, "shop")?;
    // A shop that has set no locations has none.
    let (Some(list), list_path) = optional(shop, &shop_path, "locations") else {
        return Ok(Vec::new());
    };
    let mut locations = Vec::new();
    let mut ids = BTreeSet::new();
    for (i, v) in as_array(list, &list_path)?.iter().enumerate() {
        let path = format!("{list_path}[{i}]");
        let l = location(v, &path)?;
        if !ids.insert(l.id.clone()) {
            return Err(invalid(
                &join(&path, "id"),
                format!("duplicate location id `{}`", l.id),
            ));
        }
        locations.push(l);
    }
    Ok(locations)
}

/// The items of the order (`children.item`) with their path.
fn items(vars: &Object) -> Result<(&Vec<Value>, String), BuiltinError> {
    let (children, children_path) = object_at(vars, "", "children")?;
    let (items, items_path) = required(children, &children_path, "item")?;
    Ok((as_array(items, &items_path)?, items_path))
}

fn item_id(v: &Value, path: &str) -> Result<String, BuiltinError> {
    let (id, p) = required(as_object(v, path)?, path, "id")?;
    Ok(as_str(id, &p)?.to_owned())
}

/// The inputs of `choose_location`, and the items' ids in demand order.
pub(super) fn location_inputs(
    vars: &Object,
) -> Result<(Vec<Location>, AccountSettings, Demand, Vec<String>), BuiltinError> {
    let (parties, parties_path) = object_at(vars, "", "parties")?;
    let locations = shop_locations(parties, &parties_path)?;

    let mut account = AccountSettings::default();
    if let (Some(v), path) = optional(parties, &parties_path, "merchant") {
        let merchant = as_object(v, &path)?;
        if let (Some(v), p) = optional(merchant, &path, "allowed_locations") {
            account.allowed_locations = Some(strings(v, &p)?);
        }
        if let (Some(v), p) = optional(merchant, &path, "preferred_location") {
            account.preferred_location = Some(as_str(v, &p)?.to_owned());
        }
    }

    let (order, order_path) = object_at(vars, "", "order")?;
    let (ship_to, ship_path) = object_at(order, &order_path, "ship_to")?;
    let (lat, p) = required(ship_to, &ship_path, "latitude")?;
    let latitude = as_degrees(lat, &p, 90.0)?;
    let (lon, p) = required(ship_to, &ship_path, "longitude")?;
    let longitude = as_degrees(lon, &p, 180.0)?;

    let (items, items_path) = items(vars)?;
    let mut units = Vec::with_capacity(items.len());
    let mut ids = Vec::with_capacity(items.len());
    for (i, v) in items.iter().enumerate() {
        let path = format!("{items_path}[{i}]");
        ids.push(item_id(v, &path)?);
        units.push(demand_line(v, &path)?);
    }

    Ok((
        locations,
        account,
        Demand {
            units,
            latitude,
            longitude,
        },
        ids,
    ))
}

/// The inputs of `assign_location`: the shop's location named by
/// `input.location`, and the items' ids.
pub(super) fn assignment_inputs(vars: &Object) -> Result<(Location, Vec<String>), BuiltinError> {
    let (parties, parties_path) = object_at(vars, "", "parties")?;
    let locations = shop_locations(parties, &parties_path)?;
    let (input, input_path) = object_at(vars, "", "input")?;
    let (id, id_path) = required(input, &input_path, "location")?;
    let id = as_str(id, &id_path)?;
    let location = locations
        .into_iter()
        .find(|l| l.id == id)
        .ok_or_else(|| invalid(&id_path, format!("the shop has no location `{id}`")))?;
    let (items, items_path) = items(vars)?;
    let ids = items
        .iter()
        .enumerate()
        .map(|(i, v)| item_id(v, &format!("{items_path}[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((location, ids))
}
