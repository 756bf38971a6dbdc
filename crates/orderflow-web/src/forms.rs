//! Forms derived from an action's declared inputs, and the posted form
//! read back into the inputs' JSON. Nothing is checked here: the
//! application checks the inputs and its messages are shown beside the
//! fields they name (`lines.2.quantity` is the field named so). A list
//! that stands for the order's records (`per_record`: purchasing's
//! accepted quantity per line) is drawn as those records, filled in.

use chrono::{DateTime, NaiveDate, Utc};
use orderflow_api::{FieldProblem, Problem};
use orderflow_core::definition::{Collection, Field, FieldKind, PerRecord};
use orderflow_core::engine::inputs::{date_bound, time_zone, today};
use orderflow_core::model::PartySettings;
use serde_json::{Map, Number, Value};

use crate::{display, format};

/// How an input is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Widget {
    Text,
    LongText,
    Number,
    Money,
    Date,
    Select,
    Checkbox,
    Files,
    List,
    /// A value the form carries unseen (the record a row stands for).
    Hidden,
}

/// One input of a form, as the template draws it.
#[derive(Debug, Clone)]
pub struct Input {
    /// The element id: unique on the page.
    pub id: String,
    /// The posted name: the input's path (`lines.0.product`).
    pub name: String,
    pub label: String,
    pub widget: Widget,
    pub required: bool,
    pub value: String,
    pub hint: String,
    pub error: Option<String>,
    pub min: String,
    pub max: String,
    pub step: String,
    /// (value, label, selected) of a select.
    pub options: Vec<(String, String, bool)>,
    pub accept: String,
    /// How many files a files input takes (0 for other inputs).
    pub max_files: usize,
    pub list: Option<ListInput>,
    /// Dates one click away (label, `YYYY-MM-DD`): **Today** and
    /// **Tomorrow** where the earliest allowed date is today.
    pub quick: Vec<(String, String)>,
}

impl Input {
    pub fn is(&self, widget: &str) -> bool {
        let w = match self.widget {
            Widget::Text => "text",
            Widget::LongText => "long_text",
            Widget::Number => "number",
            Widget::Money => "money",
            Widget::Date => "date",
            Widget::Select => "select",
            Widget::Checkbox => "checkbox",
            Widget::Files => "files",
            Widget::List => "list",
            Widget::Hidden => "hidden",
        };
        w == widget
    }

    /// Whether it or one of its list's cells takes files (the form is
    /// then sent as `multipart/form-data`).
    pub fn takes_files(&self) -> bool {
        self.widget == Widget::Files
            || self
                .list
                .as_ref()
                .is_some_and(|l| l.rows.iter().flatten().any(Input::takes_files))
    }

    pub fn checked(&self) -> bool {
        self.value == "true"
    }

    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if self.error.is_some() {
            ids.push(format!("{}-error", self.id));
        }
        if !self.hint.is_empty() {
            ids.push(format!("{}-hint", self.id));
        }
        ids.join(" ")
    }
}

/// A list input: an editable table, one row per record.
#[derive(Debug, Clone)]
pub struct ListInput {
    /// The `<tbody>` id, which the add-row button names.
    pub body_id: String,
    /// The headers of the inputs' columns (hidden inputs have none).
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Input>>,
    pub error: Option<String>,
    /// Rows that stand for the order's records: one per record, none
    /// added or removed.
    pub records: Option<RecordCells>,
    /// The element id of the checkbox that shows the table while ticked.
    pub shown_by: Option<String>,
}

/// What each row shows of the record it stands for, before its inputs:
/// its text fields and the fields its inputs are filled from.
#[derive(Debug, Clone)]
pub struct RecordCells {
    /// Each column's header and whether it holds numbers.
    pub columns: Vec<(String, bool)>,
    pub rows: Vec<Vec<String>>,
}

