//! Creating an order: the caller's organisation fills the creating slot,
//! every other slot names an organisation that exists, uploaded files are
//! resolved, and the workflow's creating action decides the rest.

use std::collections::BTreeMap;
use std::sync::Arc;

use orderflow_api::CreateOrder;
use orderflow_core::engine::{self, Workflow};
use orderflow_core::model::{Actor, Order, PartySettings};
use orderflow_store::{Commit, commit_of};
use serde_json::Value;

use crate::App;
use crate::auth::UserCaller;
use crate::commit::{Answer, Idempotent, Prepared, count_refusal};
use crate::error::AppError;
use crate::json::Body;

impl App {
    /// Creates an order from `body` (see [`App::parse_create`] for its two
    /// shapes); answers 201 with the new order's view.
    pub async fn create_order(
        &self,
        caller: &UserCaller,
        body: Body<'_>,
        idem: Option<Idempotent>,
    ) -> Result<Answer, AppError> {
        if let Some(req) = &idem
            && let Some(answer) = self.replay(caller, req).await?
        {
            return Ok(answer);
        }
        let mut req = self.parse_create(body.value()?)?;
        // Another server may have deployed a version since.
        self.workflows.refresh(&*self.store).await?;
        let (version, wf) = self.for_new_order(&req.workflow)?;
        if let Some(def) = wf.def.create_action() {
            self.resolve_files(caller, &def.inputs, &mut req.inputs)
                .await?;
        }
        let parties = self.check_parties(&wf, caller, req.parties).await?;
        let (p, settings) = self
            .prepare_create((version, &wf), &caller.actor(), None, parties, &req.inputs)
            .await
            .inspect_err(|e| count_refusal(&wf, "create", e))?;
        self.finish(Some(caller), p, &settings, 201, None, idem)
            .await
    }

    /// The body of a new order: `{"workflow", "parties", "inputs"}`, or the
    /// same flattened — `{"workflow", "<slot>": "<organisation>", "<input>":
    /// ...}` — where every top-level key that names one of the workflow's
    /// party slots is a party and every other is an input. Both read
    /// naturally, and the creating action's inputs are checked strictly
    /// either way, so a misspelt key is still refused by name.
    pub fn parse_create(&self, value: Value) -> Result<CreateOrder, AppError> {
        let flat = value.as_object().is_some_and(|o| !o.contains_key("inputs"));
        if !flat {
            return serde_json::from_value(value)
                .map_err(|e| AppError::invalid("body", e.to_string()));
        }
        let Value::Object(mut body) = value else {
            return Err(AppError::invalid("body", "must be a JSON object"));
        };
        let workflow = match body.remove("workflow") {
            Some(Value::String(w)) => w,
            _ => return Err(AppError::invalid("workflow", "is required: a workflow id")),
        };
        let mut parties: BTreeMap<String, String> = match body.remove("parties") {
            None => BTreeMap::new(),
            Some(p) => serde_json::from_value(p).map_err(|_| {
                AppError::invalid("parties", "must map party slots to organisation ids")
            })?,
        };
        if let Some(wf) = self.workflow(&workflow) {
            for party in &wf.def.parties {
                if let Some(Value::String(org)) = body.get(&party.id) {
                    parties.insert(party.id.clone(), org.clone());
                    body.remove(&party.id);
                }
            }
        }
        Ok(CreateOrder {
            workflow,
            parties,
            inputs: Value::Object(body),
        })
    }

    /// Decides what `actor` creating an order of `wf` (at `version`) with
    /// `parties` and `inputs` does: the new order's commit, nothing written.
    pub(crate) async fn prepare_create(
        &self,
        (version, wf): (u32, &Arc<Workflow>),
        actor: &Actor,
        action: Option<&str>,
        parties: BTreeMap<String, String>,
        inputs: &Value,
    ) -> Result<(Prepared, PartySettings), AppError> {
        let id = uuid::Uuid::now_v7().to_string();
        let mut blank = Order::blank(&id, wf.id(), parties);
        blank.workflow_version = version;
        let settings = self.party_settings(&blank).await?;
        let action = match action {
            Some(a) => a.to_owned(),
            None => wf
                .def
                .create_action()
                .map(|a| a.id.clone())
                .ok_or_else(|| AppError::bad_request("this workflow has no creating action"))?,
        };
        let mut memo = engine::Memo::default();
        let change = engine::decide_with(
            wf,
            &blank,
            &settings,
            actor,
            &action,
            inputs,
            self.now(),
            &mut memo,
        )?;
        let mut commit = commit_of(wf, &blank, None, &change);
        self.number(wf, &mut commit).await?;
        Ok((
            Prepared {
                wf: wf.clone(),
                commit,
                change,
                memo,
            },
            settings,
        ))
    }

    /// Gives the new order its number, counted for the organisation in the
    /// creating slot. Taken only once the change was decided, so a refused
    /// create uses no number.
    async fn number(&self, wf: &Workflow, commit: &mut Commit) -> Result<(), AppError> {
        let Some(org) = wf
            .def
            .parties
            .iter()
            .find(|p| p.creates)
            .and_then(|p| commit.order.parties.get(&p.id))
            .cloned()
        else {
            return Ok(());
        };
        let prefix = wf.def.number_prefix();
        let n = self.store.next_number(&org, &prefix).await?;
        commit.order.number = Some(format!("{prefix}-{n}"));
        commit.numbered_by = Some(org);
        Ok(())
    }

    /// The parties of a new order: the caller's organisation in the
    /// creating slot, every other slot filled with an organisation that
    /// exists.
    async fn check_parties(
        &self,
        wf: &Workflow,
        caller: &UserCaller,
        mut parties: BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, AppError> {
        let mut fields = Vec::new();
        for slot in parties.keys() {
            if wf.def.party(slot).is_none() {
                fields.push((
                    format!("parties.{slot}"),
                    format!("{} has no party slot {slot:?}", wf.id()),
                ));
            }
        }
        for party in &wf.def.parties {
            let path = format!("parties.{}", party.id);
            if party.creates {
                match parties.get(&party.id) {
                    Some(org) if org != caller.organization() => fields.push((
                        path,
                        "the creating slot is filled by your own organisation".to_owned(),
                    )),
                    _ => {
                        parties.insert(party.id.clone(), caller.organization().to_owned());
                    }
                }
                continue;
            }
            match parties.get(&party.id) {
                None => fields.push((path, "required: an organisation id".to_owned())),
                // The other party is the one who checks, produces, supplies
                // or pays: an organisation in both seats could move its own
                // order through every step alone (docs/security.md).
                Some(org) if org == caller.organization() => fields.push((
                    path,
                    format!(
                        "{} must be another organisation: yours creates the order",
                        party.label
                    ),
                )),
                Some(org) => {
                    if self.store.organization(org).await?.is_none() {
                        fields.push((path, format!("no organisation {org:?}")));
                    }
                }
            }
        }
        if fields.is_empty() {
            Ok(parties)
        } else {
            Err(AppError::invalid_fields(fields))
        }
    }
}
