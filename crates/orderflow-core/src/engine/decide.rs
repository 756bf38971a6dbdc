//! `decide`: whether a request may run, and what it does.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value as Json, json};

use super::apply::fold;
use super::inputs::{self, InputContext};
use super::vars::{Memo, child_vars, order_vars};
use super::{Change, Owner, Workflow};
use crate::builtins;
use crate::definition::{Action, ChildKind, Effect, EffectKind, Guard, Target};
use crate::event::{Event, Step};
use crate::expr::Vars;
use crate::limits;
use crate::model::{Actor, Child, Order, PartySettings};
use crate::money;
use crate::rejection::{FieldError, Rejection};

/// Decides what `action` with `inputs` by `actor` does to `order` at `now`:
/// the whole change, its computed statuses and automatic steps included, or
/// the reason it is refused. A read action (`read = true`, printing) that
/// passes its checks decides a change without steps: nothing to write. For a creating action, `order` is
/// [`Order::blank`] with the parties the creator chose.
pub fn decide(
    wf: &Workflow,
    order: &Order,
    settings: &PartySettings,
    actor: &Actor,
    action: &str,
    inputs: &Json,
    now: DateTime<Utc>,
) -> Result<Change, Rejection> {
    let memo = &mut Memo::default();
    decide_with(wf, order, settings, actor, action, inputs, now, memo)
}

/// [`decide`], keeping in `memo` the computed values it evaluated, for the
/// rest of the request (its answer's available actions).
#[allow(clippy::too_many_arguments)]
pub fn decide_with(
    wf: &Workflow,
    order: &Order,
    settings: &PartySettings,
    actor: &Actor,
    action: &str,
    inputs: &Json,
    now: DateTime<Utc>,
    memo: &mut Memo,
) -> Result<Change, Rejection> {
    let owner = wf.owner(None)?;
    let creating = order.version == 0;
    if !creating && !wf.can_see(order, actor) {
        return Err(Rejection::NotFound);
    }
    let Some(act) = owner.action(action) else {
        return Err(Rejection::UnknownAction {
            action: action.to_owned(),
        });
    };
    if creating != act.creates {
        return Err(if creating {
            Rejection::NotFound
        } else {
            Rejection::NotAvailable {
                action: act.id.clone(),
                status: order.status.clone(),
                available_in: Vec::new(),
            }
        });
    }
    let step = action_step(
        wf, &owner, order, None, settings, actor, act, inputs, now, memo,
    )?;
    if act.read {
        return Ok(Change::none(order, actor, now));
    }
    settle(wf, order, None, step, settings, now, actor, memo)
}

/// Decides one action on one child (an item or a job) of `order`.
#[allow(clippy::too_many_arguments)]
pub fn decide_child(
    wf: &Workflow,
    order: &Order,
    child: &Child,
    settings: &PartySettings,
    actor: &Actor,
    action: &str,
    inputs: &Json,
    now: DateTime<Utc>,
) -> Result<Change, Rejection> {
    let memo = &mut Memo::default();
    decide_child_with(wf, order, child, settings, actor, action, inputs, now, memo)
}

/// [`decide_child`], keeping in `memo` the computed values it evaluated.
#[allow(clippy::too_many_arguments)]
pub fn decide_child_with(
    wf: &Workflow,
    order: &Order,
    child: &Child,
    settings: &PartySettings,
    actor: &Actor,
    action: &str,
    inputs: &Json,
    now: DateTime<Utc>,
    memo: &mut Memo,
) -> Result<Change, Rejection> {
    if order.version == 0 || !wf.can_see(order, actor) {
        return Err(Rejection::NotFound);
    }
    let owner = wf.owner(Some(&child.kind))?;
    let Some(act) = owner.action(action) else {
        return Err(Rejection::UnknownAction {
            action: action.to_owned(),
        });
    };
    let step = action_step(
        wf,
        &owner,
        order,
        Some(child),
        settings,
        actor,
        act,
        inputs,
        now,
        memo,
    )?;
    if act.read {
        return Ok(Change::none(order, actor, now));
    }
    settle(wf, order, Some(child), step, settings, now, actor, memo)
}

