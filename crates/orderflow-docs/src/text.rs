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
}
