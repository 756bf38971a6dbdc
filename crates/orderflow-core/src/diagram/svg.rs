//! The workflow drawn as SVG, laid out here (no external program): states
//! in columns by their distance from the start, boxes in the states'
//! colours, arrows labelled with the actions' labels and who may take them.
//! An order's page passes the states it went through, and its path and
//! current state are drawn out.
//!
//! Layout: a breadth-first walk from the start gives each state its column;
//! states the walk does not reach go in a last column. Forward edges are
//! curves from a box's right side to the next box's left side; edges back
//! (or within a column) arc below the boxes, so they never cross a label
//! of a forward edge.

use std::collections::{BTreeSet, VecDeque};
use std::fmt::Write;

use super::{End, Graph, Style};
use crate::definition::{Action, Definition};

/// What an order's page marks on the drawing.
#[derive(Debug, Clone, Default)]
pub struct Highlight<'a> {
    /// The states the order went through, oldest first.
    pub path: &'a [String],
    /// Where the order is now.
    pub current: Option<&'a str>,
}

const BOX_HEIGHT: f64 = 40.0;
const ROW_GAP: f64 = 28.0;
const MARGIN: f64 = 24.0;
const CHAR_WIDTH: f64 = 7.4;
const LABEL_CHAR_WIDTH: f64 = 6.2;
const LABEL_CHARS_MAX: usize = 34;
const COLUMN_GAP_MIN: f64 = 120.0;
const ARC_DEPTH: f64 = 34.0;

/// The order's states and transitions as an SVG document.
pub fn order(def: &Definition, highlight: &Highlight<'_>) -> String {
    render(
        &Graph::order(def),
        &def.label,
        &Labels::new(&def.actions, def),
        highlight,
    )
}

/// A child kind's (items, jobs) states and transitions, or None when the
/// workflow has no such kind.
pub fn child(def: &Definition, kind: &str, highlight: &Highlight<'_>) -> Option<String> {
    let k = def.child_kind(kind)?;
    Some(render(
        &Graph::kind(def, k),
        &k.label,
        &Labels::new(&k.actions, def),
        highlight,
    ))
}

/// Edge labels as people read them: an action's label and who may take it.
struct Labels<'d> {
    actions: Vec<&'d Action>,
}

impl<'d> Labels<'d> {
    fn new(own: &'d [Action], def: &'d Definition) -> Self {
        let actions = own
            .iter()
            .chain(&def.actions)
            .chain(def.children.iter().flat_map(|k| &k.actions))
            .collect();
        Self { actions }
    }

    fn text(&self, raw: &str) -> String {
        if let Some(auto) = raw.strip_prefix("auto: ") {
            return format!("automatic: {}", auto.replace('_', " "));
        }
        if raw == "rule" {
            // Dotted lines say it; a word on each would bury the drawing.
            return String::new();
        }
        match self.actions.iter().find(|a| a.id == raw) {
            Some(a) if a.by.is_empty() => a.label.clone(),
            Some(a) => format!("{} ({})", a.label, a.by.join(", ")),
            None => raw.to_owned(),
        }
    }
}

struct Node {
    end: End,
    label: String,
    colour: String,
    is_final: bool,
    x: f64,
    y: f64,
    width: f64,
}