/// The action's own step: admitted, guarded, its target and effects
/// evaluated. `child` is the child acted on, for child actions.
#[allow(clippy::too_many_arguments)]
fn action_step(
    wf: &Workflow,
    owner: &Owner<'_>,
    order: &Order,
    child: Option<&Child>,
    settings: &PartySettings,
    actor: &Actor,
    act: &Action,
    inputs: &Json,
    now: DateTime<Utc>,
    memo: &mut Memo,
) -> Result<Step, Rejection> {
    let status = child.map_or(&order.status, |c| &c.status);
    let input = admit(wf, owner, order, status, settings, actor, act, inputs, now)?;
    let mut vars = match child {
        Some(c) => child_vars(wf, order, c, settings, actor, now, memo)?,
        None => order_vars(wf, order, settings, actor, now, memo)?,
    };
    vars.set("input", Json::Object(input.clone()));
    check_guards(wf, owner, act, &act.guards, &vars)?;

    let mut events = Vec::new();
    if order.version == 0 {
        events.push(Event::Created);
        events.push(Event::FieldSet {
            field: money::CURRENCY_FIELD.to_owned(),
            value: json!(currency(wf, settings)),
        });
    }
    if let Some(to) = target(wf, act, &vars)?.filter(|to| to != status) {
        events.push(match child {
            Some(c) => Event::ChildStatusChanged {
                kind: c.kind.clone(),
                id: c.id.clone(),
                parent: c.parent.clone(),
                from: c.status.clone(),
                to: to.to_owned(),
            },
            None => Event::StatusChanged {
                from: order.status.clone(),
                to: to.to_owned(),
            },
        });
    }
    let mut ids = Ids::new(order);
    effects(
        wf,
        &act.effects,
        &vars,
        child,
        order,
        now,
        &mut ids,
        &mut events,
    )?;
    Ok(Step {
        action: act.id.clone(),
        automatic: false,
        child: child.map(|c| c.id.clone()),
        inputs: Json::Object(input),
        status_before: order.status.clone(),
        status_after: order.status.clone(),
        events,
    })
}

/// State, permission and inputs: the checks that need no expression.
#[allow(clippy::too_many_arguments)]
pub(super) fn admit(
    wf: &Workflow,
    owner: &Owner<'_>,
    order: &Order,
    status: &str,
    settings: &PartySettings,
    actor: &Actor,
    act: &Action,
    inputs: &Json,
    now: DateTime<Utc>,
) -> Result<Map<String, Json>, Rejection> {
    // Permission before state: "you may not" is the lasting answer, and
    // one that does not depend on when it is asked; "not now" would invite
    // a user to wait for a state in which they still could not act.
    permitted(wf, order, actor, act)?;
    if !act.creates && !act.available_in(status) {
        return Err(Rejection::NotAvailable {
            action: act.id.clone(),
            status: status.to_owned(),
            available_in: act.from_states(owner.states),
        });
    }
    let slots = match actor {
        Actor::User { organization, .. } => order.slots_of(organization),
        Actor::System => Vec::new(),
    };
    let cx = InputContext {
        settings,
        now: Some(now),
        actor_slot: slots.first().map(String::as_str),
    };
    let input = inputs::validate(&act.inputs, inputs, &cx)
        .map_err(|fields| Rejection::InvalidInput { fields })?;
    crate::settings::check_parties(&wf.def, order, settings)?;
    Ok(input)
}

