//! The pattern catalog: one YAML manifest per stack under `patterns/`, embedded
//! in the binary together with the Tera fragments under `templates/`.
//!
//! A manifest says what the stack is made of (fragments, settings, assets,
//! console groups) and, as data, how the deployer treats it
//! ([`Deployment`]): which parameters come from the network, whether it spans
//! two regions. Both are checked when the manifest loads.

use std::collections::BTreeMap;

use include_dir::{include_dir, Dir};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

mod cost;
mod deployment;
mod iam;
mod id;

pub use cost::{ApiLoad, CostProfile, JoinsLoad, Reference, Replication};
pub use deployment::{Deployment, NetworkValue, RegionPair};
pub use iam::UnusedGrant;
pub use id::PatternId;

static PATTERNS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/patterns");
static TEMPLATES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// One stack streamkit can render and deploy.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Pattern id as typed on the command line (`1`, `2`, `3`, `4`, `cross-region`).
    pub id: PatternId,
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
    /// How the deployer treats the stack.
    #[serde(default)]
    pub deployment: Deployment,
    /// What the cost model needs beyond the template.
    #[serde(default)]
    pub cost: CostProfile,
    /// Role grants the live pipeline does not use, kept with a reason
    /// (checked by the least-privilege test).
    #[serde(default)]
    pub least_privilege: Vec<UnusedGrant>,
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
    /// The stack runs a producer instance (the `producer` asset).
    pub fn has_producer(&self) -> bool {
        self.assets.iter().any(|a| a == "producer")
    }

    /// The stack spans two regions.
    pub fn spans_regions(&self) -> bool {
        self.deployment.region_pair.is_some()
    }

    /// Parameters set per region of a region pair: role and peer region of
    /// `regions[index]`. Empty for a single-region stack.
    pub fn region_parameters(&self, regions: &[String], index: usize) -> Vec<(String, String)> {
        let Some(pair) = &self.deployment.region_pair else {
            return Vec::new();
        };
        let (Some(role), Some(peer)) = (pair.roles.get(index), regions.get(1 - index.min(1)))
        else {
            return Vec::new();
        };
        vec![
            (pair.role_parameter.clone(), role.clone()),
            (pair.peer_parameter.clone(), peer.clone()),
        ]
    }

    /// Checks the deployment data against the rest of the manifest: every
    /// parameter it names is in a console group, a pair has two roles.
    fn check(&self) -> Result<()> {
        let grouped = |p: &str| {
            self.parameter_groups
                .iter()
                .any(|g| g.parameters.iter().any(|q| q == p))
        };
        let bad = |message: String| Error::Manifest {
            file: self.file.clone(),
            message,
        };
        let d = &self.deployment;
        let mut named: Vec<&String> = d.network_parameters.keys().collect();
        named.extend(d.local_parameters.keys());
        if let Some(pair) = &d.region_pair {
            if pair.roles.len() != 2 || pair.roles[0] == pair.roles[1] {
                return Err(bad(format!(
                    "deployment.region_pair.roles must be two different values, got {:?}",
                    pair.roles
                )));
            }
            named.extend([&pair.role_parameter, &pair.peer_parameter]);
        }
        match named.into_iter().find(|p| !grouped(p)) {
            Some(p) => Err(bad(format!(
                "deployment names parameter '{p}', which is in no parameter group (not a parameter of the stack)"
            ))),
            None => Ok(()),
        }
    }

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
    manifests.sort_by_key(|m| {
        (
            m.id.as_str().parse::<u32>().unwrap_or(u32::MAX),
            m.id.to_string(),
        )
    });
    Ok(manifests)
}

/// Parses one manifest; `path` is used in error messages only.
pub fn parse_manifest(path: &str, text: &str) -> Result<Manifest> {
    let mut manifest: Manifest = serde_yaml_ng::from_str(text).map_err(|e| Error::Manifest {
        file: path.to_string(),
        message: e.to_string(),
    })?;
    manifest.file = path.to_string();
    manifest.check()?;
    Ok(manifest)
}

/// Ids of every pattern, for error messages and help text.
pub fn ids() -> Result<Vec<String>> {
    Ok(all()?.into_iter().map(|m| m.id.into()).collect())
}

/// `--pattern`'s help: every id of the catalog (so a new stack is listed).
pub fn pattern_help() -> String {
    let ids = ids().unwrap_or_default();
    let list = match ids.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => ids.join(", "),
    };
    format!("Pattern id: {list} (see `streamkit patterns`)")
}

/// Looks a pattern up by id (`2`), by name (`pattern-2`) or by stack suffix.
pub fn find(id: &str) -> Result<Manifest> {
    let all = all()?;
    let wanted = id.trim();
    if let Some(m) = all.iter().find(|m| m.id == *wanted || m.name == wanted) {
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

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "id: x\nname: x\ntitle: t\ndescription: d\ntemplate_description: t\nfragments: []\nparameter_groups:\n  - label: L\n    parameters: [RegionRole, PeerRegion]\n";

    #[test]
    fn deployment_data_is_checked_when_the_manifest_loads() {
        let pair = "deployment:\n  region_pair:\n    roles: [primary, secondary]\n    role_parameter: RegionRole\n    peer_parameter: PeerRegion\n";
        let m = parse_manifest("patterns/x.yaml", &format!("{BASE}{pair}")).unwrap();
        assert!(m.spans_regions());
        let regions = ["a".to_string(), "b".to_string()];
        assert_eq!(
            m.region_parameters(&regions, 1),
            [
                ("RegionRole".to_string(), "secondary".to_string()),
                ("PeerRegion".to_string(), "a".to_string())
            ]
        );
        let unknown = pair.replace("PeerRegion", "Peer");
        let err = parse_manifest("patterns/x.yaml", &format!("{BASE}{unknown}")).unwrap_err();
        assert!(err.to_string().contains("'Peer'"), "{err}");
        let one_role = pair.replace("[primary, secondary]", "[primary]");
        assert!(parse_manifest("patterns/x.yaml", &format!("{BASE}{one_role}")).is_err());
        let typo = "deployment:\n  regions: 2\n";
        assert!(parse_manifest("patterns/x.yaml", &format!("{BASE}{typo}")).is_err());
    }

    #[test]
    fn the_catalog_says_which_stacks_span_regions_and_run_a_producer() {
        let all = all().unwrap();
        let spans: Vec<&str> = all
            .iter()
            .filter(|m| m.spans_regions())
            .map(|m| m.id.as_str())
            .collect();
        assert_eq!(spans, ["cross-region"]);
        let producers: Vec<&str> = all
            .iter()
            .filter(|m| m.has_producer())
            .map(|m| m.id.as_str())
            .collect();
        assert_eq!(producers, ["2", "4"]);
        let with_network: Vec<&str> = all
            .iter()
            .filter(|m| !m.deployment.network_parameters.is_empty())
            .map(|m| m.id.as_str())
            .collect();
        assert_eq!(with_network, ["2", "4"]);
        assert!(PatternId::try_from("Bad Id".to_string()).is_err());
    }
}
