//! orderflow's engine: workflow definitions and the pure functions that run
//! them. Nothing here does I/O, reads the clock or draws random numbers: time,
//! ids and the actor are arguments (clippy's `disallowed-methods` enforces it).

pub mod builtins;
pub mod cadence;
pub mod catalog;
pub mod check;
pub mod definition;
pub mod diagram;
pub mod engine;
pub mod event;
pub mod expr;
pub mod limits;
pub mod mail;
pub mod model;
pub mod money;
pub mod reach;
pub mod rejection;
pub mod settings;
