//! Live changes: after each commit the change is broadcast; each
//! subscriber gets only the changes of orders its organisation may see in
//! their new state.

use std::sync::Arc;

use orderflow_api::ChangeNotice;
use orderflow_core::model::Order;
use tokio::sync::broadcast::error::RecvError;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::{Stream, StreamExt};

use crate::App;
use crate::auth::UserCaller;

/// A committed change, as broadcast to subscribers.
#[derive(Debug, Clone)]
pub struct Change {
    /// The order after the change (parties and status decide who sees it).
    pub order: Arc<Order>,
}

/// What a subscriber is told.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    /// An order the subscriber sees changed.
    Order(ChangeNotice),
    /// The subscriber fell behind and missed this many changes.
    Lagged(u64),
}

impl App {
    /// Tells this server's subscribers about a committed change, given as
    /// the order's [`Order::summary`] (the store tells the other servers',
    /// in the change's own transaction). Nobody listening is fine.
    pub fn publish(&self, summary: Order) {
        let _ = self.changes.send(Change {
            order: Arc::new(summary),
        });
    }

    /// Forwards the changes other servers commit to this server's
    /// subscribers, for as long as the store hears them. A store with one
    /// server (SQLite) has nothing to forward.
    pub fn relay_changes(&self) {
        let Some(mut heard) = self.store.listen() else {
            return;
        };
        let changes = self.changes.clone();
        tokio::spawn(async move {
            loop {
                match heard.recv().await {
                    Ok(order) => {
                        let _ = changes.send(Change { order });
                    }
                    Err(RecvError::Lagged(n)) => {
                        tracing::warn!(
                            missed = n,
                            "live updates of other servers' changes fell behind"
                        );
                    }
                    Err(RecvError::Closed) => return,
                }
            }
        });
    }

    /// The changes `caller` may see, from now on, as they commit.
    pub fn subscribe(&self, caller: &UserCaller) -> impl Stream<Item = Notice> + Send + use<> {
        let actor = caller.actor();
        let workflows = self.workflows.clone();
        BroadcastStream::new(self.changes.subscribe()).filter_map(move |item| match item {
            Ok(change) => {
                let order = &change.order;
                let wf = workflows.of(order)?;
                if !wf.can_see(order, &actor) {
                    return None;
                }
                Some(Notice::Order(ChangeNotice {
                    order: order.id.clone(),
                    workflow: order.workflow.clone(),
                    version: order.version,
                    status: order.status.clone(),
                }))
            }
            Err(BroadcastStreamRecvError::Lagged(n)) => Some(Notice::Lagged(n)),
        })
    }
}
