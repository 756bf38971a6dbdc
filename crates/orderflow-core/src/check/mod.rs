//! `workflow check`: every problem of a definition, with its line and column.
//!
//! Checking runs in four passes over the file's text, each stopping the
//! check when it finds something (a later pass needs what the earlier one
//! proves):
//!
//! 1. **Bounds** ([`source`]): size in bytes and bracket nesting, read
//!    before any parser sees the text, so a hostile file is refused in
//!    linear time without recursion.
//! 2. **Syntax** ([`parse`]): TOML parsed into a tree that keeps the span of
//!    every key and value; every syntax error toml recovers from is reported.
//!    Then the number of items in every list is bounded.
//! 3. **Shape** ([`parse`]): serde into [`Definition`]; when the whole file
//!    fails, each list element is deserialized on its own so every element
//!    with a wrong, missing or unknown key is reported, not only the first.
//! 4. **Meaning** ([`validate`], [`vars`], [`graph`], [`templates`]): ids,
//!    references, roles, expressions and the variables they read,
//!    reachability, and the templates notifications name.
//!
//! Semantic checks name the offending value by its path in the definition
//! (`actions[3].to`, `actions[2].guards[0].rule`); [`source::Tree`] maps that
//! path to the value's span, falling back to the nearest enclosing value that
//! exists in the file (a default that was not written points at its table).
//!
//! Architecture invariant: nothing here does I/O or panics on any input; the
//! work is linear in the file's size, apart from reachability, which is
//! bounded by [`limits::DEFINITION_ITEMS_MAX`] squared.

mod graph;
mod parse;
mod source;
mod templates;
mod validate;
mod vars;

use std::fmt;

use crate::definition::Definition;
use crate::limits;

pub use source::TOML_NESTING_MAX;

/// At most this many diagnostics are reported for one file; a final one says
/// how many more there were.
pub const DIAGNOSTICS_MAX: usize = 1_000;

/// One problem, at a line and column (both from 1; the column counts
/// characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// A definition that does not load: every problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LoadError(pub Vec<Diagnostic>);

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// Parses and checks a definition: the definition when it is clean, else
/// every problem found, sorted by position. `file_name` only labels the
/// diagnostics.
pub fn check_source(file_name: &str, text: &str) -> Result<Definition, Vec<Diagnostic>> {
    let problems = match check_text(text) {
        Ok(def) => return Ok(def),
        Err(problems) => problems,
    };
    let lines = source::Lines::new(text);
    let mut out: Vec<Diagnostic> = problems
        .into_iter()
        .map(|(offset, message)| {
            let (line, column) = lines.position(offset);
            Diagnostic {
                file: file_name.to_owned(),
                line,
                column,
                message,
            }
        })
        .collect();
    out.sort_by_key(|d| (d.line, d.column));
    out.dedup();
    if out.len() > DIAGNOSTICS_MAX {
        let more = out.len() - DIAGNOSTICS_MAX;
        out.truncate(DIAGNOSTICS_MAX);
        out.push(Diagnostic {
            file: file_name.to_owned(),
            line: 1,
            column: 1,
            message: format!("{more} more problems not shown"),
        });
    }
    Err(out)
}

/// Loads a definition for the engine: the same checks as `workflow check`.
pub fn load(text: &str) -> Result<Definition, LoadError> {
    load_named("definition", text)
}

/// [`load`], naming the file in the diagnostics.
pub fn load_named(file_name: &str, text: &str) -> Result<Definition, LoadError> {
    check_source(file_name, text).map_err(LoadError)
}

/// The diagnostic for a file of `len` bytes when that is too many, so a
/// caller reading a file can refuse it before reading it whole.
pub fn size_diagnostic(file_name: &str, len: u64) -> Option<Diagnostic> {
    (len > limits::DEFINITION_BYTES_MAX as u64).then(|| Diagnostic {
        file: file_name.to_owned(),
        line: 1,
        column: 1,
        message: too_big(len),
    })
}

fn too_big(len: u64) -> String {
    format!(
        "definition is {len} bytes; at most {} are allowed",
        limits::DEFINITION_BYTES_MAX
    )
}

/// Problems as (byte offset, message).
type Problems = Vec<(usize, String)>;

fn check_text(text: &str) -> Result<Definition, Problems> {
    if text.len() > limits::DEFINITION_BYTES_MAX {
        return Err(vec![(0, too_big(text.len() as u64))]);
    }
    source::check_nesting(text)?;
    let tree = parse::parse(text)?;
    let def = parse::deserialize(&tree)?;
    let issues = validate::validate(&def, &tree);
    if issues.is_empty() {
        return Ok(def);
    }
    Err(issues
        .into_iter()
        .map(|issue| (tree.offset_of(&issue.path), issue.message))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostics_print_as_file_line_column_message() {
        let d = Diagnostic {
            file: "a.toml".into(),
            line: 3,
            column: 7,
            message: "oops".into(),
        };
        assert_eq!(d.to_string(), "a.toml:3:7: oops");
        assert_eq!(
            LoadError(vec![d.clone(), d]).to_string(),
            "a.toml:3:7: oops\na.toml:3:7: oops"
        );
    }

    #[test]
    fn refuses_a_file_too_big_before_parsing() {
        let text = "#".repeat(limits::DEFINITION_BYTES_MAX + 1);
        let Err(d) = check_source("big.toml", &text) else {
            unreachable!("a file that big must be refused")
        };
        assert_eq!(d.len(), 1);
        assert!(
            d[0].message.starts_with("definition is 1048577 bytes"),
            "{}",
            d[0]
        );
        assert!(size_diagnostic("f", 10).is_none());
        assert!(size_diagnostic("f", u64::MAX).is_some());
    }
}
