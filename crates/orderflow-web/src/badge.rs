//! A status badge: the label in a pill bordered in the state's colour,
//! with the state's marker (purchasing's `completed_after_dispute` shows
//! **Completed** with a red circle).

use std::fmt;

use orderflow_api::StatusView;

pub struct Badge<'a>(pub &'a StatusView);

pub use orderflow_core::diagram::svg::{colour, escape};

/// What a marker means, for people who cannot see its colour.
fn marker_text(marker: &str) -> String {
    match marker {
        "red-circle" => "red circle".to_owned(),
        other => other.replace(['-', '_'], " "),
    }
}

impl fmt::Display for Badge<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        write!(
            f,
            r#"<span class="badge" data-status="{}" style="--state: {}"><span class="dot" aria-hidden="true"></span>{}"#,
            escape(&s.id),
            colour(&s.color),
            escape(&s.label)
        )?;
        if let Some(marker) = &s.marker {
            let class: String = marker
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            let text = escape(&marker_text(marker));
            write!(
                f,
                r#"<span class="marker marker-{class}" role="img" aria-label="{text}" title="{text}"></span>"#
            )?;
        }
        f.write_str("</span>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(label: &str, color: &str, marker: Option<&str>) -> StatusView {
        StatusView {
            id: "s".to_owned(),
            label: label.to_owned(),
            color: color.to_owned(),
            marker: marker.map(str::to_owned),
            is_final: false,
        }
    }

    #[test]
    fn a_badge_shows_its_label_colour_and_marker() {
        let html = Badge(&status("Completed", "#22c55e", Some("red-circle"))).to_string();
        assert!(html.contains("--state: #22c55e"));
        assert!(html.contains(">Completed<"));
        assert!(
            html.contains(r#"class="marker marker-red-circle" role="img" aria-label="red circle""#)
        );
    }

    #[test]
    fn labels_and_colours_cannot_inject() {
        let html = Badge(&status("<b>x</b>", "red; background: url(x)", None)).to_string();
        assert!(html.contains("&lt;b&gt;x&lt;/b&gt;"));
        assert!(html.contains("--state: #6b7280"));
    }
}
