//! The four built-in workflows, embedded from `workflows/` at the
//! repository's root so the binary needs no files beside it.

use crate::check;
use crate::engine::Workflow;
use crate::expr::ExprError;

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
    /// What `workflow check` reports, line by line.
    #[error(transparent)]
    Check(#[from] check::LoadError),
    #[error("{expression}: {error}")]
    Expression {
        expression: String,
        error: ExprError,
    },
}

/// Checks and compiles a definition; `name` is what diagnostics call it.
pub fn load(name: &str, text: &str) -> Result<Workflow, LoadError> {
    let def = check::load_named(name, text)?;
    Workflow::new(def).map_err(|(expression, error)| LoadError::Expression { expression, error })
}

/// A built-in workflow by id.
pub fn built_in(id: &str) -> Option<Result<Workflow, LoadError>> {
    BUILT_IN
        .iter()
        .find(|(name, _)| *name == id)
        .map(|(name, text)| load(&format!("workflows/{name}.toml"), text))
}
