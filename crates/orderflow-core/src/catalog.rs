//! The four built-in workflows, embedded from `workflows/` at the
//! repository's root so the binary needs no files beside it.

use crate::engine::Workflow;

/// `(id, TOML source)` of every built-in workflow.
pub const BUILT_IN: &[(&str, &str)] = &[
    (
        "dental-lab",
        include_str!("../../../workflows/dental-lab.toml"),
    ),
    (
        "compliance",
        include_str!("../../../workflows/compliance.toml"),
    ),
    (
        "print-production",
        include_str!("../../../workflows/print-production.toml"),
    ),
    (
        "purchasing",
        include_str!("../../../workflows/purchasing.toml"),
    ),
];

/// Why a definition could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Invalid(String),
}

/// Parses and compiles a definition.
pub fn load(text: &str) -> Result<Workflow, LoadError> {
    let def = toml::from_str(text).map_err(|e| LoadError::Invalid(e.to_string()))?;
    Workflow::new(def).map_err(|(source, e)| LoadError::Invalid(format!("{source}: {e}")))
}

/// A built-in workflow by id.
pub fn built_in(id: &str) -> Option<Result<Workflow, LoadError>> {
    BUILT_IN
        .iter()
        .find(|(name, _)| *name == id)
        .map(|(_, text)| load(text))
}
