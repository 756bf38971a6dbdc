//! Committed changes heard from the other servers sharing the database, so
//! live updates reach subscribers whichever server took the change.
//! PostgreSQL carries them with `NOTIFY`/`LISTEN`, in the transaction of the
//! change itself; the embedded SQLite database has one server, whose own
//! broadcast is enough, so the default hears nothing.

use std::sync::Arc;

use orderflow_core::model::Order;
use tokio::sync::broadcast;

pub trait ChangeFeed: Send + Sync {
    /// The orders other servers commit from now on, each as its
    /// [`Order::summary`], or `None` when the store has one server only.
    fn listen(&self) -> Option<broadcast::Receiver<Arc<Order>>> {
        None
    }
}