impl RecordCells {
    /// Row `n`'s cells, each with whether it holds a number.
    pub fn row(&self, n: usize) -> Vec<(&str, bool)> {
        self.rows.get(n).map_or_else(Vec::new, |cells| {
            cells
                .iter()
                .zip(&self.columns)
                .map(|(cell, (_, numeric))| (cell.as_str(), *numeric))
                .collect()
        })
    }
}

/// What a form shows: what was typed, and the refusal's messages.
#[derive(Default)]
pub struct Posted<'a> {
    pub values: &'a [(String, String)],
    pub problems: &'a [FieldProblem],
}

impl Posted<'_> {
    fn value(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn error(&self, name: &str) -> Option<String> {
        let messages: Vec<&str> = self
            .problems
            .iter()
            .filter(|p| p.field == name)
            .map(|p| p.message.as_str())
            .collect();
        (!messages.is_empty()).then(|| messages.join("; "))
    }

    /// Rows posted for list `name`: the largest `name.N.` seen, plus one.
    fn rows(&self, name: &str) -> usize {
        let prefix = format!("{name}.");
        self.values
            .iter()
            .filter_map(|(k, _)| k.strip_prefix(&prefix))
            .filter_map(|rest| rest.split('.').next()?.parse::<usize>().ok())
            .map(|n| n + 1)
            .max()
            .unwrap_or(0)
    }
}

/// Where "today" is read for date bounds.
pub struct Today<'a> {
    pub settings: &'a PartySettings,
    pub now: DateTime<Utc>,
}

/// The order a form acts on: the records a list input may stand for.
pub struct Records<'a> {
    /// The workflow's collections.
    pub collections: &'a [Collection],
    /// The order's data.
    pub data: &'a Value,
}

impl<'a> Records<'a> {
    /// The collection `per` names and its records.
    fn of(&self, per: &PerRecord) -> Option<(&'a Collection, &'a [Value])> {
        let c = self.collections.iter().find(|c| c.id == per.collection)?;
        let records = self.data.get(&c.id).and_then(Value::as_array)?;
        Some((c, records))
    }
}

/// The inputs of a form for `fields`, ids prefixed with `form`; `order`
/// is the order acted on (none for a new order).
pub fn inputs(
    form: &str,
    fields: &[Field],
    posted: &Posted<'_>,
    today: &Today<'_>,
    order: Option<&Records<'_>>,
) -> Vec<Input> {
    let mut inputs: Vec<Input> = fields
        .iter()
        .map(|f| input(form, "", f, posted, today))
        .collect();
    for (f, i) in fields.iter().zip(&mut inputs) {
        if let FieldKind::List {
            fields: columns,
            per_record: Some(per),
            ..
        } = &f.kind
            && let Some(order) = order
        {
            per_record(form, i, columns, per, posted, today, order);
        }
    }
    let ids: Vec<(String, String)> = inputs
        .iter()
        .map(|i| (i.name.clone(), i.id.clone()))
        .collect();
    for (f, i) in fields.iter().zip(&mut inputs) {
        if let (
            FieldKind::List {
                per_record: Some(per),
                ..
            },
            Some(list),
        ) = (&f.kind, &mut i.list)
        {
            list.shown_by = per
                .with
                .as_ref()
                .and_then(|with| ids.iter().find(|(name, _)| name == with))
                .map(|(_, id)| id.clone());
        }
    }
    inputs
}

