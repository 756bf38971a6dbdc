//! Organisation settings against the workflows that read them.
//!
//! A workflow declares, per party slot, the settings it reads
//! (`[[parties]] settings`), each with a type. The declarations are a
//! contract with both sides: an organisation's setting is refused when it
//! is written if it does not fit every declaration of a setting with that id
//! ([`check_organization`]), and what expressions read is the setting as its
//! declaration normalises it ([`normalize`]). Settings stored before a
//! declaration existed (or changed) may still not fit: they read as absent,
//! and an action on an order of that organisation is refused naming the
//! setting ([`check_parties`]) rather than failing inside an expression.

use serde_json::{Map, Value as Json};

use crate::definition::{Definition, Field, FieldKind};
use crate::engine::inputs::{InputContext, check_value};
use crate::model::{Order, PartySettings};
use crate::money;
use crate::rejection::{FieldError, Rejection};

/// Checks settings given to create or change an organisation: each must fit
/// every declaration of a setting with its id in `workflows` (an organisation
/// may fill any slot of any workflow), and `currency` must be an ISO 4217
/// code. Settings no workflow declares are kept as given; `null` removes a
/// setting and always fits. Gives the settings to store: amounts of money
/// written one way, as decimal text (`500` and `"500"` are `"500.00"`).
/// Problems are named `settings.<id>` (`settings.locations.0.capacity_units`).
pub fn check_organization<'a>(
    workflows: impl IntoIterator<Item = &'a Definition>,
    settings: &Map<String, Json>,
) -> Result<Map<String, Json>, Vec<FieldError>> {
    let declarations: Vec<&Field> = workflows
        .into_iter()
        .flat_map(|def| def.parties.iter())
        .flat_map(|party| party.settings.iter())
        .collect();
    let mut errors: Vec<FieldError> = Vec::new();
    let mut out = settings.clone();
    for (id, value) in settings {
        if value.is_null() {
            continue;
        }
        if id == money::CURRENCY_SETTING && !value.as_str().is_some_and(money::is_currency_code) {
            errors.push(FieldError {
                field: format!("settings.{id}"),
                message: "must be an ISO 4217 currency code, such as EUR or USD".to_owned(),
            });
        }
        let mut canonical = None;
        for declared in declarations.iter().filter(|d| d.id == *id) {
            match check_one(&declared.kind, value, id) {
                Ok(checked) if money::has_money(&declared.kind) => {
                    canonical.get_or_insert_with(|| money::shown(&declared.kind, &checked));
                }
                Ok(_) => {}
                Err(problems) => {
                    for e in problems {
                        let e = FieldError {
                            field: format!("settings.{}", e.field),
                            message: e.message,
                        };
                        if !errors.contains(&e) {
                            errors.push(e);
                        }
                    }
                }
            }
        }
        if let Some(canonical) = canonical {
            out.insert(id.clone(), canonical);
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// One party's settings as expressions read them: every declared setting
/// checked against its declaration and normalised (an absent or unfit one
/// is `null`), the others as they are; with the problems of the unfit and
/// the missing required ones, named by the setting's id.
pub fn normalize(
    declared: &[Field],
    raw: &Map<String, Json>,
) -> (Map<String, Json>, Vec<FieldError>) {
    let mut out = raw.clone();
    let mut problems = Vec::new();
    for field in declared {
        let value = match raw.get(&field.id).filter(|v| !v.is_null()) {
            None => {
                if field.required {
                    problems.push(FieldError {
                        field: field.id.clone(),
                        message: "is required".to_owned(),
                    });
                }
                Json::Null
            }
            Some(v) => match check_one(&field.kind, v, &field.id) {
                Ok(v) => v,
                Err(mut errors) => {
                    problems.append(&mut errors);
                    Json::Null
                }
            },
        };
        out.insert(field.id.clone(), value);
    }
    (out, problems)
}

/// Refuses an action on `order` while the organisation in one of its slots
/// has a setting the workflow declares that does not fit, or lacks a
/// required one: the order cannot be decided on without it, and guessing
/// around it could let an order past a limit it was meant to stop at.
pub fn check_parties(
    def: &Definition,
    order: &Order,
    settings: &PartySettings,
) -> Result<(), Rejection> {
    let empty = Map::new();
    for slot in order.parties.keys() {
        let Some(party) = def.party(slot) else {
            continue;
        };
        let raw = settings.get(slot).unwrap_or(&empty);
        let (_, problems) = normalize(&party.settings, raw);
        if let Some(problem) = problems.into_iter().next() {
            return Err(Rejection::InvalidSetting {
                party: slot.clone(),
                field: format!("parties.{slot}.{}", problem.field),
                message: problem.message,
            });
        }
    }
    Ok(())
}

/// One setting against one declaration.
fn check_one(kind: &FieldKind, value: &Json, id: &str) -> Result<Json, Vec<FieldError>> {
    let mut errors = Vec::new();
    let none = PartySettings::new();
    let cx = InputContext {
        settings: &none,
        now: None,
        actor_slot: None,
    };
    let checked = check_value(kind, value, id, &cx, &mut errors);
    match checked {
        Some(v) if errors.is_empty() => Ok(v),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;
    use serde_json::json;

    fn definitions() -> Vec<Definition> {
        catalog::BUILT_IN
            .iter()
            .filter_map(|(id, _)| catalog::built_in(id)?.ok())
            .map(|wf| wf.def)
            .collect()
    }

    fn refused(settings: Json) -> Vec<(String, String)> {
        let defs = definitions();
        let map = settings.as_object().cloned().unwrap_or_default();
        match check_organization(&defs, &map) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.into_iter().map(|e| (e.field, e.message)).collect(),
        }
    }

    #[test]
    fn settings_that_do_not_fit_are_named() {
        let fields = |s: Json| -> Vec<String> { refused(s).into_iter().map(|(f, _)| f).collect() };
        for limit in [json!("500,00"), json!("12.345"), json!("lots"), json!(true)] {
            assert_eq!(
                fields(json!({ "purchasing_limit": limit })),
                ["settings.purchasing_limit"]
            );
        }
        assert_eq!(fields(json!({"currency": "euro"})), ["settings.currency"]);
        assert_eq!(fields(json!({"locations": "chi"})), ["settings.locations"]);
        assert_eq!(fields(json!({"active": "false"})), ["settings.active"]);
        assert_eq!(
            fields(
                json!({"locations": [{"id": "chi", "latitude": 41.9, "longitude": -87.6, "capacity_units": "lots"}]})
            ),
            ["settings.locations.0.capacity_units"]
        );
        assert_eq!(
            fields(
                json!({"locations": [{"id": "chi", "latitude": 41.9, "longitude": -87.6, "capacity_units": 5, "decorations": ["screen"]}]})
            ),
            ["settings.locations.0.decorations.0"]
        );
        assert_eq!(
            fields(json!({"task_templates": {"crown": "mill"}})),
            ["settings.task_templates.crown"]
        );
        assert_eq!(
            fields(json!({"allowed_locations": ["chi", 3]})),
            ["settings.allowed_locations.1"]
        );
    }

    #[test]
    fn settings_that_fit_and_unknown_ones_pass() {
        assert_eq!(
            refused(json!({
                "purchasing_limit": 50000,
                "currency": "USD",
                "active": false,
                "time_zone": "Europe/Paris",
                "locations": [{"id": "chi", "name": "Chicago", "latitude": 41.9, "longitude": -87.6,
                    "capacity_units": 500, "uses_pretreat": true, "stock": {"tee": 3}, "decorations": ["dtg"]}],
                "allowed_locations": ["chi"],
                "task_templates": {"crown": ["mill", "glaze"]},
                "purchasing_limt": "typo, but no workflow reads it",
                "active_since": null,
            })),
            Vec::<(String, String)>::new()
        );
    }

    #[test]
    fn money_settings_are_decimal_amounts() {
        let defs = definitions();
        for (given, stored) in [
            (json!(500), "500.00"),
            (json!("500"), "500.00"),
            (json!(12.5), "12.50"),
        ] {
            let map = json!({ "purchasing_limit": given, "time_zone": "UTC" });
            let checked = check_organization(&defs, map.as_object().unwrap_or(&Map::new()));
            let expected = json!({ "purchasing_limit": stored, "time_zone": "UTC" });
            assert_eq!(checked.ok(), expected.as_object().cloned(), "{given}");
        }
        let Some(Ok(wf)) = catalog::built_in("purchasing") else {
            unreachable!("purchasing is built in")
        };
        let Some(outlet) = wf.def.party("outlet") else {
            unreachable!("purchasing has an outlet")
        };
        let raw = json!({"purchasing_limit": "500.00"});
        let (read, _) = normalize(&outlet.settings, raw.as_object().unwrap_or(&Map::new()));
        assert_eq!(read.get("purchasing_limit"), Some(&json!(50000)));
    }

    #[test]
    fn unfit_settings_read_as_absent_and_refuse_actions() {
        let Some(Ok(wf)) = catalog::built_in("purchasing") else {
            unreachable!("purchasing is built in")
        };
        let Some(outlet) = wf.def.party("outlet") else {
            unreachable!("purchasing has an outlet")
        };
        let raw = json!({"purchasing_limit": "lots", "time_zone": "Europe/Paris", "other": 1});
        let (read, problems) = normalize(&outlet.settings, raw.as_object().unwrap_or(&Map::new()));
        assert_eq!(read.get("purchasing_limit"), Some(&Json::Null));
        assert_eq!(read.get("time_zone"), Some(&json!("Europe/Paris")));
        assert_eq!(read.get("other"), Some(&json!(1)));
        assert_eq!(problems.len(), 1);

        let parties = [("outlet".to_owned(), "o".to_owned())]
            .into_iter()
            .collect();
        let order = Order::blank("", "purchasing", parties);
        let mut settings = PartySettings::new();
        settings.insert(
            "outlet".into(),
            raw.as_object().cloned().unwrap_or_default(),
        );
        let refusal = check_parties(&wf.def, &order, &settings);
        let Err(Rejection::InvalidSetting { field, .. }) = &refusal else {
            unreachable!("expected an invalid setting, got {refusal:?}")
        };
        assert_eq!(field, "parties.outlet.purchasing_limit");
        assert_eq!(refusal.map_err(|r| r.http_status()), Err(409));
    }
}
