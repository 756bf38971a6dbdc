//! Drawings of a workflow (Mermaid, Graphviz dot, and SVG in [`svg`]).
//!
//! The order's states come first, then one section per child kind. An edge
//! is labelled by the actions that take it (`publish`), the automatic
//! transitions (`auto: paid_in_full`) and the status rules (`rule`); a status
//! rule that applies from any state starts at an "any state" node. Actions
//! that stay in place draw no edge. Final states are marked (`--> [*]` in
//! Mermaid, a double border in dot). The output depends only on the
//! definition, in its order, so it can be snapshot-tested and diffed.

pub mod svg;

use crate::definition::{Action, ChildKind, Definition, EffectKind, State, StatusRule};

/// A Mermaid `stateDiagram-v2`.
pub fn mermaid(def: &Definition) -> String {
    let mut out = String::from("stateDiagram-v2\n");
    let order = Graph::order(def);
    order.mermaid(&mut out, "    ");
    let mut finals = order.finals();
    for kind in &def.children {
        let graph = Graph::kind(def, kind);
        out.push_str(&format!(
            "    state \"{}\" as {} {{\n",
            mermaid_label(&format!("{} ({})", kind.label, kind.id)),
            graph.node_id(End::Kind)
        ));
        graph.mermaid(&mut out, "        ");
        out.push_str("    }\n");
        finals.extend(graph.finals());
    }
    if !finals.is_empty() {
        out.push_str("    classDef finalState font-weight:bold,stroke-width:3px\n");
        out.push_str(&format!("    class {} finalState\n", finals.join(",")));
    }
    out
}

/// A Graphviz `digraph`; child kinds are clusters.
pub fn dot(def: &Definition) -> String {
    let mut out = format!("digraph {} {{\n", dot_string(&def.id));
    out.push_str("    rankdir=LR;\n");
    out.push_str(&format!("    label={};\n", dot_string(&def.label)));
    out.push_str("    node [shape=box, style=rounded];\n");
    Graph::order(def).dot(&mut out, "    ");
    for kind in &def.children {
        out.push_str(&format!(
            "    subgraph {} {{\n",
            dot_string(&format!("cluster_{}", kind.id))
        ));
        out.push_str(&format!(
            "        label={};\n",
            dot_string(&format!("{} ({})", kind.label, kind.id))
        ));
        Graph::kind(def, kind).dot(&mut out, "        ");
        out.push_str("    }\n");
    }
    out.push_str("}\n");
    out
}

/// One end of an edge.
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    Start,
    /// Every state (a status rule without `from`).
    Any,
    State(usize),
    /// The section of a child kind itself.
    Kind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Action,
    Automatic,
    Rule,
}

struct Edge {
    from: End,
    to: End,
    style: Style,
    labels: Vec<String>,
}

/// The states and edges of the order or of one child kind.
struct Graph<'d> {
    /// `""` for the order, else the kind's id: prefixes node ids so kinds'
    /// states never clash with the order's.
    prefix: String,
    states: &'d [State],
    edges: Vec<Edge>,
}

impl<'d> Graph<'d> {
    fn order(def: &'d Definition) -> Self {
        let mut g = Graph {
            prefix: String::new(),
            states: &def.states,
            edges: Vec::new(),
        };
        match def.create_action() {
            Some(create) if create.to.is_some() => {
                for target in create.targets() {
                    g.edge_to(End::Start, target, Style::Action, &create.id);
                }
            }
            // Without a target, orders start in the first state (and status
            // rules move them on).
            create if !def.states.is_empty() => {
                let label = create.map_or("", |a| a.id.as_str());
                g.add(End::Start, End::State(0), Style::Action, label);
            }
            _ => {}
        }
        g.actions(&def.actions);
        for a in &def.automatic {
            for i in available(&a.from, g.states) {
                g.edge_to(
                    End::State(i),
                    &a.to,
                    Style::Automatic,
                    &format!("auto: {}", a.id),
                );
            }
        }
        g.rules(&def.status_rules);
        g
    }

    fn kind(def: &'d Definition, kind: &'d ChildKind) -> Self {
        let mut g = Graph {
            prefix: kind.id.clone(),
            states: &kind.states,
            edges: Vec::new(),
        };
        if !kind.states.is_empty() {
            g.add(End::Start, End::State(0), Style::Action, "");
        }
        g.actions(&kind.actions);
        g.rules(&kind.status_rules);
        // Cascades from the order's actions, automatic transitions and
        // other kinds' actions, labelled by what sets them off.
        let sources = def
            .actions
            .iter()
            .map(|a| (a.id.clone(), &a.effects))
            .chain(
                def.automatic
                    .iter()
                    .map(|a| (format!("auto: {}", a.id), &a.effects)),
            )
            .chain(
                def.children
                    .iter()
                    .flat_map(|k| &k.actions)
                    .map(|a| (a.id.clone(), &a.effects)),
            );
        for (by, effects) in sources {
            for e in effects {
                let EffectKind::MoveChildren { kind: k, from, to } = &e.kind else {
                    continue;
                };
                if *k != kind.id {
                    continue;
                }
                for (i, s) in kind.states.iter().enumerate() {
                    let moves = if from.is_empty() {
                        !s.is_final
                    } else {
                        from.contains(&s.id)
                    };
                    if moves {
                        g.edge_to(End::State(i), to, Style::Action, &by);
                    }
                }
            }
        }
        g
    }

