//! When a workflow's `[[schedules]]` run: every so many minutes (a window
//! the server picks each interval in), or at the times a five-field cron
//! expression names, read in a time zone. Pure: the next run is computed
//! from a time the caller gives.

use chrono::{DateTime, TimeZone as _, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

use crate::definition::Schedule;

/// How often a schedule runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Cadence {
    /// Every `min ..= max` minutes.
    Every { min: u32, max: u32 },
    /// At each time the expression names.
    Cron(Box<CronTimes>),
}

/// A parsed cron expression and the zone it is read in.
#[derive(Debug, Clone)]
pub struct CronTimes {
    expression: String,
    cron: Cron,
    zone: Tz,
}

impl PartialEq for CronTimes {
    fn eq(&self, other: &Self) -> bool {
        self.expression == other.expression && self.zone == other.zone
    }
}

/// What is wrong with a cron schedule, and which of its keys says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CadenceError {
    /// `cron` or `time_zone`.
    pub key: &'static str,
    pub message: String,
}

/// What `cron` takes, said with every refusal of one.
pub const CRON_FORMAT: &str = "five fields: minute (0-59), hour (0-23), day of month (1-31), month (1-12 or JAN-DEC), day of week (0-7 or SUN-SAT; 0 and 7 are Sunday), e.g. \"30 2 * * *\" for 02:30 every day";

impl CronTimes {
    /// `expression` read in `zone` (an IANA name such as `Europe/Paris`;
    /// UTC when `None`). An expression that names no time at all (30
    /// February) is refused too.
    pub fn parse(expression: &str, zone: Option<&str>) -> Result<Self, CadenceError> {
        let zone = match zone {
            None => Tz::UTC,
            Some(name) => name.parse::<Tz>().map_err(|_| CadenceError {
                key: "time_zone",
                message: format!(
                    "unknown time zone \"{name}\": an IANA name such as \"Europe/Paris\" or \"UTC\""
                ),
            })?,
        };
        let refused = |why: String| CadenceError {
            key: "cron",
            message: format!("cron \"{expression}\" {why}; it takes {CRON_FORMAT}"),
        };
        let cron = CronParser::builder()
            .seconds(Seconds::Disallowed)
            .year(Year::Disallowed)
            .build()
            .parse(expression)
            .map_err(|e| refused(format!("is not valid ({e})")))?;
        let times = Self {
            expression: expression.to_owned(),
            cron,
            zone,
        };
        let epoch = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).single();
        if epoch.and_then(|t| times.next_after(t)).is_none() {
            return Err(refused("names no time that exists".to_owned()));
        }
        Ok(times)
    }

    /// The first time strictly after `t` that the expression names.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.occurrence(t, false)
    }

    /// The first time at or after `t` that the expression names.
    pub fn next_from(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.occurrence(t, true)
    }

    fn occurrence(&self, t: DateTime<Utc>, inclusive: bool) -> Option<DateTime<Utc>> {
        self.cron
            .find_next_occurrence(&t.with_timezone(&self.zone), inclusive)
            .ok()
            .map(|at| at.with_timezone(&Utc))
    }

    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The zone's IANA name.
    pub fn zone(&self) -> &str {
        self.zone.name()
    }
}

impl Cadence {
    /// The cadence `schedule` declares: its `cron`, or its minutes.
    /// `workflow check` refuses a schedule with both, neither or a bad
    /// expression, so a checked definition always has one.
    pub fn of(schedule: &Schedule) -> Result<Self, CadenceError> {
        match (&schedule.cron, schedule.every_minutes_min, schedule.every_minutes_max) {
            (Some(expression), _, _) => Ok(Cadence::Cron(Box::new(CronTimes::parse(
                expression,
                schedule.time_zone.as_deref(),
            )?))),
            (None, Some(min), Some(max)) => Ok(Cadence::Every { min, max }),
            (None, _, _) => Err(CadenceError {
                key: "cron",
                message: "a schedule runs by `cron` or every `every_minutes_min` to `every_minutes_max` minutes: give one".to_owned(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn a_cron_expression_names_its_next_time_in_its_zone() {
        let utc = CronTimes::parse("30 2 * * *", None).ok();
        let next = utc
            .as_ref()
            .and_then(|c| c.next_after(at("2026-03-02T02:30:00Z")));
        assert_eq!(next, Some(at("2026-03-03T02:30:00Z")));
        let from = utc
            .as_ref()
            .and_then(|c| c.next_from(at("2026-03-02T02:30:00Z")));
        assert_eq!(from, Some(at("2026-03-02T02:30:00Z")));
        // 02:30 in Paris is 01:30 UTC in winter and 00:30 UTC in summer.
        let paris = CronTimes::parse("30 2 * * *", Some("Europe/Paris")).ok();
        let winter = paris
            .as_ref()
            .and_then(|c| c.next_after(at("2026-03-02T00:00:00Z")));
        assert_eq!(winter, Some(at("2026-03-02T01:30:00Z")));
        let summer = paris
            .as_ref()
            .and_then(|c| c.next_after(at("2026-07-01T00:00:00Z")));
        assert_eq!(summer, Some(at("2026-07-01T00:30:00Z")));
        let weekdays = CronTimes::parse("*/15 9-17 * * MON-FRI", None).ok();
        // Saturday 2026-03-07 → Monday 09:00.
        let monday = weekdays.and_then(|c| c.next_after(at("2026-03-06T17:50:00Z")));
        assert_eq!(monday, Some(at("2026-03-09T09:00:00Z")));
    }

    #[test]
    fn daylight_saving_changes_skip_to_the_next_time_and_run_once() {
        let paris = CronTimes::parse("30 2 * * *", Some("Europe/Paris")).ok();
        let next = |t: &str| paris.as_ref().and_then(|c| c.next_after(at(t)));
        // 29 March 2026: 02:00 becomes 03:00, so 02:30 does not exist; the
        // run is at 03:00.
        assert_eq!(
            next("2026-03-28T23:00:00Z"),
            Some(at("2026-03-29T01:00:00Z"))
        );
        // 25 October 2026: 03:00 becomes 02:00, so 02:30 happens twice;
        // the run is at the first one only.
        assert_eq!(
            next("2026-10-24T23:00:00Z"),
            Some(at("2026-10-25T00:30:00Z"))
        );
        assert_eq!(
            next("2026-10-25T00:30:00Z"),
            Some(at("2026-10-26T01:30:00Z"))
        );
    }

    #[test]
    fn bad_expressions_and_zones_are_refused_by_key() {
        let key = |expression: &str, zone: Option<&str>| {
            CronTimes::parse(expression, zone).err().map(|e| e.key)
        };
        for bad in [
            "",
            "* * * *",
            "0 * * * * *",
            "61 * * * *",
            "0 25 * * *",
            "x y z a b",
        ] {
            assert_eq!(key(bad, None), Some("cron"), "{bad:?}");
        }
        assert_eq!(key("0 0 30 2 *", None), Some("cron"), "30 February");
        assert_eq!(key("0 0 * * *", Some("Mars/Olympus")), Some("time_zone"));
        assert_eq!(key("0 0 * * *", Some("Asia/Tokyo")), None);
    }
}
