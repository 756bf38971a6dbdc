//! Orders: create, read, list, count, history, act (with `If-Match` and
//! `Idempotency-Key`), children and bulk actions.
//!
//! Every route that takes an order id goes through [`load_visible`], the one
//! place that decides whether the caller may see the order: a missing order
//! and another organisation's order get the same 404.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use orderflow_api::{
    BulkAction, BulkItem, BulkResult, ChildList, ChildView, CreateOrder, HistoryPage, OrderCounts,
    OrderList, OrderView, Problem, StatusCount,
};
use orderflow_core::engine::{self, Change, Workflow};
use orderflow_core::event::Event;
use orderflow_core::model::{Actor, Child, Order, PartySettings};
use orderflow_store::{Commit, Idempotency, OrderFilter, StoreError, commit_of, visibility};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::auth::UserCaller;
use crate::body::{JsonBody, RawJson, parse_value};
use crate::events;
use crate::problem::ApiError;
use crate::{AppState, views};

/// An order the caller may see, with its workflow.
pub struct Visible {
    pub wf: Arc<Workflow>,
    pub order: Order,
}

/// THE authorisation choke point for orders: the order, if it exists and
/// the caller's organisation fills a slot that may see its current state;
/// otherwise 404, the same answer as for an id that never existed.
pub async fn load_visible(
    state: &AppState,
    caller: &UserCaller,
    id: &str,
) -> Result<Visible, ApiError> {
    let not_found = || ApiError::not_found("order");
    let order = state.store.order(id).await?.ok_or_else(not_found)?;
    let wf = state
        .workflow(&order.workflow)
        .cloned()
        .ok_or_else(not_found)?;
    if !wf.can_see(&order, &caller.actor()) {
        return Err(not_found());
    }
    Ok(Visible { wf, order })
}

/// The settings of the organisations in the order's slots, by slot.
pub async fn party_settings(state: &AppState, order: &Order) -> Result<PartySettings, ApiError> {
    let mut out = PartySettings::new();
    for (slot, org) in &order.parties {
        if let Some(o) = state.store.organization(org).await? {
            out.insert(slot.clone(), o.settings);
        }
    }
    Ok(out)
}

/// Query strings with problem answers (400) instead of plain-text ones.
pub struct Q<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for Q<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| Q(q))
            .map_err(|e| ApiError::bad_request(format!("bad query: {}", e.body_text())))
    }
}

/// Path parameters with problem answers.
pub struct P<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for P<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(p)| P(p))
            .map_err(|e| ApiError::bad_request(format!("bad path: {}", e.body_text())))
    }
}

/// The order view for `actor`: its actions now included.
pub(crate) fn view_for(
    state: &AppState,
    wf: &Workflow,
    order: &Order,
    settings: &PartySettings,
    actor: &Actor,
) -> Result<OrderView, ApiError> {
    let actions = engine::available_actions(wf, order, settings, actor, state.now())?;
    Ok(views::order(wf, order, settings, views::actions(actions)))
}

// ---------------------------------------------------------------- headers

/// `If-Match`: `"3"`, `W/"3"` or `3`; `*` matches any version.
pub fn parse_if_match(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get("if-match") else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("").trim();
    if text == "*" {
        return Ok(None);
    }
    let bare = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    bare.parse::<u64>()
        .map(Some)
        .map_err(|_| ApiError::bad_request("If-Match must be the order's version, like \"3\""))
}

/// `Idempotency-Key`: 1 to 255 visible ASCII characters.
pub fn parse_idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value.to_str().unwrap_or("");
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::bad_request(
            "Idempotency-Key must be 1 to 255 visible ASCII characters",
        ));
    }
    Ok(Some(key.to_owned()))
}

/// What a retry must repeat exactly: the method, path and body.
pub(crate) fn request_sha256(method: &str, path: &str, body: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update(b" ");
    h.update(path.as_bytes());
    h.update(b"\n");
    h.update(body);
    h.finalize().into()
}

/// An `Idempotency-Key` and the request it came with.
pub(crate) struct IdempotentRequest {
    pub(crate) key: String,
    pub(crate) sha256: [u8; 32],
}

