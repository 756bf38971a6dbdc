//! The workflow definition: what a business declares, as read from TOML.
//!
//! These types are the format. `docs/workflows.md` documents them and the JSON
//! Schema for editors is generated from them (`orderflow workflow schema`), so a
//! field added here shows up in both.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A whole workflow: one file in `workflows/`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    /// Stable id, used in the API (`"workflow": "dental-lab"`).
    pub id: String,
    /// What people see.
    pub label: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The letters before an order's number (`DL` makes `DL-1001`): 1 to 6
    /// capital letters or digits. Without it, the initials of the id's
    /// words (`dental-lab` → `DL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_prefix: Option<String>,
    /// The organisations that take part in an order, each in one slot.
    pub parties: Vec<Party>,
    /// The order's states, in the order a person reads them.
    pub states: Vec<State>,
    /// Scalar fields of the order's data.
    #[serde(default)]
    pub fields: Vec<Field>,
    /// Lists of records kept in the order (lines, tasks, payments ...).
    #[serde(default)]
    pub collections: Vec<Collection>,
    /// Values derived from the order's data, recomputed on every read.
    #[serde(default)]
    pub computed: Vec<Computed>,
    /// Everything that changes an order.
    pub actions: Vec<Action>,
    /// Transitions the system takes on its own, recorded in history.
    #[serde(default)]
    pub automatic: Vec<Automatic>,
    /// Status computed from data: after every change the first rule whose
    /// `from` holds the current status and whose `when` holds sets it.
    #[serde(default)]
    pub status_rules: Vec<StatusRule>,
    /// Child entities (items, jobs) with their own states and actions.
    #[serde(default)]
    pub children: Vec<ChildKind>,
    /// Actions the server runs on a timer.
    #[serde(default)]
    pub schedules: Vec<Schedule>,
    /// The messages `notify` effects send, by id (`template = "..."`).
    #[serde(default)]
    pub templates: Vec<Template>,
    /// Per-order timers: "at T the system takes action A".
    #[serde(default)]
    pub timers: Vec<Timer>,
}

/// A message a `notify` effect sends: an e-mail (subject, plain text and
/// HTML) and the line the in-app inbox shows (the subject). Each part is a
/// MiniJinja template rendered with the order's data (see
/// `docs/workflows.md`, "Templates").
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// What `notify` names; also the kind of message a user may opt out of.
    pub id: String,
    /// What people see when they choose which e-mails they get.
    pub label: String,
    pub subject: String,
    pub text: String,
    /// The HTML part; when left out, the text in paragraphs with its links
    /// made clickable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
}

/// A party slot: `customer`, `lab`, `outlet`, `supplier` ...
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Party {
    pub id: String,
    pub label: String,
    /// Roles a user of this slot's organisation may hold. When empty, any user
    /// of the organisation acts for the slot.
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Organisation settings this workflow reads (`parties.outlet.purchasing_limit`):
    /// a contract, checked when an organisation sets them.
    #[serde(default)]
    pub settings: Vec<Field>,
    /// The slot whose organisation creates orders and fills it.
    #[serde(default)]
    pub creates: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Role {
    pub id: String,
    pub label: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub id: String,
    pub label: String,
    /// A CSS colour for the status badge.
    #[serde(default = "default_colour")]
    pub color: String,
    #[serde(default, rename = "final")]
    pub is_final: bool,
    /// Party slots that see orders in this state; all slots when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_to: Option<Vec<String>>,
    /// Party slots that see orders in this state only if they saw the order
    /// before, in a state of their `visible_to` (an order abandoned before
    /// it ever reached the supplier stays the outlet's own).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub visible_once_seen: Vec<String>,
    /// A marker shown beside the label (`completed_after_dispute`'s red circle).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

fn default_colour() -> String {
    "#6b7280".to_owned()
}

/// A typed value: an order field, a collection's field, an organisation
/// setting or an action's input.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Field {
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
    #[serde(flatten)]
    pub kind: FieldKind,
    /// An input: the action is refused without it. A setting: actions on an
    /// order refuse while that party's organisation has not set it. A field
    /// of a record: the record needs it.
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// The type of a value and its constraints.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FieldKind {
    Text {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_length: Option<usize>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_length: Option<usize>,
    },
    /// A number (JSON number); `integer` refuses fractions.
    Number {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
        /// `min` itself is refused (`amount > 0`).
        #[serde(default)]
        exclusive_min: bool,
        #[serde(default)]
        integer: bool,
    },
    /// An amount of money in the order's currency, written and read as a
    /// decimal ("12.50"; 12.5 and 12 are taken too) and kept inside the
    /// engine as an integer count of minor units (cents) so sums are exact.
    Money {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
        #[serde(default)]
        exclusive_min: bool,
    },
    /// A calendar date (`YYYY-MM-DD`), bounded relative to today where
    /// "today" is read in the time zone of the slot `timezone_of`.
    Date {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timezone_of: Option<String>,
    },
    /// A point in time (RFC 3339), set by stamps.
    Timestamp,
    Enum {
        values: Vec<String>,
    },
    Bool,
    /// Uploaded files, referred to by their metadata
    /// (`{"id", "name", "media_type", "size"}`).
    Files {
        #[serde(default = "one")]
        max_count: usize,
        #[serde(default)]
        media_types: Vec<String>,
    },
    /// A list of records with `fields` (the lines of a new order), or of
    /// plain values of the type `items` (task ids).
    List {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        fields: Vec<Field>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        items: Option<Box<FieldKind>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_items: Option<usize>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_items: Option<usize>,
        /// An action's list of records that each stand for one record of
        /// an order's collection (purchasing's accepted quantity per line):
        /// a form draws one row per record, filled in.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        per_record: Option<PerRecord>,
    },
    /// A table from names the organisation chooses to values of the type
    /// `values` (a location's stock: SKU → units).
    Map {
        values: Box<FieldKind>,
    },
    /// Any JSON value, not looked into.
    Json,
}

/// How an action's list input stands for the records of one of the
/// order's collections. It says how a form draws the list; what the
/// action accepts is still what its inputs and guards say.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PerRecord {
    /// The order's collection (`lines`).
    pub collection: String,
    /// The list's field that holds the record's `id` (`line`).
    pub key: String,
    /// The list's fields a form fills in with a field of the record, which
    /// it also gives as their largest value (`quantity = "quantity"`: the
    /// ordered quantity).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub up_to: std::collections::BTreeMap<String, String>,
    /// A yes/no input of the same action: a form shows the rows, and sends
    /// them, only while it is ticked (`partial`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with: Option<String>,
}

