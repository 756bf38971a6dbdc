//! The variables CEL expressions see: `order`, `children`, `counts`,
//! `parties`, `actor`, `now` (and `input`, `child`, `parent`, `each` where
//! they apply). `docs/workflows.md` lists them; the checker knows the same.

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value as Json, json};

use super::Workflow;
use crate::expr::Vars;
use crate::model::{Actor, Child, Counts, Order, PartySettings};
use crate::money;
use crate::rejection::Rejection;

/// The order as expressions read it: its data, its identity and status, and
/// its computed values (each sees `children`, `counts`, `parties` and the
/// computed values declared before it).
pub fn order_value(
    wf: &Workflow,
    order: &Order,
    settings: &PartySettings,
) -> Result<Json, Rejection> {
    let mut vars = wf
        .vars()
        .with("children", children_value(wf, order))
        .with("counts", counts_value(wf, order))
        .with("parties", parties_value(wf, order, settings));
    set_order(wf, order, &mut vars, &mut Memo::default())?;
    Ok(vars.get("order").cloned().unwrap_or(Json::Null))
}

/// The computed values one request evaluated last, with what they read.
/// A request builds the variables of its order several times — for the
/// decision, the status rules on the changed order, the automatic
/// transitions, the available actions of the answer — and most changes
/// touch nothing a computed value reads: each is then taken from here
/// instead of being evaluated again (and the order converted again for the
/// ones that read an earlier one). Exact: a value is reused only when every
/// variable and order field its expression reads is equal to what it read.
#[derive(Debug, Clone, Default)]
pub struct Memo {
    last: Option<Evaluated>,
}

#[derive(Debug, Clone)]
struct Evaluated {
    /// The order value, computed values included (shared with the
    /// variables it was set in).
    order: Arc<Json>,
    /// The other variables set when it was computed (`children`, `actor`...).
    others: Vec<(String, Arc<Json>)>,
    /// Each computed value's id and expression (two workflows may name
    /// different expressions alike).
    exprs: Arc<[(String, String)]>,
}

impl Memo {
    /// Whether it holds nothing (the workflow computes no value).
    pub fn is_empty(&self) -> bool {
        self.last.is_none()
    }

    /// The value `computed` had last, if it would evaluate to it now: the
    /// same expression, reading only what is equal in `order` (the computed
    /// values before it set) and in `vars`.
    fn reuse(
        &self,
        wf: &Workflow,
        computed: &crate::definition::Computed,
        order: &Map<String, Json>,
        vars: &Vars<'_>,
    ) -> Option<Json> {
        let last = self.last.as_ref()?;
        last.exprs
            .iter()
            .any(|(id, expr)| *id == computed.id && *expr == computed.expr)
            .then_some(())?;
        let e = wf.expr(&computed.expr)?;
        let locals = e.locals();
        let same = |path: &Vec<String>| match path.as_slice() {
            [root, ..] if locals.contains(root) => true,
            [root, field, ..] if root == "order" => last.order.get(field) == order.get(field),
            [root] if root == "order" => false,
            [root, ..] => {
                let before = last.others.iter().find(|(n, _)| n == root);
                before.map(|(_, v)| &**v) == vars.get(root)
            }
            [] => true,
        };
        if e.paths().iter().all(same) {
            last.order.get(&computed.id).cloned()
        } else {
            None
        }
    }
}

/// Sets `order` in `vars`, computed values included, taking from `memo`
/// those that would evaluate as they did. The order is converted once, and
/// again only before evaluating a computed value that reads one set since.
fn set_order(
    wf: &Workflow,
    order: &Order,
    vars: &mut Vars<'_>,
    memo: &mut Memo,
) -> Result<(), Rejection> {
    let mut value = order.data.clone();
    value.insert("id".into(), json!(order.id));
    value.insert("status".into(), json!(order.status));
    value.insert("version".into(), json!(order.version));
    value.insert("created_at".into(), timestamp(order.created_at));
    value.insert("updated_at".into(), timestamp(order.updated_at));
    // Orders created before they carried a currency are in the default one.
    value
        .entry(money::CURRENCY_FIELD)
        .or_insert_with(|| json!(money::DEFAULT_CURRENCY));
    for collection in &wf.def.collections {
        value
            .entry(collection.id.clone())
            .or_insert_with(|| Json::Array(Vec::new()));
    }
    for field in &wf.def.fields {
        value.entry(field.id.clone()).or_insert(Json::Null);
    }
    // What `vars` holds as `order` lacks these computed values (`None`: no
    // `order` set yet).
    let mut stale: Option<Vec<&str>> = None;
    for computed in &wf.def.computed {
        let v = match memo.reuse(wf, computed, &value, vars) {
            Some(v) => v,
            None => {
                let reads_stale = |stale: &[&str]| {
                    wf.expr(&computed.expr).is_some_and(|e| {
                        e.paths().iter().any(|p| {
                            p.len() > 1 && p[0] == "order" && stale.contains(&p[1].as_str())
                        })
                    })
                };
                if stale.as_deref().is_none_or(reads_stale) {
                    vars.set("order", Json::Object(value.clone()));
                    stale = Some(Vec::new());
                }
                wf.eval(
                    &computed.expr,
                    vars,
                    &format!("computed value {}", computed.id),
                )?
            }
        };
        value.insert(computed.id.clone(), v);
        if let Some(stale) = &mut stale {
            stale.push(&computed.id);
        }
    }
    let value = Arc::new(Json::Object(value));
    if !wf.def.computed.is_empty() {
        memo.last = Some(Evaluated {
            order: Arc::clone(&value),
            others: ["children", "counts", "parties", "actor", "now"]
                .into_iter()
                .filter_map(|n| vars.shared(n).map(|v| (n.to_owned(), Arc::clone(v))))
                .collect(),
            exprs: Arc::clone(&wf.computed),
        });
    }
    if stale.is_none_or(|s| !s.is_empty()) {
        vars.set_shared("order", value);
    }
    Ok(())
}

