//! An order as the order page and the print view show it: parties by
//! name, fields and computed values with their labels, records as tables,
//! items with their status.

use std::collections::BTreeMap;

use orderflow_core::definition::{Definition, Field};
use serde_json::Value;

use crate::Web;
use crate::badge::Badge;
use crate::checklist::Checklist;
use crate::display;
use crate::format;
use crate::names::{Names, order_name};
use crate::order::Loaded;
use crate::session::{Session, url_encode};

pub struct Table {
    pub title: String,
    pub columns: Vec<String>,
    /// Columns aligned as numbers.
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
    /// The collection the rows are the records of.
    pub collection: Option<String>,
    /// The rows as progress bars, when they measure progress.
    pub bars: Vec<Bar>,
    /// The rows' tick controls (the order page fills them in).
    pub checklist: Option<Checklist>,
}

impl Table {
    /// The table without the columns no record fills (a work plan with
    /// no assignees): narrower, so it fits a phone.
    fn without_empty_columns(mut self) -> Self {
        let keep: Vec<bool> = (0..self.columns.len())
            .map(|c| {
                self.rows
                    .iter()
                    .any(|r| r.get(c).is_some_and(|v| !v.is_empty()))
            })
            .collect();
        self.columns = kept(self.columns, &keep);
        self.numeric = kept(self.numeric, &keep);
        self.rows = self.rows.into_iter().map(|r| kept(r, &keep)).collect();
        self
    }
}

/// The items whose column `keep` keeps (columns past its end are kept).
fn kept<T>(items: Vec<T>, keep: &[bool]) -> Vec<T> {
    items
        .into_iter()
        .enumerate()
        .filter(|(n, _)| keep.get(*n).copied().unwrap_or(true))
        .map(|(_, v)| v)
        .collect()
}

/// A record that measures progress (`allocated` of `required`) as a bar.
pub struct Bar {
    pub id: String,
    pub label: String,
    /// The bar's `value` and `max` (a requirement of zero is met: 1 of 1).
    pub value: f64,
    pub max: f64,
    /// What the bar says in words: `12 of 20 (60%)`.
    pub text: String,
}

pub struct OrderPage {
    pub id: String,
    pub title: String,
    /// The order's number (or short id), which the title ends with: kept
    /// on one line at phone width.
    pub name: String,
    pub href: String,
    pub print_href: String,
    pub pdf_href: String,
    /// Where the page hears of the order's changes after this version.
    pub live_href: String,
    pub workflow: String,
    pub badge: String,
    pub version: u64,
    pub currency: Option<String>,
    pub parties: Vec<(String, String)>,
    pub facts: Vec<(String, String)>,
    pub tables: Vec<Table>,
    pub created: String,
    pub updated: String,
    pub in_status: String,
}

/// Children counted per state, per kind, as people read them: `("Jobs",
/// "2 Open · 1 Pending")`, states in the kind's order, none left out but
/// those with no child.
fn per_state(
    def: &Definition,
    counts: &BTreeMap<String, BTreeMap<String, u64>>,
) -> Vec<(String, String)> {
    counts
        .iter()
        .filter_map(|(kind, by_state)| {
            let kind = def.child_kind(kind)?;
            let text = kind
                .states
                .iter()
                .filter_map(|s| {
                    let n = by_state.get(&s.id).copied().filter(|n| *n > 0)?;
                    Some(format!("{n} {}", s.label))
                })
                .collect::<Vec<_>>()
                .join(" · ");
            (!text.is_empty()).then(|| (kind.label.clone(), text))
        })
        .collect()
}

fn numeric(field: &Field) -> bool {
    use orderflow_core::definition::FieldKind;
    matches!(
        field.kind,
        FieldKind::Money { .. } | FieldKind::Number { .. }
    )
}

