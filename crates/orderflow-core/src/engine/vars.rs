//! The variables CEL expressions see: `order`, `children`, `counts`,
//! `parties`, `actor`, `now` (and `input`, `child`, `parent`, `each` where
//! they apply). `docs/workflows.md` lists them; the checker knows the same.

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
    let mut vars = Vars::default()
        .with("children", children_value(wf, order))
        .with("counts", counts_value(wf, order))
        .with("parties", parties_value(wf, order, settings));
    set_order(wf, order, &mut vars)?;
    Ok(vars.get("order").cloned().unwrap_or(Json::Null))
}

/// Sets `order` in `vars`, computed values included. The order is converted
/// again only before a computed value that reads an earlier one.
fn set_order(wf: &Workflow, order: &Order, vars: &mut Vars<'_>) -> Result<(), Rejection> {
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
    vars.set("order", Json::Object(value.clone()));
    let mut stale: Vec<&str> = Vec::new();
    for computed in &wf.def.computed {
        let reads_stale = wf.expr(&computed.expr).is_some_and(|e| {
            e.paths()
                .iter()
                .any(|p| p.len() > 1 && p[0] == "order" && stale.contains(&p[1].as_str()))
        });
        if reads_stale {
            vars.set("order", Json::Object(value.clone()));
            stale.clear();
        }
        let v = wf.eval(
            &computed.expr,
            vars,
            &format!("computed value {}", computed.id),
        )?;
        value.insert(computed.id.clone(), v);
        stale.push(&computed.id);
    }
    if !stale.is_empty() {
        vars.set("order", Json::Object(value));
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

/// Everything an expression about `order` may read.
pub fn order_vars(
    wf: &Workflow,
    order: &Order,
    settings: &PartySettings,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vars<'static>, Rejection> {
    let mut vars = Vars::default()
        .with("children", children_value(wf, order))
        .with("counts", counts_value(wf, order))
        .with("parties", parties_value(wf, order, settings))
        .with("actor", actor_value(order, actor))
        .with("now", json!(now.to_rfc3339_opts(SecondsFormat::Secs, true)));
    set_order(wf, order, &mut vars)?;
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
) -> Result<Vars<'static>, Rejection> {
    let mut vars = order_vars(wf, order, settings, actor, now)?;
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