/// List input `i` drawn as the records of `per.collection` in `order`:
/// a row per record carrying its id unseen, showing its text fields and
/// the fields its inputs are filled from, each input labelled by its
/// record ("Accepted quantity of Oat milk") and filled in (at most that
/// value) unless the form comes back with what was typed.
fn per_record(
    form: &str,
    i: &mut Input,
    columns: &[Field],
    per: &PerRecord,
    posted: &Posted<'_>,
    t: &Today<'_>,
    order: &Records<'_>,
) {
    let (Some((collection, records)), Some(list)) = (order.of(per), i.list.as_mut()) else {
        return;
    };
    let shown: Vec<&Field> = collection
        .fields
        .iter()
        .filter(|f| {
            matches!(f.kind, FieldKind::Text { .. }) || per.up_to.values().any(|s| *s == f.id)
        })
        .collect();
    let mut cells = Vec::new();
    let mut rows = Vec::new();
    for (n, record) in records.iter().enumerate() {
        let name = display::record_name(collection, record);
        let prefix = format!("{}.{n}.", i.name);
        let row = columns
            .iter()
            .map(|column| {
                let mut cell = input(form, &prefix, column, posted, t);
                let typed = posted.value(&cell.name).is_some();
                if column.id == per.key {
                    cell.widget = Widget::Hidden;
                    cell.value = display::record_id(record);
                } else if let Some(source) = per.up_to.get(&column.id) {
                    let of = record.get(source).map(|v| display::value(None, v, None));
                    cell.max = of.clone().unwrap_or_default();
                    if !typed {
                        cell.value = of.unwrap_or_default();
                    }
                }
                cell.label = format!("{} of {name}", cell.label);
                cell
            })
            .collect();
        rows.push(row);
        cells.push(
            shown
                .iter()
                .map(|f| {
                    record
                        .get(&f.id)
                        .map(|v| display::value(Some(&f.kind), v, None))
                        .unwrap_or_default()
                })
                .collect(),
        );
    }
    list.columns = columns
        .iter()
        .filter(|c| c.id != per.key)
        .map(display::label)
        .collect();
    list.rows = rows;
    list.records = Some(RecordCells {
        columns: shown
            .iter()
            .map(|f| {
                let numeric = matches!(f.kind, FieldKind::Number { .. } | FieldKind::Money { .. });
                (display::label(f), numeric)
            })
            .collect(),
        rows: cells,
    });
}

fn input(form: &str, prefix: &str, f: &Field, posted: &Posted<'_>, t: &Today<'_>) -> Input {
    let name = format!("{prefix}{}", f.id);
    let mut i = Input {
        id: format!("{form}-{}", name.replace('.', "-")),
        name: name.clone(),
        label: if f.label.is_empty() {
            f.id.replace('_', " ")
        } else {
            f.label.clone()
        },
        widget: Widget::Text,
        required: f.required,
        value: posted.value(&name).unwrap_or("").to_owned(),
        hint: f.description.clone(),
        error: posted.error(&name),
        min: String::new(),
        max: String::new(),
        step: String::new(),
        options: Vec::new(),
        accept: String::new(),
        max_files: 0,
        list: None,
        quick: Vec::new(),
    };
    match &f.kind {
        FieldKind::Text { max_length, .. } => {
            if max_length.is_none_or(|m| m > 300) {
                i.widget = Widget::LongText;
            }
        }
        FieldKind::Number {
            min, max, integer, ..
        } => {
            i.widget = Widget::Number;
            i.min = min.map(|m| m.to_string()).unwrap_or_default();
            i.max = max.map(|m| m.to_string()).unwrap_or_default();
            i.step = if *integer { "1" } else { "any" }.to_owned();
        }
        FieldKind::Money { .. } => i.widget = Widget::Money,
        FieldKind::Date {
            min,
            max,
            timezone_of,
        } => {
            i.widget = Widget::Date;
            let day = today(t.settings, timezone_of.as_deref(), t.now);
            let bound = |b: &Option<String>| {
                b.as_deref()
                    .and_then(|b| date_bound(b, day))
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            };
            i.min = bound(min);
            i.max = bound(max);
            let relative = [min, max]
                .iter()
                .any(|b| b.as_deref().is_some_and(|b| b.starts_with("today")));
            let zone = time_zone(t.settings, timezone_of.as_deref())
                .map_or_else(|| "UTC".to_owned(), |z| z.name().to_owned());
            if let Some(range) = date_range(&i.min, &i.max, relative.then_some((day, zone))) {
                add_sentence(&mut i.hint, range);
            }
            if i.min == day.to_string() {
                let next = day.succ_opt().map(|d| d.to_string()).unwrap_or_default();
                i.quick = vec![
                    ("Today".to_owned(), day.to_string()),
                    ("Tomorrow".to_owned(), next),
                ];
                i.quick.retain(|(_, d)| i.max.is_empty() || *d <= i.max);
            }
        }
        FieldKind::Enum { values } => {
            i.widget = Widget::Select;
            i.options = values
                .iter()
                .map(|v| (v.clone(), v.replace('_', " "), i.value == *v))
                .collect();
        }
        FieldKind::Bool => i.widget = Widget::Checkbox,
        FieldKind::Files {
            max_count,
            media_types,
        } => {
            i.widget = Widget::Files;
            i.max_files = *max_count;
            i.accept = media_types.join(",");
            if *max_count > 1 {
                let images =
                    !media_types.is_empty() && media_types.iter().all(|m| m.starts_with("image/"));
                let what = if images { "images" } else { "files" };
                add_sentence(&mut i.hint, format!("Up to {max_count} {what}."));
            }
        }
        FieldKind::List { fields, .. } if !fields.is_empty() => {
            i.widget = Widget::List;
            let rows = posted.rows(&name).max(1);
            i.list = Some(ListInput {
                body_id: format!("{}-rows", i.id),
                columns: fields.iter().map(|c| c.label.clone()).collect(),
                rows: (0..rows)
                    .map(|n| {
                        fields
                            .iter()
                            .map(|c| input(form, &format!("{name}.{n}."), c, posted, t))
                            .collect()
                    })
                    .collect(),
                error: i.error.take(),
                records: None,
                shown_by: None,
            });
        }
        FieldKind::List { items: Some(_), .. } => {
            if i.hint.is_empty() {
                i.hint = "Separate several with commas.".to_owned();
            } else {
                i.hint.push_str(" (separate several with commas)");
            }
        }
        _ => i.widget = Widget::LongText,
    }
    i
}

