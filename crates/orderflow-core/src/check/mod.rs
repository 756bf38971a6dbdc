//! `workflow check`: every problem of a definition, with its line and column.
