//! What nearly every request reads, kept in memory: the user of an API
//! token (every API call) and an organisation with its settings (every
//! change reads those of the order's parties).
//!
//! Exact only where this process makes every write: the backend clears
//! the cache after each write that may change what it holds
//! ([`Op::changes_cached`](crate::Op::changes_cached)), before answering it, so a revoked token or
//! new settings take effect from the moment the write is acknowledged.
//! SQLite holds its data directory alone (`orderflow-sqlite`'s lock), so it
//! caches; several servers may share one PostgreSQL, where another
//! server's write would go unseen, so there the cache is [`ReadCache::off`].
//!
//! A read that raced a write could put back what the write changed: each
//! clear starts a new generation, and a value read from the database is
//! kept only if no clear happened since the read began. Only found rows
//! are kept (a guessed token must not grow the cache), at most
//! [`ENTRIES_MAX`] of each kind.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, PoisonError};

use orderflow_store::{Organization, Result, User};

/// Entries of each kind kept at most; past it the kind starts afresh.
pub const ENTRIES_MAX: usize = 10_000;

/// See the module's documentation.
pub struct ReadCache {
    entries: Option<Mutex<Entries>>,
}

#[derive(Default)]
struct Entries {
    generation: u64,
    users: HashMap<[u8; 32], User>,
    organizations: HashMap<String, Organization>,
}

impl ReadCache {
    /// A cache for a process that makes every write to its database.
    pub fn sole_writer() -> Self {
        Self {
            entries: Some(Mutex::default()),
        }
    }

    /// No cache: every read goes to the database.
    pub fn off() -> Self {
        Self { entries: None }
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

    /// Forgets everything: called after a write that may have changed some
    /// of it ([`Op::changes_cached`]) is done, committed or not, before it
    /// is answered.
    pub fn clear(&self) {
        if let Some(entries) = &self.entries {
            let mut e = lock(entries);
            e.generation += 1;
            e.users.clear();
            e.organizations.clear();
        }
    }

    async fn through<K: Eq + Hash + Clone, V: Clone>(
        &self,
        kind: fn(&mut Entries) -> &mut HashMap<K, V>,
        key: &K,
        load: impl Future<Output = Result<Option<V>>>,
    ) -> Result<Option<V>> {
        let Some(entries) = &self.entries else {
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