pub async fn order_page(web: &Web, l: &Loaded, _session: &Session) -> OrderPage {
    let v = &l.view;
    let def = &l.wf.def;
    let currency = Some(v.currency.clone());
    let cur = currency.as_deref();
    let names = Names::of(web, v.parties.values().cloned().collect()).await;
    let parties = def
        .parties
        .iter()
        .filter_map(|p| Some((p.label.clone(), names.get(v.parties.get(&p.id)?))))
        .collect();

    let mut facts = Vec::new();
    for f in &def.fields {
        let value = v.data.get(&f.id).unwrap_or(&Value::Null);
        let text = display::value(Some(&f.kind), value, cur);
        if !text.is_empty() {
            facts.push((display::label(f), text));
        }
    }
    // Print-production's jobs by state, for whoever follows the order.
    facts.extend(per_state(def, &v.counts));
    let mut tables = Vec::new();
    for c in &def.computed {
        match v.data.get(&c.id) {
            None | Some(Value::Null) => {}
            Some(Value::Array(rows)) => {
                if let Some(t) = records_table(&c.label, rows, cur) {
                    tables.push(t);
                }
            }
            Some(value) => facts.push((c.label.clone(), display::computed(value, cur))),
        }
    }
    for c in &def.collections {
        let Some(Value::Array(records)) = v.data.get(&c.id) else {
            continue;
        };
        if records.is_empty() {
            continue;
        }
        tables.push(
            Table {
                collection: Some(c.id.clone()),
                bars: Vec::new(),
                checklist: None,
                title: if c.label.is_empty() {
                    c.id.replace('_', " ")
                } else {
                    c.label.clone()
                },
                // Each record's id first: the number an action's input
                // names it by (the line a supplier accepts part of, the
                // requirement evidence is for).
                columns: std::iter::once("#".to_owned())
                    .chain(c.fields.iter().map(display::label))
                    .collect(),
                numeric: std::iter::once(true)
                    .chain(c.fields.iter().map(numeric))
                    .collect(),
                rows: records
                    .iter()
                    .map(|r| {
                        let id = r.get("id").map(Value::to_string).unwrap_or_default();
                        std::iter::once(id)
                            .chain(c.fields.iter().map(|f| {
                                display::value(
                                    Some(&f.kind),
                                    r.get(&f.id).unwrap_or(&Value::Null),
                                    cur,
                                )
                            }))
                            .collect()
                    })
                    .collect(),
            }
            .without_empty_columns(),
        );
    }
    if !v.items.is_empty() {
        let kind = def.children.iter().find(|k| k.parent == "order");
        let fields: Vec<&Field> = kind.map(|k| k.fields.iter().collect()).unwrap_or_default();
        // The item's own children (jobs), counted per state.
        let below = def
            .children
            .iter()
            .filter(|k| kind.is_some_and(|item| k.parent == item.id))
            .map(|k| k.label.clone())
            .collect::<Vec<_>>()
            .join(", ");
        let mut columns = vec!["Status".to_owned(), below];
        columns.extend(fields.iter().map(|f| display::label(f)));
        let mut numeric_cols = vec![false, false];
        numeric_cols.extend(fields.iter().map(|f| numeric(f)));
        tables.push(
            Table {
                collection: None,
                bars: Vec::new(),
                checklist: None,
                title: kind
                    .map(|k| k.label.clone())
                    .unwrap_or_else(|| "Items".to_owned()),
                columns,
                numeric: numeric_cols,
                rows: v
                    .items
                    .iter()
                    .map(|i| {
                        let jobs = per_state(def, &i.counts)
                            .into_iter()
                            .map(|(_, text)| text)
                            .collect::<Vec<_>>()
                            .join("; ");
                        let mut row = vec![format!("{}", i.status.label), jobs];
                        row.extend(fields.iter().map(|f| {
                            display::value(
                                Some(&f.kind),
                                i.data.get(&f.id).unwrap_or(&Value::Null),
                                cur,
                            )
                        }));
                        row
                    })
                    .collect(),
            }
            .without_empty_columns(),
        );
    }
    let now = web.app.now();
    OrderPage {
        id: v.id.clone(),
        title: format!(
            "{} order {}",
            def.label,
            order_name(&v.id, v.number.as_deref())
        ),
        name: order_name(&v.id, v.number.as_deref()).to_string(),
        href: format!("/orders/{}", url_encode(&v.id)),
        print_href: format!("/orders/{}/print", url_encode(&v.id)),
        pdf_href: format!("/orders/{}/print.pdf", url_encode(&v.id)),
        live_href: format!("/orders/{}/live?version={}", url_encode(&v.id), v.version),
        workflow: def.label.clone(),
        badge: Badge(&v.status).to_string(),
        version: v.version,
        currency,
        parties,
        facts,
        tables,
        created: v.created_at.as_ref().map(format::time).unwrap_or_default(),
        updated: v.updated_at.as_ref().map(format::time).unwrap_or_default(),
        in_status: v
            .status_since
            .map(|t| format::age(t, now))
            .unwrap_or_default(),
    }
}

/// A computed list of records (allocation by product type) as a table
/// with the records' own keys as columns.
fn records_table(title: &str, rows: &[Value], currency: Option<&str>) -> Option<Table> {
    let first = rows.first()?.as_object()?;
    let keys: Vec<String> = first.keys().cloned().collect();
    Some(Table {
        collection: None,
        bars: bars(title, rows, &keys),
        checklist: None,
        title: title.to_owned(),
        columns: keys.iter().map(|k| k.replace('_', " ")).collect(),
        numeric: keys
            .iter()
            .map(|k| first.get(k).is_some_and(Value::is_number))
            .collect(),
        rows: rows
            .iter()
            .map(|r| {
                keys.iter()
                    .map(|k| display::value(None, r.get(k).unwrap_or(&Value::Null), currency))
                    .collect()
            })
            .collect(),
    })
}

/// Records that measure progress — numeric `allocated` and `required`
/// (compliance's allocation by product type) — as bars named by their
/// first text; none when the records are not such.
fn bars(title: &str, rows: &[Value], keys: &[String]) -> Vec<Bar> {
    let name_key = keys.iter().find(|k| {
        rows.first()
            .and_then(|r| r.get(k.as_str()))
            .is_some_and(Value::is_string)
    });
    let measured = |r: &Value, k: &str| r.get(k).and_then(Value::as_f64);
    if rows
        .iter()
        .any(|r| measured(r, "allocated").is_none() || measured(r, "required").is_none())
    {
        return Vec::new();
    }
    let prefix: String = title
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    rows.iter()
        .enumerate()
        .map(|(n, r)| {
            let done = measured(r, "allocated").unwrap_or_default();
            let needed = measured(r, "required").unwrap_or_default();
            let shown = |k: &str| display::value(None, r.get(k).unwrap_or(&Value::Null), None);
            let (value, max) = if needed > 0.0 {
                (done.clamp(0.0, needed), needed)
            } else {
                (1.0, 1.0)
            };
            Bar {
                id: format!("bar-{prefix}-{n}"),
                label: name_key
                    .and_then(|k| r.get(k.as_str()))
                    .and_then(Value::as_str)
                    .map_or_else(|| format!("#{}", n + 1), str::to_owned),
                value,
                max,
                text: format!(
                    "{} of {} ({:.0}%)",
                    shown("allocated"),
                    shown("required"),
                    if needed > 0.0 {
                        done / needed * 100.0
                    } else {
                        100.0
                    }
                ),
            }
        })
        .collect()
}