    fn position(&self, id: &str) -> Option<usize> {
        self.states.iter().position(|s| s.id == id)
    }

    fn actions(&mut self, actions: &[Action]) {
        for a in actions.iter().filter(|a| !a.creates) {
            for i in available(&a.from, self.states) {
                for t in a.targets() {
                    self.edge_to(End::State(i), t, Style::Action, &a.id);
                }
            }
        }
    }

    fn rules(&mut self, rules: &[StatusRule]) {
        for r in rules {
            if r.from.is_empty() {
                self.edge_to(End::Any, &r.status, Style::Rule, "rule");
                continue;
            }
            for i in available(&r.from, self.states) {
                self.edge_to(End::State(i), &r.status, Style::Rule, "rule");
            }
        }
    }

    /// An edge to a state named by id (nothing when it is unknown).
    fn edge_to(&mut self, from: End, to: &str, style: Style, label: &str) {
        if let Some(t) = self.position(to) {
            self.add(from, End::State(t), style, label);
        }
    }

    /// Adds a label to the edge `from → to` of this style, or a new edge.
    /// Self-loops are left out: they move nothing.
    fn add(&mut self, from: End, to: End, style: Style, label: &str) {
        if from == to {
            return;
        }
        let edge = match self
            .edges
            .iter_mut()
            .find(|e| e.from == from && e.to == to && e.style == style)
        {
            Some(e) => e,
            None => {
                self.edges.push(Edge {
                    from,
                    to,
                    style,
                    labels: Vec::new(),
                });
                let last = self.edges.len() - 1;
                &mut self.edges[last]
            }
        };
        if !label.is_empty() && !edge.labels.iter().any(|l| l == label) {
            edge.labels.push(label.to_owned());
        }
    }

    fn node_id(&self, end: End) -> String {
        let base = match end {
            End::Start => "start".to_owned(),
            End::Any => "any_state".to_owned(),
            End::Kind => "kind".to_owned(),
            End::State(i) => self
                .states
                .get(i)
                .map_or_else(String::new, |s| s.id.clone()),
        };
        let id = if self.prefix.is_empty() {
            base
        } else {
            format!("{}__{base}", self.prefix)
        };
        id.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    }

    fn uses_any(&self) -> bool {
        self.edges.iter().any(|e| e.from == End::Any)
    }

    fn finals(&self) -> Vec<String> {
        (0..self.states.len())
            .filter(|&i| self.states[i].is_final)
            .map(|i| self.node_id(End::State(i)))
            .collect()
    }

    fn mermaid(&self, out: &mut String, indent: &str) {
        for (i, s) in self.states.iter().enumerate() {
            out.push_str(&format!(
                "{indent}state \"{}\" as {}\n",
                mermaid_label(&s.label),
                self.node_id(End::State(i))
            ));
        }
        if self.uses_any() {
            out.push_str(&format!(
                "{indent}state \"any state\" as {}\n",
                self.node_id(End::Any)
            ));
        }
        for e in &self.edges {
            let from = match e.from {
                End::Start => "[*]".to_owned(),
                other => self.node_id(other),
            };
            let label = if e.labels.is_empty() {
                String::new()
            } else {
                format!(": {}", mermaid_label(&e.labels.join(", ")))
            };
            out.push_str(&format!(
                "{indent}{from} --> {}{label}\n",
                self.node_id(e.to)
            ));
        }
        for id in self.finals() {
            out.push_str(&format!("{indent}{id} --> [*]\n"));
        }
    }

    fn dot(&self, out: &mut String, indent: &str) {
        out.push_str(&format!(
            "{indent}{} [shape=point, label=\"\"];\n",
            dot_string(&self.node_id(End::Start))
        ));
        for (i, s) in self.states.iter().enumerate() {
            let extra = if s.is_final { ", peripheries=2" } else { "" };
            out.push_str(&format!(
                "{indent}{} [label={}{extra}];\n",
                dot_string(&self.node_id(End::State(i))),
                dot_string(&s.label)
            ));
        }
        if self.uses_any() {
            out.push_str(&format!(
                "{indent}{} [shape=plaintext, label=\"any state\"];\n",
                dot_string(&self.node_id(End::Any))
            ));
        }
        for e in &self.edges {
            let style = match e.style {
                Style::Action => "",
                Style::Automatic => ", style=dashed",
                Style::Rule => ", style=dotted",
            };
            out.push_str(&format!(
                "{indent}{} -> {} [label={}{style}];\n",
                dot_string(&self.node_id(e.from)),
                dot_string(&self.node_id(e.to)),
                dot_string(&e.labels.join(", "))
            ));
        }
    }
}

/// The states a `from` list names (ids, `"*"`, `"!id"`), as
/// [`Action::available_in`] reads it.
fn available(from: &[String], states: &[State]) -> Vec<usize> {
    (0..states.len())
        .filter(|&i| {
            let id = states[i].id.as_str();
            let excluded = from.iter().any(|f| f.strip_prefix('!') == Some(id));
            !excluded && from.iter().any(|f| f == id || f == "*")
        })
        .collect()
}

/// Text Mermaid shows as is: no quotes, line breaks or statement ends.
fn mermaid_label(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '"' => "#quot;".to_owned(),
            ';' => "#59;".to_owned(),
            '\n' | '\r' => " ".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

/// A quoted dot string.
fn dot_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
