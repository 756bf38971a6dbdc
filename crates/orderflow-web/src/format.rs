//! How values read to people: money with its currency, dates, times and
//! how long an order has been in its status.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

/// An amount as the view gives it — a decimal string (`"1240.5"`) or a
/// number — in `currency` (an ISO 4217 code): `€1,240.50`, `1,240.50 CHF`.
pub fn money(amount: &Value, currency: Option<&str>) -> String {
    let decimal = match amount {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Null => return String::new(),
        other => return other.to_string(),
    };
    let Some(digits) = grouped(&decimal) else {
        return decimal;
    };
    match currency.map(str::to_ascii_uppercase).as_deref() {
        Some("EUR") => signed_symbol("€", &digits),
        Some("USD") => signed_symbol("$", &digits),
        Some("GBP") => signed_symbol("£", &digits),
        Some(code) if !code.is_empty() => format!("{digits} {code}"),
        _ => digits,
    }
}

/// `-1,240.50` with the symbol after the sign: `-€1,240.50`.
fn signed_symbol(symbol: &str, digits: &str) -> String {
    match digits.strip_prefix('-') {
        Some(rest) => format!("-{symbol}{rest}"),
        None => format!("{symbol}{digits}"),
    }
}

/// A decimal with thousands grouped and two decimals at least; `None`
/// when it is not a decimal.
fn grouped(decimal: &str) -> Option<String> {
    let (sign, unsigned) = match decimal.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", decimal),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut out = String::with_capacity(whole.len() + whole.len() / 3 + 4);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    let mut fraction = fraction.to_owned();
    while fraction.len() < 2 {
        fraction.push('0');
    }
    Some(format!("{sign}{out}.{fraction}"))
}

/// `2026-03-31` → `31 Mar 2026`; anything else as it is.
pub fn date(text: &str) -> String {
    match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(d) => d.format("%-d %b %Y").to_string(),
        Err(_) => text.to_owned(),
    }
}

/// A point in time, to the minute, in UTC.
pub fn time(at: &DateTime<Utc>) -> String {
    at.format("%-d %b %Y, %H:%M UTC").to_string()
}

/// An RFC 3339 text as [`time`]; anything else as it is.
pub fn time_text(text: &str) -> String {
    match DateTime::parse_from_rfc3339(text) {
        Ok(t) => time(&t.with_timezone(&Utc)),
        Err(_) => text.to_owned(),
    }
}

/// How long since `since`, in the largest whole unit: `3 days`, `1 hour`,
/// `12 minutes`, `just now`.
pub fn age(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let minutes = (now - since).num_minutes().max(0);
    let (n, unit) = if minutes >= 60 * 24 {
        (minutes / (60 * 24), "day")
    } else if minutes >= 60 {
        (minutes / 60, "hour")
    } else if minutes >= 1 {
        (minutes, "minute")
    } else {
        return "just now".to_owned();
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    #[test]
    fn money_reads_with_its_currency() {
        assert_eq!(money(&json!("1240.5"), Some("EUR")), "€1,240.50");
        assert_eq!(money(&json!("240.00"), Some("usd")), "$240.00");
        assert_eq!(money(&json!("-3"), Some("GBP")), "-£3.00");
        assert_eq!(
            money(&json!("1234567.891"), Some("CHF")),
            "1,234,567.891 CHF"
        );
        assert_eq!(money(&json!(12), None), "12.00");
        assert_eq!(money(&json!("n/a"), Some("EUR")), "n/a");
        assert_eq!(money(&Value::Null, Some("EUR")), "");
    }

    #[test]
    fn dates_and_times_read_as_words() {
        assert_eq!(date("2026-03-01"), "1 Mar 2026");
        assert_eq!(date("soon"), "soon");
        assert_eq!(time_text("2026-03-01T09:05:00Z"), "1 Mar 2026, 09:05 UTC");
    }

    #[test]
    fn age_takes_the_largest_unit() {
        let t0 = Utc
            .with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
            .single()
            .unwrap_or_default();
        let at = |m: i64| t0 + chrono::Duration::minutes(m);
        assert_eq!(age(t0, at(0)), "just now");
        assert_eq!(age(t0, at(1)), "1 minute");
        assert_eq!(age(t0, at(59)), "59 minutes");
        assert_eq!(age(t0, at(60)), "1 hour");
        assert_eq!(age(t0, at(60 * 24 * 3 + 5)), "3 days");
        assert_eq!(age(at(5), t0), "just now");
    }
}
