//! The messages `notify` effects send, rendered from the workflow's
//! `[[templates]]` (MiniJinja) with what [`context`] gives them.
//!
//! Pure like the rest of the engine: the caller hands in the party names
//! and the public link, so a message depends on nothing but its arguments.
//! The names templates may read are [`ROOTS`] and the keys below them;
//! `workflow check` refuses a template that reads anything else, so a typo
//! is found when the file is checked, not when a message goes out blank.

use std::collections::{BTreeMap, BTreeSet};

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde_json::{Map, Value as Json, json};

use crate::definition::{Definition, EffectKind, Template};
use crate::engine::{Workflow, vars};
use crate::model::{Order, PartySettings};
use crate::money;

/// The channel of e-mail: the message also goes to the inbox of each user
/// of the notified party.
pub const EMAIL_CHANNEL: &str = "email";
/// The channel of the in-app inbox only: no e-mail.
pub const INBOX_CHANNEL: &str = "inbox";
/// The channels whose messages are for people, rendered from a template
/// and kept in the inbox.
pub const PEOPLE_CHANNELS: [&str; 2] = [EMAIL_CHANNEL, INBOX_CHANNEL];

/// What a template may read at its top level.
pub const ROOTS: &[&str] = &["order", "parties", "party", "action", "input", "link"];
/// The order's own members besides its fields, collections and computed
/// values.
pub const ORDER_KEYS: &[&str] = &[
    "id",
    "number",
    "workflow",
    "workflow_label",
    "status",
    "status_label",
    "version",
    "created_at",
    "updated_at",
    "currency",
];
/// What `party` and each `parties.<slot>` hold.
pub const PARTY_KEYS: &[&str] = &["id", "name", "label", "slot"];
/// What `action` holds.
pub const ACTION_KEYS: &[&str] = &["id", "label"];

/// Template instructions one part may run: bounds a loop over a large
/// collection the way expressions are bounded.
const FUEL: u64 = 200_000;

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// One line.
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// An organisation in a slot, as a message names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyName {
    pub organization: String,
    pub name: String,
}

/// What one notification is about: the change's action and inputs and the
/// party told.
#[derive(Debug, Clone, Copy)]
pub struct Occasion<'a> {
    /// The notified slot.
    pub party: &'a str,
    pub action: &'a str,
    /// As the step recorded them (amounts in minor units).
    pub inputs: &'a Json,
    /// The absolute address of the order's page.
    pub link: &'a str,
}

/// What the templates of `wf` see for `order` (as the notified party may
/// read it: records hidden from it left out). Amounts are decimal text in
/// the order's currency (`order.currency`).
pub fn context(
    wf: &Workflow,
    order: &Order,
    settings: &PartySettings,
    names: &BTreeMap<String, PartyName>,
    occasion: Occasion<'_>,
) -> Json {
    let def = &wf.def;
    let seen = order.as_seen_by(&[occasion.party.to_owned()]);
    let mut value = match vars::order_value(wf, &seen, settings) {
        Ok(Json::Object(v)) => v,
        // A computed value that cannot be evaluated leaves it out; the
        // message still goes.
        _ => vars_fallback(&seen),
    };
    money::shown_order(def, &mut value);
    value
        .entry("number")
        .or_insert_with(|| json!(seen.number.as_deref().unwrap_or(&seen.id)));
    value.insert("workflow".into(), json!(def.id));
    value.insert("workflow_label".into(), json!(def.label));
    value.insert("status_label".into(), json!(state_label(def, &seen.status)));
    let party_value = |slot: &str| {
        let label = def
            .parties
            .iter()
            .find(|p| p.id == slot)
            .map_or(slot, |p| p.label.as_str());
        let (id, name) = match names.get(slot) {
            Some(n) => (n.organization.as_str(), n.name.as_str()),
            None => ("", ""),
        };
        json!({"id": id, "name": name, "label": label, "slot": slot})
    };
    let parties: Map<String, Json> = def
        .parties
        .iter()
        .map(|p| (p.id.clone(), party_value(&p.id)))
        .collect();
    let action = def.action(occasion.action);
    let inputs = match action {
        Some(a) => money::shown_record(&a.inputs, occasion.inputs),
        None => occasion.inputs.clone(),
    };
    json!({
        "order": value,
        "parties": parties,
        "party": party_value(occasion.party),
        "action": {
            "id": occasion.action,
            "label": action.map_or(occasion.action, |a| a.label.as_str()),
        },
        "input": inputs,
        "link": occasion.link,
    })
}

fn vars_fallback(order: &Order) -> Map<String, Json> {
    let mut value = order.data.clone();
    value.insert("id".into(), json!(order.id));
    value.insert("status".into(), json!(order.status));
    value.insert("version".into(), json!(order.version));
    value
}

/// The templates a `notify` of the e-mail channel sends: the kinds of
/// e-mail a user may opt out of.
pub fn emailed(def: &Definition) -> BTreeSet<&str> {
    let effects = def
        .actions
        .iter()
        .chain(def.children.iter().flat_map(|k| k.actions.iter()))
        .flat_map(|a| a.effects.iter())
        .chain(def.automatic.iter().flat_map(|a| a.effects.iter()));
    effects
        .filter_map(|e| match &e.kind {
            EffectKind::Notify {
                template, channel, ..
            } if channel == EMAIL_CHANNEL => Some(template.as_str()),
            _ => None,
        })
        .collect()
}

