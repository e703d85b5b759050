//! `manifest.json` of a `build-dist` output: what was built, with each file's
//! sha256 and size. Written by `build-dist` and read by `publish` and
//! `deploy` through this one type; its JSON schema is snapshot-tested.

use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::arch::Arch;
use crate::error::{Error, Result};

/// What was built: written to `manifest.json` and returned by [`build`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DistManifest {
    pub solution: String,
    pub version: String,
    /// Regional buckets are `<bucket_base>-<region>`; the global one is `<bucket_base>`.
    pub bucket_base: String,
    /// Key prefix of every object, `<solution>/<version>/`.
    pub key_prefix: String,
    pub architecture: Arch,
    /// Sorted by name; files are in `regional-s3-assets/`.
    pub assets: Vec<DistAsset>,
    /// Sorted by stack; files are in `global-s3-assets/`.
    pub templates: Vec<DistTemplate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DistAsset {
    pub name: String,
    /// `<name>-<first 16 hex of sha256>.zip`.
    pub file: String,
    pub sha256: String,
    pub size: u64,
    pub architecture: Arch,
    /// Stacks (template names) whose template references this file.
    pub stacks: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DistTemplate {
    pub stack: String,
    /// `<stack>.template` (JSON).
    pub file: String,
    pub sha256: String,
    pub size: u64,
}

impl DistManifest {
    /// Reads `manifest.json` from a build-dist output directory.
    pub fn load(dir: &Path) -> Result<DistManifest> {
        let path = dir.join(super::MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Error::BadInput(format!(
                "cannot read {}: {e}; run `streamkit build-dist` first",
                path.display()
            ))
        })?;
        serde_json::from_str(&text).map_err(|e| {
            Error::BadInput(format!(
                "{}: not a build-dist manifest: {e}",
                path.display()
            ))
        })
    }

    /// The file's text, as `build-dist` writes it.
    pub fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("manifest serializes");
        text.push('\n');
        text
    }

    /// The JSON schema of `manifest.json`.
    pub fn schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(DistManifest)).expect("schema serializes")
    }
}

impl DistManifest {
    /// One line per asset `stack` needs that this output lacks (a dist built
    /// for another pattern), naming the asset and the `build-dist` command
    /// that makes it together with the patterns already in `dir`.
    pub fn missing_for(&self, dir: &Path, stack: &crate::catalog::Manifest) -> Vec<String> {
        let missing: Vec<&String> = stack
            .assets
            .iter()
            .filter(|name| !self.assets.iter().any(|a| &a.name == *name))
            .collect();
        if missing.is_empty() {
            return Vec::new();
        }
        let catalog = crate::catalog::all().unwrap_or_default();
        let mut patterns: Vec<String> = self
            .templates
            .iter()
            .filter_map(|t| catalog.iter().find(|m| m.name == t.stack))
            .map(|m| m.id.to_string())
            .collect();
        if !patterns.contains(&stack.id.to_string()) {
            patterns.push(stack.id.to_string());
        }
        let flags: String = patterns.iter().map(|p| format!(" --pattern {p}")).collect();
        let command = format!(
            "streamkit build-dist --bucket-base {} --solution {} --solution-version {} --arch {}{flags} --dist-dir {}",
            self.bucket_base,
            self.solution,
            self.version,
            self.architecture.name(),
            dir.display()
        );
        missing
            .into_iter()
            .map(|name| {
                format!(
                    "{}: no `{name}` asset, which pattern {} needs (it was built for other stacks); build it: `{command}`",
                    dir.join(super::MANIFEST_FILE).display(),
                    stack.id
                )
            })
            .collect()
    }
}