fn render(g: &Graph<'_>, title: &str, labels: &Labels<'_>, hl: &Highlight<'_>) -> String {
    let columns = columns(g);
    let mut nodes: Vec<Node> = Vec::new();
    let width_of = |label: &str| (label.chars().count() as f64 * CHAR_WIDTH + 28.0).max(90.0);
    let edge_texts: Vec<String> = g
        .edges
        .iter()
        .map(|e| {
            let texts: Vec<String> = e.labels.iter().map(|l| labels.text(l)).collect();
            texts
                .into_iter()
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect();
    let longest_label = edge_texts
        .iter()
        .map(|t| t.chars().count().min(LABEL_CHARS_MAX))
        .max()
        .unwrap_or(0);
    let column_gap = (longest_label as f64 * LABEL_CHAR_WIDTH + 24.0).max(COLUMN_GAP_MIN);

    let mut x = MARGIN;
    let mut height: f64 = 0.0;
    for column in &columns {
        let mut y = MARGIN + 16.0;
        let mut column_width: f64 = 0.0;
        for &end in column {
            let (label, colour, is_final) = match end {
                End::State(i) => {
                    let s = &g.states[i];
                    (s.label.clone(), colour(&s.color).to_owned(), s.is_final)
                }
                End::Any => ("any state".to_owned(), "#6b7280".to_owned(), false),
                End::Start | End::Kind => ("start".to_owned(), "#111827".to_owned(), false),
            };
            let width = if end == End::Start {
                16.0
            } else {
                width_of(&label)
            };
            column_width = column_width.max(width);
            nodes.push(Node {
                end,
                label,
                colour,
                is_final,
                x,
                y,
                width,
            });
            y += BOX_HEIGHT + ROW_GAP;
        }
        height = height.max(y);
        x += column_width + column_gap;
    }
    let has_back_edges = g.edges.iter().any(|e| {
        let (f, t) = (column_of(&columns, e.from), column_of(&columns, e.to));
        t <= f
    });
    let same_column = g
        .edges
        .iter()
        .any(|e| column_of(&columns, e.from) == column_of(&columns, e.to));
    let width = (x - column_gap + MARGIN + if same_column { 150.0 } else { 0.0 }).max(320.0);
    let height = height + if has_back_edges { ARC_DEPTH * 2.5 } else { 0.0 } + MARGIN + 18.0;

    let visited: BTreeSet<&str> = hl.path.iter().map(String::as_str).collect();
    let on_path = |from: End, to: End| {
        let id = |e: End| match e {
            End::State(i) => Some(g.states[i].id.as_str()),
            _ => None,
        };
        match (id(from), id(to)) {
            (Some(a), Some(b)) => hl.path.windows(2).any(|w| w[0] == a && w[1] == b),
            (None, Some(b)) if from == End::Start => hl.path.first().is_some_and(|f| f == b),
            _ => false,
        }
    };

    // Ids unique per drawing: a page may hold the order's and each child
    // kind's drawings at once.
    let ids = if g.prefix.is_empty() {
        "wf".to_owned()
    } else {
        format!("wf-{}", escape(&g.prefix))
    };
    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.0} {h:.0}" width="{w:.0}" height="{h:.0}" role="img" aria-labelledby="{ids}-title {ids}-desc" font-family="system-ui, sans-serif" font-size="13">"##,
        w = width,
        h = height
    );
    let _ = write!(out, r#"<title id="{ids}-title">{}</title>"#, escape(title));
    let _ = write!(
        out,
        r#"<desc id="{ids}-desc">{}</desc>"#,
        escape(&describe(g, &edge_texts, hl))
    );
    let _ = write!(
        out,
        r##"<defs><marker id="{ids}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#4b5563"/></marker><marker id="{ids}-arrow-path" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#1d4ed8"/></marker></defs>"##
    );

    let node_of = |end: End| nodes.iter().find(|n| n.end == end);
    let nodes_bottom = nodes.iter().map(|n| n.y + BOX_HEIGHT).fold(0.0, f64::max);
    let mut placed = Placed::new(&nodes);
    let mut arc = 0usize;
    for (e, text) in g.edges.iter().zip(&edge_texts) {
        let (Some(a), Some(b)) = (node_of(e.from), node_of(e.to)) else {
            continue;
        };
        let highlighted = on_path(e.from, e.to);
        let (stroke, marker, stroke_width) = if highlighted {
            ("#1d4ed8", format!("{ids}-arrow-path"), 2.5)
        } else {
            ("#4b5563", format!("{ids}-arrow"), 1.2)
        };
        let dash = match e.style {
            Style::Action => "",
            Style::Automatic => r#" stroke-dasharray="6 4""#,
            Style::Rule => r#" stroke-dasharray="2 3""#,
        };
        let (d, lx, ly) = if b.x > a.x {
            let (x1, y1) = (a.x + a.width, a.y + BOX_HEIGHT / 2.0);
            let (x2, y2) = (b.x, b.y + BOX_HEIGHT / 2.0);
            let mid = (x1 + x2) / 2.0;
            (
                format!("M{x1:.1},{y1:.1} C{mid:.1},{y1:.1} {mid:.1},{y2:.1} {x2:.1},{y2:.1}"),
                mid,
                (y1 + y2) / 2.0 - 5.0,
            )
        } else if (b.x - a.x).abs() < 0.5 {
            // Within a column: an arc out to the right, beside the boxes.
            let right = a.x + a.width.max(b.width) + 36.0;
            let (x1, y1) = (a.x + a.width, a.y + BOX_HEIGHT / 2.0);
            let (x2, y2) = (b.x + b.width, b.y + BOX_HEIGHT / 2.0);
            (
                format!("M{x1:.1},{y1:.1} C{right:.1},{y1:.1} {right:.1},{y2:.1} {x2:.1},{y2:.1}"),
                right - 6.0,
                (y1 + y2) / 2.0 + 4.0,
            )
        } else {
            // Back to an earlier column: an arc under the whole drawing, so
            // it crosses no box.
            arc += 1;
            let bottom = nodes_bottom + ARC_DEPTH * (0.6 + (arc % 4) as f64 * 0.45);
            let (x1, y1) = (a.x + a.width / 2.0, a.y + BOX_HEIGHT);
            let (x2, y2) = (b.x + b.width / 2.0 + 6.0, b.y + BOX_HEIGHT);
            (
                format!(
                    "M{x1:.1},{y1:.1} C{x1:.1},{bottom:.1} {x2:.1},{bottom:.1} {x2:.1},{y2:.1}"
                ),
                (x1 + x2) / 2.0,
                bottom - 4.0,
            )
        };
        let (lx, ly) = placed.place(lx, ly, &truncate(text, LABEL_CHARS_MAX));
        let _ = write!(
            out,
            r#"<g class="edge{}"><path d="{d}" fill="none" stroke="{stroke}" stroke-width="{stroke_width}"{dash} marker-end="url(#{marker})"/>"#,
            if highlighted { " on-path" } else { "" }
        );
        if !text.is_empty() {
            let shown = truncate(text, LABEL_CHARS_MAX);
            let _ = write!(
                out,
                r##"<text x="{lx:.1}" y="{ly:.1}" text-anchor="middle" font-size="11" fill="#1f2937" paint-order="stroke" stroke="#ffffff" stroke-width="3"><title>{}</title>{}</text>"##,
                escape(text),
                escape(&shown)
            );
        }
        out.push_str("</g>");
    }

    for n in &nodes {
        if n.end == End::Start {
            let _ = write!(
                out,
                r##"<circle cx="{:.1}" cy="{:.1}" r="7" fill="#111827"><title>start</title></circle>"##,
                n.x + 8.0,
                n.y + BOX_HEIGHT / 2.0
            );
            continue;
        }
        let id = match n.end {
            End::State(i) => g.states[i].id.as_str(),
            _ => "",
        };
        let current = hl.current == Some(id) && !id.is_empty();
        let seen = visited.contains(id);
        let dim = (hl.current.is_some() || !hl.path.is_empty()) && !seen && !current;
        let (stroke_width, stroke) = if current {
            (4.0, "#111827".to_owned())
        } else if seen {
            (2.5, n.colour.clone())
        } else {
            (1.5, n.colour.clone())
        };
        let _ = write!(
            out,
            r#"<g class="state{}{}" data-state="{}"{}>"#,
            if current { " current" } else { "" },
            if seen { " visited" } else { "" },
            escape(id),
            if dim { r#" opacity="0.55""# } else { "" }
        );
        let _ = write!(
            out,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{BOX_HEIGHT}" rx="8" fill="{}" fill-opacity="0.18" stroke="{}" stroke-width="{stroke_width}"/>"##,
            n.x, n.y, n.width, n.colour, stroke
        );
        if n.is_final {
            let _ = write!(
                out,
                r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="6" fill="none" stroke="{}" stroke-width="1"/>"##,
                n.x + 3.5,
                n.y + 3.5,
                n.width - 7.0,
                BOX_HEIGHT - 7.0,
                n.colour
            );
        }
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#111827"{}>{}</text>"##,
            n.x + n.width / 2.0,
            n.y + BOX_HEIGHT / 2.0 + 4.5,
            if current { r#" font-weight="700""# } else { "" },
            escape(&n.label)
        );
        if current {
            let _ = write!(
                out,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="10" fill="#111827">now</text>"##,
                n.x + n.width / 2.0,
                n.y - 5.0
            );
        }
        out.push_str("</g>");
    }
    let _ = write!(
        out,
        r##"<text x="{MARGIN}" y="{:.1}" font-size="11" fill="#4b5563">solid: an action (who may take it) · dashed: automatic · dotted: computed from the data · double border: final</text>"##,
        height - 10.0
    );
    out.push_str("</svg>");
    out
}

/// Where edge labels went, so the next one moves aside instead of
/// printing over one (or over a box).
struct Placed {
    rects: Vec<(f64, f64, f64, f64)>,
}

impl Placed {
    fn new(nodes: &[Node]) -> Self {
        let rects = nodes
            .iter()
            .map(|n| (n.x, n.y, n.x + n.width, n.y + BOX_HEIGHT))
            .collect();
        Self { rects }
    }

    /// A free spot for a label centred near (x, baseline y): the wanted one,
    /// or the nearest free one a line above or below it.
    fn place(&mut self, x: f64, y: f64, text: &str) -> (f64, f64) {
        let half = text.chars().count() as f64 * LABEL_CHAR_WIDTH / 2.0 + 2.0;
        let rect = |y: f64| (x - half, y - 11.0, x + half, y + 3.0);
        let free = |r: (f64, f64, f64, f64), rects: &[(f64, f64, f64, f64)]| {
            rects
                .iter()
                .all(|o| r.2 <= o.0 || o.2 <= r.0 || r.3 <= o.1 || o.3 <= r.1)
        };
        let mut chosen = y;
        for step in 0..12 {
            let shift = f64::from((step + 1) / 2) * 14.0;
            let candidate = if step % 2 == 0 { y + shift } else { y - shift };
            if free(rect(candidate), &self.rects) {
                chosen = candidate;
                break;
            }
        }
        self.rects.push(rect(chosen));
        (x, chosen)
    }
}

/// States in columns: the start first, then by breadth-first distance
/// from it; the "any state" node beside the start; what the walk does not
/// reach last.
fn columns(g: &Graph<'_>) -> Vec<Vec<End>> {
    let n = g.states.len();
    let mut depth: Vec<Option<usize>> = vec![None; n];
    let mut queue = VecDeque::new();
    let starts_from = |from: End| g.edges.iter().filter(move |e| e.from == from);
    let has_start = g.edges.iter().any(|e| e.from == End::Start);
    for e in starts_from(End::Start).chain(starts_from(End::Any)) {
        if let End::State(i) = e.to
            && depth[i].is_none()
        {
            depth[i] = Some(1);
            queue.push_back(i);
        }
    }
    if queue.is_empty() && n > 0 {
        depth[0] = Some(1);
        queue.push_back(0);
    }
    while let Some(i) = queue.pop_front() {
        let d = depth[i].unwrap_or(1);
        for e in g.edges.iter().filter(|e| e.from == End::State(i)) {
            if let End::State(j) = e.to
                && depth[j].is_none()
            {
                depth[j] = Some(d + 1);
                queue.push_back(j);
            }
        }
    }
    let deepest = depth.iter().flatten().copied().max().unwrap_or(0);
    let mut columns: Vec<Vec<End>> = vec![Vec::new(); deepest + 2];
    if has_start {
        columns[0].push(End::Start);
    }
    if g.edges.iter().any(|e| e.from == End::Any) {
        columns[0].push(End::Any);
    }
    for (i, d) in depth.iter().enumerate() {
        columns[d.unwrap_or(deepest + 1)].push(End::State(i));
    }
    columns.retain(|c| !c.is_empty());
    columns
}

fn column_of(columns: &[Vec<End>], end: End) -> usize {
    columns
        .iter()
        .position(|c| c.contains(&end))
        .unwrap_or(usize::MAX)
}

/// The drawing in words, for screen readers.
fn describe(g: &Graph<'_>, edge_texts: &[String], hl: &Highlight<'_>) -> String {
    let name = |e: End| match e {
        End::State(i) => g.states[i].label.clone(),
        End::Any => "any state".to_owned(),
        End::Start | End::Kind => "start".to_owned(),
    };
    let mut parts: Vec<String> = g
        .edges
        .iter()
        .zip(edge_texts)
        .map(|(e, t)| {
            if t.is_empty() {
                format!("{} to {}", name(e.from), name(e.to))
            } else {
                format!("{} to {} by {t}", name(e.from), name(e.to))
            }
        })
        .collect();
    if let Some(now) = hl.current
        && let Some(s) = g.states.iter().find(|s| s.id == now)
    {
        parts.push(format!("now in {}", s.label));
    }
    parts.join("; ")
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// A colour from a definition as markup may hold it (an SVG attribute, a
/// style attribute): `#rgb`, `#rrggbb`, `#rrggbbaa` or a plain colour
/// name; anything else is grey, so a workflow file cannot inject markup.
pub fn colour(c: &str) -> &str {
    let hex = c.strip_prefix('#').is_some_and(|h| {
        matches!(h.len(), 3 | 6 | 8) && h.chars().all(|ch| ch.is_ascii_hexdigit())
    });
    let name = !c.is_empty() && c.len() <= 20 && c.chars().all(|ch| ch.is_ascii_alphabetic());
    if hex || name { c } else { "#6b7280" }
}

/// Text escaped for markup content and attribute values (SVG, HTML).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::catalog;

    fn def(id: &str) -> Definition {
        catalog::built_in(id).unwrap().unwrap().def.clone()
    }

    #[test]
    fn every_state_and_action_label_is_drawn() {
        for id in ["dental-lab", "purchasing", "compliance", "print-production"] {
            let d = def(id);
            let svg = order(&d, &Highlight::default());
            assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
            for s in &d.states {
                assert!(
                    svg.contains(&escape(&s.label)),
                    "{id}: state {} drawn",
                    s.id
                );
            }
            for a in d.actions.iter().filter(|a| a.to.is_some() && !a.creates) {
                assert!(
                    svg.contains(&escape(&a.label)),
                    "{id}: action {} drawn",
                    a.id
                );
            }
        }
    }

    #[test]
    fn an_orders_path_and_current_state_are_marked() {
        let d = def("dental-lab");
        let path: Vec<String> = ["draft", "published", "production"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let svg = order(
            &d,
            &Highlight {
                path: &path,
                current: Some("production"),
            },
        );
        assert!(svg.contains(r#"class="state current visited" data-state="production""#));
        assert!(svg.contains(r#"class="state visited" data-state="published""#));
        assert_eq!(
            svg.matches("edge on-path").count(),
            3,
            "start→draft→published→production"
        );
        assert!(svg.contains("now in "));
    }

    #[test]
    fn child_kinds_are_drawn_and_unknown_ones_are_none() {
        let d = def("print-production");
        let jobs = child(&d, "job", &Highlight::default()).unwrap();
        assert!(jobs.contains("Printed") || jobs.contains("printed"));
        assert!(child(&d, "no-such-kind", &Highlight::default()).is_none());
    }

    #[test]
    fn hostile_labels_and_colours_cannot_break_out() {
        assert_eq!(colour("red"), "red");
        assert_eq!(colour("#1d4ed8"), "#1d4ed8");
        assert_eq!(colour("red\" onload=\"x"), "#6b7280");
        assert_eq!(escape("<script>&\"'"), "&lt;script&gt;&amp;&quot;&#39;");
    }
}