/// The first answer to a key sent again, if any: the same answer for the
/// same request, 422 for another one.
pub(crate) async fn replay(
    state: &AppState,
    caller: &UserCaller,
    req: &IdempotentRequest,
) -> Result<Option<Response>, ApiError> {
    match state.store.idempotency(&caller.0.id, &req.key).await? {
        None => Ok(None),
        Some(rec) if rec.request_sha256 == req.sha256 => {
            let status = StatusCode::from_u16(rec.status).unwrap_or(StatusCode::OK);
            let mut response = (status, Json(rec.body)).into_response();
            response.headers_mut().insert(
                "idempotent-replayed",
                axum::http::HeaderValue::from_static("true"),
            );
            Ok(Some(response))
        }
        Some(_) => Err(ApiError::new(
            "idempotency_key_reused",
            "this Idempotency-Key was used with another request",
        )),
    }
}

// ---------------------------------------------------------------- files

/// The action `action` of the order (`kind` None) or of a child kind.
fn action_def<'a>(
    wf: &'a Workflow,
    kind: Option<&str>,
    action: &str,
) -> Option<&'a orderflow_core::definition::Action> {
    match kind {
        None => wf.def.action(action),
        Some(k) => wf
            .def
            .child_kind(k)
            .and_then(|c| c.actions.iter().find(|a| a.id == action)),
    }
}

