//! The CLI: through the real binary (exit codes, streams, signals, pipes),
//! in process with an injected I/O object (every command's text and JSON
//! against expected files), `build-dist`, and the checks on the code itself
//! (no import cycles, generated docs current, manifest schema).

#[path = "../support/mod.rs"]
mod support;

mod architecture;
mod binary;
mod build_dist;
mod commands;
mod consistency;
mod errors;
mod json_schemas;
mod json_shapes;
mod local_up_input;
