//! Validation. [`template`]: structural checks on every composed template
//! (re-exported here). [`input`]: what a user gave a command (stack name,
//! regions, tags), [`types`]: parameter values against their CloudFormation
//! types, both run in one pass before any AWS call, every problem reported
//! at once (one line each, naming the field and the allowed values).

pub mod input;
mod template;
pub mod types;

pub use template::*;