/// The label of the order's state (the id when it has none).
pub fn state_label<'d>(def: &'d Definition, status: &'d str) -> &'d str {
    def.states
        .iter()
        .find(|s| s.id == status)
        .map_or(status, |s| s.label.as_str())
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_fuel(Some(FUEL));
    // A line holding only a tag leaves no blank line behind.
    // (Building fails only for custom delimiters, which this leaves alone.)
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    // An input an action left out reads as nothing, so one template serves
    // every action that sends it (`{% if input.note %}`).
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    // HTML escapes the five characters that matter, not `/`: links stay
    // readable in the message's source.
    env.set_formatter(|out, state, value| {
        if matches!(state.auto_escape(), AutoEscape::Html) && !value.is_safe() {
            if value.is_undefined() || value.is_none() {
                return Ok(());
            }
            out.write_str(&escape(&value.to_string())).map_err(|e| {
                minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string())
            })
        } else {
            minijinja::escape_formatter(out, state, value)
        }
    });
    env.set_auto_escape_callback(|name| {
        if name == "html" {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env
}

/// Renders `template` with `context`; the error names the part that failed.
pub fn render(template: &Template, context: &Json) -> Result<Rendered, String> {
    let env = environment();
    let ctx = minijinja::Value::from(minijinja::value::Serde(context));
    let part = |name: &str, source: &str| {
        env.render_named_str(name, source, &ctx)
            .map_err(|e| format!("template \"{}\", {name}: {e}", template.id))
    };
    let subject = part("subject", &template.subject)?
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let text = part("text", &template.text)?;
    let html = match &template.html {
        Some(source) => part("html", source)?,
        None => html_of_text(&text),
    };
    Ok(Rendered {
        subject,
        text,
        html,
    })
}

/// The variables one part of a template reads, as dotted paths
/// (`order.number`, `parties.supplier.name`), or why it does not compile
/// (with its line in the template).
pub fn variables(part: &str, source: &str) -> Result<Vec<String>, String> {
    let env = environment();
    let template = env
        .template_from_named_str(part, source)
        .map_err(|e| match e.line() {
            Some(line) => format!("line {line} of the {part}: {}", e.detail().unwrap_or("")),
            None => e.to_string(),
        })?;
    let mut out: Vec<String> = template.undeclared_variables(true).into_iter().collect();
    out.sort();
    Ok(out)
}

/// Plain text as HTML: escaped, paragraphs at blank lines, line breaks
/// kept, `http(s)://` addresses made links.
pub fn html_of_text(text: &str) -> String {
    let mut out = String::from("<!DOCTYPE html>\n<html><body>\n");
    for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        out.push_str("<p>");
        let lines: Vec<String> = paragraph.lines().map(linked).collect();
        out.push_str(&lines.join("<br>\n"));
        out.push_str("</p>\n");
    }
    out.push_str("</body></html>\n");
    out
}

fn linked(line: &str) -> String {
    line.split(' ')
        .map(|word| {
            if word.starts_with("https://") || word.starts_with("http://") {
                let url = escape(word);
                format!("<a href=\"{url}\">{url}</a>")
            } else {
                escape(word)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn template(html: Option<&str>) -> Template {
        Template {
            id: "t".into(),
            label: "T".into(),
            subject: "Order {{ order.number }}\n is {{ order.status_label }}".into(),
            text: "{% for l in order.lines %}{{ l.product }} {{ l.unit_price }}\n{% endfor %}{{ input.note }}\nOpen it: {{ link }}".into(),
            html: html.map(str::to_owned),
        }
    }

    #[test]
    fn renders_one_line_subjects_and_escapes_only_html() {
        let ctx = json!({
            "order": {"number": "PO-7", "status_label": "Pending", "lines": [{"product": "<b>", "unit_price": "2.50"}]},
            "input": {},
            "link": "https://of.example/orders/o1",
        });
        let r = render(&template(Some("<p>{{ order.lines[0].product }}</p>")), &ctx).unwrap();
        assert_eq!(r.subject, "Order PO-7 is Pending");
        assert_eq!(r.text, "<b> 2.50\n\nOpen it: https://of.example/orders/o1");
        assert_eq!(r.html, "<p>&lt;b&gt;</p>");
        let r = render(&template(None), &ctx).unwrap();
        assert_eq!(
            r.html,
            "<!DOCTYPE html>\n<html><body>\n<p>&lt;b&gt; 2.50</p>\n<p>Open it: <a href=\"https://of.example/orders/o1\">https://of.example/orders/o1</a></p>\n</body></html>\n"
        );
    }

    #[test]
    fn variables_are_dotted_paths_without_loop_variables() {
        let vars = variables("text", &template(None).text).unwrap();
        assert_eq!(vars, ["input.note", "link", "order.lines"]);
        let err = variables("text", "fine\n{{ order.id ").unwrap_err();
        assert!(err.starts_with("line 2 of the text"), "{err}");
    }

    #[test]
    fn a_runaway_loop_runs_out_of_fuel() {
        let t = Template {
            html: None,
            text:
                "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"
                    .into(),
            ..template(None)
        };
        assert!(render(&t, &json!({})).is_err());
    }
}
