//! orderflow's HTTP wire types: what requests and responses look like as
//! JSON, with their OpenAPI schemas. This crate is the only one that knows
//! JSON shapes; the server converts engine and store types into these.
//!
//! Everything here is plain data: no I/O, no defaults that hide behaviour.

mod inventory;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use utoipa::ToSchema;

pub mod notifications;
pub use notifications::{
    DeadLetterList, DeadLetterQuery, DeadLetterView, EmailKind, EmailPreferences, InboxQuery,
    MarkedRead, NotificationList, NotificationView, SetEmailPreferences,
};

mod workflows;

pub use workflows::{
    DefinitionProblem, Deployment, MigrateRequest, MigratedOrder, MigrationOutcome,
    MigrationReport, VersionCount, VersionInfo, WorkflowDetail, WorkflowList, WorkflowSummary,
    WorkflowVersionDetail,
};

mod webhooks;

pub use webhooks::{
    CreateWebhook, DeliveriesQuery, WebhookCreated, WebhookDeliveryView, WebhookView,
};

pub use inventory::{
    BinAdjustment, BinView, IntakeRefusal, IntakeReport, IntakeRequest, NewBin, NewPurchase,
    NewReceipt, NewStockLocation, PurchaseView, ReceiptResult, StockLocationView,
};

/// The media type of every error body.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// `POST /api/v1/orders`: the workflow, the organisations in its party
/// slots (the caller's organisation fills the creating slot by itself), and
/// the creating action's inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrder {
    /// A workflow id: `dental-lab`, `compliance`, `print-production`,
    /// `purchasing`.
    pub workflow: String,
    /// Party slot → organisation id.
    #[serde(default)]
    pub parties: BTreeMap<String, String>,
    /// The creating action's inputs.
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    pub inputs: Json,
}

fn empty_object() -> Json {
    Json::Object(serde_json::Map::new())
}

/// A status (of an order or a child) as people see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StatusView {
    pub id: String,
    pub label: String,
    /// A CSS colour for the badge.
    pub color: String,
    /// A marker shown beside the label (a red circle ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
    #[serde(rename = "final")]
    pub is_final: bool,
}

/// An action the caller's party has on an order or a child, with its
/// inputs, or why it cannot be taken now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ActionView {
    pub id: String,
    pub label: String,
    /// `true` when the caller may take it now (guards that read the inputs
    /// are checked when they are sent).
    pub available: bool,
    /// The inputs as the workflow declares them (`id`, `label`, `type`,
    /// `required`, constraints).
    #[schema(value_type = Vec<Object>)]
    pub inputs: Arc<[Json]>,
    /// Why it is blocked: a problem-like object with `code`, `detail` and
    /// the kind's own members (`available_in`, `allowed`, `rule` ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked: Option<Problem>,
}

/// A child entity (an item, a job).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChildView {
    pub id: String,
    pub kind: String,
    /// The parent child's id; absent when the parent is the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Creation order within the order (lower is older).
    pub seq: u64,
    pub status: StatusView,
    pub version: u64,
    #[schema(value_type = Object)]
    pub data: Json,
    /// Counters of this child's own children per state, per kind.
    pub counts: BTreeMap<String, BTreeMap<String, u64>>,
    /// The caller's actions on this child (only on single-child reads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<ActionView>>,
}