fn one() -> usize {
    1
}

/// A list of records kept in the order. Every record gets an `id` (1, 2, 3
/// ... per collection) when it is appended.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Collection {
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
    /// Records written while a party slot could not see the order are
    /// never shown to that slot (notes); otherwise records are the order's
    /// data, shown to every slot that sees the order (lines).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub private_while_unseen: bool,
    pub fields: Vec<Field>,
}

/// A value derived from the order (`total`, `allocation`, `evidence`).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Computed {
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
    /// CEL over `order` (and the computed values declared before this one).
    pub expr: String,
    /// `"money"` when the value is an amount (minor units inside, read as a
    /// decimal in the order's currency).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<ComputedType>,
}

/// The type of a computed value, where people read it otherwise than as
/// its JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComputedType {
    Money,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub id: String,
    pub label: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The action creates a new order (it then has no `from`).
    #[serde(default)]
    pub creates: bool,
    /// The action reads the order (printing it): checked like any action
    /// (visibility, permission, state, inputs, guards) but it changes
    /// nothing, so it has no `to` and no effects, takes no version and
    /// writes no history.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read: bool,
    /// States it is available in: ids, `"*"` for every state, and `"!id"`
    /// to take one out of `"*"`.
    #[serde(default)]
    pub from: Vec<String>,
    /// Where it moves; stays in the same state when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Target>,
    /// Who may take it: `"slot"` (any user of that organisation, or any of
    /// the slot's roles), `"slot:role"`, or `"system"` (the server only).
    pub by: Vec<String>,
    #[serde(default)]
    pub inputs: Vec<Field>,
    #[serde(default)]
    pub guards: Vec<Guard>,
    #[serde(default)]
    pub effects: Vec<Effect>,
}

/// A fixed target state, or the first option whose `when` holds.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Target {
    State(String),
    Choice(Vec<TargetOption>),
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetOption {
    pub state: String,
    /// CEL; the option without `when` is the fallback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
}

/// A rule that must hold for the action to run.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Guard {
    pub id: String,
    /// What a person is told when it fails: a sentence that says what to
    /// do. `{name}` is replaced by the value of `params.name`.
    pub message: String,
    /// Values the message names, as CEL over what the rule reads, evaluated
    /// only when the guard fails ("{open} of {total} tasks").
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub params: std::collections::BTreeMap<String, String>,
    /// CEL that must be true.
    pub rule: String,
    /// A check of the request rather than of the order's state (an address,
    /// an account): failing it is invalid input (422) on this field, not a
    /// conflict with the order (409).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The input its message belongs beside, `{name}` replaced as in the
    /// message (`lines.{row}.quantity`): the refusal is still a conflict
    /// with the order (409), and it names that input so that a form shows
    /// the message there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beside: Option<String>,
}

