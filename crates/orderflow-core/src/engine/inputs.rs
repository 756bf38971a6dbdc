//! Checking an action's inputs against their declared types and constraints,
//! and normalising them (money to minor units, dates to `YYYY-MM-DD`).

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value as Json};

use crate::definition::{Field, FieldKind};
use crate::limits;
use crate::model::PartySettings;
use crate::rejection::FieldError;

/// The setting of an organisation that names its IANA time zone.
pub const TIME_ZONE_SETTING: &str = "time_zone";

/// The time zone of the organisation in `slot`: `None` when it has none or
/// an unknown one (dates are then read in UTC).
pub fn time_zone(settings: &PartySettings, slot: Option<&str>) -> Option<Tz> {
    slot.and_then(|s| settings.get(s))
        .and_then(|s| s.get(TIME_ZONE_SETTING))
        .and_then(Json::as_str)
        .and_then(|name| name.parse::<Tz>().ok())
}

/// Today's date for the organisation in `slot`, in its time zone (UTC when it
/// has none or an unknown one).
pub fn today(settings: &PartySettings, slot: Option<&str>, now: DateTime<Utc>) -> NaiveDate {
    match time_zone(settings, slot) {
        Some(tz) => now.with_timezone(&tz).date_naive(),
        None => now.date_naive(),
    }
}

pub struct InputContext<'a> {
    pub settings: &'a PartySettings,
    /// The request's time; `None` where there is no "today" (an
    /// organisation's settings): date bounds are not checked and `today`
    /// or `tomorrow` is not a date there.
    pub now: Option<DateTime<Utc>>,
    /// The slot the acting user's organisation fills: `today` and
    /// `tomorrow` in a date input are read in its time zone.
    pub actor_slot: Option<&'a str>,
}

/// Validates `given` against `fields`; every problem is reported, each with
/// its path. Absent optional inputs become `null` (`false` for bools, `[]`
/// for lists and files) so expressions can read every declared input.
pub fn validate(
    fields: &[Field],
    given: &Json,
    cx: &InputContext<'_>,
) -> Result<Map<String, Json>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let out = validate_record(fields, given, "", cx, &mut errors);
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn validate_record(
    fields: &[Field],
    given: &Json,
    prefix: &str,
    cx: &InputContext<'_>,
    errors: &mut Vec<FieldError>,
) -> Map<String, Json> {
    let mut out = Map::new();
    let empty = Map::new();
    let object = match given {
        Json::Object(m) => m,
        Json::Null => &empty,
        _ => {
            errors.push(error(prefix, "must be an object of named inputs"));
            return out;
        }
    };
    for key in object.keys() {
        if !fields.iter().any(|f| &f.id == key) {
            let known: Vec<&str> = fields.iter().map(|f| f.id.as_str()).collect();
            let message = if prefix.is_empty() {
                format!(
                    "is not an input of this action (inputs: {})",
                    list_or_none(&known)
                )
            } else {
                format!(
                    "is not a field of this record (fields: {})",
                    list_or_none(&known)
                )
            };
            errors.push(error(&join(prefix, key), &message));
        }
    }
    for field in fields {
        let path = join(prefix, &field.id);
        let value = match object.get(&field.id) {
            None | Some(Json::Null) => {
                if field.required {
                    errors.push(error(&path, "is required"));
                }
                absent(&field.kind)
            }
            Some(v) => match check_value(&field.kind, v, &path, cx, errors) {
                Some(v) => v,
                None => continue,
            },
        };
        out.insert(field.id.clone(), value);
    }
    out
}

fn absent(kind: &FieldKind) -> Json {
    match kind {
        FieldKind::Bool => Json::Bool(false),
        FieldKind::Files { .. } | FieldKind::List { .. } => Json::Array(Vec::new()),
        FieldKind::Map { .. } => Json::Object(Map::new()),
        _ => Json::Null,
    }
}

