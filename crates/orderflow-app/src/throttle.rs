//! Failed sign-ins slow down further ones, per user and per client
//! address: after [`FREE_FAILURES`] failures, each further failure locks
//! the key for twice as long as the one before (30 s, 1 min, 2 min ... at
//! most 15 min). A key forgets its failures [`FORGET_AFTER`] after the last
//! one; a successful sign-in forgets the user's (not the address's).
//!
//! Kept in the server's memory: a restart forgets, and several servers
//! count apart. That bounds guessing to a few dozen passwords per user and
//! address an hour, which argon2id hashes and 8-character minimums make
//! hopeless.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use crate::error::AppError;

/// Failures allowed before the first lock.
pub const FREE_FAILURES: u32 = 5;
/// How long a key remembers its failures after the last.
pub const FORGET_AFTER: Duration = Duration::minutes(15);
/// The first lock; each further failure doubles it.
pub const FIRST_LOCK: Duration = Duration::seconds(30);
/// The longest lock.
pub const LONGEST_LOCK: Duration = Duration::minutes(15);
/// Keys kept before the forgotten ones are swept out.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: DateTime<Utc>,
}

impl Failures {
    fn locked_until(&self) -> Option<DateTime<Utc>> {
        let over = self.count.checked_sub(FREE_FAILURES)?;
        let lock = FIRST_LOCK
            .checked_mul(1 << over.min(10))
            .unwrap_or(LONGEST_LOCK)
            .min(LONGEST_LOCK);
        Some(self.last + lock)
    }

    fn forgotten(&self, now: DateTime<Utc>) -> bool {
        now - self.last >= FORGET_AFTER
    }
}

/// The failures per key (`user:<id>`, `address:<ip>`).
#[derive(Debug, Default)]
pub struct Throttle {
    keys: Mutex<HashMap<String, Failures>>,
}

impl Throttle {
    /// `too_many_attempts` naming the seconds to wait when any key is
    /// locked at `now`.
    pub fn check(&self, keys: &[String], now: DateTime<Utc>) -> Result<(), AppError> {
        let map = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        let until = keys
            .iter()
            .filter_map(|k| map.get(k))
            .filter(|f| !f.forgotten(now))
            .filter_map(Failures::locked_until)
            .max();
        match until {
            Some(until) if until > now => {
                let millis = u64::try_from((until - now).num_milliseconds()).unwrap_or(0);
                let wait = millis.div_ceil(1000).max(1);
                Err(AppError::new(
                    "too_many_attempts",
                    format!("too many failed sign-ins: try again in {wait} s"),
                ))
            }
            _ => Ok(()),
        }
    }

    /// Counts a failure against every key.
    pub fn fail(&self, keys: &[String], now: DateTime<Utc>) {
        let mut map = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > SWEEP_ABOVE {
            map.retain(|_, f| !f.forgotten(now));
        }
        for key in keys {
            let f = map.entry(key.clone()).or_insert(Failures {
                count: 0,
                last: now,
            });
            if f.forgotten(now) {
                f.count = 0;
            }
            f.count = f.count.saturating_add(1);
            f.last = now;
        }
    }

    /// Forgets the key's failures.
    pub fn forget(&self, key: &str) {
        let mut map = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_772_442_000 + seconds, 0).unwrap_or_default()
    }

    #[test]
    fn five_failures_are_free_then_locks_grow() {
        let throttle = Throttle::default();
        let keys = vec!["user:u1".to_owned()];
        for i in 0..5 {
            assert!(throttle.check(&keys, t(i)).is_ok(), "failure {i} is free");
            throttle.fail(&keys, t(i));
        }
        // The 5th failure at t(4) locks for 30 s.
        let e = throttle.check(&keys, t(5)).err();
        assert_eq!(e.as_ref().map(AppError::code), Some("too_many_attempts"));
        assert_eq!(
            e.as_ref().map(AppError::detail),
            Some("too many failed sign-ins: try again in 29 s")
        );
        assert_eq!(e.map(|e| e.status()), Some(429));
        assert!(throttle.check(&keys, t(34)).is_ok());
        // The 6th: a minute.
        throttle.fail(&keys, t(34));
        assert!(throttle.check(&keys, t(93)).is_err());
        assert!(throttle.check(&keys, t(94)).is_ok());
        // Never more than 15 minutes, and forgotten 15 minutes after.
        for i in 0..20 {
            throttle.fail(&keys, t(100 + i));
        }
        assert!(throttle.check(&keys, t(119 + 899)).is_err());
        assert!(throttle.check(&keys, t(119 + 900)).is_ok());
        throttle.fail(&keys, t(119 + 900));
        assert!(throttle.check(&keys, t(119 + 901)).is_ok(), "counting anew");
    }

    #[test]
    fn keys_count_apart_and_success_forgets() {
        let throttle = Throttle::default();
        let both = vec!["user:u1".to_owned(), "address:10.0.0.1".to_owned()];
        for i in 0..5 {
            throttle.fail(&both, t(i));
        }
        assert!(throttle.check(&["user:u2".to_owned()], t(5)).is_ok());
        assert!(
            throttle
                .check(&["user:u2".to_owned(), "address:10.0.0.1".to_owned()], t(5))
                .is_err(),
            "the address is locked for every user"
        );
        throttle.forget("user:u1");
        assert!(throttle.check(&["user:u1".to_owned()], t(5)).is_ok());
    }
}
