//! The templates of `notify`: every template a notification names is
//! declared, each compiles, and each reads only what
//! [`mail::context`](crate::mail::context) gives it (the inputs: of an
//! action that sends it).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::source::Path;
use super::validate::Issue;
use super::vars::known;
use crate::definition::{Definition, Effect, EffectKind, Field};
use crate::mail::{self, ACTION_KEYS, ORDER_KEYS, PARTY_KEYS, ROOTS};

/// One `notify` effect: where it is, the template it names and the inputs
/// of the action that runs it (none for an automatic transition).
struct Notify<'d> {
    path: Path,
    template: &'d str,
    inputs: &'d [Field],
}

pub(super) fn check(def: &Definition, out: &mut Vec<Issue>) {
    let root = Path::root();
    let notifies = notifies(def);
    let declared: HashSet<&str> = def.templates.iter().map(|t| t.id.as_str()).collect();
    for n in &notifies {
        if !n.template.trim().is_empty() && !declared.contains(n.template) {
            out.push(Issue {
                path: n.path.key("template"),
                message: format!(
                    "template \"{}\" is not declared (declared: {}); add it under [[templates]]",
                    n.template,
                    known(def.templates.iter().map(|t| t.id.as_str()))
                ),
            });
        }
    }
    let mut inputs: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for n in &notifies {
        inputs
            .entry(n.template)
            .or_default()
            .extend(n.inputs.iter().map(|f| f.id.as_str()));
    }
    let mut seen = HashSet::new();
    for (i, t) in def.templates.iter().enumerate() {
        let path = root.at("templates", i);
        if !seen.insert(t.id.as_str()) {
            out.push(Issue {
                path: path.key("id"),
                message: format!("template \"{}\" is declared twice", t.id),
            });
        }
        let reads = Reads {
            def,
            inputs: inputs.get(t.id.as_str()),
        };
        let parts = [
            ("subject", Some(&t.subject)),
            ("text", Some(&t.text)),
            ("html", t.html.as_ref()),
        ];
        for (part, source) in parts {
            let Some(source) = source else { continue };
            let path = path.key(part);
            match mail::variables(part, source) {
                Err(e) => out.push(Issue {
                    path,
                    message: format!("template \"{}\" does not compile: {e}", t.id),
                }),
                Ok(vars) => {
                    for var in vars {
                        if let Some(why) = reads.unknown(&var) {
                            out.push(Issue {
                                path: path.clone(),
                                message: format!("template \"{}\" reads {var}, which {why}", t.id),
                            });
                        }
                    }
                }
            }
        }
    }
}

fn notifies(def: &Definition) -> Vec<Notify<'_>> {
    let root = Path::root();
    let mut list = Vec::new();
    for (i, a) in def.actions.iter().enumerate() {
        push(&mut list, root.at("actions", i), &a.effects, &a.inputs);
    }
    for (k, kind) in def.children.iter().enumerate() {
        for (i, a) in kind.actions.iter().enumerate() {
            push(
                &mut list,
                root.at("children", k).at("actions", i),
                &a.effects,
                &a.inputs,
            );
        }
    }
    for (i, a) in def.automatic.iter().enumerate() {
        push(&mut list, root.at("automatic", i), &a.effects, &[]);
    }
    list
}

fn push<'d>(out: &mut Vec<Notify<'d>>, path: Path, effects: &'d [Effect], inputs: &'d [Field]) {
    for (j, e) in effects.iter().enumerate() {
        if let EffectKind::Notify { template, .. } = &e.kind {
            out.push(Notify {
                path: path.at("effects", j),
                template,
                inputs,
            });
        }
    }
}

/// What one template may read.
struct Reads<'d> {
    def: &'d Definition,
    /// The inputs of the actions that send it.
    inputs: Option<&'d BTreeSet<&'d str>>,
}

impl Reads<'_> {
    /// Why `var` (a dotted path) is not something the template is given,
    /// or `None` when it is.
    fn unknown(&self, var: &str) -> Option<String> {
        let parts: Vec<&str> = var.split('.').collect();
        let def = self.def;
        let root = parts.first().copied().unwrap_or_default();
        let second = parts.get(1).copied();
        let third = parts.get(2).copied();
        let not_one_of = |what: &str, names: &mut dyn Iterator<Item = &str>| {
            Some(format!("is not {what} (known: {})", known(names)))
        };
        match (root, second) {
            (r, _) if !ROOTS.contains(&r) => {
                not_one_of("something a template is given", &mut ROOTS.iter().copied())
            }
            ("order", Some(key)) => {
                let ok = ORDER_KEYS.contains(&key)
                    || def.fields.iter().any(|f| f.id == key)
                    || def.collections.iter().any(|c| c.id == key)
                    || def.computed.iter().any(|c| c.id == key);
                if ok {
                    None
                } else {
                    let mut names = ORDER_KEYS
                        .iter()
                        .copied()
                        .chain(def.fields.iter().map(|f| f.id.as_str()))
                        .chain(def.collections.iter().map(|c| c.id.as_str()))
                        .chain(def.computed.iter().map(|c| c.id.as_str()));
                    not_one_of("a member of the order", &mut names)
                }
            }
            ("parties", Some(slot)) => {
                if !def.parties.iter().any(|p| p.id == slot) {
                    not_one_of(
                        "a party slot",
                        &mut def.parties.iter().map(|p| p.id.as_str()),
                    )
                } else if third.is_some_and(|k| !PARTY_KEYS.contains(&k)) {
                    not_one_of("a member of a party", &mut PARTY_KEYS.iter().copied())
                } else {
                    None
                }
            }
            ("party", Some(key)) if !PARTY_KEYS.contains(&key) => {
                not_one_of("a member of a party", &mut PARTY_KEYS.iter().copied())
            }
            ("action", Some(key)) if !ACTION_KEYS.contains(&key) => {
                not_one_of("a member of the action", &mut ACTION_KEYS.iter().copied())
            }
            ("input", Some(key)) => match self.inputs {
                Some(ids) if ids.contains(key) => None,
                Some(ids) => not_one_of(
                    "an input of an action that sends this template",
                    &mut ids.iter().copied(),
                ),
                None => Some("is not an input: no action sends this template".to_owned()),
            },
            _ => None,
        }
    }
}