/// File inputs name uploaded files (by id, or by their metadata): each
/// must exist and have been uploaded by the caller's organisation, and the
/// stored metadata (with the media type checked from the content at
/// upload) replaces what the client sent, so a client cannot claim a PDF
/// is an image.
async fn resolve_files(
    state: &AppState,
    caller: &UserCaller,
    fields: &[orderflow_core::definition::Field],
    inputs: &mut Value,
) -> Result<(), ApiError> {
    use orderflow_core::definition::FieldKind;
    let Value::Object(map) = inputs else {
        return Ok(());
    };
    for field in fields {
        if !matches!(field.kind, FieldKind::Files { .. }) {
            continue;
        }
        let Some(Value::Array(items)) = map.get_mut(&field.id) else {
            continue;
        };
        for (i, item) in items.iter_mut().enumerate() {
            let path = format!("{}.{i}", field.id);
            let id = match item {
                Value::String(id) => id.clone(),
                Value::Object(m) => match m.get("id") {
                    Some(Value::String(id)) => id.clone(),
                    _ => return Err(ApiError::invalid(&path, "a file needs its id")),
                },
                _ => return Err(ApiError::invalid(&path, "a file id or its metadata")),
            };
            let unknown = || ApiError::invalid(&path, format!("no uploaded file {id:?}"));
            if id.len() > 100 {
                return Err(unknown());
            }
            let (file, _) = state.store.file(&id).await?.ok_or_else(unknown)?;
            if file.organization != caller.organization() {
                return Err(unknown());
            }
            *item = serde_json::json!({
                "id": file.id,
                "name": file.name,
                "media_type": file.media_type,
                "size": file.size,
            });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- changes

/// A decided change, ready to commit, with what the caller will be told.
pub(crate) struct Prepared {
    pub(crate) wf: Arc<Workflow>,
    pub(crate) commit: Commit,
    pub(crate) change: Change,
}

/// Decides what `actor` creating an order of `wf` with `parties` and
/// `inputs` does: the new order's commit, nothing written.
async fn prepare_create(
    state: &AppState,
    wf: &Arc<Workflow>,
    actor: &Actor,
    action: Option<&str>,
    parties: BTreeMap<String, String>,
    inputs: &Value,
) -> Result<(Prepared, PartySettings), ApiError> {
    let id = uuid::Uuid::now_v7().to_string();
    let blank = Order::blank(&id, wf.id(), parties);
    let settings = party_settings(state, &blank).await?;
    let action = match action {
        Some(a) => a.to_owned(),
        None => wf
            .def
            .create_action()
            .map(|a| a.id.clone())
            .ok_or_else(|| ApiError::bad_request("this workflow has no creating action"))?,
    };
    let change = engine::decide(wf, &blank, &settings, actor, &action, inputs, state.now())?;
    let commit = commit_of(wf, &blank, None, &change);
    Ok((
        Prepared {
            wf: wf.clone(),
            commit,
            change,
        },
        settings,
    ))
}

/// The parties of a new order: the caller's organisation in the creating
/// slot, every other slot filled with an organisation that exists.
async fn check_parties(
    state: &AppState,
    wf: &Workflow,
    caller: &UserCaller,
    mut parties: BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, ApiError> {
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
            Some(org) => {
                if state.store.organization(org).await?.is_none() {
                    fields.push((path, format!("no organisation {org:?}")));
                }
            }
        }
    }
    if fields.is_empty() {
        return Ok(parties);
    }
    let mut p = crate::problem::problem(
        "invalid_input",
        format!(
            "invalid input: {}",
            fields
                .iter()
                .map(|(f, m)| format!("{f}: {m}"))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    );
    p.fields = Some(
        fields
            .into_iter()
            .map(|(field, message)| orderflow_api::FieldProblem { field, message })
            .collect(),
    );
    Err(p.into())
}

/// Follow-ups a change asks for (a reorder's new order), decided before the
/// change commits so the answer names them; committed after it, each in
/// its own transaction.
async fn prepare_follow_ups(
    state: &AppState,
    wf: &Arc<Workflow>,
    order: &Order,
    change: &Change,
) -> (Vec<Prepared>, Vec<Problem>) {
    let mut ready = Vec::new();
    let mut problems = Vec::new();
    for event in change.steps.iter().flat_map(|s| s.events.iter()) {
        let Event::OrderRequested { action, inputs } = event else {
            continue;
        };
        match prepare_create(
            state,
            wf,
            &change.actor,
            Some(action),
            order.parties.clone(),
            inputs,
        )
        .await
        {
            Ok((p, _)) => ready.push(p),
            Err(e) => problems.push(*e.0),
        }
    }
    (ready, problems)
}

/// Commits a prepared change; a lost race is 412 when the client sent
/// `If-Match`, else 409 with the current version.
async fn commit(state: &AppState, p: &Prepared, if_match: Option<u64>) -> Result<(), ApiError> {
    let outcome = state.store.commit(p.commit.clone()).await;
    let action = p
        .change
        .steps
        .first()
        .map(|s| s.action.as_str())
        .unwrap_or("");
    let label = match &outcome {
        Ok(()) => "applied",
        Err(StoreError::VersionConflict { .. }) => "conflict",
        Err(_) => "failed",
    };
    metrics::counter!(
        "orderflow_transitions_total",
        "workflow" => p.wf.id().to_owned(),
        "action" => action.to_owned(),
        "outcome" => label,
    )
    .increment(1);
    match outcome {
        Ok(()) => {
            events::publish(state, &p.commit.order);
            Ok(())
        }
        Err(StoreError::VersionConflict { current, .. }) if if_match.is_some() => {
            Err(ApiError::new(
                "precondition_failed",
                format!("the order is at version {current} now"),
            )
            .with_current_version(current))
        }
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn count_refusal(wf: &Workflow, action: &str, e: &ApiError) {
    metrics::counter!(
        "orderflow_transitions_total",
        "workflow" => wf.id().to_owned(),
        "action" => action.to_owned(),
        "outcome" => e.code().to_owned(),
    )
    .increment(1);
}

/// Runs the follow-ups after their cause committed.
async fn commit_follow_ups(state: &AppState, ready: Vec<Prepared>) {
    for p in ready {
        if let Err(e) = commit(state, &p, None).await {
            tracing::error!(order = %p.commit.order.id, code = %e.code(), "follow-up order failed");
        }
    }
}

/// Commits `p` (with the idempotency record when there is a key) and
/// answers `status` with the view; a key that was taken meanwhile answers
/// the first request's answer. Without a user (the administrator posting a
/// traceability event) the view lists no actions and there is no key.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn finish(
    state: &AppState,
    caller: Option<&UserCaller>,
    mut p: Prepared,
    settings: &PartySettings,
    status: StatusCode,
    if_match: Option<u64>,
    idem: Option<IdempotentRequest>,
) -> Result<Response, ApiError> {
    let (follow_ups, follow_up_problems) =
        prepare_follow_ups(state, &p.wf, &p.commit.order, &p.change).await;
    let mut view = match caller {
        Some(c) => view_for(state, &p.wf, &p.commit.order, settings, &c.actor())?,
        None => views::order(&p.wf, &p.commit.order, settings, Vec::new()),
    };
    view.created_orders = follow_ups
        .iter()
        .map(|f| f.commit.order.id.clone())
        .collect();
    view.follow_up_problems = follow_up_problems;
    let body = serde_json::to_value(&view).map_err(|e| ApiError::internal("view", e))?;
    if let Some(req) = &idem
        && let Some(caller) = caller
    {
        p.commit.idempotency = Some(Idempotency {
            user: caller.0.id.clone(),
            key: req.key.clone(),
            request_sha256: req.sha256,
            status: status.as_u16(),
            body: body.clone(),
            created_at: state.now(),
        });
    }
    match commit(state, &p, if_match).await {
        Ok(()) => {}
        Err(e) if e.code() == "conflict" => {
            // The idempotency key was taken by a request racing this one.
            if let Some(req) = &idem
                && let Some(caller) = caller
                && let Some(response) = replay(state, caller, req).await?
            {
                return Ok(response);
            }
            return Err(e);
        }
        Err(e) => return Err(e),
    }
    commit_follow_ups(state, follow_ups).await;
    Ok((status, Json(body)).into_response())
}

// ---------------------------------------------------------------- routes

/// Creates an order: the caller's organisation fills the creating slot.
#[utoipa::path(post, path = "/api/v1/orders", tag = "orders",
    request_body = CreateOrder,
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key returns the first answer")),
    responses(
        (status = 201, description = "the new order", body = OrderView),
        (status = 400, description = "malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not permitted", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "invalid input", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn create_order(
    State(state): State<AppState>,
    caller: UserCaller,
    headers: HeaderMap,
    RawJson(bytes): RawJson,
) -> Result<Response, ApiError> {
    let idem = parse_idempotency_key(&headers)?.map(|key| IdempotentRequest {
        key,
        sha256: request_sha256("POST", "/api/v1/orders", &bytes),
    });
    if let Some(req) = &idem
        && let Some(response) = replay(&state, &caller, req).await?
    {
        return Ok(response);
    }
    let mut req = parse_create(&state, &bytes)?;
    let wf = state
        .workflow(&req.workflow)
        .cloned()
        .ok_or_else(|| ApiError::invalid("workflow", format!("no workflow {:?}", req.workflow)))?;
    if let Some(def) = wf.def.create_action() {
        resolve_files(&state, &caller, &def.inputs, &mut req.inputs).await?;
    }
    let parties = check_parties(&state, &wf, &caller, req.parties).await?;
    let (p, settings) = prepare_create(&state, &wf, &caller.actor(), None, parties, &req.inputs)
        .await
        .inspect_err(|e| count_refusal(&wf, "create", e))?;
    finish(
        &state,
        Some(&caller),
        p,
        &settings,
        StatusCode::CREATED,
        None,
        idem,
    )
    .await
}

/// The body of `POST /orders`: `{"workflow", "parties", "inputs"}`, or the
/// same flattened — `{"workflow", "<slot>": "<organisation>", "<input>": ...}`
/// — where every top-level key that names one of the workflow's party slots
/// is a party and every other is an input. Both read naturally, and the
/// creating action's inputs are checked strictly either way, so a misspelt
/// key is still refused by name.
fn parse_create(state: &AppState, bytes: &[u8]) -> Result<CreateOrder, ApiError> {
    let value = parse_value(bytes)?;
    let flat = value.as_object().is_some_and(|o| !o.contains_key("inputs"));
    if !flat {
        return serde_json::from_value(value).map_err(|e| ApiError::invalid("body", e.to_string()));
    }
    let Value::Object(mut body) = value else {
        return Err(ApiError::invalid("body", "must be a JSON object"));
    };
    let workflow = match body.remove("workflow") {
        Some(Value::String(w)) => w,
        _ => return Err(ApiError::invalid("workflow", "is required: a workflow id")),
    };
    let mut parties: BTreeMap<String, String> = match body.remove("parties") {
        None => BTreeMap::new(),
        Some(p) => serde_json::from_value(p).map_err(|_| {
            ApiError::invalid("parties", "must map party slots to organisation ids")
        })?,
    };
    if let Some(wf) = state.workflow(&workflow) {
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

/// The order, its status, version and the caller's actions now.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = OrderView),
        (status = 404, description = "no such order, or not yours", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get_order(
    State(state): State<AppState>,
    caller: UserCaller,
    P(id): P<String>,
) -> Result<Json<OrderView>, ApiError> {
    let v = load_visible(&state, &caller, &id).await?;
    let settings = party_settings(&state, &v.order).await?;
    Ok(Json(view_for(
        &state,
        &v.wf,
        &v.order,
        &settings,
        &caller.actor(),
    )?))
}

/// Takes an action on an order with its inputs as the JSON body.
#[utoipa::path(post, path = "/api/v1/orders/{id}/actions/{action}", tag = "orders",
    params(("id" = String, Path), ("action" = String, Path),
        ("If-Match" = Option<String>, Header, description = "the version the client saw: \"3\""),
        ("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key returns the first answer and changes nothing")),
    request_body(content = Object, description = "the action's inputs"),
    responses(
        (status = 200, description = "the order after the action", body = OrderView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "not available, a guard, or a lost race", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match is stale", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn act(
    State(state): State<AppState>,
    caller: UserCaller,
    P((id, action)): P<(String, String)>,
    headers: HeaderMap,
    RawJson(bytes): RawJson,
) -> Result<Response, ApiError> {
    act_inner(&state, &caller, &id, None, &action, &headers, &bytes).await
}

/// Takes an action on a child (an item, a job) of an order.
#[utoipa::path(post, path = "/api/v1/orders/{id}/children/{child_id}/actions/{action}", tag = "children",
    params(("id" = String, Path), ("child_id" = String, Path), ("action" = String, Path),
        ("If-Match" = Option<String>, Header, description = "the order's version the client saw"),
        ("Idempotency-Key" = Option<String>, Header)),
    request_body(content = Object, description = "the action's inputs"),
    responses(
        (status = 200, description = "the order after the action", body = OrderView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn act_on_child(
    State(state): State<AppState>,
    caller: UserCaller,
    P((id, child_id, action)): P<(String, String, String)>,
    headers: HeaderMap,
    RawJson(bytes): RawJson,
) -> Result<Response, ApiError> {
    act_inner(
        &state,
        &caller,
        &id,
        Some(&child_id),
        &action,
        &headers,
        &bytes,
    )
    .await
}

/// The child `child_id` of a visible order: loaded with it, or stored
/// beside it.
async fn find_child(state: &AppState, order: &Order, child_id: &str) -> Result<Child, ApiError> {
    if let Some(c) = order.child(child_id) {
        return Ok(c.clone());
    }
    state
        .store
        .child(&order.id, child_id)
        .await?
        .ok_or_else(|| ApiError::not_found("child"))
}

async fn act_inner(
    state: &AppState,
    caller: &UserCaller,
    id: &str,
    child_id: Option<&str>,
    action: &str,
    headers: &HeaderMap,
    bytes: &[u8],
) -> Result<Response, ApiError> {
    let if_match = parse_if_match(headers)?;
    let path = match child_id {
        Some(c) => format!("/api/v1/orders/{id}/children/{c}/actions/{action}"),
        None => format!("/api/v1/orders/{id}/actions/{action}"),
    };
    let idem = parse_idempotency_key(headers)?.map(|key| IdempotentRequest {
        key,
        sha256: request_sha256("POST", &path, bytes),
    });
    if let Some(req) = &idem
        && let Some(response) = replay(state, caller, req).await?
    {
        return Ok(response);
    }
    let v = load_visible(state, caller, id).await?;
    let current = v.order.version;
    if let Some(expected) = if_match
        && expected != current
    {
        return Err(ApiError::new(
            "precondition_failed",
            format!("If-Match names version {expected}; the order is at version {current}"),
        )
        .with_current_version(current));
    }
    let mut inputs = parse_value(bytes)?;
    let child = match child_id {
        Some(c) => Some(find_child(state, &v.order, c).await?),
        None => None,
    };
    if let Some(def) = action_def(&v.wf, child.as_ref().map(|c| c.kind.as_str()), action) {
        resolve_files(state, caller, &def.inputs, &mut inputs).await?;
    }
    let settings = party_settings(state, &v.order).await?;
    let actor = caller.actor();
    let decided = match &child {
        Some(c) => engine::decide_child(
            &v.wf,
            &v.order,
            c,
            &settings,
            &actor,
            action,
            &inputs,
            state.now(),
        ),
        None => engine::decide(
            &v.wf,
            &v.order,
            &settings,
            &actor,
            action,
            &inputs,
            state.now(),
        ),
    };
    let change = decided
        .map_err(|r| ApiError::from(r).with_current_version(current))
        .inspect_err(|e| count_refusal(&v.wf, action, e))?;
    let commit = commit_of(&v.wf, &v.order, child.as_ref(), &change);
    let p = Prepared {
        wf: v.wf.clone(),
        commit,
        change,
    };
    finish(
        state,
        Some(caller),
        p,
        &settings,
        StatusCode::OK,
        if_match,
        idem,
    )
    .await
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A workflow id.
    pub workflow: Option<String>,
    /// A status id.
    pub status: Option<String>,
    /// Orders where this organisation fills some slot.
    pub party: Option<String>,
    /// Text in the order id, its reference or a party's name.
    pub q: Option<String>,
    /// RFC 3339 time or `YYYY-MM-DD` (UTC).
    pub created_from: Option<String>,
    pub created_to: Option<String>,
    pub updated_from: Option<String>,
    pub updated_to: Option<String>,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// At most 200 (default 50).
    pub limit: Option<u32>,
}

fn parse_time(name: &str, value: Option<&String>) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(text) = value.filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Some(t.and_utc()))
        .ok_or_else(|| {
            ApiError::bad_request(format!("{name} must be an RFC 3339 time or YYYY-MM-DD"))
        })
}

fn filter_of(
    state: &AppState,
    caller: &UserCaller,
    q: &ListQuery,
) -> Result<OrderFilter, ApiError> {
    let nonempty = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    Ok(OrderFilter {
        organization: caller.organization().to_owned(),
        visible_statuses: visibility(state.workflows.values().map(|w| w.as_ref())),
        workflow: nonempty(&q.workflow),
        status: nonempty(&q.status),
        party: nonempty(&q.party),
        text: nonempty(&q.q),
        created_from: parse_time("created_from", q.created_from.as_ref())?,
        created_to: parse_time("created_to", q.created_to.as_ref())?,
        updated_from: parse_time("updated_from", q.updated_from.as_ref())?,
        updated_to: parse_time("updated_to", q.updated_to.as_ref())?,
    })
}

/// Orders the caller sees, newest first, with cursor paging.
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders",
    params(ListQuery),
    responses((status = 200, body = OrderList), (status = 400, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_orders(
    State(state): State<AppState>,
    caller: UserCaller,
    Q(q): Q<ListQuery>,
) -> Result<Json<OrderList>, ApiError> {
    let filter = filter_of(&state, &caller, &q)?;
    let limit = q.limit.unwrap_or(50).clamp(1, state.limits.page_limit_max);
    let page = state
        .store
        .orders(
            &filter,
            q.cursor.as_deref().filter(|c| !c.is_empty()),
            limit,
        )
        .await
        .map_err(|e| match e {
            StoreError::Invalid(m) => ApiError::bad_request(m),
            other => other.into(),
        })?;
    let actor = caller.actor();
    let items = page
        .items
        .iter()
        .filter(|o| {
            // The store filters by visibility; the engine has the last word.
            state
                .workflow(&o.workflow)
                .is_some_and(|wf| wf.can_see(o, &actor))
        })
        .map(|o| views::summary(state.workflow(&o.workflow).map(|w| w.as_ref()), o))
        .collect();
    Ok(Json(OrderList {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// Visible orders per workflow and status, for dashboards.
#[utoipa::path(get, path = "/api/v1/orders/counts", tag = "orders",
    params(ListQuery),
    responses((status = 200, body = OrderCounts)),
    security(("bearer" = [])))]
pub async fn count_orders(
    State(state): State<AppState>,
    caller: UserCaller,
    Q(q): Q<ListQuery>,
) -> Result<Json<OrderCounts>, ApiError> {
    let filter = filter_of(&state, &caller, &q)?;
    let rows = state.store.count_by_status(&filter).await?;
    let counts: Vec<StatusCount> = rows
        .into_iter()
        .map(|(workflow, status, count)| StatusCount {
            status: match state.workflow(&workflow) {
                Some(wf) => views::status(wf, &status),
                None => views::child_status_unknown(&status),
            },
            workflow,
            count,
        })
        .collect();
    let total = counts.iter().map(|c| c.count).sum();
    Ok(Json(OrderCounts { counts, total }))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Entries after this `seq` (history) or child `seq` (children).
    pub after: Option<u64>,
    /// At most 200 (default 100).
    pub limit: Option<u32>,
    /// Children only: the child kind (`item`, `job`); the order's own
    /// children when absent.
    pub kind: Option<String>,
}

impl PageQuery {
    /// The page size asked for (100 when absent), within the server's limit.
    fn limit(&self, state: &AppState) -> u32 {
        self.limit
            .unwrap_or(100)
            .clamp(1, state.limits.page_limit_max)
    }
}

/// Where the next page starts: after the last row, when this page is full.
fn next_after<T>(rows: &[T], limit: u32, seq: impl Fn(&T) -> u64) -> Option<u64> {
    (rows.len() >= limit as usize)
        .then(|| rows.last().map(seq))
        .flatten()
}

/// The order's history, oldest first.
#[utoipa::path(get, path = "/api/v1/orders/{id}/history", tag = "orders",
    params(("id" = String, Path), PageQuery),
    responses((status = 200, body = HistoryPage), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn history(
    State(state): State<AppState>,
    caller: UserCaller,
    P(id): P<String>,
    Q(q): Q<PageQuery>,
) -> Result<Json<HistoryPage>, ApiError> {
    let v = load_visible(&state, &caller, &id).await?;
    let limit = q.limit(&state);
    let entries = state
        .store
        .history(&v.order.id, q.after.unwrap_or(0), limit)
        .await?;
    Ok(Json(HistoryPage {
        next_after: next_after(&entries, limit, |e| e.seq),
        items: entries.iter().map(views::history).collect(),
    }))
}

/// Children of one kind, oldest first.
#[utoipa::path(get, path = "/api/v1/orders/{id}/children", tag = "children",
    params(("id" = String, Path), PageQuery),
    responses((status = 200, body = ChildList), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_children(
    State(state): State<AppState>,
    caller: UserCaller,
    P(id): P<String>,
    Q(q): Q<PageQuery>,
) -> Result<Json<ChildList>, ApiError> {
    let v = load_visible(&state, &caller, &id).await?;
    let limit = q.limit(&state);
    let after = q.after.unwrap_or(0);
    let kinds = &v.wf.def.children;
    let kind = match q.kind.as_deref().filter(|k| !k.is_empty()) {
        Some(k) => Some(kinds.iter().find(|c| c.id == k).ok_or_else(|| {
            ApiError::bad_request(format!("{} has no child kind {k:?}", v.wf.id()))
        })?),
        None => None,
    };
    let children: Vec<Child> = match kind {
        Some(k) if k.parent != "order" => {
            state
                .store
                .children(&v.order.id, &k.id, after, limit)
                .await?
        }
        _ => v
            .order
            .children
            .iter()
            .filter(|c| kind.is_none_or(|k| c.kind == k.id) && c.seq > after)
            .take(limit as usize)
            .cloned()
            .collect(),
    };
    Ok(Json(ChildList {
        next_after: next_after(&children, limit, |c| c.seq),
        items: children
            .iter()
            .map(|c| views::child(&v.wf, c, None))
            .collect(),
    }))
}

/// One child with the caller's actions on it.
#[utoipa::path(get, path = "/api/v1/orders/{id}/children/{child_id}", tag = "children",
    params(("id" = String, Path), ("child_id" = String, Path)),
    responses((status = 200, body = ChildView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_child(
    State(state): State<AppState>,
    caller: UserCaller,
    P((id, child_id)): P<(String, String)>,
) -> Result<Json<ChildView>, ApiError> {
    let v = load_visible(&state, &caller, &id).await?;
    let child = find_child(&state, &v.order, &child_id).await?;
    let settings = party_settings(&state, &v.order).await?;
    let actions = engine::available_child_actions(
        &v.wf,
        &v.order,
        &child,
        &settings,
        &caller.actor(),
        state.now(),
    )?;
    Ok(Json(views::child(
        &v.wf,
        &child,
        Some(views::actions(actions)),
    )))
}

/// One action on many orders; with `dry_run`, what would happen to each.
#[utoipa::path(post, path = "/api/v1/orders/bulk/actions/{action}", tag = "orders",
    params(("action" = String, Path)),
    request_body = BulkAction,
    responses((status = 200, body = BulkResult), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn bulk_action(
    State(state): State<AppState>,
    caller: UserCaller,
    P(action): P<String>,
    JsonBody(req): JsonBody<BulkAction>,
) -> Result<Json<BulkResult>, ApiError> {
    if req.orders.len() > state.limits.bulk_orders_max {
        return Err(ApiError::invalid(
            "orders",
            format!("at most {} orders at once", state.limits.bulk_orders_max),
        ));
    }
    let mut results = Vec::with_capacity(req.orders.len());
    for id in &req.orders {
        let item = match bulk_one(&state, &caller, id, &action, &req.inputs, req.dry_run).await {
            Ok(item) => item,
            Err(e) => BulkItem {
                order: id.clone(),
                outcome: "refused".to_owned(),
                status: e.status(),
                order_status: None,
                version: e.0.current_version,
                problem: Some(*e.0),
            },
        };
        results.push(item);
    }
    Ok(Json(BulkResult {
        dry_run: req.dry_run,
        results,
    }))
}

async fn bulk_one(
    state: &AppState,
    caller: &UserCaller,
    id: &str,
    action: &str,
    inputs: &Value,
    dry_run: bool,
) -> Result<BulkItem, ApiError> {
    let v = load_visible(state, caller, id).await?;
    let settings = party_settings(state, &v.order).await?;
    let mut inputs = inputs.clone();
    if let Some(def) = action_def(&v.wf, None, action) {
        resolve_files(state, caller, &def.inputs, &mut inputs).await?;
    }
    let change = engine::decide(
        &v.wf,
        &v.order,
        &settings,
        &caller.actor(),
        action,
        &inputs,
        state.now(),
    )
    .map_err(|r| ApiError::from(r).with_current_version(v.order.version))?;
    let commit_rec = commit_of(&v.wf, &v.order, None, &change);
    let after = commit_rec.order.status.clone();
    let version = commit_rec.order.version;
    if !dry_run {
        let p = Prepared {
            wf: v.wf.clone(),
            commit: commit_rec,
            change,
        };
        let (follow_ups, _) = prepare_follow_ups(state, &p.wf, &p.commit.order, &p.change).await;
        commit(state, &p, None).await?;
        commit_follow_ups(state, follow_ups).await;
    }
    Ok(BulkItem {
        order: id.to_owned(),
        outcome: if dry_run { "would_apply" } else { "applied" }.to_owned(),
        status: 200,
        order_status: Some(after),
        version: Some(if dry_run { v.order.version } else { version }),
        problem: None,
    })
}
