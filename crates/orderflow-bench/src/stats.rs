//! Latency samples and their percentiles.

use std::time::Duration;

/// What one measurement saw.
#[derive(Debug, Default)]
pub struct Sample {
    /// Latencies of the successful requests, in microseconds.
    pub micros: Vec<u64>,
    pub errors: u64,
    pub first_error: Option<String>,
    pub elapsed: Duration,
}

impl Sample {
    pub fn merge(&mut self, other: Sample) {
        self.micros.extend(other.micros);
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    pub fn error(&mut self, e: String) {
        self.errors += 1;
        self.first_error.get_or_insert(e);
    }

    /// Successful requests per second.
    pub fn rate(&self) -> f64 {
        self.micros.len() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `p`th percentile (0–100) in milliseconds, nearest rank.
    pub fn percentile_ms(&mut self, p: f64) -> f64 {
        if self.micros.is_empty() {
            return f64::NAN;
        }
        self.micros.sort_unstable();
        let rank = ((p / 100.0) * self.micros.len() as f64).ceil() as usize;
        let i = rank.clamp(1, self.micros.len()) - 1;
        self.micros.get(i).copied().unwrap_or_default() as f64 / 1000.0
    }

    /// "p50 / p99 / p99.9" in milliseconds.
    pub fn latencies(&mut self) -> String {
        format!(
            "p50 {:.2} / p99 {:.2} / p99.9 {:.2} ms",
            self.percentile_ms(50.0),
            self.percentile_ms(99.0),
            self.percentile_ms(99.9)
        )
    }

    /// A note on failed requests, empty when none failed.
    pub fn error_note(&self) -> String {
        match &self.first_error {
            Some(e) => format!(" ({} failed; first: {})", self.errors, short(e)),
            None => String::new(),
        }
    }
}

fn short(text: &str) -> String {
    text.chars().take(160).collect()
}
