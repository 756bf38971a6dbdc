//! Every bound the engine enforces, in one place, so a hostile definition or
//! request meets a clear refusal instead of exhausting the machine.

/// Bytes in one definition file.
pub const DEFINITION_BYTES_MAX: usize = 1024 * 1024;
/// States, actions, fields ... of one kind in one definition.
pub const DEFINITION_ITEMS_MAX: usize = 500;
/// Characters in one CEL expression.
pub const EXPR_LEN_MAX: usize = 2_000;
/// Nodes of one parsed CEL expression.
pub const EXPR_NODES_MAX: usize = 400;
/// Brackets and prefix operators nested in one expression, checked before
/// parsing because the parser recurses once per level.
pub const EXPR_NESTING_MAX: usize = 24;
/// Nesting of the CEL parser (parentheses, calls, operators).
pub const EXPR_DEPTH_MAX: u16 = 48;
/// Comprehensions (`all`, `exists`, `map`, `filter`) nested in one another:
/// with lists of at most [`COLLECTION_RECORDS_MAX`], cost stays below
/// `nodes × records²`.
pub const EXPR_COMPREHENSION_DEPTH_MAX: usize = 2;
/// Records in one collection of one order (lines, tasks, allocations ...).
pub const COLLECTION_RECORDS_MAX: usize = 1_000;
/// Automatic transitions taken after one change, so rules that chase each
/// other in a cycle stop with an error instead of looping.
pub const AUTOMATIC_STEPS_MAX: usize = 16;
/// Characters in one text input.
pub const TEXT_LEN_MAX: usize = 10_000;
