//! Reachability: every state can be reached from where orders (or children)
//! start, and every state that is not final can be left.
//!
//! The graph is `crate::reach`'s. A child kind has its actions and status
//! rules, plus the `move_children` effects of any action or automatic
//! transition that move children of that kind (the cascade of a cancel).
//! Orders start in the targets of the creating action, or in the first
//! state when no action creates or the creating action has no `to` (its
//! status rules then compute the status); children start in their kind's
//! first state.

use std::collections::HashMap;

use super::source::Path;
use super::validate::{Issue, Scope};
use crate::definition::{Automatic, Definition, Effect, EffectKind};
pub(super) use crate::reach::from_set;
use crate::reach::{Edges, Graph, position};

pub(super) fn check(def: &Definition, out: &mut Vec<Issue>) {
    let cascades = cascades(def);
    let order = Scope::order(def);
    let initial: Vec<usize> = match def.create_action() {
        Some(a) if a.to.is_some() => a
            .targets()
            .iter()
            .filter_map(|t| position(&def.states, t))
            .collect(),
        _ => vec![0],
    };
    scope(order, &def.automatic, &initial, &[], &Path::root(), out);
    for (i, kind) in def.children.iter().enumerate() {
        let extra = cascades
            .get(kind.id.as_str())
            .map_or(&[][..], Vec::as_slice);
        scope(
            Scope::child(kind),
            &[],
            &[0],
            extra,
            &Path::root().at("children", i),
            out,
        );
    }
}

/// The `move_children` effects anywhere in the definition, by kind.
fn cascades(def: &Definition) -> HashMap<&str, Edges> {
    let effects = def
        .actions
        .iter()
        .flat_map(|a| &a.effects)
        .chain(def.automatic.iter().flat_map(|a| &a.effects))
        .chain(
            def.children
                .iter()
                .flat_map(|k| &k.actions)
                .flat_map(|a| &a.effects),
        );
    let mut out: HashMap<&str, Edges> = HashMap::new();
    for Effect { kind, .. } in effects {
        let EffectKind::MoveChildren { kind, from, to } = kind else {
            continue;
        };
        let Some(k) = def.child_kind(kind) else {
            continue;
        };
        let Some(to) = position(&k.states, to) else {
            continue;
        };
        let from = if from.is_empty() {
            k.states.iter().map(|s| !s.is_final).collect()
        } else {
            k.states.iter().map(|s| from.contains(&s.id)).collect()
        };
        out.entry(k.id.as_str()).or_default().push((from, to));
    }
    out
}

fn scope(
    scope: Scope<'_>,
    automatic: &[Automatic],
    initial: &[usize],
    extra: &[(Vec<bool>, usize)],
    path: &Path,
    out: &mut Vec<Issue>,
) {
    let states = scope.states;
    if states.is_empty() || initial.is_empty() {
        return;
    }
    let graph = Graph::new(states, scope.actions, automatic, scope.status_rules, extra);
    let reached = graph.reached(initial);
    let next = &graph.next;
    let start = initial
        .iter()
        .map(|&s| format!("\"{}\"", states[s].id))
        .collect::<Vec<_>>()
        .join(" or ");
    for (i, s) in states.iter().enumerate() {
        if states[..i].iter().any(|t| t.id == s.id) {
            continue; // declared twice: reported as such
        }
        let at = path.at("states", i).key("id");
        if !reached[i] {
            out.push(Issue {
                path: at,
                message: format!(
                    "state \"{}\" is unreachable: no action, automatic transition or status rule leads to it from {start}",
                    s.id
                ),
            });
        } else if !s.is_final && next[i].iter().all(|&t| t == i) {
            out.push(Issue {
                path: at,
                message: format!(
                    "state \"{}\" is not final, but no action, automatic transition or status rule leads out of it",
                    s.id
                ),
            });
        }
    }
}
