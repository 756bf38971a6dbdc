//! Whether this server can do its work now: the store takes a write.

use std::time::Duration;

use crate::App;
use crate::error::AppError;

/// How long the health check waits for the store. A load balancer's check
/// must get an answer while the database hangs, not time out itself.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(2);

impl App {
    /// Ok when the store commits a small write within [`HEALTH_TIMEOUT`];
    /// `unavailable` when it refuses (a full or read-only disk, the
    /// database down) or does not answer in time. A read alone would say
    /// "healthy" while every change fails.
    pub async fn health(&self) -> Result<(), AppError> {
        match tokio::time::timeout(HEALTH_TIMEOUT, self.store.probe(self.now())).await {
            Ok(result) => result.map_err(AppError::from),
            Err(_) => Err(AppError::new(
                "unavailable",
                "the database did not answer within 2 s",
            )),
        }
    }
}
