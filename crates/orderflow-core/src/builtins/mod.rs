//! Named built-in algorithms a definition refers to.
