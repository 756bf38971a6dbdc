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
//! The interval between runs is chosen in `every_minutes_min ..=
//! every_minutes_max`, from a hash of the schedule and the run's time, so
//! deployments spread out over the window and tests can predict it.

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use chrono::{DateTime, Duration, Utc};
use orderflow_api::{ScheduleList, ScheduleView};
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

/// A deployment's change to one schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleOverride {
    pub enabled: Option<bool>,
    pub every_minutes_min: Option<u32>,
    pub every_minutes_max: Option<u32>,
}

/// A schedule as this deployment runs it.
#[derive(Debug, Clone, PartialEq)]
struct Effective {
    enabled: bool,
    min: u32,
    max: u32,
}

impl SchedulerConfig {
    fn effective(&self, key: &str, s: &Schedule) -> Effective {
        let o = self.schedules.get(key).cloned().unwrap_or_default();
        let min = o.every_minutes_min.unwrap_or(s.every_minutes_min).max(1);
        let max = o.every_minutes_max.unwrap_or(s.every_minutes_max).max(min);
        Effective {
            enabled: self.enabled && o.enabled.unwrap_or(true),
            min,
            max,
        }
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
                let e = config.effective(&key, s);
                if !e.enabled {
                    continue;
                }
                let next = now + Duration::minutes(i64::from(interval(&key, now, e.min, e.max)));
                if !self.store.claim_schedule_run(&key, now, next).await? {
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
                let e = config.effective(&key, s);
                let run = runs.get(&key);
                items.push(ScheduleView {
                    key: key.clone(),
                    workflow: wf.id().to_owned(),
                    schedule: s.id.clone(),
                    label: s.label.clone(),
                    builtin: s.builtin.clone(),
                    enabled: e.enabled,
                    every_minutes_min: e.min,
                    every_minutes_max: e.max,
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
