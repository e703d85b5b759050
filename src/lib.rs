//! streamkit: render, validate, build and deploy Amazon Kinesis streaming patterns.
//!
//! The library owns all behaviour; `main.rs` only parses flags and maps errors
//! to exit codes.

pub mod apigw;
pub mod aws;
pub mod catalog;
pub mod cli;
pub mod commands;
pub mod config;
pub mod cost;
pub mod dashboard;
pub mod deploy;
pub mod dist;
pub mod error;
pub mod local_url;
pub mod render;
pub mod replication;
pub mod review;
pub mod validate;

pub use error::{Error, Result};
