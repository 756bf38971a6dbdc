//! The file's text: positions, the bounds read before parsing, and paths in
//! the definition mapped to spans.

use std::fmt;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::Problems;

/// Brackets and braces nested in one file. Real definitions nest four or
/// five deep (an input list of records inside an action); toml's own parser
/// stops at 80, so this refuses first, with a message that says why.
pub const TOML_NESTING_MAX: usize = 32;

/// Line starts, to turn byte offsets into lines and columns.
pub(super) struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self { text, starts }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub(super) fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let column = self
            .text
            .get(start..offset)
            .map_or(1, |s| s.chars().count() + 1);
        (line, column)
    }
}

/// Refuses text whose arrays and inline tables nest deeper than
/// [`TOML_NESTING_MAX`], reading it once without recursion. Strings and
/// comments are skipped, so brackets inside them do not count.
pub(super) fn check_nesting(text: &str) -> Result<(), Problems> {
    let bytes = text.as_bytes();
    let (mut depth, mut i) = (0usize, 0usize);
    while let Some(&b) = bytes.get(i) {
        match b {
            b'#' => {
                i = find_from(bytes, i, b"\n").unwrap_or(bytes.len());
                continue;
            }
            b'"' | b'\'' => {
                let triple = [b, b, b];
                let (close, escapes): (&[u8], bool) = if bytes.get(i..i + 3) == Some(&triple[..]) {
                    i += 3;
                    (&triple, b == b'"')
                } else {
                    i += 1;
                    (std::slice::from_ref(&bytes[i - 1]), b == b'"')
                };
                i = skip_string(bytes, i, close, escapes);
                continue;
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > TOML_NESTING_MAX {
                    return Err(vec![(
                        i,
                        format!(
                            "arrays and tables nest more than {TOML_NESTING_MAX} levels deep here; at most {TOML_NESTING_MAX} are allowed"
                        ),
                    )]);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// The offset just after the closing quote(s) of a string that starts at `i`.
fn skip_string(bytes: &[u8], mut i: usize, close: &[u8], escapes: bool) -> usize {
    let single_line = close.len() == 1;
    while let Some(&b) = bytes.get(i) {
        if escapes && b == b'\\' {
            i += 2;
            continue;
        }
        if single_line && b == b'\n' {
            // An unterminated string: the parser reports it.
            return i;
        }
        if bytes.get(i..i + close.len()) == Some(close) {
            // A multi-line string may end with up to two extra quotes.
            let mut end = i + close.len();
            while !single_line && end < i + close.len() + 2 && bytes.get(end) == close.first() {
                end += 1;
            }
            return end;
        }
        i += 1;
    }
    i
}

fn find_from(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// A step of a path into the definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Seg {
    Key(String),
    Index(usize),
}

/// Where a value is in the definition: `actions[3].to`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Path(Vec<Seg>);

impl Path {
    pub(super) fn root() -> Self {
        Self(Vec::new())
    }

    pub(super) fn key(&self, key: &str) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Key(key.to_owned()));
        p
    }

    pub(super) fn index(&self, index: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Index(index));
        p
    }

    /// `self.key(key).index(index)`.
    pub(super) fn at(&self, key: &str, index: usize) -> Self {
        self.key(key).index(index)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// The parsed file, keeping the span of every key and value.
pub(super) struct Tree<'a> {
    pub(super) root: Spanned<DeTable<'a>>,
}

impl Tree<'_> {
    /// The offset of the value at `path`, or of the nearest enclosing value
    /// written in the file.
    pub(super) fn offset_of(&self, path: &Path) -> usize {
        self.walk(path).0
    }

    /// The keys written in the table at `path` (none when it is not a
    /// table written in the file).
    pub(super) fn keys_at(&self, path: &Path) -> Vec<String> {
        match self.walk(path) {
            (_, Some(table), true) => table.keys().map(|k| k.get_ref().to_string()).collect(),
            _ => Vec::new(),
        }
    }

    /// The offset of the deepest value of `path` in the file, the table
    /// there, and whether the whole path was found.
    fn walk(&self, path: &Path) -> (usize, Option<&DeTable<'_>>, bool) {
        let mut table = Some(self.root.get_ref());
        let mut array: Option<&[Spanned<DeValue<'_>>]> = None;
        let mut offset = 0;
        for seg in &path.0 {
            let next = match (seg, table, array) {
                (Seg::Key(k), Some(t), _) => t.get(k.as_str()),
                (Seg::Index(n), _, Some(a)) => a.get(*n),
                _ => None,
            };
            let Some(value) = next else {
                return (offset, table, false);
            };
            offset = value.span().start;
            table = value.get_ref().as_table();
            array = value.get_ref().as_array().map(|a| &a[..]);
        }
        (offset, table, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let lines = Lines::new("ab\nçd\n\nx");
        assert_eq!(lines.position(0), (1, 1));
        assert_eq!(lines.position(2), (1, 3));
        assert_eq!(lines.position(3), (2, 1));
        assert_eq!(lines.position(5), (2, 2)); // after the two-byte ç
        assert_eq!(lines.position(8), (4, 1));
        assert_eq!(lines.position(99), (4, 2));
    }

    #[test]
    fn nesting_skips_strings_and_comments() {
        let deep = "[".repeat(TOML_NESTING_MAX + 1);
        assert!(check_nesting(&format!("a = {deep}")).is_err());
        assert!(check_nesting(&format!("a = \"{deep}\"")).is_ok());
        assert!(check_nesting(&format!("a = '{deep}'")).is_ok());
        assert!(check_nesting(&format!("a = \"\"\"\n{deep}\n\"\"\"\"")).is_ok());
        assert!(check_nesting(&format!("a = '''{deep}'''")).is_ok());
        assert!(check_nesting(&format!("a = \"\\\"{deep}\"")).is_ok());
        assert!(check_nesting(&format!("# {deep}\na = 1")).is_ok());
        assert!(check_nesting(&format!("a = \"x\" # {deep}\n")).is_ok());
        assert!(check_nesting(&format!("a = \"x\nb = {deep}")).is_err());
        assert!(check_nesting(&"{a = ".repeat(100_000)).is_err());
        let fine = format!(
            "{}{}",
            "[".repeat(TOML_NESTING_MAX),
            "]".repeat(TOML_NESTING_MAX)
        );
        assert!(check_nesting(&fine.repeat(3)).is_ok());
    }

    #[test]
    fn paths_fall_back_to_the_enclosing_value() {
        let text = "[[actions]]\nid = \"a\"\nfrom = [\"x\", \"y\"]\n";
        let tree = Tree {
            root: DeTable::parse(text).unwrap_or_else(|e| unreachable!("{e}")),
        };
        let from = Path::root().at("actions", 0).key("from");
        assert_eq!(
            tree.offset_of(&from.index(1)),
            text.find("\"y\"").unwrap_or(0)
        );
        assert_eq!(tree.offset_of(&Path::root().at("actions", 0).key("to")), 0);
        assert_eq!(tree.offset_of(&Path::root().at("actions", 5)), 0);
        assert_eq!(tree.offset_of(&from), text.find("[\"x\"").unwrap_or(0));
        assert_eq!(from.index(1).to_string(), "actions[0].from[1]");
    }
}
