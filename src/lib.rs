//! streamkit: render, validate, build and deploy Amazon Kinesis streaming patterns.
//!
//! The library owns all behaviour; `main.rs` only parses flags, makes the one
//! I/O object ([`io::Io`]) and maps the result to an exit code. Layers, each
//! importing only those below it:
//!
//! 1. `cli`: the command line and dispatch;
//! 2. `commands`: one file per subcommand, one typed report each;
//! 3. `io`: stdout, stderr, stdin, the live view;
//! 4. `progress`: the event enum;
//! 5. the domain: `deploy`, `dist`, `replication`, `cost`, `render`,
//!    `validate`, `dashboard`, `catalog`, `cfn`, `local`, ...;
//! 6. `args`, `origins`, `error`.
//!
//! No module imports a module that imports it back (checked by a test).

pub mod apigw;
pub mod args;
pub mod aws;
pub mod bucket;
pub mod catalog;
pub mod cfn;
pub mod cli;
pub mod commands;
pub mod config;
pub mod cost;
pub mod dashboard;
pub mod deploy;
pub mod dist;
pub mod error;
pub mod io;
pub mod local;
pub mod local_url;
pub mod ops;
pub mod origins;
pub mod preflight;
pub mod profile;
pub mod progress;
pub mod render;
pub mod replication;
pub mod review;
pub mod validate;

pub use error::{Error, Result};
