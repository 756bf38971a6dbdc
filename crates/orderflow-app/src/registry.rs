//! Every workflow the server runs, by id and deployed version: the one
//! place the application looks a definition up (an order's by the version
//! it runs under, a new order's by the latest). Versions live in the order
//! store; this is a cache of their compiled definitions that
//! [`Registry::refresh`] brings up to date, so several servers on one
//! database run what any of them deployed.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use orderflow_core::catalog;
use orderflow_core::engine::Workflow;
use orderflow_core::model::Order;
use orderflow_store::Store;

use crate::error::AppError;

/// One workflow's compiled versions.
#[derive(Clone, Default)]
pub struct Deployed {
    pub latest: u32,
    /// The latest version's SHA-256 as the store has it (`None` for the
    /// workflows given at start).
    checksum: Option<[u8; 32]>,
    /// No new orders (its orders run on).
    pub retired: bool,
    pub versions: BTreeMap<u32, Arc<Workflow>>,
}

impl Deployed {
    pub fn latest(&self) -> Option<&Arc<Workflow>> {
        self.versions.get(&self.latest)
    }
}

/// Workflow → slot → statuses, as a store filter wants them.
pub type Visibility = BTreeMap<String, BTreeMap<String, Vec<String>>>;

/// The cache: workflow id → its versions.
type Known = BTreeMap<String, Deployed>;

pub struct Registry {
    known: RwLock<Arc<Known>>,
    /// Whether the store had any deployed workflow at the last refresh:
    /// until it has, the workflows given at start run as version 1.
    from_store: AtomicBool,
}

impl Registry {
    /// `seed` runs as version 1 of each until the store holds deployed
    /// workflows.
    pub fn new(seed: BTreeMap<String, Arc<Workflow>>) -> Self {
        let known = seed
            .into_iter()
            .map(|(id, wf)| {
                let versions = BTreeMap::from([(1, wf)]);
                let d = Deployed {
                    latest: 1,
                    checksum: None,
                    retired: false,
                    versions,
                };
                (id, d)
            })
            .collect();
        Self {
            known: RwLock::new(Arc::new(known)),
            from_store: AtomicBool::new(false),
        }
    }

    /// Every workflow now, by id.
    pub fn snapshot(&self) -> Arc<Known> {
        self.known
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The latest version of a workflow (retired or not).
    pub fn latest(&self, id: &str) -> Option<Arc<Workflow>> {
        self.snapshot().get(id)?.latest().cloned()
    }

    pub fn at(&self, id: &str, version: u32) -> Option<Arc<Workflow>> {
        self.snapshot().get(id)?.versions.get(&version).cloned()
    }

    /// The definition an order runs under.
    pub fn of(&self, order: &Order) -> Option<Arc<Workflow>> {
        self.at(&order.workflow, order.workflow_version)
    }

    /// The latest version of every workflow, by id.
    pub fn all_latest(&self) -> Vec<Arc<Workflow>> {
        self.snapshot()
            .values()
            .filter_map(|d| d.latest().cloned())
            .collect()
    }

    /// Every version of every workflow.
    pub fn all_versions(&self) -> Vec<Arc<Workflow>> {
        self.snapshot()
            .values()
            .flat_map(|d| d.versions.values().cloned())
            .collect()
    }

    /// Per workflow, per slot, the statuses `of` gives for any of its
    /// versions: a store filter that lets through every order some
    /// version shows (the engine then judges each by its own version).
    pub fn visibility(&self, of: impl Fn(&Workflow) -> Visibility) -> Visibility {
        let mut out = Visibility::new();
        for wf in self.all_versions() {
            for (id, slots) in of(&wf) {
                let into = out.entry(id).or_default();
                for (slot, statuses) in slots {
                    let list = into.entry(slot).or_default();
                    for s in statuses {
                        if !list.contains(&s) {
                            list.push(s);
                        }
                    }
                }
            }
        }
        out
    }

    /// Reads what the store has deployed and compiles the versions not
    /// known yet. Once the store holds any workflow it is the whole truth:
    /// a workflow deleted there is forgotten here.
    pub async fn refresh(&self, store: &dyn Store) -> Result<(), AppError> {
        let deployed = store.deployed_workflows().await?;
        let from_store = self.from_store.load(Ordering::Acquire);
        if deployed.is_empty() && !from_store {
            return Ok(());
        }
        let old = self.snapshot();
        let mut next = Known::new();
        for d in deployed {
            // What is cached is kept only while its latest version is still
            // the store's (a workflow deleted and deployed again elsewhere
            // numbers its versions from 1 again).
            let keep = match old.get(&d.id) {
                Some(o) if o.checksum.is_some() => match o.latest.cmp(&d.latest) {
                    std::cmp::Ordering::Equal => o.checksum == Some(d.checksum),
                    std::cmp::Ordering::Less => store
                        .workflow_version(&d.id, o.latest)
                        .await?
                        .is_some_and(|v| Some(v.sha256) == o.checksum),
                    std::cmp::Ordering::Greater => false,
                },
                _ => false,
            };
            let mut versions = match old.get(&d.id) {
                Some(o) if keep => o.versions.clone(),
                _ => BTreeMap::new(),
            };
            for n in 1..=d.latest {
                if versions.contains_key(&n) {
                    continue;
                }
                if let Some(v) = store.workflow_version(&d.id, n).await? {
                    let wf = catalog::load(&format!("{}@{n}", d.id), &v.source)
                        .map_err(|e| AppError::internal("a deployed workflow does not load", e))?;
                    versions.insert(n, Arc::new(wf));
                }
            }
            next.insert(
                d.id,
                Deployed {
                    latest: d.latest,
                    checksum: Some(d.checksum),
                    retired: d.retired,
                    versions,
                },
            );
        }
        *self.known.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(next);
        self.from_store.store(true, Ordering::Release);
        Ok(())
    }
}