/// What an action sets off. Every effect may carry `when` (CEL): it runs only
/// when that holds.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Effect {
    #[serde(flatten)]
    pub kind: EffectKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(tag = "do", rename_all = "snake_case", deny_unknown_fields)]
pub enum EffectKind {
    /// Set a field to the value of a CEL expression.
    Set { field: String, value: String },
    /// Set a timestamp field to now.
    Stamp { field: String },
    /// Append a record; `record` maps each field to a CEL expression.
    Append {
        collection: String,
        record: std::collections::BTreeMap<String, String>,
    },
    /// Append one record per element of a list (`each` names the element).
    AppendEach {
        collection: String,
        list: String,
        #[serde(default = "default_each")]
        each: String,
        record: std::collections::BTreeMap<String, String>,
    },
    /// Change fields of the record whose `id` is the value of `key`.
    Update {
        collection: String,
        key: String,
        record: std::collections::BTreeMap<String, String>,
    },
    /// Remove the record whose `id` is the value of `key`.
    Remove { collection: String, key: String },
    /// Tell a party (e-mail, webhook) through the outbox.
    Notify {
        party: String,
        template: String,
        #[serde(default = "default_channel")]
        channel: String,
    },
    /// Ask the server to create another order of this workflow by running
    /// `action` with `inputs` (a CEL map) as the acting user.
    CreateOrder { action: String, inputs: String },
    /// Create child entities: one per element of `list` (CEL), each with
    /// `data` (CEL map over `each`); `per_unit` (CEL over `each`) makes that
    /// many children of the element instead. When the kind's parent is
    /// another child kind, each element is a child of that kind (`id` names
    /// the parent: jobs under items).
    CreateChildren {
        kind: String,
        list: String,
        #[serde(default = "default_each")]
        each: String,
        data: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        per_unit: Option<String>,
    },
    /// Move every child of `kind` in one of `from` (all non-final states when
    /// empty) to `to`: the cascade of a cancel.
    MoveChildren {
        kind: String,
        #[serde(default)]
        from: Vec<String>,
        to: String,
    },
    /// Run a named built-in algorithm (see `builtins`); it sets fields.
    Builtin { name: String },
}

fn default_each() -> String {
    "each".to_owned()
}

fn default_channel() -> String {
    "email".to_owned()
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Automatic {
    pub id: String,
    pub from: Vec<String>,
    pub to: String,
    /// CEL; the transition is taken as soon as it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    #[serde(default)]
    pub effects: Vec<Effect>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusRule {
    pub status: String,
    /// CEL.
    pub when: String,
    /// Only from these statuses; from any when empty.
    #[serde(default)]
    pub from: Vec<String>,
}

/// A child entity (items of an order, jobs of an item).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChildKind {
    pub id: String,
    pub label: String,
    /// `order` or another child kind. Children of the order are loaded with
    /// it; grandchildren are only counted there, so a step of one of them
    /// costs the same whatever the order's size.
    pub parent: String,
    /// Upper bound of children of this kind per order.
    pub max_count: u64,
    pub states: Vec<State>,
    #[serde(default)]
    pub fields: Vec<Field>,
    pub actions: Vec<Action>,
    /// Status rolled up from this child's own children counters.
    #[serde(default)]
    pub status_rules: Vec<StatusRule>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    pub id: String,
    pub label: String,
    /// A named built-in the server runs (`fifo_intake`).
    pub builtin: String,
    /// The fewest minutes between two runs (the server picks in the window
    /// up to `every_minutes_max` each time). A schedule has these two or
    /// `cron`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every_minutes_min: Option<u32>,
    /// The most minutes between two runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every_minutes_max: Option<u32>,
    /// Instead of minutes: a five-field cron expression (minute, hour, day
    /// of month, month, day of week) naming the times it runs, e.g.
    /// `"30 2 * * *"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    /// The IANA time zone `cron` is read in (`Europe/Paris`); UTC when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// A per-order timer. When a change brings the order into one of `states`
/// (from outside them) and `when` holds, the change sets the timer to fire
/// at `at`; when the order leaves `states`, the change clears it. When it
/// fires, the system takes `action` on the order. The parties in `by` may
/// cancel or reschedule a set timer.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Timer {
    pub id: String,
    pub label: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Entering one of them sets the timer; leaving them all clears it.
    pub states: Vec<String>,
    /// CEL: when it fires, a timestamp (or RFC 3339 text), evaluated on the
    /// order as the change leaves it.
    pub at: String,
    /// CEL: whether to set it (a setting that turns it on); always when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// An order action that `system` may take in every one of `states`.
    pub action: String,
    /// Who may cancel or reschedule it: `slot` or `slot:role`, like an
    /// action's `by`.
    pub by: Vec<String>,
}

// `Field` and `Effect` flatten their kind beside a few common keys. Serde
// cannot refuse unknown keys through `flatten`, and a misspelt key silently
// ignored is the mistake a person would never find, so both take their
// common keys out by hand and hand the rest to a strict kind.

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut table = serde_json::Map::deserialize(d)?;
        let id = take_string::<D::Error>(&mut table, "id")?
            .ok_or_else(|| serde::de::Error::missing_field("id"))?;
        let label = take_string::<D::Error>(&mut table, "label")?.unwrap_or_default();
        let description = take_string::<D::Error>(&mut table, "description")?.unwrap_or_default();
        let required = match table.remove("required") {
            None => false,
            Some(serde_json::Value::Bool(b)) => b,
            Some(_) => return Err(serde::de::Error::custom("`required` must be true or false")),
        };
        let kind = FieldKind::deserialize(serde_json::Value::Object(table))
            .map_err(|e| serde::de::Error::custom(format!("field {id:?}: {e}")))?;
        Ok(Field {
            id,
            label,
            kind,
            required,
            description,
        })
    }
}

