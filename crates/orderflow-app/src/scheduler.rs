//! The scheduler: an adapter over the application like the API and the
//! web UI. Each tick it runs the workflows' `[[schedules]]` that are due
//! and fires the orders' timers that are due, at the [`Clock`](crate::Clock)'s
//! time, so tests step a clock instead of sleeping.
//!
//! With several servers on one database every server ticks, and the store
//! hands each due run and each due timer to one of them: a schedule's row
//! is claimed and moved to its next time in one transaction (row locks on
//! PostgreSQL), so a run happens once however many servers tick, and a run
//! missed while every server was down happens once when one comes back.
//! A claimed run is not retried if its server dies before running it: the
//! next run does the same work (intake picks up every waiting job).
//!
//! A schedule runs every so many minutes or at the times of a cron
//! expression (`orderflow_core::cadence`). The interval between runs is
//! chosen in `every_minutes_min ..= every_minutes_max`, from a hash of the
//! schedule and the run's time, so deployments spread out over the window
//! and tests can predict it; a cron schedule's next run is its next time
//! after the run, and its first is its first time after the server first
//! sees it (not at once, as an interval's is).

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use chrono::{DateTime, Duration, Utc};
use orderflow_api::{ScheduleList, ScheduleView};
use orderflow_core::cadence::{Cadence, CadenceError, CronTimes};
use orderflow_core::definition::Schedule;
use orderflow_store::OrderTimer;

use crate::App;
use crate::error::AppError;
use crate::intake::IntakeReport;

/// How a deployment runs the scheduler (the server's config file and
/// environment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulerConfig {
    /// Runs nothing at all when false.
    pub enabled: bool,
    /// Per schedule (`{workflow}.{schedule}`): turned off, or other
    /// intervals than the workflow declares.
    pub schedules: BTreeMap<String, ScheduleOverride>,
    /// A timer claimed by a server that has not finished it after this long
    /// is taken over by another (its server died).
    pub timer_lease_secs: u32,
    /// Timers fired per tick at most.
    pub timers_per_tick: u32,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            schedules: BTreeMap::new(),
            timer_lease_secs: 300,
            timers_per_tick: 100,
        }
    }
}

/// A deployment's change to one schedule: off, other minutes, or a cron
/// expression (and its zone) instead of what the workflow declares.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleOverride {
    pub enabled: Option<bool>,
    pub every_minutes_min: Option<u32>,
    pub every_minutes_max: Option<u32>,
    pub cron: Option<String>,
    pub time_zone: Option<String>,
}

impl ScheduleOverride {
    /// What is wrong with it, as the config file's reader says it.
    pub fn check(&self) -> Result<(), String> {
        let minutes = self.every_minutes_min.is_some() || self.every_minutes_max.is_some();
        if let Some(expression) = &self.cron {
            if minutes {
                return Err(
                    "set cron or every_minutes_min and every_minutes_max, not both".to_owned(),
                );
            }
            CronTimes::parse(expression, self.time_zone.as_deref())
                .map_err(|e| format!("{}: {}", e.key, e.message))?;
        } else if let Some(zone) = &self.time_zone {
            CronTimes::parse("0 0 * * *", Some(zone))
                .map_err(|e| format!("{}: {}", e.key, e.message))?;
        }
        match (self.every_minutes_min, self.every_minutes_max) {
            (Some(min), Some(max)) if min == 0 || min > max => Err(format!(
                "every_minutes_min {min} must be at least 1 and at most every_minutes_max {max}"
            )),
            _ => Ok(()),
        }
    }
}

/// A schedule as this deployment runs it.
#[derive(Debug, Clone, PartialEq)]
struct Effective {
    enabled: bool,
    cadence: Cadence,
}

impl SchedulerConfig {
    /// The deployment's cron, else its minutes, else the declared cron
    /// (read in the deployment's zone when it names one), else the
    /// declared minutes. A side of the window the deployment leaves out
    /// is the declared one, or the other side.
    fn effective(&self, key: &str, s: &Schedule) -> Result<Effective, CadenceError> {
        let o = self.schedules.get(key).cloned().unwrap_or_default();
        let zone = o.time_zone.as_deref().or(s.time_zone.as_deref());
        let minutes = o.every_minutes_min.is_some() || o.every_minutes_max.is_some();
        let cadence = match (&o.cron, &s.cron) {
            (Some(expression), _) => Cadence::Cron(Box::new(CronTimes::parse(expression, zone)?)),
            (None, Some(expression)) if !minutes => {
                Cadence::Cron(Box::new(CronTimes::parse(expression, zone)?))
            }
            _ => {
                let min = o
                    .every_minutes_min
                    .or(s.every_minutes_min)
                    .or(o.every_minutes_max)
                    .unwrap_or(1)
                    .max(1);
                let max = o
                    .every_minutes_max
                    .or(s.every_minutes_max)
                    .unwrap_or(min)
                    .max(min);
                Cadence::Every { min, max }
            }
        };
        Ok(Effective {
            enabled: self.enabled && o.enabled.unwrap_or(true),
            cadence,
        })
    }
}

/// What one schedule's run did.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub key: String,
    pub intake: IntakeReport,
}

/// What one timer did when it fired.
#[derive(Debug, Clone, PartialEq)]
pub struct Fired {
    pub order_id: String,
    pub timer: String,
    /// Why its action was refused, if it was.
    pub error: Option<String>,
}

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tick {
    pub runs: Vec<Run>,
    pub timers: Vec<Fired>,
}

