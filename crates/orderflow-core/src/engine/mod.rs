//! Running a definition: `decide` what a request would do, `apply` it.
//!
//! `decide` is where every rule lives: visibility, permission, state, inputs,
//! guards, effects, then the statuses computed from the new data and the
//! automatic transitions it sets off, each recorded as its own step. The
//! result is a [`Change`]: facts only. `apply` folds a change into a
//! snapshot without evaluating anything, so replaying history rebuilds the
//! snapshot exactly even if a definition's expressions change later.

mod apply;
mod available;
mod decide;
pub mod inputs;
mod migrate;
mod timers;
pub mod vars;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

pub use apply::{NewChildren, apply, apply_child, created_children};
pub use available::{
    Availability, available_actions, available_actions_and_order, available_child_actions,
};
pub use decide::{decide, decide_child, decide_child_with, decide_with};
pub use migrate::{MIGRATE_ACTION, migrate};
pub use timers::may_manage_timer;
pub use vars::Memo;

use crate::definition::{Action, ChildKind, Definition, State};
use crate::event::Step;
use crate::expr::{Expr, ExprError, Reads, Vars};
use crate::model::{Actor, Order};
use crate::rejection::Rejection;

/// A definition with every expression compiled once.
#[derive(Debug)]
pub struct Workflow {
    pub def: Definition,
    exprs: HashMap<String, Expr>,
    /// Each action's declared inputs in JSON, by child kind (`""` for the
    /// order's own actions) and action: every answer lists them for each
    /// action it offers, so they are written out once, not per request.
    inputs: HashMap<String, HashMap<String, Arc<[Json]>>>,
    /// What its expressions read of each variable (see `Reads`).
    reads: Arc<Reads>,
    /// Each computed value's id and expression, as an evaluation memo
    /// records them (`vars::Memo`), written out once.
    pub(crate) computed: Arc<[(String, String)]>,
}

/// Everything one request did to one order: the version it makes, and its
/// steps (the action's, then any automatic ones).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub version: u64,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub steps: Vec<Step>,
}

impl Change {
    /// What a read action decides: no step, the same version. Committing
    /// it is a mistake a store refuses (the version does not grow).
    pub fn none(order: &Order, actor: &Actor, now: DateTime<Utc>) -> Self {
        Self {
            version: order.version,
            at: now,
            actor: actor.clone(),
            steps: Vec::new(),
        }
    }

    /// Whether the change writes nothing (a read).
    pub fn is_read(&self) -> bool {
        self.steps.is_empty()
    }
}

impl Workflow {
    /// Compiles every expression of `def`. A definition that passed
    /// `check` always compiles; this refuses the first bad expression.
    pub fn new(def: Definition) -> Result<Self, (String, ExprError)> {
        let mut exprs = HashMap::new();
        for source in expressions(&def) {
            if !exprs.contains_key(source) {
                let expr = Expr::compile(source).map_err(|e| (source.to_owned(), e))?;
                exprs.insert(source.to_owned(), expr);
            }
        }
        let declared = |actions: &[Action]| -> HashMap<String, Arc<[Json]>> {
            actions
                .iter()
                .map(|a| {
                    let inputs = a.inputs.iter().filter_map(|f| serde_json::to_value(f).ok());
                    (a.id.clone(), inputs.collect())
                })
                .collect()
        };
        let mut inputs = HashMap::from([(String::new(), declared(&def.actions))]);
        for kind in &def.children {
            inputs.insert(kind.id.clone(), declared(&kind.actions));
        }
        let reads = Arc::new(Reads::of(exprs.values()));
        let computed = def
            .computed
            .iter()
            .map(|c| (c.id.clone(), c.expr.clone()))
            .collect();
        Ok(Self {
            def,
            exprs,
            inputs,
            reads,
            computed,
        })
    }

    /// `action`'s declared inputs in JSON (of the child kind `kind`, or
    /// the order's own when `None`).
    pub(crate) fn declared_inputs(&self, kind: Option<&str>, action: &str) -> Arc<[Json]> {
        self.inputs
            .get(kind.unwrap_or(""))
            .and_then(|actions| actions.get(action))
            .cloned()
            .unwrap_or_else(|| Arc::new([]))
    }

    pub fn id(&self) -> &str {
        &self.def.id
    }

    pub(crate) fn eval(
        &self,
        source: &str,
        vars: &Vars<'_>,
        what: &str,
    ) -> Result<Json, Rejection> {
        let expr = self
            .exprs
            .get(source)
            .ok_or_else(|| Rejection::Definition {
                what: what.to_owned(),
                message: format!("expression {source:?} was not compiled"),
            })?;
        expr.eval(vars).map_err(|e| Rejection::Definition {
            what: what.to_owned(),
            message: e.to_string(),
        })
    }

    pub(crate) fn eval_bool(
        &self,
        source: &str,
        vars: &Vars<'_>,
        what: &str,
    ) -> Result<bool, Rejection> {
        match self.eval(source, vars, what)? {
            Json::Bool(b) => Ok(b),
            other => Err(Rejection::Definition {
                what: what.to_owned(),
                message: format!("gave {}, not true or false", crate::expr::describe(&other)),
            }),
        }
    }

