//! The tutorial of `docs/workflows.md` ("Deploying and versions") as a user
//! follows it: its TOML written to a file, its commands run by the built
//! binary against a fresh `orderflow serve`, each expected to succeed, the
//! tokens and the order id they print carried to the next ones.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

#[path = "support/server.rs"]
mod support;

use support::{BIN, Server};

/// The fenced blocks of `lang` marked `tutorial`, in order.
fn blocks(doc: &str, lang: &str) -> Vec<String> {
    let open = format!("```{lang} tutorial");
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in doc.lines() {
        match &mut current {
            None if line.trim() == open => current = Some(String::new()),
            None => {}
            Some(_) if line.trim() == "```" => out.extend(current.take()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
        }
    }
    out
}

/// A command line's words, `"..."` kept together, `$NAME` replaced.
fn words(line: &str, vars: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            _ => word.push(c),
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out.into_iter()
        .map(|w| match w.strip_prefix('$') {
            Some(name) => vars
                .get(name)
                .unwrap_or_else(|| panic!("${name} is used before the tutorial sets it"))
                .clone(),
            None => w,
        })
        .collect()
}

#[test]
fn the_deployment_tutorial_runs_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let doc = std::fs::read_to_string(root.join("docs/workflows.md")).unwrap();
    let toml = blocks(&doc, "toml");
    assert_eq!(toml.len(), 1, "one definition in the tutorial");
    let commands = blocks(&doc, "sh");
    assert!(commands.len() >= 2, "the tutorial's commands are found");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("repairs.toml"), &toml[0]).unwrap();
    let mut env = BTreeMap::new();
    let mut vars = BTreeMap::new();
    let data = dir.path().join("data");
    let mut admin = None;
    let mut server: Option<Server> = None;
    let mut last = String::new();
    for line in commands.iter().flat_map(|b| b.lines()) {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(assign) = line.strip_prefix("export ") {
            let (k, v) = assign.split_once('=').unwrap();
            env.insert(k.to_owned(), v.to_owned());
            if k == "ORDERFLOW_ADMIN_TOKEN" {
                admin = Some(v.to_owned());
            }
            continue;
        }
        let server = server.get_or_insert_with(|| {
            let token = admin
                .clone()
                .expect("the tutorial sets the administrator token first");
            Server::start_with(
                &data,
                &token,
                &[
                    ("ORDERFLOW_SQLITE_SYNCHRONOUS", "normal"),
                    ("ORDERFLOW_LOG", "warn"),
                ],
            )
        });
        let args = words(line, &vars);
        assert_eq!(args[0], "orderflow", "{line}");
        let out = Command::new(BIN)
            .args(&args[1..])
            .current_dir(dir.path())
            .envs(&env)
            .env("ORDERFLOW_URL", &server.url)
            .env_remove("ORDERFLOW_TOKEN")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "`{line}` failed: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // What later steps refer to: each user's token, the order's id.
        if args[1..3] == ["users", "add"] {
            let id = args.iter().skip_while(|a| *a != "--id").nth(1).unwrap();
            let token = stdout
                .lines()
                .find_map(|l| l.strip_prefix("token (shown once): "))
                .unwrap();
            vars.insert(id.to_uppercase(), token.trim().to_owned());
        }
        if args[1..3] == ["orders", "create"] {
            let id = stdout.split(':').next().unwrap().trim().to_owned();
            vars.insert("ORDER".to_owned(), id);
        }
        last = stdout;
    }
    // The order went through the deployed workflow to its end.
    assert!(last.contains("repaired → collected"), "{last}");
}