pub(crate) fn check_value(
    kind: &FieldKind,
    v: &Json,
    path: &str,
    cx: &InputContext<'_>,
    errors: &mut Vec<FieldError>,
) -> Option<Json> {
    let mut fail = |message: String| {
        errors.push(error(path, &message));
        None
    };
    match kind {
        FieldKind::Text {
            min_length,
            max_length,
        } => {
            let Some(s) = v.as_str() else {
                return fail("must be text".into());
            };
            let len = s.chars().count();
            let max = max_length
                .unwrap_or(limits::TEXT_LEN_MAX)
                .min(limits::TEXT_LEN_MAX);
            if len > max {
                return fail(format!("must be at most {max} characters (it has {len})"));
            }
            if let Some(min) = min_length
                && len < *min
            {
                return fail(format!("must be at least {min} characters"));
            }
            if s.trim().is_empty() && min_length.unwrap_or(0) > 0 {
                return fail("must not be blank".into());
            }
            Some(Json::String(s.to_owned()))
        }
        FieldKind::Number {
            min,
            max,
            exclusive_min,
            integer,
        } => {
            let Some(n) = v.as_f64().filter(|_| v.is_number()) else {
                return fail("must be a number".into());
            };
            if *integer && v.as_i64().is_none() {
                return fail("must be a whole number".into());
            }
            if let Some(message) = bounds(n, *min, *max, *exclusive_min) {
                return fail(message);
            }
            Some(v.clone())
        }
        FieldKind::Money {
            min,
            max,
            exclusive_min,
        } => {
            let Some(cents) = crate::money::minor_units(v) else {
                return fail(
                    "must be an amount of money with at most 2 decimals, such as 12.50".into(),
                );
            };
            if let Some(message) = bounds(cents as f64 / 100.0, *min, *max, *exclusive_min) {
                return fail(message);
            }
            Some(Json::from(cents))
        }
        FieldKind::Date {
            min,
            max,
            timezone_of,
        } => {
            let Some(date) = v.as_str().and_then(|s| parse_date(s, cx)) else {
                return fail("must be a date written YYYY-MM-DD, today or tomorrow".into());
            };
            if let Some(now) = cx.now {
                let today = today(cx.settings, timezone_of.as_deref(), now);
                if let Some(bound) = min.as_deref().and_then(|b| date_bound(b, today))
                    && date < bound
                {
                    return fail(format!("must be {bound} or later"));
                }
                if let Some(bound) = max.as_deref().and_then(|b| date_bound(b, today))
                    && date > bound
                {
                    return fail(format!("must be {bound} or earlier"));
                }
            }
            Some(Json::String(date.format("%Y-%m-%d").to_string()))
        }
        FieldKind::Timestamp => match v
            .as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        {
            Some(t) => Some(Json::String(t.with_timezone(&Utc).to_rfc3339())),
            None => fail("must be a time written as RFC 3339".into()),
        },
        FieldKind::Enum { values } => match v.as_str() {
            Some(s) if values.iter().any(|x| x == s) => Some(v.clone()),
            _ => fail(format!("must be one of: {}", values.join(", "))),
        },
        FieldKind::Bool => match v {
            Json::Bool(_) => Some(v.clone()),
            _ => fail("must be true or false".into()),
        },
        FieldKind::Files {
            max_count,
            media_types,
        } => check_files(v, *max_count, media_types, path, errors),
        FieldKind::List {
            fields,
            items: item_kind,
            min_items,
            max_items,
            ..
        } => {
            let Some(items) = v.as_array() else {
                return fail("must be a list".into());
            };
            let max = max_items
                .unwrap_or(limits::COLLECTION_RECORDS_MAX)
                .min(limits::COLLECTION_RECORDS_MAX);
            if items.len() > max {
                return fail(format!(
                    "must have at most {max} entries (it has {})",
                    items.len()
                ));
            }
            if items.len() < min_items.unwrap_or(0) {
                return fail(format!(
                    "must have at least {} entries",
                    min_items.unwrap_or(0)
                ));
            }
            let before = errors.len();
            let elements = items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| {
                    let at = join(path, &i.to_string());
                    match item_kind {
                        Some(kind) => check_value(kind, item, &at, cx, errors),
                        None => Some(Json::Object(validate_record(fields, item, &at, cx, errors))),
                    }
                })
                .collect();
            (errors.len() == before).then_some(Json::Array(elements))
        }
        FieldKind::Map { values } => {
            let Some(entries) = v.as_object() else {
                return fail("must be a table of named values".into());
            };
            if entries.len() > limits::COLLECTION_RECORDS_MAX {
                return fail(format!(
                    "must have at most {} entries (it has {})",
                    limits::COLLECTION_RECORDS_MAX,
                    entries.len()
                ));
            }
            let before = errors.len();
            let out: Map<String, Json> = entries
                .iter()
                .filter_map(|(key, value)| {
                    check_value(values, value, &join(path, key), cx, errors)
                        .map(|v| (key.clone(), v))
                })
                .collect();
            (errors.len() == before).then_some(Json::Object(out))
        }
        FieldKind::Json => Some(v.clone()),
    }
}