/// One order as the caller sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OrderView {
    pub id: String,
    /// The short number people use (`DL-1042`), accepted wherever an order
    /// id is; absent on orders stored before numbers existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    pub workflow: String,
    /// The deployed version of the workflow the order runs under.
    pub workflow_version: u32,
    pub status: StatusView,
    /// When the order entered its current status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_since: Option<DateTime<Utc>>,
    /// Grows by one on every change; send it back in `If-Match`.
    pub version: u64,
    /// Party slot → organisation id.
    pub parties: BTreeMap<String, String>,
    /// The order's currency (ISO 4217), from its creator's organisation:
    /// every amount of money in `data` is in it.
    pub currency: String,
    /// Fields, collections and computed values (`total`, `balance` ...);
    /// amounts of money as decimal text (`"240.00"`).
    #[schema(value_type = Object)]
    pub data: Json,
    /// Children loaded with the order (items).
    pub items: Vec<ChildView>,
    /// Counters of deeper children (jobs) per state, per kind.
    pub counts: BTreeMap<String, BTreeMap<String, u64>>,
    /// The caller's actions now.
    pub actions: Vec<ActionView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    /// Orders this change created (a reorder), by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub created_orders: Vec<String>,
    /// Follow-up changes this change asked for that were refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub follow_up_problems: Vec<Problem>,
    /// The order's timers (`[[timers]]`), by due time; shown when the
    /// order is read (`GET /api/v1/orders/{id}`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timers: Vec<TimerView>,
}

/// A timer of an order: at `due_at` the system takes `action`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TimerView {
    /// The timer's id in the workflow (`abandon_unaccepted`).
    pub timer: String,
    pub label: String,
    /// The action the system takes when it fires.
    pub action: String,
    pub due_at: DateTime<Utc>,
    /// `pending`, `running` (firing now), `fired`, `failed` (its action was
    /// refused: `last_error` says why) or `canceled`.
    pub status: String,
    pub set_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Whether the caller may cancel or reschedule it now.
    pub can_manage: bool,
}

/// The order's timers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TimerList {
    pub items: Vec<TimerView>,
}

/// `PATCH /api/v1/orders/{id}/timers/{timer}`: the new time it fires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleTimer {
    /// RFC 3339; in the past means at the scheduler's next tick.
    pub at: DateTime<Utc>,
}

/// One declared schedule and its runs (`GET /api/v1/schedules`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScheduleView {
    /// `{workflow}.{schedule}`.
    pub key: String,
    pub workflow: String,
    pub schedule: String,
    pub label: String,
    /// A named built-in (`fifo_intake`).
    pub builtin: String,
    /// Whether this deployment runs it.
    pub enabled: bool,
    /// Minutes between runs, chosen in this window; absent for a cron
    /// schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every_minutes_min: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every_minutes_max: Option<u32>,
    /// The five-field cron expression it runs at, and the IANA time zone
    /// it is read in; absent for a schedule run every so many minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_run_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run_at: Option<DateTime<Utc>>,
    /// Runs so far, by every server.
    pub runs: u64,
}

/// Every declared schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScheduleList {
    pub items: Vec<ScheduleView>,
}

/// One order in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OrderSummary {
    pub id: String,
    /// The short number people use (`DL-1042`), accepted wherever an order
    /// id is; absent on orders stored before numbers existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    pub workflow: String,
    pub status: StatusView,
    /// When the order entered its current status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_since: Option<DateTime<Utc>>,
    pub version: u64,
    pub parties: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
}

/// A page of orders, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OrderList {
    pub items: Vec<OrderSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// How many visible orders are in one status of one workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StatusCount {
    pub workflow: String,
    pub status: StatusView,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OrderCounts {
    pub counts: Vec<StatusCount>,
    pub total: u64,
}

/// One step of an order's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntryView {
    /// 1, 2, 3 ... without gaps.
    pub seq: u64,
    /// The order version the change made.
    pub version: u64,
    pub at: DateTime<Utc>,
    /// The user; absent for the system's automatic steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// The user's name as it was when the entry was written; `orderflow`
    /// for the system's steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// The organisation's name as it was when the entry was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_name: Option<String>,
    pub action: String,
    pub automatic: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child: Option<String>,
    /// The inputs as the action took them (amounts as decimal text).
    #[schema(value_type = Object)]
    pub inputs: Json,
    pub status_before: String,
    pub status_after: String,
    /// What the step did, as facts (`status_changed`, `field_set` ...).
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Json>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HistoryPage {
    pub items: Vec<HistoryEntryView>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_after: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChildList {
    pub items: Vec<ChildView>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_after: Option<u64>,
}

/// `POST /api/v1/orders/bulk/actions/{action}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkAction {
    /// Order ids (at most 200).
    #[schema(max_items = 200)]
    pub orders: Vec<String>,
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    pub inputs: Json,
    /// Decide only: say what would happen to each order, write nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// What happened (or would happen) to one order of a bulk action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BulkItem {
    pub order: String,
    /// `applied`, `would_apply` (dry run) or `refused`.
    pub outcome: String,
    /// The HTTP status this order alone would have answered.
    pub status: u16,
    /// The order's status after the action (or before, when refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BulkResult {
    pub dry_run: bool,
    pub results: Vec<BulkItem>,
}

