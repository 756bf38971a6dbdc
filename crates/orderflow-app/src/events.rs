//! Live changes: after each commit the change is broadcast; each
//! subscriber gets only the changes of orders its organisation may see in
//! their new state.

use std::sync::Arc;

use orderflow_api::ChangeNotice;
use orderflow_core::model::Order;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::{Stream, StreamExt};

use crate::App;
use crate::auth::UserCaller;
use crate::error::AppError;

/// A change as servers tell each other: which server took it (its own
/// subscribers were told already) and the order's identity, parties and
/// status.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Announced {
    origin: String,
    order: Order,
}

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
    /// Tells subscribers about a committed change, here and (through the
    /// store) on every other server sharing the database. Nobody listening
    /// is fine; a failed announcement is logged, the change stands.
    pub fn publish(&self, order: &Order) {
        let order = Arc::new(Order {
            // Subscribers need identity, parties and status only.
            data: Default::default(),
            children: Vec::new(),
            counts: Default::default(),
            next_ids: Default::default(),
            hidden_records: Default::default(),
            ..order.clone()
        });
        let _ = self.changes.send(Change {
            order: order.clone(),
        });
        let announced = Announced {
            origin: self.origin.clone(),
            order: (*order).clone(),
        };
        let store = self.store.clone();
        if let Ok(payload) = serde_json::to_string(&announced) {
            tokio::spawn(async move {
                if let Err(e) = store.announce(&payload).await {
                    tracing::warn!(error = %e, "a change was not announced to other servers");
                }
            });
        }
    }

    /// Forwards the changes other servers announce to this server's
    /// subscribers, until the store stops listening. A store with one
    /// server (SQLite) has nothing to forward.
    pub async fn relay_changes(&self) -> Result<(), AppError> {
        let Some(mut heard) = self.store.listen().await? else {
            return Ok(());
        };
        let app = self.clone();
        tokio::spawn(async move {
            while let Some(payload) = heard.recv().await {
                match serde_json::from_str::<Announced>(&payload) {
                    Ok(a) if a.origin != app.origin => {
                        let _ = app.changes.send(Change {
                            order: Arc::new(a.order),
                        });
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "an announced change did not parse"),
                }
            }
        });
        Ok(())
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