/// The minutes until the run after the one at `now`.
fn interval(key: &str, now: DateTime<Utc>, min: u32, max: u32) -> u32 {
    let span = u64::from(max.saturating_sub(min)) + 1;
    let mut h = DefaultHasher::new();
    (key, now.timestamp()).hash(&mut h);
    let extra = u32::try_from(h.finish() % span).unwrap_or(0);
    min.saturating_add(extra)
}

/// When the run claimed at `now` is followed by the next, and when a
/// schedule never run before first runs.
fn next_and_first(
    key: &str,
    cadence: &Cadence,
    now: DateTime<Utc>,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    match cadence {
        Cadence::Every { min, max } => Some((
            now + Duration::minutes(i64::from(interval(key, now, *min, *max))),
            now,
        )),
        Cadence::Cron(times) => Some((times.next_after(now)?, times.next_from(now)?)),
    }
}

impl App {
    /// Runs what is due now: the schedules this server claims, then the
    /// timers it claims. A failing run or timer is logged and counted; the
    /// others go on.
    pub async fn scheduler_tick(&self, config: &SchedulerConfig) -> Result<Tick, AppError> {
        let mut tick = Tick::default();
        if !config.enabled {
            return Ok(tick);
        }
        let now = self.now();
        for wf in self.workflows.all_latest() {
            for s in &wf.def.schedules {
                let key = format!("{}.{}", wf.id(), s.id);
                let e = match config.effective(&key, s) {
                    Ok(e) if e.enabled => e,
                    Ok(_) => continue,
                    Err(e) => {
                        // The config and `workflow check` refuse these first.
                        tracing::error!(schedule = %key, "{}: {}", e.key, e.message);
                        continue;
                    }
                };
                let Some((next, first)) = next_and_first(&key, &e.cadence, now) else {
                    continue;
                };
                if !self
                    .store
                    .claim_schedule_run(&key, now, next, first)
                    .await?
                {
                    continue;
                }
                metrics::counter!("orderflow_schedule_runs_total", "schedule" => key.clone())
                    .increment(1);
                match self.run_builtin(&s.builtin).await {
                    Ok(intake) => tick.runs.push(Run { key, intake }),
                    Err(e) => {
                        tracing::error!(schedule = %key, code = %e.code(), detail = %e.detail(), "scheduled run failed");
                    }
                }
            }
        }
        let due = self
            .store
            .claim_due_timers(now, config.timer_lease_secs, config.timers_per_tick)
            .await?;
        for timer in due {
            tick.timers.push(self.fire(timer).await?);
        }
        Ok(tick)
    }

    /// The built-in a schedule names (`workflow check` knows them all).
    async fn run_builtin(&self, builtin: &str) -> Result<IntakeReport, AppError> {
        match builtin {
            "fifo_intake" => self.intake_check().await,
            other => Err(AppError::new(
                "conflict",
                format!("no scheduled built-in {other:?}"),
            )),
        }
    }

    /// Takes a claimed timer's action as the system and records how it
    /// went. A refusal (the order moved on) fails the timer, with why.
    async fn fire(&self, timer: OrderTimer) -> Result<Fired, AppError> {
        let result = self
            .act_as_system(&timer.order_id, None, &timer.action, &serde_json::json!({}))
            .await;
        let error = match result {
            Ok(()) => None,
            Err(e) if e.status() < 500 => Some(e.detail().to_owned()),
            // An outage: the claim goes stale and a tick retries it.
            Err(e) => return Err(e),
        };
        metrics::counter!(
            "orderflow_timers_fired_total",
            "outcome" => if error.is_some() { "refused" } else { "fired" },
        )
        .increment(1);
        self.store
            .timer_finished(&timer.order_id, &timer.timer, self.now(), error.as_deref())
            .await?;
        Ok(Fired {
            order_id: timer.order_id,
            timer: timer.timer,
            error,
        })
    }

    /// Every declared schedule, as this deployment runs it, with its runs.
    pub async fn schedules(&self, config: &SchedulerConfig) -> Result<ScheduleList, AppError> {
        let runs: BTreeMap<String, _> = self
            .store
            .schedule_runs()
            .await?
            .into_iter()
            .map(|r| (r.key.clone(), r))
            .collect();
        let mut items = Vec::new();
        for wf in self.workflows.all_latest() {
            for s in &wf.def.schedules {
                let key = format!("{}.{}", wf.id(), s.id);
                let Ok(e) = config.effective(&key, s) else {
                    continue;
                };
                let (every_minutes_min, every_minutes_max, cron, time_zone) = match &e.cadence {
                    Cadence::Every { min, max } => (Some(*min), Some(*max), None, None),
                    Cadence::Cron(c) => (
                        None,
                        None,
                        Some(c.expression().to_owned()),
                        Some(c.zone().to_owned()),
                    ),
                };
                let run = runs.get(&key);
                items.push(ScheduleView {
                    key: key.clone(),
                    workflow: wf.id().to_owned(),
                    schedule: s.id.clone(),
                    label: s.label.clone(),
                    builtin: s.builtin.clone(),
                    enabled: e.enabled,
                    every_minutes_min,
                    every_minutes_max,
                    cron,
                    time_zone,
                    next_run_at: run.map(|r| r.next_run_at),
                    last_run_at: run.and_then(|r| r.last_run_at),
                    runs: run.map_or(0, |r| r.runs),
                });
            }
        }
        Ok(ScheduleList { items })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_stay_in_the_declared_window() {
        let t = DateTime::from_timestamp(1_772_442_000, 0).unwrap_or_default();
        for n in 0..200 {
            let m = interval(
                "print-production.fifo_intake",
                t + Duration::minutes(n),
                30,
                60,
            );
            assert!((30..=60).contains(&m), "{m}");
        }
        assert_eq!(interval("k", t, 5, 5), 5);
    }
}
