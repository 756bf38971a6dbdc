//! `apply`: folding a decided change into snapshots. Nothing is evaluated
//! here, so the same change always gives the same snapshot.

use serde_json::{Map, Value as Json};

use super::{Change, Workflow};
use crate::event::Event;
use crate::model::{Child, Order};

/// The order after `change`: its version is the change's, one more than
/// before (a read's change leaves the order as it was).
pub fn apply(wf: &Workflow, order: &Order, change: &Change) -> Order {
    let mut next = order.clone();
    if change.is_read() {
        return next;
    }
    for step in &change.steps {
        fold(wf, &mut next, &step.events);
        see(wf, &mut next, &step.events);
    }
    if next.version == 0 {
        next.created_at = Some(change.at);
    }
    next.version = change.version;
    next.updated_at = Some(change.at);
    if next.status != order.status {
        next.status_since = Some(change.at);
    }
    next
}

/// One child that is not loaded with its order (a job) after `change`.
pub fn apply_child(child: &Child, change: &Change) -> Child {
    let mut next = child.clone();
    let mut touched = false;
    for event in change.steps.iter().flat_map(|s| s.events.iter()) {
        match event {
            Event::ChildStatusChanged { id, to, .. } if *id == child.id => {
                next.status.clone_from(to);
                touched = true;
            }
            Event::ChildFieldSet {
                id, field, value, ..
            } if *id == child.id => {
                next.data.insert(field.clone(), value.clone());
                touched = true;
            }
            Event::ChildrenMoved { kind, from, to }
                if *kind == child.kind && from.contains(&next.status) =>
            {
                next.status.clone_from(to);
                touched = true;
            }
            _ => {}
        }
    }
    if touched {
        next.version += 1;
    }
    next
}

/// Children a change creates alike: `count` of `kind` numbered from
/// `first`, all in `status` with `data`, under `parent`.
///
/// Kept as one description rather than a child each: an order of 50,000
/// jobs would otherwise hold 50,000 copies of the same data until its
/// commit is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewChildren {
    pub kind: String,
    pub parent: Option<String>,
    pub first: u64,
    pub count: u64,
    pub status: String,
    pub data: Map<String, Json>,
}

impl NewChildren {
    /// The numbers of the children, each its `seq` (and in its id).
    pub fn numbers(&self) -> std::ops::Range<u64> {
        self.first..self.first.saturating_add(self.count)
    }

    /// The id of child number `n`.
    pub fn id(&self, n: u64) -> String {
        child_id(&self.kind, n)
    }

    /// Each child, made as it is asked for.
    pub fn each(&self) -> impl Iterator<Item = Child> + '_ {
        self.numbers()
            .map(|n| new_child(&self.kind, self.parent.clone(), n, &self.status, &self.data))
    }
}

/// The children a change creates that live outside the order's snapshot
/// (jobs): what a store inserts as rows of their own.
pub fn created_children(wf: &Workflow, change: &Change) -> Vec<NewChildren> {
    let mut out = Vec::new();
    for event in change.steps.iter().flat_map(|s| s.events.iter()) {
        let Event::ChildrenCreated {
            kind,
            parent,
            first,
            count,
            data,
        } = event
        else {
            continue;
        };
        let Some(child_kind) = wf.def.child_kind(kind).filter(|k| k.parent != "order") else {
            continue;
        };
        out.push(NewChildren {
            kind: kind.clone(),
            parent: parent.clone(),
            first: *first,
            count: *count,
            status: child_kind
                .states
                .first()
                .map(|s| s.id.clone())
                .unwrap_or_default(),
            data: data.clone(),
        });
    }
    out
}

fn child_id(kind: &str, n: u64) -> String {
    format!("{kind}-{n}")
}

fn new_child(
    kind: &str,
    parent: Option<String>,
    n: u64,
    status: &str,
    data: &Map<String, Json>,
) -> Child {
    Child {
        id: child_id(kind, n),
        kind: kind.to_owned(),
        parent,
        seq: n,
        status: status.to_owned(),
        version: 1,
        data: data.clone(),
        counts: Default::default(),
    }
}

/// After a step: the slots that see the order's new state have seen the
/// order; the records the step appended to a `private_while_unseen`
/// collection (notes) are hidden from the slots that could not see it then.
fn see(wf: &Workflow, order: &mut Order, events: &[Event]) {
    let status = order.status.clone();
    let newly: Vec<String> = order
        .parties
        .keys()
        .filter(|slot| wf.slot_sees(&status, slot))
        .cloned()
        .collect();
    order.seen_by.extend(newly);
    let blind = wf.blind_slots(order, &status, &order.seen_by);
    if blind.is_empty() {
        return;
    }
    for event in events {
        if let Event::RecordAppended { collection, record } = event
            && let Some(id) = record.get("id").and_then(Json::as_u64)
            && wf
                .def
                .collection(collection)
                .is_some_and(|c| c.private_while_unseen)
        {
            order
                .hidden_records
                .entry(collection.clone())
                .or_default()
                .insert(id, blind.clone());
        }
    }
}

pub(super) fn fold(wf: &Workflow, order: &mut Order, events: &[Event]) {
    for event in events {
        fold_one(wf, order, event);
    }
}

