//! `workflow check` and the diagrams, driven by files: every file of
//! `tests/broken/` has one family of mistakes and a snapshot of what the
//! checker says about it; `tests/broken/clean/` holds definitions that must
//! check clean.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Tests read their files and time themselves.
#![allow(clippy::disallowed_methods)]

use std::path::Path;

use orderflow_core::check::{Diagnostic, TOML_NESTING_MAX, check_source, load};
use orderflow_core::{diagram, limits};
use proptest::prelude::*;

/// What `workflow check` prints for a text.
fn check(name: &str, text: &str) -> String {
    match check_source(name, text) {
        Ok(_) => format!("{name}: ok"),
        Err(diagnostics) => diagnostics
            .iter()
            .map(Diagnostic::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

fn read(path: &Path) -> (String, String) {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(path).unwrap();
    (name, text)
}

fn clean_file() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/broken/clean/small.toml");
    std::fs::read_to_string(path).unwrap()
}

/// Runs `f` on a thread with the stack a test thread gets by default, so a
/// recursion the input controls would overflow here as it would in a test.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .expect("the checker must not overflow its stack")
}

/// The `.toml` files of a directory under `tests/`, sorted.
fn corpus(dir: &str) -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(dir);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// One snapshot per file of the corpus (what `insta::glob!` does, without
/// its extra dependencies); every file is checked before failing.
#[test]
fn broken_definitions() {
    let files = corpus("broken");
    assert!(files.len() >= 15, "the corpus has {} files", files.len());
    let mut failed = Vec::new();
    for path in files {
        let (name, text) = read(&path);
        let outcome = std::panic::catch_unwind(|| {
            let report = check(&name, &text);
            assert!(
                !report.ends_with(": ok"),
                "{name} is in the broken corpus but checks clean"
            );
            insta::with_settings!({ snapshot_suffix => name.clone(), input_file => &path }, {
                insta::assert_snapshot!(report);
            });
        });
        if outcome.is_err() {
            failed.push(name);
        }
    }
    assert!(failed.is_empty(), "snapshots differ: {failed:?}");
}

#[test]
fn clean_definitions_have_no_diagnostics() {
    let files = corpus("broken/clean");
    assert!(!files.is_empty());
    for path in files {
        let (name, text) = read(&path);
        assert_eq!(check(&name, &text), format!("{name}: ok"));
    }
}

#[test]
fn built_in_workflows_check_clean() {
    for (id, text) in orderflow_core::catalog::BUILT_IN {
        let name = format!("{id}.toml");
        assert_eq!(check(&name, text), format!("{name}: ok"));
    }
}

#[test]
fn load_gives_the_same_verdict() {
    assert!(load(&clean_file()).is_ok());
    let err = load("id = 1").unwrap_err().to_string();
    assert!(
        err.starts_with("definition:1:1: missing field `label`"),
        "{err}"
    );
    assert!(
        err.ends_with("definition:1:6: invalid type: integer `1`, expected a string"),
        "{err}"
    );
}

/// A notification goes through a channel something delivers (`email` by
/// SMTP, `inbox` for the party's users, `webhook` to the party's
/// endpoints); any other would wait in the outbox forever, so the check
/// refuses it where it is written.
#[test]
fn a_channel_nothing_delivers_is_refused_at_its_line_and_column() {
    let clean = clean_file();
    assert_eq!(check("small.toml", &clean), "small.toml: ok");
    assert!(clean.contains("channel = \"webhook\""));
    let email = clean.replace("channel = \"webhook\"", "channel = \"email\"");
    assert_eq!(check("small.toml", &email), "small.toml: ok");
    let sms = clean.replace("channel = \"webhook\"", "channel = \"sms\"");
    let line = clean
        .lines()
        .position(|l| l == "channel = \"webhook\"")
        .unwrap()
        + 1;
    assert_eq!(
        check("small.toml", &sms),
        format!("small.toml:{line}:11: unknown channel \"sms\" (known: email, inbox, webhook)")
    );
}

#[test]
fn every_problem_has_a_line_pointing_at_its_value() {
    let text = clean_file()
        .replace(r#"to = "placed""#, r#"to = "placd""#)
        .replace("order.balance <= 0", "order.balanse <= 0")
        .replace(r#"by = ["shop:manager"]"#, r#"by = ["shop:boss"]"#);
    let diagnostics = check_source("s.toml", &text).unwrap_err();
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for d in &diagnostics {
        let line = lines[d.line - 1];
        let at: String = line.chars().skip(d.column - 1).collect();
        found.push(at);
    }
    assert!(found.contains(&r#""placd""#.to_owned()), "{found:?}");
    assert!(
        found.contains(&r#""order.balanse <= 0""#.to_owned()),
        "{found:?}"
    );
    assert!(found.contains(&r#""shop:boss"]"#.to_owned()), "{found:?}");
}

// ---- hostile input: refused cleanly, never a crash or a hang ------------

#[test]
fn refuses_deep_arrays_and_inline_tables() {
    on_small_stack(|| {
        for text in [
            format!("x = {}", "[".repeat(100_000)),
            format!("x = {}1{}", "[".repeat(100_000), "]".repeat(100_000)),
            format!("x = {}", "{a = ".repeat(100_000)),
            format!("x = {}1{}", "{a = ".repeat(100_000), "}".repeat(100_000)),
            format!("x = {}", "[{a = ".repeat(TOML_NESTING_MAX)),
        ] {
            let report = check("deep.toml", &text);
            assert!(
                report.contains("nest more than 32 levels deep"),
                "{}",
                &report[..report.len().min(300)]
            );
        }
    });
}

#[test]
fn refuses_deep_keys() {
    on_small_stack(|| {
        for text in [
            format!("{} = 1", vec!["a"; 100_000].join(".")),
            format!("[{}]\nb = 1", vec!["a"; 100_000].join(".")),
            format!("[[{}]]\nb = 1", vec!["a"; 100_000].join(".")),
            format!("x = {{ {} = 1 }}", vec!["a"; 100_000].join(".")),
        ] {
            let report = check("keys.toml", &text);
            assert!(report.contains(": keys nest too deeply"), "{report}");
        }
    });
}

#[test]
fn refuses_long_lists() {
    on_small_stack(|| {
        let text = format!("id = \"x\"\nx = [{}]\n", vec!["1"; 100_000].join(","));
        assert_eq!(
            check("long.toml", &text),
            "long.toml:2:5: x has 100000 entries; at most 500 are allowed"
        );
        let keys: String = (0..600).map(|i| format!("k{i} = 1\n")).collect();
        let text = format!("[[actions]]\n{keys}");
        assert_eq!(
            check("wide.toml", &text),
            "wide.toml:1:1: actions[0] has 600 keys; at most 500 are allowed"
        );
    });
}

#[test]
fn refuses_a_file_too_big() {
    let text = format!(
        "description = \"{}\"",
        "x".repeat(limits::DEFINITION_BYTES_MAX)
    );
    assert_eq!(
        check("big.toml", &text),
        "big.toml:1:1: definition is 1048592 bytes; at most 1048576 are allowed"
    );
}

/// A definition at the limits (500 states, 500 actions available in every
/// state, 500 fields, an expression per action) checks in reasonable time.
#[test]
fn checks_a_definition_at_the_limits() {
    let n = limits::DEFINITION_ITEMS_MAX;
    let mut text =
        String::from("id = \"big\"\nlabel = \"Big\"\n[[parties]]\nid = \"p\"\nlabel = \"P\"\n");
    for i in 0..n {
        text.push_str(&format!(
            "[[states]]\nid = \"s{i}\"\nlabel = \"S\"\nfinal = {}\n",
            i == n - 1
        ));
    }
    for i in 0..n {
        text.push_str(&format!("[[fields]]\nid = \"f{i}\"\ntype = \"number\"\n"));
    }
    text.push_str(
        "[[actions]]\nid = \"create\"\nlabel = \"C\"\ncreates = true\nto = \"s0\"\nby = [\"p\"]\n",
    );
    for i in 1..n {
        text.push_str(&format!(
            "[[actions]]\nid = \"a{i}\"\nlabel = \"A\"\nfrom = [\"*\"]\nto = \"s{i}\"\nby = [\"p\"]\n\
             guards = [{{ id = \"g\", message = \"m\", rule = \"order.f{i} > order.f{} && input.x == 1\" }}]\n\
             inputs = [{{ id = \"x\", type = \"number\" }}]\n",
            (i * 7) % n
        ));
    }
    assert!(text.len() < limits::DEFINITION_BYTES_MAX);
    let started = std::time::Instant::now();
    assert_eq!(check("big.toml", &text), "big.toml: ok");
    let took = started.elapsed();
    assert!(took.as_secs() < 30, "checking took {took:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any text: a verdict, never a panic.
    #[test]
    fn any_text_gets_a_verdict(text in "(?s).{0,400}") {
        let _ = check_source("any.toml", &text);
    }

    /// The clean definition with a line removed or a span of bytes
    /// duplicated: a verdict, never a panic, and every diagnostic inside the
    /// file.
    #[test]
    fn mutated_definitions_get_a_verdict(line in 0usize..400, start in 0usize..6000, len in 0usize..40) {
        let clean = clean_file();
        let lines: Vec<&str> = clean.lines().collect();
        let dropped: String = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != line % lines.len())
            .map(|(_, l)| format!("{l}\n"))
            .collect();
        let start = start % clean.len();
        let end = (start + len).min(clean.len());
        let doubled = clean.get(..end).and_then(|a| clean.get(start..).map(|b| format!("{a}{b}")));
        for text in std::iter::once(dropped).chain(doubled) {
            if let Err(diagnostics) = check_source("m.toml", &text) {
                let line_count = text.lines().count().max(1);
                for d in diagnostics {
                    prop_assert!(d.line >= 1 && d.line <= line_count + 1, "{d}");
                    prop_assert!(d.column >= 1, "{d}");
                }
            }
        }
    }
}

// ---- diagrams -----------------------------------------------------------

#[test]
fn mermaid_diagram() {
    let def = load(&clean_file()).unwrap();
    insta::assert_snapshot!(diagram::mermaid(&def));
}

#[test]
fn dot_diagram() {
    let def = load(&clean_file()).unwrap();
    insta::assert_snapshot!(diagram::dot(&def));
}

/// Status rules from any state start at an "any state" node; orders of a
/// creating action without `to` start in the first state.
#[test]
fn diagrams_of_a_computed_status() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/broken/clean/computed_status.toml");
    let def = load(&std::fs::read_to_string(path).unwrap()).unwrap();
    insta::assert_snapshot!("computed_status_mermaid", diagram::mermaid(&def));
    insta::assert_snapshot!("computed_status_dot", diagram::dot(&def));
}
