//! `build-dist`: build every asset the stacks use, package it deterministically
//! under a content-addressed name, render one template per stack pointing at
//! those names, and write the lot (plus its [`manifest::DistManifest`]) into
//! the output directory in one rename ([`build::build`]).
//!
//! Layout of the output directory (what `publish` uploads):
//! `global-s3-assets/<stack>.template`, `regional-s3-assets/<asset>-<hash>.zip`,
//! `manifest.json`.

pub mod arch;
pub mod archive;
pub mod build;
pub mod cargo;
pub mod elf;
pub mod input;
pub mod manifest;
mod output;
pub mod verify;

/// Directory of the templates inside the output (uploaded to `s3://BASE/NAME/V/`).
pub const GLOBAL_DIR: &str = "global-s3-assets";
/// Directory of the zips inside the output (uploaded to `s3://BASE-<region>/NAME/V/`).
pub const REGIONAL_DIR: &str = "regional-s3-assets";
/// The manifest inside the output.
pub const MANIFEST_FILE: &str = "manifest.json";
