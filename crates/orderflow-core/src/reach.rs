//! Where an order can still go: the states reachable through the
//! definition's transitions, read from the definition alone (no
//! expression is evaluated, so every declared transition counts as
//! possible). `workflow check` walks the same graph from where orders
//! start; the order page walks it from where an order is now, to leave out
//! actions the order will never see again.
//!
//! The edges: actions (each state an action is available in → each of its
//! targets), automatic transitions, and status rules (each state of their
//! `from`, or every state when it is empty → their status), plus edges a
//! caller adds (the `move_children` cascades of a child kind).

use std::collections::VecDeque;

use crate::definition::{Action, Automatic, Definition, State, StatusRule};

/// Which states a `from` list names: ids, `"*"` for all, `"!id"` to take one
/// out (the engine's `Action::available_in`, for every state at once).
pub(crate) fn from_set(from: &[String], states: &[State]) -> Vec<bool> {
    let star = from.iter().any(|f| f == "*");
    states
        .iter()
        .map(|s| {
            let excluded = from
                .iter()
                .any(|f| f.strip_prefix('!') == Some(s.id.as_str()));
            !excluded && (star || from.contains(&s.id))
        })
        .collect()
}

/// An edge from every state marked in `from` to `to`.
pub(crate) type Edges = Vec<(Vec<bool>, usize)>;

pub(crate) fn position(states: &[State], id: &str) -> Option<usize> {
    states.iter().position(|s| s.id == id)
}

/// The transitions between one scope's states (the order's, or a child
/// kind's), by index into its states.
pub(crate) struct Graph {
    /// The states each state leads to directly.
    pub(crate) next: Vec<Vec<usize>>,
}

impl Graph {
    pub(crate) fn new(
        states: &[State],
        actions: &[Action],
        automatic: &[Automatic],
        status_rules: &[StatusRule],
        extra: &[(Vec<bool>, usize)],
    ) -> Self {
        let mut edges: Edges = Vec::new();
        for a in actions.iter().filter(|a| !a.creates) {
            let from = from_set(&a.from, states);
            for t in a.targets() {
                if let Some(t) = position(states, t) {
                    edges.push((from.clone(), t));
                }
            }
        }
        for a in automatic {
            if let Some(t) = position(states, &a.to) {
                edges.push((from_set(&a.from, states), t));
            }
        }
        for r in status_rules {
            if let Some(t) = position(states, &r.status) {
                let from = if r.from.is_empty() {
                    vec![true; states.len()]
                } else {
                    from_set(&r.from, states)
                };
                edges.push((from, t));
            }
        }
        edges.extend(extra.iter().cloned());
        let mut next: Vec<Vec<usize>> = vec![Vec::new(); states.len()];
        for (from, to) in &edges {
            for (s, _) in from.iter().enumerate().filter(|(_, f)| **f) {
                next[s].push(*to);
            }
        }
        Self { next }
    }

    /// The order's own states and transitions.
    pub(crate) fn order(def: &Definition) -> Self {
        Self::new(
            &def.states,
            &def.actions,
            &def.automatic,
            &def.status_rules,
            &[],
        )
    }

    /// Every state reachable from `start`, `start` included.
    pub(crate) fn reached(&self, start: &[usize]) -> Vec<bool> {
        let n = self.next.len();
        let mut reached = vec![false; n];
        let mut queue: VecDeque<usize> = VecDeque::new();
        for &s in start.iter().filter(|&&s| s < n) {
            reached[s] = true;
            queue.push_back(s);
        }
        while let Some(s) = queue.pop_front() {
            for &t in &self.next[s] {
                if !reached[t] {
                    reached[t] = true;
                    queue.push_back(t);
                }
            }
        }
        reached
    }
}

/// The states an order in `status` may still come to (itself included).
pub struct Reach<'d> {
    def: &'d Definition,
    reached: Vec<bool>,
}

impl<'d> Reach<'d> {
    /// Where an order of `def` in `status` can go; `None` when that cannot
    /// be decided from the definition (a status it does not declare, as an
    /// order kept from an older version may have).
    ///
    /// Automatic transitions and status rules are taken only after a
    /// change, so an order in a state where no action changes it (none is
    /// available there, and it has no children whose steps move it) stays
    /// where it is whatever its rules say.
    pub fn from(def: &'d Definition, status: &str) -> Option<Self> {
        let at = position(&def.states, status)?;
        let changes = !def.children.is_empty()
            || def
                .actions
                .iter()
                .any(|a| !a.creates && !a.read && a.available_in(status));
        let reached = if changes {
            Graph::order(def).reached(&[at])
        } else {
            let mut only = vec![false; def.states.len()];
            only[at] = true;
            only
        };
        Some(Self { def, reached })
    }

