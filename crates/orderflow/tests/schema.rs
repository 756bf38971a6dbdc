//! The JSON Schema editors use (`docs/workflow.schema.json`) is generated
//! from the definition types; this test fails when the two drift apart.
//! Regenerate with `ORDERFLOW_UPDATE_SCHEMA=1 cargo test -p orderflow --test schema`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use orderflow_core::definition::Definition;

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../docs/workflow.schema.json"
);

#[test]
fn the_committed_schema_is_generated_from_the_types() {
    let generated =
        serde_json::to_string_pretty(&schemars::schema_for!(Definition)).unwrap() + "\n";
    if std::env::var_os("ORDERFLOW_UPDATE_SCHEMA").is_some() {
        std::fs::write(PATH, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(PATH).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/workflow.schema.json is stale: run ORDERFLOW_UPDATE_SCHEMA=1 cargo test -p orderflow --test schema"
    );
}

#[test]
fn the_schema_describes_every_top_level_key() {
    let schema = serde_json::to_value(schemars::schema_for!(Definition)).unwrap();
    let properties = schema["properties"].as_object().unwrap();
    for key in [
        "id",
        "label",
        "parties",
        "states",
        "fields",
        "collections",
        "computed",
        "actions",
        "automatic",
        "status_rules",
        "children",
        "schedules",
    ] {
        assert!(properties.contains_key(key), "{key} is in the schema");
    }
}