/// Adds a sentence to a hint, after what the workflow describes.
fn add_sentence(hint: &mut String, sentence: String) {
    *hint = match hint.trim_end_matches('.') {
        "" => sentence,
        described => format!("{described}. {sentence}"),
    };
}

/// The dates a date input allows, as its hint says them: `Allowed dates:
/// 30 Nov 2026 or later (today is 30 Nov 2026 in Europe/Berlin).` The day
/// and zone are named where a bound is relative to today, since "today"
/// is the party's, not the reader's.
fn date_range(min: &str, max: &str, today: Option<(NaiveDate, String)>) -> Option<String> {
    let range = match (min.is_empty(), max.is_empty()) {
        (true, true) => return None,
        (false, true) => format!("{} or later", format::date(min)),
        (true, false) => format!("{} or earlier", format::date(max)),
        (false, false) => format!("{} to {}", format::date(min), format::date(max)),
    };
    let today = today
        .map(|(day, zone)| format!(" (today is {} in {zone})", format::date(&day.to_string())))
        .unwrap_or_default();
    Some(format!("Allowed dates: {range}{today}."))
}

/// The JSON inputs of a posted form: empty fields are left out (the
/// application says which are required), numbers that do not read as
/// numbers are sent as typed (the application says why they are wrong),
/// and list rows left wholly empty are dropped.
pub fn read(fields: &[Field], posted: &[(String, String)]) -> Value {
    Value::Object(read_record(fields, "", posted))
}