/// Whether `actor` may take `act` on `order`: through a slot its
/// organisation fills, with one of the roles the action names for that slot
/// (any role, or none, when the slot declares no roles).
pub(super) fn permitted(
    wf: &Workflow,
    order: &Order,
    actor: &Actor,
    act: &Action,
) -> Result<(), Rejection> {
    if allowed_by(wf, order, actor, &act.by) {
        Ok(())
    } else {
        Err(Rejection::Forbidden {
            action: act.id.clone(),
            allowed: act.by.clone(),
        })
    }
}

/// Whether `actor` is one of `by` (`slot`, `slot:role` or `system`) on
/// `order`.
pub(super) fn allowed_by(wf: &Workflow, order: &Order, actor: &Actor, by: &[String]) -> bool {
    match actor {
        Actor::System => by.iter().any(|b| b == "system"),
        Actor::User {
            organization,
            roles,
            ..
        } => {
            let slots = order.slots_of(organization);
            by.iter().any(|entry| {
                let (slot, role) = entry
                    .split_once(':')
                    .map_or((entry.as_str(), None), |(s, r)| (s, Some(r)));
                if !slots.iter().any(|s| s == slot) {
                    return false;
                }
                match role {
                    Some(role) => roles.iter().any(|r| r == role),
                    None => {
                        let declared = wf
                            .def
                            .party(slot)
                            .map(|p| p.roles.as_slice())
                            .unwrap_or_default();
                        declared.is_empty() || declared.iter().any(|d| roles.contains(&d.id))
                    }
                }
            })
        }
    }
}

/// The currency of a new order: the creating party's organisation's
/// `currency` setting, or the default.
fn currency<'s>(wf: &Workflow, settings: &'s PartySettings) -> &'s str {
    wf.def
        .parties
        .iter()
        .find(|p| p.creates)
        .and_then(|p| settings.get(&p.id))
        .and_then(|s| s.get(money::CURRENCY_SETTING))
        .and_then(Json::as_str)
        .filter(|code| money::is_currency_code(code))
        .unwrap_or(money::DEFAULT_CURRENCY)
}

/// Every guard must hold; the first that does not is reported with the
/// values it read.
pub(super) fn check_guards<'a>(
    wf: &Workflow,
    owner: &Owner<'_>,
    act: &Action,
    guards: impl IntoIterator<Item = &'a Guard>,
    vars: &Vars<'_>,
) -> Result<(), Rejection> {
    let shown = Shown {
        wf,
        kind: owner.kind,
        act,
    };
    for guard in guards {
        let what = format!("guard {} of {}", guard.id, act.id);
        if !wf.eval_bool(&guard.rule, vars, &what)? {
            let params = guard_params(&shown, guard, vars)?;
            let message = fill(&guard.message, &params);
            return Err(match &guard.field {
                Some(field) => Rejection::InvalidInput {
                    fields: vec![FieldError {
                        field: field.clone(),
                        message,
                    }],
                },
                None => guard_failed(&shown, guard, message, &params, vars),
            });
        }
    }
    Ok(())
}

/// Values a refusal names, as people read them: an amount of money (an
/// input, a field, a setting, a computed value declared so) as a decimal.
struct Shown<'a> {
    wf: &'a Workflow,
    kind: Option<&'a ChildKind>,
    act: &'a Action,
}

impl Shown<'_> {
    fn value(&self, path: &[String], v: &Json) -> Json {
        match money::kind_at(&self.wf.def, &self.act.inputs, self.kind, path) {
            Some(kind) => money::shown(kind, v),
            None => v.clone(),
        }
    }

    /// The value of a parameter that is a plain path (`input.amount`).
    fn param(&self, source: &str, v: Json) -> Json {
        let path = self.wf.expr(source).and_then(|e| match e.paths() {
            [path] if path.join(".") == source.trim() => Some(path),
            _ => None,
        });
        match path {
            Some(path) => self.value(path, &v),
            None => v,
        }
    }
}

