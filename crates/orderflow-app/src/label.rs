//! The shipping label of a shipped print-production job, filled from the
//! job, its order and the production location it was made at, and rendered
//! by `orderflow-docs`. The label is a read: printing it changes nothing.

use orderflow_core::model::{Child, Order, PartySettings};
use orderflow_docs::ShippingLabel;
use serde_json::{Map, Value};

use crate::App;
use crate::auth::UserCaller;
use crate::error::AppError;

impl App {
    /// The label (a 4 × 6 in PDF) of job `child_id` of order `id`, for
    /// whoever sees the order, once the job was shipped with a tracking
    /// number; `not_found` before that, like for an order the caller does
    /// not see.
    pub async fn shipping_label(
        &self,
        caller: &UserCaller,
        id: &str,
        child_id: &str,
    ) -> Result<Vec<u8>, AppError> {
        let v = self.load_visible(caller, id).await?;
        let job = self.find_child(&v.order, child_id).await?;
        let not_found = || AppError::not_found("shipping label");
        let tracking_number = shipped_with(&job.data).ok_or_else(not_found)?;
        let ship_to = v
            .order
            .data
            .get("ship_to")
            .and_then(Value::as_object)
            .ok_or_else(not_found)?;
        let settings = self.party_settings(&v.order).await?;
        let ship_from = self.ship_from(&v.order, &settings, &job).await?;
        Ok(ShippingLabel {
            ship_from,
            ship_to: address_lines(text(ship_to, "recipient"), ship_to),
            order: v.order.id.clone(),
            reference: text(&v.order.data, "reference").map(str::to_owned),
            contents: contents(&job),
            carrier: text(&job.data, "carrier").map(str::to_owned),
            tracking_number: tracking_number.to_owned(),
        }
        .pdf())
    }

    /// The sender: the organisation whose `locations` setting lists the
    /// job's location, with that location's name and address (the
    /// location's `address1`, `address2`, `city`, `region`, `postal_code`
    /// and `country`, as far as the shop has set them).
    async fn ship_from(
        &self,
        order: &Order,
        settings: &PartySettings,
        job: &Child,
    ) -> Result<Vec<String>, AppError> {
        let Some(location_id) = text(&job.data, "location") else {
            return Ok(Vec::new());
        };
        for (slot, organization) in &order.parties {
            let location = settings
                .get(slot)
                .and_then(|s| s.get("locations"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_object)
                .find(|l| text(l, "id") == Some(location_id));
            let Some(location) = location else {
                continue;
            };
            let org_name = self
                .store
                .organization(organization)
                .await?
                .map_or_else(|| organization.clone(), |o| o.name);
            let name = match text(location, "name") {
                Some(place) => format!("{org_name}, {place}"),
                None => org_name,
            };
            return Ok(address_lines(Some(&name), location));
        }
        Ok(vec![location_id.to_owned()])
    }
}

/// The tracking number a job (its `data`) was shipped with: what its label
/// prints, and so whether it has a label at all.
pub fn shipped_with(data: &Map<String, Value>) -> Option<&str> {
    text(data, "tracking_number")
}

/// A non-empty string field of `data`.
fn text<'a>(data: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    data.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The lines of an address the way carriers print them: the name, the
/// street lines, "city region postal code", the country.
fn address_lines(name: Option<&str>, address: &Map<String, Value>) -> Vec<String> {
    let town: Vec<&str> = ["city", "region", "postal_code"]
        .iter()
        .filter_map(|k| text(address, k))
        .collect();
    let town = town.join(" ");
    [
        name,
        text(address, "address1"),
        text(address, "address2"),
        Some(town.as_str()).filter(|t| !t.is_empty()),
        text(address, "country"),
    ]
    .into_iter()
    .flatten()
    .map(str::to_owned)
    .collect()
}

/// What the parcel holds: the job's unit.
fn contents(job: &Child) -> String {
    let sku = text(&job.data, "sku").unwrap_or("item");
    match text(&job.data, "decoration") {
        Some(decoration) => format!("1 x {sku} ({decoration}), {}", job.id),
        None => format!("1 x {sku}, {}", job.id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn addresses_read_as_carriers_print_them() {
        let a = json!({"recipient": "Ada", "address1": "1 Lake Dr", "address2": "",
                       "city": "Milwaukee", "region": "WI", "postal_code": "53202",
                       "country": "US"});
        let a = a.as_object().cloned().unwrap_or_default();
        assert_eq!(
            address_lines(text(&a, "recipient"), &a),
            ["Ada", "1 Lake Dr", "Milwaukee WI 53202", "US"]
        );
        assert_eq!(address_lines(Some("Shop"), &Map::new()), ["Shop"]);
    }
}
