//! What nearly every request reads, kept in memory: the user of an API
//! token (every API call), an organisation with its settings (every
//! change reads those of the order's parties) and an organisation's
//! webhook endpoints (every change looks for those it should reach); and
//! the orders last read or changed, each at its latest version (every
//! action and every order page reads one).
//!
//! Exact only where this process makes every write: the backend clears
//! the cache after each write that may change what it holds
//! ([`Op::changes_cached`](crate::Op::changes_cached)), before answering it, so a revoked token or
//! new settings take effect from the moment the write is acknowledged.
//! SQLite holds its data directory alone (`orderflow-sqlite`'s lock), so it
//! caches at once ([`ReadCache::sole_writer`]). Several servers may share
//! one PostgreSQL, where another server's write would go unseen: there the
//! cache is [`ReadCache::fed`], on only while the store hears the other
//! servers' writes (`NOTIFY`), and emptied whenever it may have missed one.
//! What another server changed is read anew once its notification
//! arrives, a few milliseconds after that server answered.
//!
//! A read that raced a write could put back what the write changed: each
//! clear starts a new generation, and a value read from the database is
//! kept only if no clear happened since the read began. Only found rows
//! are kept (a guessed token must not grow the cache; an organisation's
//! endpoints are kept even when there are none, as the organisation is one
//! an order names), at most [`ENTRIES_MAX`] of each kind.
//!
//! Orders are not cleared by writes: the sole writer puts each order it
//! commits into the cache itself ([`ReadCache::committed`]), after the
//! commit and before answering it, replacing the version kept. A read that
//! raced a commit keeps what it read only if nothing newer of that order is
//! kept and no order was dropped since it began (dropping them all, when
//! [`ORDERS_MAX`] are kept, starts a new generation of their own), so an
//! older version never replaces a newer one.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use orderflow_core::model::Order;
use orderflow_store::{Organization, Result, User, WebhookEndpoint};

/// Entries of each kind kept at most; past it the kind starts afresh.
pub const ENTRIES_MAX: usize = 10_000;

/// Orders kept at most: fewer than the other kinds, as an order with its
/// items can be large; those being worked on are a small share of all.
pub const ORDERS_MAX: usize = 1_000;

/// See the module's documentation.
pub struct ReadCache {
    entries: Mutex<Entries>,
    /// Whether what is kept can be trusted: always for a sole writer;
    /// for a fed cache, only while its feed is heard.
    live: AtomicBool,
}

#[derive(Default)]
struct Entries {
    generation: u64,
    users: HashMap<[u8; 32], User>,
    organizations: HashMap<String, Organization>,
    webhooks: HashMap<String, Vec<WebhookEndpoint>>,
    orders: HashMap<String, Order>,
    orders_generation: u64,
}

impl Entries {
    /// Keeps `order` in place of the version kept; when a new one would
    /// pass [`ORDERS_MAX`], all are dropped first.
    fn keep_order(&mut self, order: Order) {
        if self.orders.len() >= ORDERS_MAX && !self.orders.contains_key(&order.id) {
            self.drop_orders();
        }
        self.orders.insert(order.id.clone(), order);
    }

    fn drop_orders(&mut self) {
        self.orders.clear();
        self.orders_generation += 1;
    }

    /// Forgets the order `id`; a read of it that began before must not put
    /// it back.
    fn forget_order(&mut self, id: &str) {
        self.orders.remove(id);
        self.orders_generation += 1;
    }

    /// Forgets everything, orders included.
    fn empty(&mut self) {
        self.clear();
        self.drop_orders();
    }

    fn clear(&mut self) {
        self.generation += 1;
        self.users.clear();
        self.organizations.clear();
        self.webhooks.clear();
    }
}

impl ReadCache {
    /// A cache for a process that makes every write to its database.
    pub fn sole_writer() -> Self {
        Self {
            entries: Mutex::default(),
            live: AtomicBool::new(true),
        }
    }

    /// A cache for a process that shares its database with other servers
    /// and hears their writes: off until [`ReadCache::feed_live`].
    pub fn fed() -> Self {
        Self {
            entries: Mutex::default(),
            live: AtomicBool::new(false),
        }
    }

    /// The feed is heard from now on: what was kept before may have missed
    /// a write, so it is dropped, and the cache is on.
    pub fn feed_live(&self) {
        self.heard(true);
    }

    /// The feed is lost: the cache is off and empty until it is heard
    /// again.
    pub fn feed_lost(&self) {
        self.heard(false);
    }

    /// Empties the cache, and turns it on or off, under its lock so that
    /// no read keeps what it read across the change.
    fn heard(&self, live: bool) {
        let mut e = lock(&self.entries);
        e.empty();
        self.live.store(live, Ordering::Release);
    }