/// The values of the guard's parameters as its message writes them (text
/// as it is, anything else as JSON).
fn guard_params(
    shown: &Shown<'_>,
    guard: &Guard,
    vars: &Vars<'_>,
) -> Result<Vec<(String, String)>, Rejection> {
    let wf = shown.wf;
    let mut params = Vec::new();
    for (name, source) in &guard.params {
        let value = wf.eval(source, vars, &format!("{name} of guard {}", guard.id))?;
        let text = match shown.param(source, value) {
            Json::String(s) => s,
            other => other.to_string(),
        };
        params.push((name.clone(), text));
    }
    Ok(params)
}

/// `text` with each `{name}` replaced by that parameter's value.
fn fill(text: &str, params: &[(String, String)]) -> String {
    params.iter().fold(text.to_owned(), |text, (name, value)| {
        text.replace(&format!("{{{name}}}"), value)
    })
}

fn guard_failed(
    shown: &Shown<'_>,
    guard: &Guard,
    message: String,
    params: &[(String, String)],
    vars: &Vars<'_>,
) -> Rejection {
    let mut values = BTreeMap::new();
    if let Some(expr) = shown.wf.expr(&guard.rule) {
        let locals = expr.locals();
        for path in expr.paths() {
            if path.first().is_some_and(|root| locals.contains(root)) {
                continue;
            }
            if let Some(v) = vars.lookup(path) {
                values.insert(path.join("."), summarise(&shown.value(path, v)));
            }
        }
    }
    Rejection::GuardFailed {
        rule: guard.id.clone(),
        message,
        values,
        beside: guard.beside.as_deref().map(|b| fill(b, params)),
    }
}

/// Large values (a list of 1,000 lines) are reported by size, not in full.
fn summarise(v: &Json) -> Json {
    match v {
        Json::Array(items) if items.len() > 10 => json!(format!("[{} entries]", items.len())),
        Json::Object(m) if m.len() > 20 => json!(format!("{{{} keys}}", m.len())),
        _ => v.clone(),
    }
}

fn target<'a>(
    wf: &Workflow,
    act: &'a Action,
    vars: &Vars<'_>,
) -> Result<Option<&'a str>, Rejection> {
    match &act.to {
        None => Ok(None),
        Some(Target::State(s)) => Ok(Some(s)),
        Some(Target::Choice(options)) => {
            for option in options {
                let holds = match &option.when {
                    None => true,
                    Some(when) => wf.eval_bool(
                        when,
                        vars,
                        &format!("target {} of {}", option.state, act.id),
                    )?,
                };
                if holds {
                    return Ok(Some(&option.state));
                }
            }
            Err(Rejection::Definition {
                what: format!("targets of {}", act.id),
                message: "no target option holds".into(),
            })
        }
    }
}

/// The next ids to give, per collection and child kind, within one change.
pub(super) struct Ids(HashMap<String, u64>);

impl Ids {
    pub fn new(order: &Order) -> Self {
        Self(
            order
                .next_ids
                .iter()
                .map(|(k, v)| (k.clone(), *v))
                .collect(),
        )
    }

    fn take(&mut self, key: &str, count: u64) -> u64 {
        let next = self.0.entry(key.to_owned()).or_insert(1);
        let first = *next;
        *next += count;
        first
    }
}