fn fold_one(wf: &Workflow, order: &mut Order, event: &Event) {
    match event {
        Event::Created
        | Event::Notified { .. }
        | Event::OrderRequested { .. }
        | Event::TimerSet { .. }
        | Event::TimerCleared { .. } => {}
        Event::StatusChanged { to, .. } => order.status.clone_from(to),
        Event::WorkflowMigrated { to, .. } => order.workflow_version = *to,
        Event::FieldSet { field, value } => {
            order.data.insert(field.clone(), value.clone());
        }
        Event::RecordAppended { collection, record } => {
            let id = record.get("id").and_then(Json::as_u64).unwrap_or(0);
            bump(order, collection, id + 1);
            if let Some(list) = records(order, collection) {
                list.push(Json::Object(record.clone()));
            }
        }
        Event::RecordUpdated {
            collection,
            id,
            changes,
        } => {
            for record in records(order, collection).into_iter().flatten() {
                if let Some(r) = record
                    .as_object_mut()
                    .filter(|r| r.get("id").and_then(Json::as_u64) == Some(*id))
                {
                    r.extend(changes.clone());
                }
            }
        }
        Event::RecordRemoved { collection, id } => {
            if let Some(list) = records(order, collection) {
                list.retain(|r| r.get("id").and_then(Json::as_u64) != Some(*id));
            }
        }
        Event::ChildrenCreated {
            kind,
            parent,
            first,
            count,
            data,
        } => create_children(wf, order, kind, parent.as_deref(), *first, *count, data),
        Event::ChildrenMoved { kind, from, to } => {
            if loaded(wf, kind) {
                for child in order
                    .children
                    .iter_mut()
                    .filter(|c| c.kind == *kind && from.contains(&c.status))
                {
                    child.status.clone_from(to);
                    child.version += 1;
                }
            } else {
                move_counts(order.counts.entry(kind.clone()).or_default(), from, to);
                for child in &mut order.children {
                    if let Some(counts) = child.counts.get_mut(kind) {
                        move_counts(counts, from, to);
                    }
                }
            }
        }
        Event::ChildStatusChanged {
            kind,
            id,
            parent,
            from,
            to,
        } => {
            if let Some(child) = order.children.iter_mut().find(|c| c.id == *id) {
                child.status.clone_from(to);
                child.version += 1;
            } else {
                shift(order.counts.entry(kind.clone()).or_default(), from, to, 1);
                if let Some(p) = parent
                    .as_deref()
                    .and_then(|p| order.children.iter_mut().find(|c| c.id == p))
                {
                    shift(p.counts.entry(kind.clone()).or_default(), from, to, 1);
                }
            }
        }
        Event::ChildFieldSet {
            id, field, value, ..
        } => {
            if let Some(child) = order.children.iter_mut().find(|c| c.id == *id) {
                child.data.insert(field.clone(), value.clone());
                child.version += 1;
            }
        }
    }
}

fn create_children(
    wf: &Workflow,
    order: &mut Order,
    kind: &str,
    parent: Option<&str>,
    first: u64,
    count: u64,
    data: &Map<String, Json>,
) {
    let Some(child_kind) = wf.def.child_kind(kind) else {
        return;
    };
    let initial = child_kind
        .states
        .first()
        .map(|s| s.id.clone())
        .unwrap_or_default();
    bump(order, kind, first + count);
    if child_kind.parent == "order" {
        order
            .children
            .extend((first..first + count).map(|n| new_child(kind, None, n, &initial, data)));
    } else {
        *order
            .counts
            .entry(kind.to_owned())
            .or_default()
            .entry(initial.clone())
            .or_default() += count;
        if let Some(p) = parent.and_then(|p| order.children.iter_mut().find(|c| c.id == p)) {
            *p.counts
                .entry(kind.to_owned())
                .or_default()
                .entry(initial)
                .or_default() += count;
        }
    }
}

/// The children of `kind` that live in the order's snapshot.
fn loaded(wf: &Workflow, kind: &str) -> bool {
    wf.def.child_kind(kind).is_some_and(|k| k.parent == "order")
}

fn bump(order: &mut Order, key: &str, next: u64) {
    let slot = order.next_ids.entry(key.to_owned()).or_insert(1);
    *slot = (*slot).max(next);
}

fn records<'a>(order: &'a mut Order, collection: &str) -> Option<&'a mut Vec<Json>> {
    let slot = order
        .data
        .entry(collection.to_owned())
        .or_insert_with(|| Json::Array(Vec::new()));
    if !slot.is_array() {
        *slot = Json::Array(Vec::new());
    }
    slot.as_array_mut()
}

fn move_counts(counts: &mut std::collections::BTreeMap<String, u64>, from: &[String], to: &str) {
    for state in from {
        let n = counts.get(state).copied().unwrap_or(0);
        shift(counts, state, to, n);
    }
}

fn shift(counts: &mut std::collections::BTreeMap<String, u64>, from: &str, to: &str, n: u64) {
    if n == 0 || from == to {
        return;
    }
    let source = counts.entry(from.to_owned()).or_default();
    *source = source.saturating_sub(n);
    *counts.entry(to.to_owned()).or_default() += n;
}