/// `POST /api/v1/organizations` (administrator).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganization {
    /// 1 to 100 of `a-z A-Z 0-9 - _ .`.
    #[schema(pattern = "^[A-Za-z0-9._-]{1,100}$")]
    pub id: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Purchasing limit, time zone, payment instructions, locations ...;
    /// each must fit the workflows' declarations of it (422 otherwise).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub settings: serde_json::Map<String, Json>,
}

/// `PATCH /api/v1/organizations/{id}`: the members given replace the old
/// ones; `settings` keys set to `null` are removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganization {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub settings: Option<serde_json::Map<String, Json>>,
}

/// Changes to a user (administrator): what is absent stays.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    #[serde(default)]
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OrganizationView {
    pub id: String,
    pub name: String,
    #[schema(value_type = Object)]
    pub settings: serde_json::Map<String, Json>,
    pub created_at: DateTime<Utc>,
}

/// `POST /api/v1/users` (administrator).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Chosen by the server when absent; 1 to 100 of `a-z A-Z 0-9 - _ .`.
    #[serde(default)]
    #[schema(pattern = "^[A-Za-z0-9._-]{1,100}$")]
    pub id: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub organization: String,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// The password to sign in to the web UI with (8 to 1,024 characters);
    /// the user signs in with tokens only when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 8, max_length = 1024)]
    pub password: Option<String>,
}

/// `PUT /api/v1/users/{id}/password` (administrator): the user's new
/// password.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    /// 8 to 1,024 characters.
    #[schema(min_length = 8, max_length = 1024)]
    pub password: String,
}

/// `POST /api/v1/me/password`: the calling user changes their own password.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    /// The password now; may be empty when the user has none yet.
    #[serde(default)]
    pub current_password: String,
    /// 8 to 1,024 characters.
    #[schema(min_length = 8, max_length = 1024)]
    pub new_password: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub name: String,
    pub organization: String,
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A new user with its first API token, shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UserCreated {
    pub user: UserView,
    pub token: TokenCreated,
}

/// `POST /api/v1/tokens`: a user makes another token for itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    #[serde(default)]
    pub name: Option<String>,
}

/// A token's secret is shown once; the server keeps only its SHA-256.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TokenCreated {
    pub id: String,
    pub name: String,
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
}

/// An uploaded file, as action inputs refer to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FileView {
    pub id: String,
    pub name: String,
    pub media_type: String,
    pub size: u64,
}

/// A change the caller may see, as server-sent events carry it
/// (`event: order`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChangeNotice {
    pub order: String,
    pub workflow: String,
    pub version: u64,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `ok`, or `unavailable` when the store does not answer.
    pub status: String,
}

/// One invalid input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldProblem {
    /// A dotted path: `lines.2.quantity`.
    pub field: String,
    pub message: String,
}