/// Children loaded with the order, by kind.
pub fn children_value(wf: &Workflow, order: &Order) -> Json {
    let mut out = Map::new();
    for kind in wf.def.children.iter().filter(|k| k.parent == "order") {
        let list = order
            .children
            .iter()
            .filter(|c| c.kind == kind.id)
            .map(child_value)
            .collect();
        out.insert(kind.id.clone(), Json::Array(list));
    }
    Json::Object(out)
}

pub fn child_value(child: &Child) -> Json {
    let mut value = child.data.clone();
    value.insert("id".into(), json!(child.id));
    value.insert("status".into(), json!(child.status));
    value.insert("version".into(), json!(child.version));
    value.insert("parent".into(), json!(child.parent));
    Json::Object(value)
}

/// Counters per state of every child kind, with `total`. Kinds loaded with
/// the order are counted from it; the others come from stored counters.
pub fn counts_value(wf: &Workflow, order: &Order) -> Json {
    let mut counts = order.counts.clone();
    for child in &order.children {
        *counts
            .entry(child.kind.clone())
            .or_default()
            .entry(child.status.clone())
            .or_default() += 1;
    }
    counts_json(wf, &counts)
}

/// Counters of one child's own children, for its roll-up rules.
pub fn child_counts_value(wf: &Workflow, child: &Child) -> Json {
    counts_json(wf, &child.counts)
}

fn counts_json(wf: &Workflow, counts: &Counts) -> Json {
    let mut out = Map::new();
    for kind in &wf.def.children {
        let mut per_state = Map::new();
        let mut total = 0u64;
        for state in &kind.states {
            let n = counts
                .get(&kind.id)
                .and_then(|c| c.get(&state.id))
                .copied()
                .unwrap_or(0);
            total += n;
            per_state.insert(state.id.clone(), json!(n));
        }
        per_state.insert("total".into(), json!(total));
        out.insert(kind.id.clone(), Json::Object(per_state));
    }
    Json::Object(out)
}

/// Each slot's organisation id and settings, normalised by their
/// declarations; a declared setting an organisation has not set, or set to
/// something that does not fit, reads as `null` (`decide` refuses actions
/// over the latter: `settings::check_parties`).
pub fn parties_value(wf: &Workflow, order: &Order, settings: &PartySettings) -> Json {
    let mut out = Map::new();
    let empty = Map::new();
    for (slot, organization) in &order.parties {
        let raw = settings.get(slot).unwrap_or(&empty);
        let declared = wf
            .def
            .party(slot)
            .map(|p| p.settings.as_slice())
            .unwrap_or_default();
        let (mut party, _) = crate::settings::normalize(declared, raw);
        party.insert("organization".into(), json!(organization));
        out.insert(slot.clone(), Json::Object(party));
    }
    Json::Object(out)
}

pub fn actor_value(order: &Order, actor: &Actor) -> Json {
    match actor {
        Actor::User {
            user,
            organization,
            roles,
            name,
            organization_name,
        } => json!({
            "user": user,
            "name": name,
            "organization": organization,
            "organization_name": organization_name,
            "slots": order.slots_of(organization),
            "roles": roles,
        }),
        Actor::System => json!({
            "user": "system",
            "name": crate::model::SYSTEM_NAME,
            "organization": "",
            "organization_name": "",
            "slots": [],
            "roles": [],
        }),
    }
}

/// Everything an expression about `order` may read (its computed values
/// taken from `memo` where they would evaluate as they did).
pub fn order_vars(
    wf: &Workflow,
    order: &Order,
    settings: &PartySettings,
    actor: &Actor,
    now: DateTime<Utc>,
    memo: &mut Memo,
) -> Result<Vars<'static>, Rejection> {
    let mut vars = wf
        .vars()
        .with("children", children_value(wf, order))
        .with("counts", counts_value(wf, order))
        .with("parties", parties_value(wf, order, settings))
        .with("actor", actor_value(order, actor))
        .with("now", json!(now.to_rfc3339_opts(SecondsFormat::Secs, true)));
    set_order(wf, order, &mut vars, memo)?;
    Ok(vars)
}

/// What a child's actions and roll-up rules read: the order's variables,
/// with `child`, `parent` and `counts` (the child's own children).
pub fn child_vars(
    wf: &Workflow,
    order: &Order,
    child: &Child,
    settings: &PartySettings,
    actor: &Actor,
    now: DateTime<Utc>,
    memo: &mut Memo,
) -> Result<Vars<'static>, Rejection> {
    let mut vars = order_vars(wf, order, settings, actor, now, memo)?;
    vars.set("child", child_value(child));
    vars.set("counts", child_counts_value(wf, child));
    if let Some(parent) = child.parent.as_deref().and_then(|p| order.child(p)) {
        vars.set("parent", child_value(parent));
    }
    Ok(vars)
}

fn timestamp(t: Option<DateTime<Utc>>) -> Json {
    t.map_or(Json::Null, |t| {
        json!(t.to_rfc3339_opts(SecondsFormat::Secs, true))
    })
}
