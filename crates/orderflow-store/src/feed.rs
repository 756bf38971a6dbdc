//! Committed changes told to every server sharing the database, so live
//! updates reach subscribers whichever server took the change. PostgreSQL
//! carries them with `NOTIFY`/`LISTEN`; the embedded SQLite database has
//! one server, whose own broadcast is enough, so the defaults do nothing.

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::Result;

#[async_trait]
pub trait ChangeFeed: Send + Sync {
    /// Tells the other servers about a change (`payload` is at most a few
    /// kilobytes of JSON). Fails only when the database does.
    async fn announce(&self, _payload: &str) -> Result<()> {
        Ok(())
    }

    /// What every server announces from now on (its own included), or
    /// `None` when the store has one server only.
    async fn listen(&self) -> Result<Option<mpsc::Receiver<String>>> {
        Ok(None)
    }
}
