//! Deploying workflows with the binary, on SQLite and on PostgreSQL:
//! `serve --workflows DIR` deploys a folder at start, `workflow deploy`
//! deploys files (refusing a broken one with its problems by line, doing
//! nothing for an unchanged one), and `workflow migrate` prints its dry run
//! then migrates.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

#[path = "support/server.rs"]
mod support;

use support::{BIN, Server};

const ADMIN: &str = "admin-token-for-deploy-tests";

const REPAIRS: &str = include_str!("../../../docs/examples/repairs.toml");

/// Runs the binary in `dir` against `server`; (success, stdout + stderr).
fn run(server: &Server, dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("ORDERFLOW_URL", &server.url)
        .env("ORDERFLOW_ADMIN_TOKEN", ADMIN)
        .env_remove("ORDERFLOW_TOKEN")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn ok(server: &Server, dir: &Path, args: &[&str]) -> String {
    let (success, text) = run(server, dir, args);
    assert!(success, "orderflow {args:?} failed: {text}");
    text
}

fn deploy_with_the_binary(database: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let flows = dir.path().join("flows");
    std::fs::create_dir(&flows).unwrap();
    std::fs::write(flows.join("repairs.toml"), REPAIRS).unwrap();
    let mut envs = vec![
        ("ORDERFLOW_SQLITE_SYNCHRONOUS", "normal"),
        ("ORDERFLOW_LOG", "warn"),
        ("ORDERFLOW_WORKFLOWS", flows.to_str().unwrap()),
    ];
    if let Some(url) = database {
        envs.push(("ORDERFLOW_DATABASE", url));
    }
    let server = Server::start_with(&dir.path().join("data"), ADMIN, &envs);
    let here = dir.path();

    let list = ok(&server, here, &["workflow", "list"]);
    assert!(list.contains("repairs\tRepairs\tversion 1\t"), "{list}");
    assert!(
        list.contains("dental-lab\tDental lab\tversion 1\t"),
        "{list}"
    );

    // A broken file: its problems by line, nothing deployed.
    std::fs::write(
        here.join("broken.toml"),
        REPAIRS.replace("label = \"Repairs\"", "label = 3"),
    )
    .unwrap();
    let (success, text) = run(&server, here, &["workflow", "deploy", "broken.toml"]);
    assert!(!success, "{text}");
    assert!(text.contains("broken.toml:2:9:"), "{text}");
    assert_eq!(ok(&server, here, &["workflow", "list"]), list);

    // An order under version 1.
    ok(
        &server,
        here,
        &["organizations", "add", "acme", "--name", "Acme"],
    );
    ok(
        &server,
        here,
        &["organizations", "add", "fixit", "--name", "Fix-it"],
    );
    let user = ok(
        &server,
        here,
        &[
            "users",
            "add",
            "--organization",
            "acme",
            "--name",
            "Ann",
            "--id",
            "ann",
        ],
    );
    let token = user
        .lines()
        .find_map(|l| l.strip_prefix("token (shown once): "))
        .unwrap()
        .trim()
        .to_owned();
    let created = ok(
        &server,
        here,
        &[
            "orders",
            "create",
            "repairs",
            "--token",
            &token,
            "--party",
            "shop=fixit",
            "--input",
            "problem=Screen",
        ],
    );
    let order = created.split(':').next().unwrap().trim().to_owned();

    // Version 2, then the same again: nothing.
    std::fs::write(
        here.join("repairs.toml"),
        REPAIRS.replace("\"repaired\"", "\"ready\""),
    )
    .unwrap();
    let out = ok(&server, here, &["workflow", "deploy", "repairs.toml"]);
    assert_eq!(out, "repairs.toml: repairs version 2 deployed\n");
    let out = ok(&server, here, &["workflow", "deploy", "repairs.toml"]);
    assert_eq!(out, "repairs.toml: repairs unchanged (version 2)\n");

    // The dry run, then the migration it announced.
    let dry = ok(
        &server,
        here,
        &["workflow", "migrate", "repairs", "--from", "1"],
    );
    assert!(
        dry.starts_with("dry run of repairs version 1 → 2: 1 orders\n"),
        "{dry}"
    );
    assert!(dry.contains(&format!("{order}\tkept booked\n")), "{dry}");
    let done = ok(
        &server,
        here,
        &["workflow", "migrate", "repairs", "--from", "1", "--apply"],
    );
    assert!(
        done.starts_with("migrated repairs version 1 → 2: 1 orders\n"),
        "{done}"
    );
    assert!(done.contains(&format!("{order}\tkept booked\n")), "{done}");
    let list = ok(&server, here, &["workflow", "list"]);
    assert!(
        list.contains("repairs\tRepairs\tversion 2\torders v2: 1\n"),
        "{list}"
    );
}

#[test]
fn deploy_with_the_binary_on_sqlite() {
    deploy_with_the_binary(None);
}

#[test]
fn deploy_with_the_binary_on_postgres() {
    let url = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(orderflow_postgres::testing::fresh_database_url())
        .unwrap();
    deploy_with_the_binary(Some(&url));
}