fn read_record(fields: &[Field], prefix: &str, posted: &[(String, String)]) -> Map<String, Value> {
    let mut out = Map::new();
    for f in fields {
        let name = format!("{prefix}{}", f.id);
        let text = posted
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.trim());
        let value = match &f.kind {
            FieldKind::Bool => Some(Value::Bool(ticked(posted, &name))),
            // Rows shown only while a box is ticked are not sent unticked.
            FieldKind::List {
                per_record:
                    Some(PerRecord {
                        with: Some(with), ..
                    }),
                ..
            } if !ticked(posted, &format!("{prefix}{with}")) => None,
            FieldKind::List {
                fields: columns, ..
            } if !columns.is_empty() => {
                let rows = Posted {
                    values: posted,
                    problems: &[],
                }
                .rows(&name);
                let records: Vec<Value> = (0..rows)
                    .map(|n| read_record(columns, &format!("{name}.{n}."), posted))
                    .filter(|r| r.values().any(|v| !matches!(v, Value::Bool(false))))
                    .map(Value::Object)
                    .collect();
                (!records.is_empty()).then_some(Value::Array(records))
            }
            // Typed as one field (`1, 3`) or ticked as several
            // checkboxes of one name (a work plan's tasks): all of them.
            FieldKind::List {
                items: Some(item), ..
            } => {
                let values: Vec<Value> = posted
                    .iter()
                    .filter(|(k, _)| *k == name)
                    .flat_map(|(_, v)| v.split(','))
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(|v| match **item {
                        FieldKind::Number { .. } => number(v),
                        _ => Value::String(v.to_owned()),
                    })
                    .collect();
                (!values.is_empty()).then_some(Value::Array(values))
            }
            FieldKind::Files { .. } => None,
            FieldKind::Number { .. } => text.filter(|t| !t.is_empty()).map(number),
            _ => text
                .filter(|t| !t.is_empty())
                .map(|t| Value::String(t.to_owned())),
        };
        if let Some(v) = value {
            out.insert(f.id.clone(), v);
        }
    }
    out
}

/// Whether checkbox `name` was ticked.
fn ticked(posted: &[(String, String)], name: &str) -> bool {
    posted
        .iter()
        .any(|(k, v)| k == name && matches!(v.trim(), "true" | "on"))
}

fn number(text: &str) -> Value {
    if let Ok(n) = text.parse::<i64>() {
        return Value::Number(n.into());
    }
    text.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(Value::Number)
        .unwrap_or_else(|| Value::String(text.to_owned()))
}

