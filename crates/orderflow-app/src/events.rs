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
    /// Tells subscribers about a committed change. Nobody listening is fine.
    pub fn publish(&self, order: &Order) {
        let _ = self.changes.send(Change {
            order: Arc::new(Order {
                // Subscribers need identity, parties and status only.
                data: Default::default(),
                children: Vec::new(),
                counts: Default::default(),
                next_ids: Default::default(),
                ..order.clone()
            }),
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