fn check_files(
    v: &Json,
    max_count: usize,
    media_types: &[String],
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Json> {
    let Some(files) = v.as_array() else {
        errors.push(error(path, "must be a list of uploaded files"));
        return None;
    };
    if files.len() > max_count {
        errors.push(error(
            path,
            &format!(
                "takes at most {max_count} file(s); {} were given",
                files.len()
            ),
        ));
        return None;
    }
    let before = errors.len();
    for (i, file) in files.iter().enumerate() {
        let at = join(path, &i.to_string());
        let id_ok = file
            .get("id")
            .and_then(Json::as_str)
            .is_some_and(|s| !s.is_empty());
        let media = file.get("media_type").and_then(Json::as_str);
        if !id_ok {
            errors.push(error(&at, "must name an uploaded file by its id"));
        }
        match media {
            None => errors.push(error(&at, "has no media type")),
            Some(m)
                if !media_types.is_empty() && !media_types.iter().any(|p| media_matches(p, m)) =>
            {
                errors.push(error(
                    &at,
                    &format!("is {m}; accepted: {}", media_types.join(", ")),
                ));
            }
            Some(_) => {}
        }
    }
    (errors.len() == before).then(|| v.clone())
}

/// `image/*` matches every image type.
fn media_matches(pattern: &str, media: &str) -> bool {
    match pattern.strip_suffix("/*") {
        Some(top) => media.split('/').next() == Some(top),
        None => pattern.eq_ignore_ascii_case(media),
    }
}

fn bounds(n: f64, min: Option<f64>, max: Option<f64>, exclusive_min: bool) -> Option<String> {
    if let Some(min) = min {
        if exclusive_min && n <= min {
            return Some(format!("must be more than {min}"));
        }
        if n < min {
            return Some(format!("must be at least {min}"));
        }
    }
    match max {
        Some(max) if n > max => Some(format!("must be at most {max}")),
        _ => None,
    }
}

/// A date input: `YYYY-MM-DD`, or `today` / `tomorrow` in the acting
/// party's time zone at the time of the request.
fn parse_date(text: &str, cx: &InputContext<'_>) -> Option<NaiveDate> {
    let today = || cx.now.map(|now| today(cx.settings, cx.actor_slot, now));
    match text.trim() {
        "today" => today(),
        "tomorrow" => today()?.checked_add_days(Days::new(1)),
        other => NaiveDate::parse_from_str(other, "%Y-%m-%d").ok(),
    }
}

/// `today`, `today+N`, `today-N` or a fixed `YYYY-MM-DD`.
pub fn date_bound(bound: &str, today: NaiveDate) -> Option<NaiveDate> {
    let Some(offset) = bound.strip_prefix("today") else {
        return NaiveDate::parse_from_str(bound, "%Y-%m-%d").ok();
    };
    if offset.is_empty() {
        return Some(today);
    }
    let (sign, n) = offset.split_at(1);
    let days = Days::new(n.parse().ok()?);
    match sign {
        "+" => today.checked_add_days(days),
        "-" => today.checked_sub_days(days),
        _ => None,
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

fn list_or_none(items: &[&str]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

fn error(field: &str, message: &str) -> FieldError {
    FieldError {
        field: if field.is_empty() {
            "inputs".to_owned()
        } else {
            field.to_owned()
        },
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn date_bounds_are_relative_to_today() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap_or_default();
        assert_eq!(date_bound("today", today), Some(today));
        assert_eq!(
            date_bound("today+1", today),
            NaiveDate::from_ymd_opt(2026, 4, 1)
        );
        assert_eq!(
            date_bound("today-31", today),
            NaiveDate::from_ymd_opt(2026, 2, 28)
        );
        assert_eq!(
            date_bound("2026-01-02", today),
            NaiveDate::from_ymd_opt(2026, 1, 2)
        );
        assert_eq!(date_bound("tomorrow", today), None);
    }

    #[test]
    fn today_is_read_in_the_party_time_zone() {
        let now = DateTime::parse_from_rfc3339("2026-06-01T23:30:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let mut settings = PartySettings::new();
        settings.insert(
            "supplier".into(),
            json!({"time_zone": "Europe/Berlin"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        assert_eq!(
            today(&settings, Some("supplier"), now).to_string(),
            "2026-06-02"
        );
        assert_eq!(today(&settings, None, now).to_string(), "2026-06-01");
    }
}
