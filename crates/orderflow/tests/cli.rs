//! The binary, run as a user runs it, on files of the checker's corpus.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

const BROKEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../orderflow-core/tests/broken/03_unknown_state_in_from.toml"
);
const CLEAN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../orderflow-core/tests/broken/clean/small.toml"
);

fn orderflow(args: &[&str]) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_orderflow"))
        .args(args)
        .output()
        .unwrap();
    (
        status.code().unwrap(),
        String::from_utf8(stdout).unwrap(),
        String::from_utf8(stderr).unwrap(),
    )
}

#[test]
fn check_a_clean_file() {
    let (code, out, err) = orderflow(&["workflow", "check", CLEAN]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out, format!("{CLEAN}: ok\n"));
}

#[test]
fn check_a_broken_file_prints_every_problem() {
    let (code, out, err) = orderflow(&["workflow", "check", BROKEN]);
    assert_eq!((code, err.as_str()), (1, ""));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");
    assert_eq!(
        lines[0],
        format!("{BROKEN}:29:17: unknown state \"opne\" (known: open, closed)")
    );
}

#[test]
fn check_several_files_reports_each() {
    let (code, out, _) = orderflow(&["workflow", "check", CLEAN, BROKEN]);
    assert_eq!(code, 1);
    assert!(
        out.starts_with(&format!("{CLEAN}: ok\n{BROKEN}:29:17: ")),
        "{out}"
    );
}

#[test]
fn an_unreadable_file_is_one_line_and_exit_1() {
    let (code, out, err) = orderflow(&["workflow", "check", "/no/such/file.toml", CLEAN]);
    assert_eq!(code, 1);
    assert_eq!(out, format!("{CLEAN}: ok\n"));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("orderflow: cannot read /no/such/file.toml: "),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(orderflow(&["workflow", "check"]).0, 2);
    assert_eq!(
        orderflow(&["workflow", "diagram", CLEAN, "--format", "png"]).0,
        2
    );
    assert_eq!(orderflow(&["nonsense"]).0, 2);
}

#[test]
fn diagrams() {
    let (code, out, _) = orderflow(&["workflow", "diagram", CLEAN]);
    assert_eq!(code, 0);
    assert!(out.starts_with("stateDiagram-v2\n"), "{out}");
    assert!(out.contains("    draft --> placed: place\n"), "{out}");
    let (code, out, _) = orderflow(&["workflow", "diagram", CLEAN, "--format", "dot"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("digraph \"small-shop\" {\n"), "{out}");
    let (code, out, err) = orderflow(&["workflow", "diagram", BROKEN]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(err.contains(":29:17: unknown state \"opne\""), "{err}");
}

#[test]
fn schema_is_json_describing_definitions() {
    let (code, out, _) = orderflow(&["workflow", "schema"]);
    assert_eq!(code, 0);
    let schema: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(schema["title"], "Definition");
    assert!(schema["properties"]["actions"].is_object(), "{schema}");
    assert!(schema["$defs"]["Action"]["properties"]["guards"].is_object());
}