/// An RFC 9457 problem: every error answers with one, as
/// `application/problem+json`. `code` is stable; clients match on it. The
/// optional members belong to the codes that name them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// `about:blank`, or a link to the code's documentation.
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The stable code (see `docs/api.md`).
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// `not_available`: the states the action is available in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_in: Option<Vec<String>>,
    /// `forbidden`: the `slot` or `slot:role` entries that may act.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
    /// `invalid_input`: every invalid field; `guard_failed`: the input the
    /// message is about, when the guard names one (`lines.1.quantity`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<FieldProblem>>,
    /// `guard_failed`: the rule that does not hold ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// ... what a person is told ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// ... and the values it read, by path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub values: Option<BTreeMap<String, Json>>,
    /// The action refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// The order's (or child's) status when refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_status: Option<String>,
    /// `version_conflict`, `precondition_failed` and refusals on an order:
    /// the version it is at now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_version: Option<u64>,
    /// `invalid_definition`: every problem of the definition, by line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problems: Option<Vec<DefinitionProblem>>,
}

impl Problem {
    /// A problem with the members every one has.
    pub fn new(status: u16, code: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            type_: "about:blank".to_owned(),
            title: title.to_owned(),
            status,
            detail: detail.into(),
            code: code.to_owned(),
            instance: None,
            available_in: None,
            allowed: None,
            fields: None,
            rule: None,
            message: None,
            values: None,
            action: None,
            order_status: None,
            current_version: None,
            problems: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_order_defaults_inputs_and_parties() {
        let c: CreateOrder =
            serde_json::from_str(r#"{"workflow":"dental-lab"}"#).unwrap_or_else(|e| {
                unreachable!("{e}");
            });
        assert_eq!(c.inputs, serde_json::json!({}));
        assert!(c.parties.is_empty());
    }

    #[test]
    fn create_order_refuses_unknown_members() {
        let r: Result<CreateOrder, _> =
            serde_json::from_str(r#"{"workflow":"dental-lab","partys":{}}"#);
        assert!(r.is_err());
    }

    #[test]
    fn problem_leaves_out_members_it_does_not_have() {
        let p = Problem::new(404, "not_found", "Not found", "no such order");
        let json = serde_json::to_value(&p).unwrap_or_default();
        assert_eq!(
            json,
            serde_json::json!({
                "type": "about:blank",
                "title": "Not found",
                "status": 404,
                "detail": "no such order",
                "code": "not_found"
            })
        );
    }
}

/// A bound of a time filter: a date (`YYYY-MM-DD`, UTC) or an RFC 3339
/// time, as the document's formats say (a pattern let through dates that
/// are none, such as `0000-00-00`).
fn date_or_time() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{
        KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type,
    };
    let string = |format| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(format)))
    };
    Schema::OneOf(
        OneOfBuilder::new()
            .item(string(KnownFormat::Date))
            .item(string(KnownFormat::DateTime))
            .build(),
    )
}

/// The query of `GET /api/v1/orders` and `/orders/counts`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A workflow id.
    pub workflow: Option<String>,
    /// A status id.
    pub status: Option<String>,
    /// Orders where this organisation fills some slot.
    pub party: Option<String>,
    /// Text in the order's id, number, reference, a party's name or
    /// anything written in the order (line products, SKUs, tracking
    /// numbers, notes).
    pub q: Option<String>,
    /// RFC 3339 time or `YYYY-MM-DD` (UTC).
    #[param(schema_with = date_or_time)]
    pub created_from: Option<String>,
    #[param(schema_with = date_or_time)]
    pub created_to: Option<String>,
    #[param(schema_with = date_or_time)]
    pub updated_from: Option<String>,
    #[param(schema_with = date_or_time)]
    pub updated_to: Option<String>,
    /// `newest` first (the default, also when empty), `oldest` first, most
    /// recently `updated` first, or longest `waiting` in its status first.
    #[param(pattern = "^(newest|oldest|updated|waiting)?$")]
    pub sort: Option<String>,
    /// From the previous page's `next_cursor` (of the same sort).
    pub cursor: Option<String>,
    /// From 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// The query of an order's history and children pages.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Entries after this `seq` (history) or child `seq` (children).
    pub after: Option<u64>,
    /// From 1 to 200 (default 100).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// Children only: the child kind (`item`, `job`); the order's own
    /// children when absent.
    pub kind: Option<String>,
}
