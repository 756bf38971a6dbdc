//! The computed values each recently used order was last evaluated with,
//! so the next request on it starts from them instead of evaluating them
//! again: a change answers with the new version's available actions, and
//! the next change of that order decides on exactly that version.
//!
//! Nothing here needs invalidating: `engine::Memo` reuses a value only when
//! the expression and everything it reads are equal to what it read. The
//! order's id only picks the memo most likely to match.

use std::collections::HashMap;
use std::sync::Mutex;

use orderflow_core::engine::Memo;

/// How many orders' memos are kept (each holds a copy of one order's
/// values with its computed ones): as many as the read cache keeps orders.
const KEPT_MAX: usize = 1024;

#[derive(Debug, Default)]
pub(crate) struct Memos {
    kept: Mutex<HashMap<String, Memo>>,
}

impl Memos {
    /// The memo kept for `order`, or an empty one.
    pub(crate) fn take(&self, order: &str) -> Memo {
        self.lock().remove(order).unwrap_or_default()
    }

    /// Keeps `memo` for `order`, forgetting some other order's when full.
    pub(crate) fn keep(&self, order: &str, memo: Memo) {
        if memo.is_empty() {
            return;
        }
        let mut kept = self.lock();
        if kept.len() >= KEPT_MAX
            && !kept.contains_key(order)
            && let Some(other) = kept.keys().next().cloned()
        {
            kept.remove(&other);
        }
        kept.insert(order.to_owned(), memo);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Memo>> {
        // A memo is only ever a hint: one left by a panic is as good as any.
        self.kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orderflow_core::engine;
    use orderflow_core::model::{Actor, Order};

    /// A memo holding compliance's computed values for one order.
    fn evaluated() -> Memo {
        let Some(Ok(wf)) = orderflow_core::catalog::built_in("compliance") else {
            unreachable!("compliance is built in")
        };
        let order = Order::blank("o", "compliance", [("owner".into(), "acme".into())].into());
        let mut memo = Memo::default();
        let actor = Actor::System;
        let _ = engine::available_actions_and_order(
            &wf,
            &order,
            &Default::default(),
            &actor,
            chrono::Utc::now(),
            &mut memo,
        );
        memo
    }

    #[test]
    fn keeps_a_bounded_number_and_hands_each_out_once() {
        let memos = Memos::default();
        let memo = evaluated();
        assert!(!memo.is_empty());
        for i in 0..KEPT_MAX + 10 {
            memos.keep(&format!("order-{i}"), memo.clone());
        }
        assert_eq!(memos.lock().len(), KEPT_MAX);
        let last = format!("order-{}", KEPT_MAX + 9);
        assert!(!memos.take(&last).is_empty());
        assert!(memos.take(&last).is_empty(), "taken once");
        memos.keep("empty", Memo::default());
        assert!(!memos.lock().contains_key("empty"), "nothing to keep");
    }
}
