//! A tiny in-memory world for driving workflows in tests: what a store does,
//! without a database. Every change goes through `decide` then `apply`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use orderflow_core::catalog;
use orderflow_core::engine::{self, Availability, Change, Memo, Workflow};
use orderflow_core::event::Event;
use orderflow_core::model::{Actor, Child, Order, PartySettings};
use orderflow_core::rejection::Rejection;
use serde_json::{Value as Json, json};

pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

pub fn workflow(id: &str) -> Workflow {
    catalog::built_in(id)
        .unwrap_or_else(|| panic!("no built-in {id}"))
        .unwrap_or_else(|e| panic!("{id} does not load: {e}"))
}

pub struct Sim {
    pub wf: Workflow,
    pub settings: PartySettings,
    pub now: DateTime<Utc>,
    pub order: Order,
    /// Children kept outside the order's snapshot (jobs), by id.
    pub rows: BTreeMap<String, Child>,
    pub changes: Vec<Change>,
    /// Carried from one action to the next, as the server keeps it per
    /// order: every decision and answer from it must be what a fresh one
    /// gives.
    memo: Memo,
}

impl Sim {
    /// A world for one order of `workflow` with these parties (slot →
    /// organisation) and organisation settings (slot → object).
    pub fn new(workflow_id: &str, parties: &[(&str, &str)], settings: Json) -> Self {
        let wf = workflow(workflow_id);
        let parties = parties
            .iter()
            .map(|(s, o)| ((*s).to_owned(), (*o).to_owned()))
            .collect();
        let settings = settings
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_object().cloned().unwrap_or_default()))
                    .collect()
            })
            .unwrap_or_default();
        let order = Order::blank("order-1", workflow_id, parties);
        Self {
            wf,
            settings,
            now: t0(),
            order,
            rows: BTreeMap::new(),
            changes: Vec::new(),
            memo: Memo::default(),
        }
    }

    pub fn tick(&mut self, minutes: i64) {
        self.now += Duration::minutes(minutes);
    }

    pub fn act(&mut self, actor: &Actor, action: &str, inputs: Json) -> Result<Change, Rejection> {
        let decide = |memo: &mut Memo| {
            engine::decide_with(
                &self.wf,
                &self.order,
                &self.settings,
                actor,
                action,
                &inputs,
                self.now,
                memo,
            )
        };
        let mut memo = std::mem::take(&mut self.memo);
        let decided = decide(&mut memo);
        assert_eq!(decided, decide(&mut Memo::default()));
        let change = decided?;
        if !change.is_read() {
            self.commit(&change, None);
            self.answer_as_from_scratch(actor, &mut memo);
        }
        self.memo = memo;
        Ok(change)
    }

    /// The answer's actions and order, from the computed values deciding
    /// the change evaluated, are what they are evaluated afresh.
    fn answer_as_from_scratch(&self, actor: &Actor, memo: &mut Memo) {
        let answer = |memo: &mut Memo| {
            engine::available_actions_and_order(
                &self.wf,
                &self.order,
                &self.settings,
                actor,
                self.now,
                memo,
            )
            .map(|(actions, order)| (serde_json::to_value(actions).unwrap(), order))
        };
        assert_eq!(answer(memo), answer(&mut Memo::default()));
    }

    pub fn act_child(
        &mut self,
        actor: &Actor,
        child: &str,
        action: &str,
        inputs: Json,
    ) -> Result<Change, Rejection> {
        let subject = self
            .child(child)
            .unwrap_or_else(|| panic!("no child {child}"));
        let change = engine::decide_child(
            &self.wf,
            &self.order,
            &subject,
            &self.settings,
            actor,
            action,
            &inputs,
            self.now,
        )?;
        self.commit(&change, Some(&subject));
        Ok(change)
    }

    pub fn available(&self, actor: &Actor) -> Result<Vec<Availability>, Rejection> {
        engine::available_actions(&self.wf, &self.order, &self.settings, actor, self.now)
    }

    /// A child, loaded (items) or stored beside the order (jobs).
    pub fn child(&self, id: &str) -> Option<Child> {
        self.order
            .child(id)
            .cloned()
            .or_else(|| self.rows.get(id).cloned())
    }

    /// What a store does in the change's transaction.
    fn commit(&mut self, change: &Change, acted: Option<&Child>) {
        for child in engine::created_children(&self.wf, change)
            .iter()
            .flat_map(|n| n.each())
        {
            self.rows.insert(child.id.clone(), child);
        }
        if let Some(acted) = acted.filter(|c| self.rows.contains_key(&c.id)) {
            let next = engine::apply_child(acted, change);
            self.rows.insert(next.id.clone(), next);
        }
        for event in change.steps.iter().flat_map(|s| s.events.iter()) {
            if let Event::ChildrenMoved { kind, from, to } = event {
                for row in self
                    .rows
                    .values_mut()
                    .filter(|r| r.kind == *kind && from.contains(&r.status))
                {
                    row.status.clone_from(to);
                    row.version += 1;
                }
            }
        }
        assert_eq!(
            change.version,
            self.order.version + 1,
            "a change grows the version by one"
        );
        self.order = engine::apply(&self.wf, &self.order, change);
        self.changes.push(change.clone());
    }

    /// The snapshot rebuilt from history alone.
    pub fn replay(&self) -> Order {
        let blank = Order::blank(
            &self.order.id,
            &self.order.workflow,
            self.order.parties.clone(),
        );
        self.changes.iter().fold(blank, |order, change| {
            engine::apply(&self.wf, &order, change)
        })
    }

    pub fn status(&self) -> &str {
        &self.order.status
    }

    pub fn field(&self, id: &str) -> &Json {
        self.order.data.get(id).unwrap_or(&Json::Null)
    }

    pub fn notified(&self) -> Vec<(String, String)> {
        self.changes
            .last()
            .into_iter()
            .flat_map(|c| c.steps.iter().flat_map(|s| s.events.iter()))
            .filter_map(|e| match e {
                Event::Notified {
                    party, template, ..
                } => Some((party.clone(), template.clone())),
                _ => None,
            })
            .collect()
    }
}

pub fn user(org: &str, roles: &[&str]) -> Actor {
    Actor::user(&format!("{org}-user"), org, roles)
}

pub fn no_inputs() -> Json {
    json!({})
}

/// The code a request should get, in the order the engine checks:
/// visibility, permission, state.
pub fn expected_code(sees: bool, available: bool, permitted: bool) -> &'static str {
    if !sees {
        "not_found"
    } else if !permitted {
        "forbidden"
    } else if !available {
        "not_available"
    } else {
        "ok"
    }
}

/// One cell of a table test: takes `action` and checks what the row expects
/// — the refusal's code, the state after a success (`to`, or unchanged),
/// and, when it is not available, that it names exactly the states `from`.
#[allow(clippy::too_many_arguments)]
pub fn expect_cell(
    s: &mut Sim,
    actor: &Actor,
    action: &str,
    inputs: Json,
    expected: &str,
    from: &[&str],
    to: Option<&str>,
    cell: &str,
) {
    let state = s.status().to_owned();
    let result = s.act(actor, action, inputs);
    assert_eq!(code(&result), expected, "{cell}: {result:?}");
    if expected == "ok" {
        assert_eq!(s.status(), to.unwrap_or(&state), "{cell}");
    }
    if let Err(Rejection::NotAvailable { available_in, .. }) = &result {
        assert_eq!(available_in, from, "{cell} names where it is available");
    }
}

/// The code of a refusal, for table tests.
pub fn code(r: &Result<Change, Rejection>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}
