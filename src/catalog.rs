//! The pattern catalog: one YAML manifest per stack under `patterns/`, embedded
//! in the binary together with the Tera fragments under `templates/`.

use std::collections::BTreeMap;

use include_dir::{include_dir, Dir};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

static PATTERNS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/patterns");
static TEMPLATES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// One stack streamkit can render and deploy.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Pattern id as typed on the command line (`1`, `2`, `3`, `4`, `cross-region`).
    pub id: String,
    /// File stem used for rendered templates (`pattern-2` -> `pattern-2.template`).
    pub name: String,
    pub title: String,
    pub description: String,
    /// CloudFormation template description.
    pub template_description: String,
    /// Render-time settings (e.g. the processing engine) with their allowed values.
    #[serde(default)]
    pub settings: BTreeMap<String, Setting>,
    /// Fixed render-time values for the fragments (`vars.<name>`), not user-settable.
    #[serde(default)]
    pub vars: BTreeMap<String, serde_json::Value>,
    /// Fragments under `templates/`, composed in this order.
    pub fragments: Vec<String>,
    /// Parameter groups for the console (`AWS::CloudFormation::Interface`), in order.
    /// Every template parameter must appear in exactly one group.
    pub parameter_groups: Vec<ParameterGroup>,
    /// Asset names (crates under `assets/`) this stack's code locations point at.
    #[serde(default)]
    pub assets: Vec<String>,
    /// Manifest file this was loaded from (filled by the loader).
    #[serde(skip_deserializing)]
    pub file: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Setting {
    pub default: String,
    pub allowed: Vec<String>,
    pub description: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterGroup {
    pub label: String,
    pub parameters: Vec<String>,
}

impl Manifest {
    /// Stack name used when the user gives none.
    pub fn default_stack_name(&self) -> String {
        format!("streamkit-{}", self.name)
    }

    /// Merges user overrides (`KEY=VALUE`) over the defaults, rejecting unknown
    /// keys and values outside the allowed set.
    pub fn resolve_settings(
        &self,
        overrides: &[(String, String)],
    ) -> Result<BTreeMap<String, String>> {
        let mut out: BTreeMap<String, String> = self
            .settings
            .iter()
            .map(|(k, s)| (k.clone(), s.default.clone()))
            .collect();
        for (key, value) in overrides {
            let Some(setting) = self.settings.get(key) else {
                let allowed: Vec<&str> = self.settings.keys().map(String::as_str).collect();
                let allowed = if allowed.is_empty() {
                    "(none for this pattern)".to_string()
                } else {
                    allowed.join(", ")
                };
                return Err(Error::Unknown {
                    what: "setting",
                    value: format!("{key} (pattern {})", self.id),
                    allowed,
                });
            };
            if !setting.allowed.iter().any(|a| a == value) {
                return Err(Error::Unknown {
                    what: "value for setting",
                    value: format!("{key}={value}"),
                    allowed: setting.allowed.join(", "),
                });
            }
            out.insert(key.clone(), value.clone());
        }
        Ok(out)
    }
}

/// All embedded manifests, ordered as listed to users.
pub fn all() -> Result<Vec<Manifest>> {
    let mut manifests = Vec::new();
    for file in PATTERNS.files() {
        let path = format!("patterns/{}", file.path().display());
        if !path.ends_with(".yaml") {
            continue;
        }
        manifests.push(parse_manifest(
            &path,
            file.contents_utf8().unwrap_or_default(),
        )?);
    }
    manifests.sort_by_key(|m| (m.id.parse::<u32>().unwrap_or(u32::MAX), m.id.clone()));
    Ok(manifests)
}

/// Parses one manifest; `path` is used in error messages only.
pub fn parse_manifest(path: &str, text: &str) -> Result<Manifest> {
    let mut manifest: Manifest = serde_yaml_ng::from_str(text).map_err(|e| Error::Manifest {
        file: path.to_string(),
        message: e.to_string(),
    })?;
    manifest.file = path.to_string();
    Ok(manifest)
}

/// Ids of every pattern, for error messages and help text.
pub fn ids() -> Result<Vec<String>> {
    Ok(all()?.into_iter().map(|m| m.id).collect())
}

/// Looks a pattern up by id (`2`), by name (`pattern-2`) or by stack suffix.
pub fn find(id: &str) -> Result<Manifest> {
    let all = all()?;
    let wanted = id.trim();
    if let Some(m) = all.iter().find(|m| m.id == wanted || m.name == wanted) {
        return Ok(m.clone());
    }
    let ids: Vec<&str> = all.iter().map(|m| m.id.as_str()).collect();
    Err(Error::unknown("pattern", id, &ids))
}

/// Every embedded fragment as `(path, source)`, including macro files.
pub fn fragment_sources() -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    collect(&TEMPLATES, &mut out);
    out.sort();
    out
}

fn collect(dir: &'static Dir<'static>, out: &mut Vec<(String, &'static str)>) {
    for file in dir.files() {
        let path = file.path().to_string_lossy();
        if !(path.ends_with(".yaml") || path.ends_with(".json")) {
            continue; // documentation such as CONVENTIONS.md is not a fragment
        }
        if let Some(text) = file.contents_utf8() {
            out.push((file.path().display().to_string(), text));
        }
    }
    for sub in dir.dirs() {
        collect(sub, out);
    }
}
