//! Records ticked off in one click (dental-lab's work plan and its
//! `mark_task`): a button per record marks it done or not done, and
//! checkboxes with one button mark several at once.
//!
//! No workflow is named here. The action is read from the definition: it
//! sets one yes/no field of the collection's records to a yes/no input,
//! for the records whose ids a list input names. The buttons post to that
//! action's own route, so the application decides each tick as it decides
//! the action from its dialog or the API (one change, one history step).

use std::collections::BTreeMap;

use orderflow_api::ActionView;
use orderflow_core::definition::{Action, Collection, EffectKind, Field, FieldKind};
use orderflow_core::engine::Workflow;
use serde_json::Value;

use crate::display;
use crate::session::url_encode;

/// A collection's records with their tick controls.
pub struct Checklist {
    pub post_url: String,
    /// The form the checkboxes belong to (it sits below the table).
    pub form_id: String,
    pub csrf: String,
    pub version: u64,
    /// The action's list input that names the records (`tasks`).
    pub ids_input: String,
    /// The action's yes/no input (`done`).
    pub flag_input: String,
    /// The ticked field's label (`Done`).
    pub flag_label: String,
    /// One per record, in the table's order.
    pub ticks: Vec<Tick>,
}

pub struct Tick {
    pub id: String,
    /// How the record is named to people: its first text field.
    pub name: String,
    pub done: bool,
    /// The checkbox's element id.
    pub select_id: String,
}

/// What the definition says about ticking `collection`'s records.
struct Ticking<'a> {
    action: &'a Action,
    ids_input: &'a str,
    flag_input: &'a str,
    flag_field: &'a str,
}

/// The action among those the user may take now that ticks `c`'s records.
fn ticking<'a>(wf: &'a Workflow, c: &Collection, now: &[ActionView]) -> Option<Ticking<'a>> {
    now.iter()
        .filter(|a| a.available)
        .filter_map(|a| wf.def.action(&a.id))
        .find_map(|action| ticks(action, c))
}

/// How `action` ticks `c`'s records, if it does.
fn ticks<'a>(action: &'a Action, c: &Collection) -> Option<Ticking<'a>> {
    let ids_input = action.inputs.iter().find(|i| {
        matches!(&i.kind, FieldKind::List { items: Some(item), .. }
            if matches!(**item, FieldKind::Number { integer: true, .. }))
    })?;
    let bool_field = |f: &Field| matches!(f.kind, FieldKind::Bool);
    action.effects.iter().find_map(|e| {
        let EffectKind::Update {
            collection, record, ..
        } = &e.kind
        else {
            return None;
        };
        let [(field, value)] = record.iter().collect::<Vec<_>>()[..] else {
            return None;
        };
        let flag = value.trim().strip_prefix("input.")?;
        (collection == &c.id
            && c.fields.iter().any(|f| f.id == *field && bool_field(f))
            && action.inputs.iter().any(|i| i.id == flag && bool_field(i)))
        .then_some(Ticking {
            action,
            ids_input: &ids_input.id,
            flag_input: flag,
            flag_field: field,
        })
    })
}

/// For a history step of `action`, when it ticks records: its input
/// naming them, and the names of the records by id in `data` (the
/// order's), so the step reads "Tasks: Mill crown, Polish".
pub fn names(
    wf: &Workflow,
    action: &Action,
    data: &Value,
) -> Option<(String, BTreeMap<String, String>)> {
    wf.def.collections.iter().find_map(|c| {
        let t = ticks(action, c)?;
        let names = data
            .get(&c.id)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|r| (display::record_id(r), display::record_name(c, r)))
            .collect();
        Some((t.ids_input.to_owned(), names))
    })
}

/// The tick controls of collection `c` holding `records`, when one of the
/// actions the user may take now ticks them.
pub fn of(
    wf: &Workflow,
    c: &Collection,
    records: &[Value],
    order: (&str, u64),
    now: &[ActionView],
    csrf: &str,
) -> Option<Checklist> {
    let t = ticking(wf, c, now)?;
    let form_id = format!("checklist-{}", c.id);
    let ticks = records
        .iter()
        .map(|r| {
            let id = display::record_id(r);
            Tick {
                select_id: format!("{form_id}-{id}"),
                done: r.get(t.flag_field) == Some(&Value::Bool(true)),
                name: display::record_name(c, r),
                id,
            }
        })
        .collect();
    Some(Checklist {
        post_url: format!(
            "/orders/{}/actions/{}",
            url_encode(order.0),
            url_encode(&t.action.id)
        ),
        form_id,
        csrf: csrf.to_owned(),
        version: order.1,
        ids_input: t.ids_input.to_owned(),
        flag_input: t.flag_input.to_owned(),
        flag_label: c
            .fields
            .iter()
            .find(|f| f.id == t.flag_field)
            .map(crate::display::label)
            .unwrap_or_default(),
        ticks,
    })
}
