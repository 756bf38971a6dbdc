//! orderflow's application layer: what the JSON API, the web UI, the CLI
//! and the scheduler all call. No HTTP here: callers hand in a [`Caller`],
//! ids and JSON values, and get back the view types of `orderflow-api` or
//! an [`AppError`] (a stable code, an HTTP-like status, a detail, the
//! fields at fault, the current version).
//!
//! One change, from the outside in: authenticate ([`auth`]) → load the
//! order through the one visibility choke point ([`App::load_visible`]) →
//! `engine::decide` → `Store::commit` (snapshot, history, outbox and
//! idempotency record in one transaction) → tell subscribers ([`events`])
//! → run follow-ups (a reorder's new order).

pub mod act;
pub mod admin;
pub mod auth;
pub mod bulk;
pub mod commit;
pub mod create;
pub mod error;
pub mod events;
pub mod files;
pub mod floor;
pub mod health;
pub mod intake;
pub mod inventory;
pub mod json;
pub mod label;
pub mod mail;
mod memos;
pub mod notifications;
pub mod passwords;
pub mod read;
pub mod registry;
pub mod scheduler;
pub mod sessions;
mod system;
pub mod throttle;
pub mod timers;
pub mod traceability;
pub mod views;
pub mod visible;
pub mod webhooks;
pub mod workflows;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use orderflow_core::catalog;
use orderflow_core::engine::Workflow;
use orderflow_core::model::Order;
use orderflow_store::Store;
use tokio::sync::broadcast;

pub use act::Act;
pub use auth::{Caller, UserCaller};
pub use commit::{Answer, AnswerBody, Idempotent};
pub use error::AppError;
pub use json::Body;
pub use sessions::SignedIn;
pub use visible::Visible;

/// Where "now" comes from, so tests can hold time still.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Every bound the application enforces.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Bytes of one JSON body.
    pub json_body_bytes_max: usize,
    /// Bytes of one uploaded file.
    pub file_bytes_max: usize,
    /// Rows of one page (`limit`).
    pub page_limit_max: u32,
    /// Orders in one bulk action.
    pub bulk_orders_max: usize,
    /// Changes waiting for a slow subscriber.
    pub events_buffer: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            json_body_bytes_max: 1024 * 1024,
            file_bytes_max: 10 * 1024 * 1024,
            page_limit_max: 200,
            bulk_orders_max: 200,
            events_buffer: 1024,
        }
    }
}

/// Workflows by id, one version each: the built-ins at start.
pub type Workflows = BTreeMap<String, Arc<Workflow>>;

/// Loads the four built-in workflows.
pub fn built_in_workflows() -> Result<Workflows, catalog::LoadError> {
    let mut out = BTreeMap::new();
    for (id, _) in catalog::BUILT_IN {
        if let Some(wf) = catalog::built_in(id) {
            out.insert((*id).to_owned(), Arc::new(wf?));
        }
    }
    Ok(out)
}

/// The application: what every adapter shares. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    /// Every deployed version of every workflow.
    pub workflows: Arc<registry::Registry>,
    /// The administrator token (`ORDERFLOW_ADMIN_TOKEN`); no administration
    /// without it.
    pub admin_token: Option<String>,
    pub clock: Arc<dyn Clock>,
    pub limits: Limits,
    /// Changes after their commit, for live updates.
    pub changes: broadcast::Sender<events::Change>,
    /// Failed sign-ins, per user and address.
    pub(crate) throttle: Arc<throttle::Throttle>,
    /// The address people open (no trailing `/`): links in messages.
    pub public_url: String,
    /// How this deployment runs the scheduler ([`App::with_scheduler`]).
    pub scheduler: Arc<scheduler::SchedulerConfig>,
    /// The computed values recent requests evaluated, per order.
    pub(crate) memos: Arc<memos::Memos>,
}

/// The public address when none is configured.
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

impl App {
    pub fn new(
        store: Arc<dyn Store>,
        workflows: Workflows,
        admin_token: Option<String>,
        clock: Arc<dyn Clock>,
        limits: Limits,
    ) -> Self {
        let (changes, _) = broadcast::channel(limits.events_buffer.max(1));
        Self {
            store,
            workflows: Arc::new(registry::Registry::new(workflows)),
            admin_token: admin_token.filter(|t| !t.is_empty()),
            clock,
            limits,
            changes,
            throttle: Arc::default(),
            public_url: DEFAULT_PUBLIC_URL.to_owned(),
            scheduler: Arc::default(),
            memos: Arc::default(),
        }
    }

    /// The address people open, for the links in messages.
    pub fn with_public_url(mut self, url: &str) -> Self {
        self.public_url = url.trim_end_matches('/').to_owned();
        self
    }

    /// The application with this deployment's scheduler configuration.
    pub fn with_scheduler(mut self, config: scheduler::SchedulerConfig) -> Self {
        self.scheduler = Arc::new(config);
        self
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The latest version of a workflow: what a new order runs under.
    pub fn workflow(&self, id: &str) -> Option<Arc<Workflow>> {
        self.workflows.latest(id)
    }

    /// The version of its workflow an order runs under.
    pub fn workflow_of(&self, order: &Order) -> Option<Arc<Workflow>> {
        self.workflows.of(order)
    }
}
