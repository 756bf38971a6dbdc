//! Text for the standard PDF fonts (Helvetica, WinAnsi encoding): they need
//! no embedding, so a label stays a few kilobytes and renders everywhere.

/// `s` in WinAnsi (Windows-1252): Latin-1 letters as themselves, the few
/// typographic characters the encoding has, `?` for anything else, and
/// control characters as spaces.
pub(crate) fn win_ansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => u8::try_from(u32::from(c)).unwrap_or(b'?'),
            '€' => 0x80,
            '‚' => 0x82,
            'ƒ' => 0x83,
            '„' => 0x84,
            '…' => 0x85,
            '†' => 0x86,
            '‡' => 0x87,
            'ˆ' => 0x88,
            '‰' => 0x89,
            'Š' => 0x8A,
            '‹' => 0x8B,
            'Œ' => 0x8C,
            'Ž' => 0x8E,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '˜' => 0x98,
            '™' => 0x99,
            'š' => 0x9A,
            '›' => 0x9B,
            'œ' => 0x9C,
            'ž' => 0x9E,
            'Ÿ' => 0x9F,
            c if c.is_control() => b' ',
            _ => b'?',
        })
        .collect()
}

/// `s` cut to at most `max` characters, the cut marked with an ellipsis.
pub(crate) fn fit(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Advance widths of the printable ASCII characters (space to `~`) in
/// Helvetica, in thousandths of an em, from Adobe's font metrics.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/// The same for Helvetica-Bold.
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667,
    611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556,
    278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];

/// How wide `s` is set in Helvetica (or its bold) at `size` points.
/// Characters outside ASCII count as a digit's width, about their average.
pub(crate) fn width(s: &str, bold: bool, size: f32) -> f32 {
    let table = if bold { &HELVETICA_BOLD } else { &HELVETICA };
    let units: u32 = s
        .chars()
        .map(|c| {
            let i = u32::from(c).wrapping_sub(32) as usize;
            u32::from(table.get(i).copied().unwrap_or(556))
        })
        .sum();
    units as f32 * size / 1000.0
}

/// `s` broken into lines no wider than `max` points: at spaces where it
/// can, inside a word too long for a line otherwise.
pub(crate) fn wrap(s: &str, bold: bool, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in s.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if width(&candidate, bold, size) <= max {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            for c in word.chars() {
                line.push(c);
                if width(&line, bold, size) > max && line.chars().count() > 1 {
                    line.pop();
                    lines.push(std::mem::replace(&mut line, c.to_string()));
                }
            }
        }
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn win_ansi_keeps_latin_letters_and_marks_the_rest() {
        assert_eq!(win_ansi("Zoë – 5€"), b"Zo\xeb \x96 5\x80");
        assert_eq!(win_ansi("東京\n"), b"?? ");
    }

    #[test]
    fn fit_cuts_with_an_ellipsis() {
        assert_eq!(fit("Milwaukee", 20), "Milwaukee");
        assert_eq!(fit("Milwaukee", 5), "Milw…");
    }

    #[test]
    fn widths_follow_the_font_metrics() {
        assert_eq!(width("Wi", false, 10.0), (944.0 + 222.0) / 100.0);
        assert!(width("Wi", true, 10.0) > width("Wi", false, 10.0));
    }

    #[test]
    fn wrap_breaks_at_spaces_and_inside_overlong_words() {
        // 10 pt digits are 5.56 pt wide: 4 fit in 23 pt, 5 do not.
        assert_eq!(wrap("12 34 5678", false, 10.0, 23.0), ["12", "34", "5678"]);
        assert_eq!(wrap("12 34", false, 10.0, 100.0), ["12 34"]);
        assert_eq!(wrap("123456789", false, 10.0, 23.0), ["1234", "5678", "9"]);
        assert_eq!(wrap("a\nb", false, 10.0, 100.0), ["a", "b"]);
        assert_eq!(wrap("", false, 10.0, 100.0), [""]);
    }
}