    /// The states reachable, in the definition's order.
    pub fn states(&self) -> Vec<&'d str> {
        self.def
            .states
            .iter()
            .zip(&self.reached)
            .filter(|(_, r)| **r)
            .map(|(s, _)| s.id.as_str())
            .collect()
    }

    /// Whether `action` is available in a state the order may still reach
    /// (the state it is in counts).
    pub fn may_come_to(&self, action: &Action) -> bool {
        self.def
            .states
            .iter()
            .zip(&self.reached)
            .any(|(s, r)| *r && action.available_in(&s.id))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::catalog;

    fn reach_of(workflow: &str, status: &str, check: impl FnOnce(Option<Reach<'_>>)) {
        let wf = catalog::built_in(workflow)
            .expect("a built-in workflow")
            .expect("it loads");
        check(Reach::from(&wf.def, status));
    }

    /// (workflow, status now, the states it can still reach).
    const REACHES: &[(&str, &str, &[&str])] = &[
        (
            "purchasing",
            "needs_approval",
            &[
                "needs_approval",
                "pending",
                "accepted",
                "partially_accepted",
                "scheduled_for_delivery",
                "completed",
                "in_dispute",
                "completed_after_dispute",
                "declined",
                "abandoned",
            ],
        ),
        (
            "purchasing",
            "pending",
            &[
                "pending",
                "accepted",
                "partially_accepted",
                "scheduled_for_delivery",
                "completed",
                "in_dispute",
                "completed_after_dispute",
                "declined",
                "abandoned",
            ],
        ),
        (
            "purchasing",
            "completed",
            &["completed", "in_dispute", "completed_after_dispute"],
        ),
        (
            "purchasing",
            "completed_after_dispute",
            &["completed_after_dispute"],
        ),
        // No action is available once abandoned, not even a note.
        ("purchasing", "abandoned", &["abandoned"]),
        ("purchasing", "declined", &["declined"]),
        (
            "dental-lab",
            "shipped",
            &["shipped", "delivered", "completed"],
        ),
        ("dental-lab", "delivered", &["delivered", "completed"]),
        ("dental-lab", "completed", &["completed"]),
        ("dental-lab", "cancelled", &["cancelled"]),
        // Its status is computed from its data by rules that apply in
        // every state, after any change, and every action is open in
        // every state: nothing is ever out of reach.
        (
            "compliance",
            "complete",
            &[
                "pending_data",
                "pending_products",
                "in_progress",
                "compliance_in_progress",
                "products_in_progress",
                "complete",
            ],
        ),
        // The jobs' counters move a completed order back to open (a job
        // reopened), and from there it may still be canceled.
        (
            "print-production",
            "completed",
            &["intake_hold", "open", "completed", "shipped", "canceled"],
        ),
        (
            "print-production",
            "received",
            &[
                "received",
                "production_hold",
                "intake_hold",
                "open",
                "completed",
                "shipped",
                "canceled",
            ],
        ),
        ("print-production", "shipped", &["shipped"]),
        ("print-production", "canceled", &["canceled"]),
    ];

    #[test]
    fn each_built_in_workflow_reaches_what_its_transitions_lead_to() {
        for (workflow, status, expected) in REACHES {
            reach_of(workflow, status, |r| {
                let r = r.unwrap_or_else(|| panic!("{workflow} declares {status}"));
                assert_eq!(&r.states(), expected, "{workflow} from {status}");
            });
        }
    }

    /// (workflow, status now, action, whether the order may still come to
    /// a state the action is available in).
    const ACTIONS: &[(&str, &str, &str, bool)] = &[
        ("purchasing", "completed", "approve", false),
        ("purchasing", "completed", "accept", false),
        ("purchasing", "completed", "schedule", false),
        ("purchasing", "completed", "abandon", false),
        ("purchasing", "completed", "dispute", true),
        ("purchasing", "completed", "resolve", true),
        ("purchasing", "completed", "reorder", true),
        ("purchasing", "completed_after_dispute", "dispute", false),
        ("purchasing", "completed_after_dispute", "reorder", true),
        ("purchasing", "pending", "approve", false),
        ("purchasing", "pending", "schedule", true),
        ("purchasing", "pending", "complete", true),
        ("purchasing", "pending", "dispute", true),
        ("purchasing", "abandoned", "add_note", false),
        ("dental-lab", "delivered", "publish", false),
        ("dental-lab", "delivered", "cancel", false),
        ("dental-lab", "delivered", "record_payment", true),
        ("dental-lab", "completed", "record_payment", false),
        ("dental-lab", "completed", "update_tracking", true),
        ("dental-lab", "published", "deliver", true),
        ("compliance", "complete", "set_stage", true),
        ("print-production", "open", "approve_artwork", false),
        ("print-production", "open", "cancel", true),
        ("print-production", "shipped", "cancel", false),
    ];

    #[test]
    fn an_action_may_come_only_where_the_order_can_still_go() {
        for (workflow, status, action, expected) in ACTIONS {
            reach_of(workflow, status, |r| {
                let r = r.unwrap_or_else(|| panic!("{workflow} declares {status}"));
                let def = catalog::built_in(workflow).unwrap().unwrap().def;
                let action = def
                    .action(action)
                    .unwrap_or_else(|| panic!("{workflow} has {action}"));
                assert_eq!(
                    r.may_come_to(action),
                    *expected,
                    "{workflow} from {status}: {}",
                    action.id
                );
            });
        }
    }

    #[test]
    fn a_status_the_definition_does_not_declare_cannot_be_decided() {
        reach_of("purchasing", "archived", |r| assert!(r.is_none()));
    }
}