impl<'de> Deserialize<'de> for Effect {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut table = serde_json::Map::deserialize(d)?;
        let when = take_string::<D::Error>(&mut table, "when")?;
        let kind = EffectKind::deserialize(serde_json::Value::Object(table))
            .map_err(serde::de::Error::custom)?;
        Ok(Effect { kind, when })
    }
}

fn take_string<E: serde::de::Error>(
    table: &mut serde_json::Map<String, serde_json::Value>,
    key: &'static str,
) -> Result<Option<String>, E> {
    match table.remove(key) {
        None => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(E::custom(format!("`{key}` must be a string"))),
    }
}

/// Whether `prefix` may start order numbers: 1 to 6 capital letters or
/// digits, so that a number (`DL-1042`) never looks like an order id.
pub fn is_number_prefix(prefix: &str) -> bool {
    (1..=6).contains(&prefix.len())
        && prefix
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

impl Definition {
    /// What numbers of this workflow's orders start with: the declared
    /// prefix, or the initials of the id's words (`dental-lab` → `DL`).
    pub fn number_prefix(&self) -> String {
        if let Some(p) = &self.number_prefix {
            return p.clone();
        }
        let initials: String = self
            .id
            .split(['-', '_'])
            .filter_map(|w| w.chars().next())
            .filter(char::is_ascii_alphanumeric)
            .take(6)
            .collect::<String>()
            .to_ascii_uppercase();
        if initials.is_empty() {
            "NO".to_owned()
        } else {
            initials
        }
    }

    pub fn state(&self, id: &str) -> Option<&State> {
        self.states.iter().find(|s| s.id == id)
    }

    pub fn action(&self, id: &str) -> Option<&Action> {
        self.actions.iter().find(|a| a.id == id)
    }

    pub fn party(&self, id: &str) -> Option<&Party> {
        self.parties.iter().find(|p| p.id == id)
    }

    pub fn child_kind(&self, id: &str) -> Option<&ChildKind> {
        self.children.iter().find(|c| c.id == id)
    }

    pub fn collection(&self, id: &str) -> Option<&Collection> {
        self.collections.iter().find(|c| c.id == id)
    }

    pub fn field(&self, id: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.id == id)
    }

    /// The action that creates orders.
    pub fn create_action(&self) -> Option<&Action> {
        self.actions.iter().find(|a| a.creates)
    }
}

impl Guard {
    /// The names its message writes as `{name}`.
    pub fn placeholders(&self) -> impl Iterator<Item = &str> {
        placeholders(&self.message)
    }
}

/// The names `text` writes as `{name}` (a guard's message, its `beside`).
pub fn placeholders(text: &str) -> impl Iterator<Item = &str> {
    text.split('{').skip(1).filter_map(|rest| {
        let (name, _) = rest.split_once('}')?;
        let plain = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        plain.then_some(name)
    })
}

impl Action {
    /// Whether the action may start from `status`.
    pub fn available_in(&self, status: &str) -> bool {
        let excluded = self
            .from
            .iter()
            .any(|f| f.strip_prefix('!') == Some(status));
        !excluded && self.from.iter().any(|f| f == status || f == "*")
    }

    /// The states the action is available in, spelled out.
    pub fn from_states(&self, states: &[State]) -> Vec<String> {
        states
            .iter()
            .filter(|s| self.available_in(&s.id))
            .map(|s| s.id.clone())
            .collect()
    }

    /// The target states it can reach.
    pub fn targets(&self) -> Vec<&str> {
        match &self.to {
            None => Vec::new(),
            Some(Target::State(s)) => vec![s.as_str()],
            Some(Target::Choice(options)) => options.iter().map(|o| o.state.as_str()).collect(),
        }
    }
}