/// Refusal messages that name no field of the form: they go above it.
pub fn general_messages(p: &Problem, inputs: &[Input]) -> Vec<String> {
    let mut names = Vec::new();
    // A message about a value the form carries unseen goes above it.
    for i in inputs {
        names.push(i.name.clone());
        if let Some(list) = &i.list {
            names.extend(
                list.rows
                    .iter()
                    .flatten()
                    .filter(|c| c.widget != Widget::Hidden)
                    .map(|c| c.name.clone()),
            );
        }
    }
    let fields = p.fields.as_deref().unwrap_or_default();
    let mut out: Vec<String> = fields
        .iter()
        .filter(|f| !names.contains(&f.field))
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect();
    if fields.is_empty() {
        out.push(p.message.clone().unwrap_or_else(|| p.detail.clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields() -> Vec<Field> {
        let toml = r#"
            inputs = [
              { id = "lines", label = "Lines", type = "list", fields = [
                { id = "product", label = "Product", type = "text", max_length = 200 },
                { id = "quantity", label = "Quantity", type = "number", integer = true },
              ] },
              { id = "due", label = "Due", type = "date", min = "today" },
              { id = "partial", label = "Partial", type = "bool" },
              { id = "note", label = "Note", type = "text" },
              { id = "tasks", label = "Tasks", type = "list", items = { type = "number", integer = true } },
            ]
        "#;
        #[derive(serde::Deserialize)]
        struct T {
            inputs: Vec<Field>,
        }
        toml::from_str::<T>(toml)
            .map(|t| t.inputs)
            .unwrap_or_default()
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_posted_form_reads_as_the_inputs_json() {
        let posted = pairs(&[
            ("lines.0.product", "Crown"),
            ("lines.0.quantity", "2"),
            ("lines.1.product", ""),
            ("lines.1.quantity", ""),
            ("lines.2.product", "Bridge"),
            ("lines.2.quantity", "two"),
            ("due", ""),
            ("note", " hello "),
            ("tasks", "1, 3,"),
            ("tasks", "7"),
        ]);
        assert_eq!(
            read(&fields(), &posted),
            json!({
                "lines": [
                    {"product": "Crown", "quantity": 2},
                    {"product": "Bridge", "quantity": "two"}
                ],
                "partial": false,
                "note": "hello",
                "tasks": [1, 3, 7]
            })
        );
    }

    #[test]
    fn messages_go_beside_the_fields_they_name() {
        let posted = pairs(&[("lines.0.product", "Crown"), ("lines.0.quantity", "0")]);
        let problems = vec![
            FieldProblem {
                field: "lines.0.quantity".to_owned(),
                message: "must be at least 1".to_owned(),
            },
            FieldProblem {
                field: "parties.lab".to_owned(),
                message: "required".to_owned(),
            },
        ];
        let settings = PartySettings::new();
        let t = Today {
            settings: &settings,
            now: Utc::now(),
        };
        let form = inputs(
            "f",
            &fields(),
            &Posted {
                values: &posted,
                problems: &problems,
            },
            &t,
            None,
        );
        let list = form[0]
            .list
            .as_ref()
            .map(|l| l.rows.clone())
            .unwrap_or_default();
        assert_eq!(list[0][1].error.as_deref(), Some("must be at least 1"));
        assert_eq!(list[0][1].value, "0");
        assert_eq!(list[0][1].id, "f-lines-0-quantity");
        assert_eq!(form[1].min, t.now.date_naive().to_string());
        assert!(form[3].is("long_text"));
        let mut p = Problem::new(422, "invalid_input", "Invalid input", "invalid");
        p.fields = Some(problems);
        assert_eq!(general_messages(&p, &form), vec!["parties.lab: required"]);
    }

    /// Purchasing's `accept`: a quantity per line, shown with "Partial".
    fn accept() -> (Vec<Field>, Vec<Collection>) {
        #[derive(serde::Deserialize)]
        struct T {
            inputs: Vec<Field>,
            collections: Vec<Collection>,
        }
        let toml = r#"
            inputs = [
              { id = "partial", label = "Partial", type = "bool" },
              { id = "lines", label = "Accepted quantities", type = "list", description = "for API callers",
                per_record = { collection = "lines", key = "line", up_to = { quantity = "quantity" }, with = "partial" },
                fields = [
                  { id = "line", label = "Line", type = "number", integer = true, min = 1 },
                  { id = "quantity", label = "Accepted quantity", type = "number", integer = true, min = 0 },
                ] },
            ]
            [[collections]]
            id = "lines"
            fields = [
              { id = "product", label = "Product", type = "text" },
              { id = "quantity", label = "Quantity", type = "number", integer = true },
              { id = "unit_price", label = "Unit price", type = "money" },
            ]
        "#;
        toml::from_str::<T>(toml)
            .map(|t| (t.inputs, t.collections))
            .unwrap_or_default()
    }

    #[test]
    #[allow(clippy::expect_used, clippy::panic)]
    fn a_list_per_record_is_a_row_per_record_filled_in() {
        let (fields, collections) = accept();
        let data = json!({"lines": [
            {"id": 1, "product": "Oat milk", "quantity": 24, "unit_price": 190},
            {"id": 2, "product": "Cups", "quantity": 500, "unit_price": 5},
        ]});
        let records = Records {
            collections: &collections,
            data: &data,
        };
        let settings = PartySettings::new();
        let t = Today {
            settings: &settings,
            now: Utc::now(),
        };
        let problems = vec![FieldProblem {
            field: "lines.1.quantity".to_owned(),
            message: "too many".to_owned(),
        }];
        let typed = pairs(&[("lines.1.quantity", "600")]);
        for (posted, cups) in [
            (Posted::default(), ("500", None)),
            (
                Posted {
                    values: &typed,
                    problems: &problems,
                },
                ("600", Some("too many")),
            ),
        ] {
            let form = inputs("f", &fields, &posted, &t, Some(&records));
            let list = form[1].list.clone().expect("a table");
            assert_eq!(list.shown_by.as_deref(), Some("f-partial"));
            assert_eq!(list.columns, ["Accepted quantity"]);
            let shown = list.records.expect("the records' cells");
            assert_eq!(
                shown.columns,
                [("Product".to_owned(), false), ("Quantity".to_owned(), true)]
            );
            assert_eq!(shown.row(1), [("Cups", false), ("500", true)]);
            let [key, quantity] = &list.rows[1][..] else {
                panic!("two cells")
            };
            assert!(key.is("hidden"));
            assert_eq!(
                (key.name.as_str(), key.value.as_str()),
                ("lines.1.line", "2")
            );
            assert_eq!(quantity.label, "Accepted quantity of Cups");
            assert_eq!((quantity.min.as_str(), quantity.max.as_str()), ("0", "500"));
            assert_eq!(quantity.value, cups.0);
            assert_eq!(quantity.error.as_deref(), cups.1);
            assert_eq!(list.rows[0][1].value, "24");
        }
        // Without the order (a new order's form) it is a plain table.
        let form = inputs("f", &fields, &Posted::default(), &t, None);
        assert!(form[1].list.as_ref().is_some_and(|l| l.records.is_none()));
    }

    #[test]
    fn a_list_shown_by_a_box_is_sent_only_while_it_is_ticked() {
        let (fields, _) = accept();
        let rows = [
            ("lines.0.line", "1"),
            ("lines.0.quantity", "24"),
            ("lines.1.line", "2"),
            ("lines.1.quantity", "300"),
        ];
        assert_eq!(read(&fields, &pairs(&rows)), json!({"partial": false}));
        let mut ticked = pairs(&rows);
        ticked.push(("partial".to_owned(), "true".to_owned()));
        assert_eq!(
            read(&fields, &ticked),
            json!({"partial": true, "lines": [
                {"line": 1, "quantity": 24},
                {"line": 2, "quantity": 300},
            ]})
        );
    }

    #[test]
    fn a_date_says_its_range_in_the_time_zone_of_the_party_it_is_read_in() {
        #[derive(serde::Deserialize)]
        struct T {
            inputs: Vec<Field>,
        }
        let toml = r#"inputs = [
            { id = "due", label = "Due", type = "date", min = "today", max = "today+30", timezone_of = "customer" },
            { id = "made", label = "Made", type = "date", max = "2026-12-31" },
            { id = "any", label = "Any", type = "date", description = "Whenever." },
            { id = "soon", label = "Soon", type = "date", min = "2026-03-01", description = "Soon" },
        ]"#;
        let fields = toml::from_str::<T>(toml)
            .map(|t| t.inputs)
            .unwrap_or_default();
        let mut settings = PartySettings::new();
        settings.insert(
            "customer".to_owned(),
            json!({"time_zone": "Pacific/Kiritimati"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        let t = Today {
            settings: &settings,
            // Already 3 March on Kiritimati (UTC+14).
            now: DateTime::parse_from_rfc3339("2026-03-02T20:00:00Z")
                .map(|d| d.with_timezone(&Utc))
                .unwrap_or_default(),
        };
        let form = inputs("f", &fields, &Posted::default(), &t, None);
        assert_eq!(
            form[0].hint,
            "Allowed dates: 3 Mar 2026 to 2 Apr 2026 (today is 3 Mar 2026 in Pacific/Kiritimati)."
        );
        assert_eq!(form[0].min, "2026-03-03");
        assert_eq!(form[1].hint, "Allowed dates: 31 Dec 2026 or earlier.");
        assert_eq!(form[2].hint, "Whenever.");
        assert_eq!(form[3].hint, "Soon. Allowed dates: 1 Mar 2026 or later.");
    }
}