    /// Empty variables for its expressions.
    pub(crate) fn vars(&self) -> Vars<'static> {
        Vars::reading(Arc::clone(&self.reads))
    }

    pub(crate) fn expr(&self, source: &str) -> Option<&Expr> {
        self.exprs.get(source)
    }

    /// The states and actions of the order, or of a child kind.
    pub(crate) fn owner(&self, kind: Option<&str>) -> Result<Owner<'_>, Rejection> {
        match kind {
            None => Ok(Owner {
                kind: None,
                states: &self.def.states,
                actions: &self.def.actions,
            }),
            Some(k) => {
                let child = self
                    .def
                    .child_kind(k)
                    .ok_or_else(|| Rejection::Definition {
                        what: "child kind".into(),
                        message: format!("no child kind {k:?}"),
                    })?;
                Ok(Owner {
                    kind: Some(child),
                    states: &child.states,
                    actions: &child.actions,
                })
            }
        }
    }

    /// Whether party `slot` sees an order in `status` whatever happened
    /// before (every slot does when the state names none).
    pub fn slot_sees(&self, status: &str, slot: &str) -> bool {
        self.def
            .state(status)
            .and_then(|s| s.visible_to.as_ref())
            .is_none_or(|slots| slots.iter().any(|s| s == slot))
    }

    /// Whether party `slot` sees an order in `status` only once it has
    /// seen the order (`visible_once_seen`).
    pub fn slot_sees_once_seen(&self, status: &str, slot: &str) -> bool {
        self.def
            .state(status)
            .is_some_and(|s| s.visible_once_seen.iter().any(|v| v == slot))
    }

    /// Whether party `slot` sees an order in `status` that the slots
    /// `seen_by` have seen.
    pub fn slot_sees_now(&self, status: &str, seen_by: &BTreeSet<String>, slot: &str) -> bool {
        self.slot_sees(status, slot)
            || (seen_by.contains(slot) && self.slot_sees_once_seen(status, slot))
    }

    /// The slots of `order` that cannot see it in `status` with `seen_by`.
    pub fn blind_slots(
        &self,
        order: &Order,
        status: &str,
        seen_by: &BTreeSet<String>,
    ) -> BTreeSet<String> {
        order
            .parties
            .keys()
            .filter(|slot| !self.slot_sees_now(status, seen_by, slot))
            .cloned()
            .collect()
    }

    /// Whether `actor` may see `order` at all.
    pub fn can_see(&self, order: &Order, actor: &Actor) -> bool {
        match actor {
            Actor::System => true,
            Actor::User { organization, .. } => order.parties.iter().any(|(slot, org)| {
                org == organization && self.slot_sees_now(&order.status, &order.seen_by, slot)
            }),
        }
    }
}

/// The order or one child kind: whose states and actions are in play.
pub(crate) struct Owner<'a> {
    pub kind: Option<&'a ChildKind>,
    pub states: &'a [State],
    pub actions: &'a [Action],
}

impl Owner<'_> {
    pub fn action(&self, id: &str) -> Option<&Action> {
        self.actions.iter().find(|a| a.id == id)
    }
}

/// Every expression source in a definition.
fn expressions(def: &Definition) -> Vec<&str> {
    let mut out: Vec<&str> = def.computed.iter().map(|c| c.expr.as_str()).collect();
    let actions = def
        .actions
        .iter()
        .chain(def.children.iter().flat_map(|k| k.actions.iter()));
    for action in actions {
        for guard in &action.guards {
            out.push(&guard.rule);
            out.extend(guard.params.values().map(String::as_str));
        }
        if let Some(crate::definition::Target::Choice(options)) = &action.to {
            out.extend(options.iter().filter_map(|o| o.when.as_deref()));
        }
        effect_expressions(&action.effects, &mut out);
    }
    for auto in &def.automatic {
        out.extend(auto.when.as_deref());
        effect_expressions(&auto.effects, &mut out);
    }
    let rules = def
        .status_rules
        .iter()
        .chain(def.children.iter().flat_map(|k| k.status_rules.iter()));
    out.extend(rules.map(|r| r.when.as_str()));
    for timer in &def.timers {
        out.push(&timer.at);
        out.extend(timer.when.as_deref());
    }
    out
}

fn effect_expressions<'a>(effects: &'a [crate::definition::Effect], out: &mut Vec<&'a str>) {
    use crate::definition::EffectKind as E;
    for effect in effects {
        out.extend(effect.when.as_deref());
        match &effect.kind {
            E::Set { value, .. } => out.push(value),
            E::Append { record, .. } | E::Update { record, .. } => {
                out.extend(record.values().map(String::as_str));
            }
            E::AppendEach { list, record, .. } => {
                out.push(list);
                out.extend(record.values().map(String::as_str));
            }
            E::Remove { key, .. } => out.push(key),
            E::CreateOrder { inputs, .. } => out.push(inputs),
            E::CreateChildren {
                list,
                data,
                per_unit,
                ..
            } => {
                out.push(list);
                out.push(data);
                out.extend(per_unit.as_deref());
            }
            E::Stamp { .. } | E::Notify { .. } | E::MoveChildren { .. } | E::Builtin { .. } => {}
        }
        if let E::Update { key, .. } = &effect.kind {
            out.push(key);
        }
    }
}