/// The events of `effects`, evaluated against the order as it was before the
/// change. `child` is the child acted on, for child actions: `set` and
/// `stamp` then write its fields.
#[allow(clippy::too_many_arguments)]
pub(super) fn effects(
    wf: &Workflow,
    list: &[Effect],
    vars: &Vars<'_>,
    child: Option<&Child>,
    order: &Order,
    now: DateTime<Utc>,
    ids: &mut Ids,
    events: &mut Vec<Event>,
) -> Result<(), Rejection> {
    for effect in list {
        if let Some(when) = &effect.when
            && !wf.eval_bool(when, vars, "an effect's condition")?
        {
            continue;
        }
        effect_events(wf, &effect.kind, vars, child, order, now, ids, events)?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn effect_events(
    wf: &Workflow,
    kind: &EffectKind,
    vars: &Vars<'_>,
    child: Option<&Child>,
    order: &Order,
    now: DateTime<Utc>,
    ids: &mut Ids,
    events: &mut Vec<Event>,
) -> Result<(), Rejection> {
    let set = |field: &str, value: Json| match child {
        Some(c) => Event::ChildFieldSet {
            kind: c.kind.clone(),
            id: c.id.clone(),
            field: field.to_owned(),
            value,
        },
        None => Event::FieldSet {
            field: field.to_owned(),
            value,
        },
    };
    match kind {
        EffectKind::Set { field, value } => {
            let v = wf.eval(value, vars, &format!("the value of {field}"))?;
            events.push(set(field, v));
        }
        EffectKind::Stamp { field } => {
            events.push(set(
                field,
                json!(now.to_rfc3339_opts(SecondsFormat::Secs, true)),
            ));
        }
        EffectKind::Append { collection, record } => {
            let mut rec = eval_record(wf, record, vars)?;
            append(order, collection, &mut rec, ids, events)?;
        }
        EffectKind::AppendEach {
            collection,
            list,
            each,
            record,
        } => {
            for element in eval_list(wf, list, vars)? {
                let mut scoped = vars.scope();
                scoped.set(each, element);
                let mut rec = eval_record(wf, record, &scoped)?;
                append(order, collection, &mut rec, ids, events)?;
            }
        }
        EffectKind::Update {
            collection,
            key,
            record,
        } => {
            let ids = record_keys(wf, order, collection, key, vars)?;
            let changes = eval_record(wf, record, vars)?;
            for id in ids {
                events.push(Event::RecordUpdated {
                    collection: collection.clone(),
                    id,
                    changes: changes.clone(),
                });
            }
        }
        EffectKind::Remove { collection, key } => {
            for id in record_keys(wf, order, collection, key, vars)? {
                events.push(Event::RecordRemoved {
                    collection: collection.clone(),
                    id,
                });
            }
        }
        EffectKind::Notify {
            party,
            template,
            channel,
        } => events.push(Event::Notified {
            party: party.clone(),
            template: template.clone(),
            channel: channel.clone(),
        }),
        EffectKind::CreateOrder { action, inputs } => {
            let inputs = wf.eval(inputs, vars, "the new order's inputs")?;
            events.push(Event::OrderRequested {
                action: action.clone(),
                inputs,
            });
        }
        EffectKind::CreateChildren {
            kind,
            list,
            each,
            data,
            per_unit,
        } => create_children(
            wf,
            kind,
            list,
            each,
            data,
            per_unit.as_deref(),
            vars,
            order,
            ids,
            events,
        )?,
        EffectKind::MoveChildren { kind, from, to } => {
            let states = &wf.owner(Some(kind))?.states;
            let from = if from.is_empty() {
                states
                    .iter()
                    .filter(|s| !s.is_final && s.id != *to)
                    .map(|s| s.id.clone())
                    .collect()
            } else {
                from.clone()
            };
            events.push(Event::ChildrenMoved {
                kind: kind.clone(),
                from,
                to: to.clone(),
            });
        }
        EffectKind::Builtin { name } => {
            let all = vars.to_json();
            let out = builtins::run_effect(name, &all).map_err(|e| Rejection::Definition {
                what: format!("built-in {name}"),
                message: e.to_string(),
            })?;
            for (field, value) in out.order {
                events.push(Event::FieldSet { field, value });
            }
            for child in out.children {
                for (field, value) in child.fields {
                    events.push(Event::ChildFieldSet {
                        kind: child.kind.clone(),
                        id: child.id.clone(),
                        field,
                        value,
                    });
                }
            }
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn create_children(
    wf: &Workflow,
    kind: &str,
    list: &str,
    each: &str,
    data: &str,
    per_unit: Option<&str>,
    vars: &Vars<'_>,
    order: &Order,
    ids: &mut Ids,
    events: &mut Vec<Event>,
) -> Result<(), Rejection> {
    let child_kind = wf
        .owner(Some(kind))?
        .kind
        .ok_or_else(|| Rejection::Definition {
            what: "create_children".into(),
            message: format!("no child kind {kind:?}"),
        })?;
    let existing: u64 = order
        .counts
        .get(kind)
        .map_or(0, |c| c.values().sum::<u64>())
        + order.children.iter().filter(|c| c.kind == kind).count() as u64;
    let mut total = existing;
    for element in eval_list(wf, list, vars)? {
        let mut scoped = vars.scope();
        scoped.set(each, element.clone());
        let count = match per_unit {
            None => 1,
            Some(src) => {
                let n = wf.eval(src, &scoped, &format!("how many {kind} to create"))?;
                n.as_u64().ok_or_else(|| Rejection::Definition {
                    what: format!("how many {kind} to create"),
                    message: format!("{n} is not a count"),
                })?
            }
        };
        total = total.saturating_add(count);
        if total > child_kind.max_count {
            return Err(Rejection::InvalidInput {
                fields: vec![FieldError {
                    field: kind.to_owned(),
                    message: format!(
                        "an order may have at most {} {}",
                        child_kind.max_count, child_kind.label
                    ),
                }],
            });
        }
        let Json::Object(data) = wf.eval(data, &scoped, &format!("the data of a new {kind}"))?
        else {
            return Err(Rejection::Definition {
                what: format!("the data of a new {kind}"),
                message: "is not a map".into(),
            });
        };
        let parent = if child_kind.parent == "order" {
            None
        } else {
            element.get("id").and_then(Json::as_str).map(str::to_owned)
        };
        if count > 0 {
            events.push(Event::ChildrenCreated {
                kind: kind.to_owned(),
                parent,
                first: ids.take(kind, count),
                count,
                data,
            });
        }
    }
    Ok(())
}

fn append(
    order: &Order,
    collection: &str,
    rec: &mut Map<String, Json>,
    ids: &mut Ids,
    events: &mut Vec<Event>,
) -> Result<(), Rejection> {
    let existing = order
        .data
        .get(collection)
        .and_then(Json::as_array)
        .map_or(0, Vec::len);
    let appended = events
        .iter()
        .filter(|e| matches!(e, Event::RecordAppended { collection: c, .. } if c == collection))
        .count();
    if existing + appended >= limits::COLLECTION_RECORDS_MAX {
        return Err(Rejection::InvalidInput {
            fields: vec![FieldError {
                field: collection.to_owned(),
                message: format!(
                    "an order keeps at most {} {collection}",
                    limits::COLLECTION_RECORDS_MAX
                ),
            }],
        });
    }
    rec.insert("id".into(), json!(ids.take(collection, 1)));
    events.push(Event::RecordAppended {
        collection: collection.to_owned(),
        record: std::mem::take(rec),
    });
    Ok(())
}

fn eval_record(
    wf: &Workflow,
    record: &BTreeMap<String, String>,
    vars: &Vars<'_>,
) -> Result<Map<String, Json>, Rejection> {
    record
        .iter()
        .map(|(field, src)| {
            Ok((
                field.clone(),
                wf.eval(src, vars, &format!("the value of {field}"))?,
            ))
        })
        .collect()
}

fn eval_list(wf: &Workflow, src: &str, vars: &Vars<'_>) -> Result<Vec<Json>, Rejection> {
    match wf.eval(src, vars, "a list")? {
        Json::Array(items) => Ok(items),
        other => Err(Rejection::Definition {
            what: format!("the list {src}"),
            message: format!("gave {}", crate::expr::describe(&other)),
        }),
    }
}

/// The ids of existing records named by `key` (one id, or a list of ids);
/// a missing one is the caller's mistake, reported on the input it came
/// from (`tasks.2` when the third id of input `tasks` names no task).
fn record_keys(
    wf: &Workflow,
    order: &Order,
    collection: &str,
    key: &str,
    vars: &Vars<'_>,
) -> Result<Vec<u64>, Rejection> {
    let value = wf.eval(key, vars, &format!("the {collection} record to change"))?;
    let given = match &value {
        Json::Array(items) => items.clone(),
        _ => vec![value.clone()],
    };
    let records = order.data.get(collection).and_then(Json::as_array);
    let exists = |id: u64| {
        records.is_some_and(|records| {
            records
                .iter()
                .any(|r| r.get("id").and_then(Json::as_u64) == Some(id))
        })
    };
    let mut ids = Vec::with_capacity(given.len());
    let mut errors = Vec::new();
    for v in given {
        match v.as_u64().filter(|id| exists(*id)) {
            Some(id) if !ids.contains(&id) => ids.push(id),
            Some(_) => {}
            None => errors.push(FieldError {
                field: input_holding(wf, key, vars, &v).unwrap_or_else(|| collection.to_owned()),
                message: format!("there is no {collection} record {v}"),
            }),
        }
    }
    if errors.is_empty() {
        Ok(ids)
    } else {
        Err(Rejection::InvalidInput { fields: errors })
    }
}

/// The input `expr` reads that holds `value`: `task`, or `tasks.2` for the
/// third element of a list input.
fn input_holding(wf: &Workflow, expr: &str, vars: &Vars<'_>, value: &Json) -> Option<String> {
    wf.expr(expr)?.paths().iter().find_map(|path| {
        let [root, name] = path.as_slice() else {
            return None;
        };
        if root != "input" {
            return None;
        }
        match vars.lookup(path)? {
            Json::Array(items) => items
                .iter()
                .position(|x| x == value)
                .map(|i| format!("{name}.{i}")),
            v if v == value => Some(name.clone()),
            _ => None,
        }
    })
}

/// Folds the action's step, then lets the data move the status: roll-ups of
/// the acted child's parent, the order's status rules, then automatic
/// transitions, each recorded as its own step by the system.
#[allow(clippy::too_many_arguments)]
fn settle(
    wf: &Workflow,
    order: &Order,
    child: Option<&Child>,
    mut step: Step,
    settings: &PartySettings,
    now: DateTime<Utc>,
    actor: &Actor,
    memo: &mut Memo,
) -> Result<Change, Rejection> {
    let mut working = order.clone();
    fold(wf, &mut working, &step.events);
    if let Some(child) = child {
        roll_up_parent(wf, &mut working, child, settings, now, &mut step, memo)?;
    }
    apply_status_rules(wf, &mut working, settings, now, &mut step, memo)?;
    step.status_after = working.status.clone();
    let mut steps = vec![step];
    for _ in 0..limits::AUTOMATIC_STEPS_MAX {
        let Some(mut auto_step) = automatic_step(wf, &working, settings, now, memo)? else {
            let timers = super::timers::timer_events(wf, order, &working, settings, now, memo)?;
            if let Some(last) = steps.last_mut() {
                last.events.extend(timers);
            }
            return Ok(Change {
                version: order.version + 1,
                at: now,
                actor: actor.clone(),
                steps,
            });
        };
        fold(wf, &mut working, &auto_step.events);
        apply_status_rules(wf, &mut working, settings, now, &mut auto_step, memo)?;
        auto_step.status_after = working.status.clone();
        steps.push(auto_step);
    }
    Err(Rejection::Definition {
        what: "automatic transitions".into(),
        message: format!(
            "more than {} in a row: they loop",
            limits::AUTOMATIC_STEPS_MAX
        ),
    })
}

/// A parent child (an item) whose own children moved may move by its rules.
fn roll_up_parent(
    wf: &Workflow,
    working: &mut Order,
    child: &Child,
    settings: &PartySettings,
    now: DateTime<Utc>,
    step: &mut Step,
    memo: &mut Memo,
) -> Result<(), Rejection> {
    let Some(parent) = child
        .parent
        .as_deref()
        .and_then(|p| working.child(p))
        .cloned()
    else {
        return Ok(());
    };
    let kind = wf
        .owner(Some(&parent.kind))?
        .kind
        .ok_or_else(|| Rejection::Definition {
            what: "roll-up".into(),
            message: format!("no child kind {}", parent.kind),
        })?;
    let vars = child_vars(wf, working, &parent, settings, &Actor::System, now, memo)?;
    for rule in &kind.status_rules {
        if !rule.from.is_empty() && !rule.from.contains(&parent.status) {
            continue;
        }
        if wf.eval_bool(
            &rule.when,
            &vars,
            &format!("roll-up rule {} of {}", rule.status, kind.id),
        )? {
            if rule.status != parent.status {
                let event = Event::ChildStatusChanged {
                    kind: parent.kind.clone(),
                    id: parent.id.clone(),
                    parent: parent.parent.clone(),
                    from: parent.status.clone(),
                    to: rule.status.clone(),
                };
                fold(wf, working, std::slice::from_ref(&event));
                step.events.push(event);
            }
            break;
        }
    }
    Ok(())
}

pub(super) fn apply_status_rules(
    wf: &Workflow,
    working: &mut Order,
    settings: &PartySettings,
    now: DateTime<Utc>,
    step: &mut Step,
    memo: &mut Memo,
) -> Result<(), Rejection> {
    // Building the variables converts the whole order: skip it when no rule
    // applies from this status.
    let applies =
        |r: &crate::definition::StatusRule| r.from.is_empty() || r.from.contains(&working.status);
    if !wf.def.status_rules.iter().any(applies) {
        return Ok(());
    }
    let vars = order_vars(wf, working, settings, &Actor::System, now, memo)?;
    for rule in &wf.def.status_rules {
        if !rule.from.is_empty() && !rule.from.contains(&working.status) {
            continue;
        }
        if wf.eval_bool(&rule.when, &vars, &format!("status rule {}", rule.status))? {
            if rule.status != working.status {
                let event = Event::StatusChanged {
                    from: working.status.clone(),
                    to: rule.status.clone(),
                };
                fold(wf, working, std::slice::from_ref(&event));
                step.events.push(event);
            }
            return Ok(());
        }
    }
    if working.status.is_empty() {
        return Err(Rejection::Definition {
            what: "status rules".into(),
            message: "no rule gives a status to the new order".into(),
        });
    }
    Ok(())
}

fn automatic_step(
    wf: &Workflow,
    working: &Order,
    settings: &PartySettings,
    now: DateTime<Utc>,
    memo: &mut Memo,
) -> Result<Option<Step>, Rejection> {
    if !wf
        .def
        .automatic
        .iter()
        .any(|a| a.from.contains(&working.status))
    {
        return Ok(None);
    }
    let vars =
        order_vars(wf, working, settings, &Actor::System, now, memo)?.with("input", json!({}));
    for auto in &wf.def.automatic {
        if !auto.from.contains(&working.status) {
            continue;
        }
        let holds = match &auto.when {
            None => true,
            Some(when) => {
                wf.eval_bool(when, &vars, &format!("automatic transition {}", auto.id))?
            }
        };
        if !holds {
            continue;
        }
        let mut events = vec![Event::StatusChanged {
            from: working.status.clone(),
            to: auto.to.clone(),
        }];
        let mut ids = Ids::new(working);
        effects(
            wf,
            &auto.effects,
            &vars,
            None,
            working,
            now,
            &mut ids,
            &mut events,
        )?;
        return Ok(Some(Step {
            action: auto.id.clone(),
            automatic: true,
            child: None,
            inputs: json!({}),
            status_before: working.status.clone(),
            status_after: auto.to.clone(),
            events,
        }));
    }
    Ok(None)
}