    /// Another server changed the order `id`.
    pub fn forget_order(&self, id: &str) {
        lock(&self.entries).forget_order(id);
    }

    /// Whether the cache is on: a sole writer's always, a fed one's while
    /// its feed is heard.
    pub fn is_live(&self) -> bool {
        self.live.load(Ordering::Acquire)
    }

    /// The kept entries, when they can be trusted.
    fn kept(&self) -> Option<&Mutex<Entries>> {
        self.is_live().then_some(&self.entries)
    }

    /// The user of the token hashed `sha256`, from `load` when not kept.
    pub async fn user_by_token(
        &self,
        sha256: &[u8; 32],
        load: impl Future<Output = Result<Option<User>>>,
    ) -> Result<Option<User>> {
        self.through(|e| &mut e.users, sha256, load).await
    }

    /// The organisation `id`, from `load` when not kept.
    pub async fn organization(
        &self,
        id: &str,
        load: impl Future<Output = Result<Option<Organization>>>,
    ) -> Result<Option<Organization>> {
        self.through(|e| &mut e.organizations, &id.to_owned(), load)
            .await
    }

    /// The webhook endpoints of the organisation `id`, from `load` when not
    /// kept.
    pub async fn webhooks(
        &self,
        organization: &str,
        load: impl Future<Output = Result<Vec<WebhookEndpoint>>>,
    ) -> Result<Vec<WebhookEndpoint>> {
        let found = self
            .through(|e| &mut e.webhooks, &organization.to_owned(), async {
                load.await.map(Some)
            })
            .await?;
        Ok(found.unwrap_or_default())
    }

    /// The order `id` at its latest version, from `load` when not kept.
    pub async fn order(
        &self,
        id: &str,
        load: impl Future<Output = Result<Option<Order>>>,
    ) -> Result<Option<Order>> {
        let Some(entries) = self.kept() else {
            return load.await;
        };
        let generation = {
            let e = lock(entries);
            if let Some(order) = e.orders.get(id) {
                return Ok(Some(order.clone()));
            }
            e.orders_generation
        };
        let found = load.await?;
        if let Some(order) = &found {
            let mut e = lock(entries);
            let newer_kept = e
                .orders
                .get(id)
                .is_some_and(|kept| kept.version >= order.version);
            if e.orders_generation == generation && !newer_kept {
                e.keep_order(order.clone());
            }
        }
        Ok(found)
    }

    /// `order` as a commit just made it durable. Only the sole writer calls
    /// it, after the commit and before answering it, in commit order.
    pub fn committed(&self, order: Order) {
        if let Some(entries) = self.kept() {
            lock(entries).keep_order(order);
        }
    }

    /// What [`ReadCache::committed_since`] compares: taken before a commit.
    pub fn orders_generation(&self) -> u64 {
        lock(&self.entries).orders_generation
    }

    /// `order` as this process just committed it, when it shares its
    /// database: kept only if no order was forgotten or dropped since
    /// `generation` was taken (before the commit), since another server's
    /// later change of it may have been heard meanwhile; otherwise
    /// forgotten, for the version kept before is stale either way.
    pub fn committed_since(&self, order: Order, generation: u64) {
        if let Some(entries) = self.kept() {
            let mut e = lock(entries);
            if e.orders_generation == generation {
                e.keep_order(order);
            } else {
                e.forget_order(&order.id);
            }
        }
    }

    /// Forgets everything but the orders: called after a write that may
    /// have changed some of it ([`Op::changes_cached`]) is done, committed
    /// or not, before it is answered.
    pub fn clear(&self) {
        lock(&self.entries).clear();
    }

    async fn through<K: Eq + Hash + Clone, V: Clone>(
        &self,
        kind: fn(&mut Entries) -> &mut HashMap<K, V>,
        key: &K,
        load: impl Future<Output = Result<Option<V>>>,
    ) -> Result<Option<V>> {
        let Some(entries) = self.kept() else {
            return load.await;
        };
        let generation = {
            let mut e = lock(entries);
            if let Some(v) = kind(&mut e).get(key) {
                return Ok(Some(v.clone()));
            }
            e.generation
        };
        let found = load.await?;
        if let Some(v) = &found {
            let mut e = lock(entries);
            if e.generation == generation {
                let map = kind(&mut e);
                if map.len() >= ENTRIES_MAX {
                    map.clear();
                }
                map.insert(key.clone(), v.clone());
            }
        }
        Ok(found)
    }
}

/// The entries, even after a panic elsewhere while they were locked: every
/// change to them is a whole insert or clear.
fn lock(entries: &Mutex<Entries>) -> MutexGuard<'_, Entries> {
    entries.lock().unwrap_or_else(PoisonError::into_inner)
}
