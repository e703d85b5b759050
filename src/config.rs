//! `streamkit.toml`: `[env.NAME]` sections holding the same settings as the
//! deploy flags. [`StackArgs`] is both the clap argument group and the config
//! schema; [`resolve`] merges them. Precedence, later wins:
//! config file < environment variables (`AWS_REGION`, `AWS_PROFILE`,
//! `AWS_ENDPOINT_URL`, read by clap) < command-line flags.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Args;
use serde::{Deserialize, Deserializer};

use crate::args::{parse_key_value, GlobalArgs};
use crate::aws::AwsOptions;
use crate::error::{Error, Result};

/// The default settings file, read when present and no `--config` is given.
pub const DEFAULT_FILE: &str = "streamkit.toml";

/// What to deploy and where: the flags of stack commands, and the keys of one
/// `[env.NAME]` section.
#[derive(Debug, Clone, Default, Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackArgs {
    #[arg(long, help = crate::catalog::pattern_help())]
    #[serde(default, deserialize_with = "pattern_id")]
    pub pattern: Option<String>,
    /// Stack name (default: `streamkit-<pattern name>`, e.g. streamkit-pattern-3).
    #[arg(long)]
    pub stack_name: Option<String>,
    /// Regions to deploy to in parallel, comma-separated (cross-region: primary first).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    #[serde(default)]
    pub regions: Vec<String>,
    /// Artifact bucket base name: code goes to BASE-<region>, templates to BASE.
    #[arg(long)]
    pub bucket_base: Option<String>,
    /// Solution name, the first part of artifact keys (NAME/VERSION/...).
    #[arg(long)]
    pub solution: Option<String>,
    /// Version, the second part of artifact keys.
    #[arg(
        long = "solution-version",
        id = "solution_version",
        value_name = "VERSION"
    )]
    pub version: Option<String>,
    /// Template parameter, Key=Value (repeatable); checked against the template's constraints.
    #[arg(long = "parameter", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    #[serde(default, deserialize_with = "pairs")]
    pub parameters: Vec<(String, String)>,
    /// Stack tag, Key=Value (repeatable).
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    #[serde(default, deserialize_with = "pairs")]
    pub tags: Vec<(String, String)>,
    /// Remove this stack tag on update (repeatable); deployed tags are otherwise kept.
    #[arg(long = "remove-tag", value_name = "KEY")]
    #[serde(skip)]
    pub remove_tags: Vec<String>,
    /// Render-time setting, KEY=VALUE (repeatable), e.g. `engine=flink`.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    #[serde(default, deserialize_with = "pairs")]
    pub settings: Vec<(String, String)>,
    /// Region (config file only; on the command line it is the global --region).
    #[arg(skip)]
    pub region: Option<String>,
    /// Named profile (config file only; on the command line it is the global --profile).
    #[arg(skip)]
    pub profile: Option<String>,
}

/// Where artifacts go: the flags of `bootstrap` and `publish` (a subset of [`StackArgs`]).
#[derive(Debug, Clone, Default, Args)]
pub struct BucketArgs {
    /// Artifact bucket base name: templates go to BASE, code to BASE-<region> (default: `bucket_base` in streamkit.toml, else the one the build-dist output in --dist-dir was built for, else streamkit-assets).
    #[arg(long)]
    pub bucket_base: Option<String>,
    /// Regions that get the code, comma-separated (default: the current region).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub regions: Vec<String>,
}

impl BucketArgs {
    pub fn to_args(&self) -> StackArgs {
        StackArgs {
            bucket_base: self.bucket_base.clone(),
            regions: self.regions.clone(),
            ..StackArgs::default()
        }
    }
}

/// The stack a read or delete command works on (a subset of [`StackArgs`]).
#[derive(Debug, Clone, Default, Args)]
pub struct StackRef {
    /// Pattern id; the stack name defaults to `streamkit-<pattern name>`.
    #[arg(long, help = crate::catalog::pattern_help())]
    pub pattern: Option<String>,
    /// Stack name.
    #[arg(long)]
    pub stack_name: Option<String>,
}

impl StackRef {
    pub fn to_args(&self) -> StackArgs {
        StackArgs {
            pattern: self.pattern.clone(),
            stack_name: self.stack_name.clone(),
            ..StackArgs::default()
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    env: BTreeMap<String, StackArgs>,
}

/// A config value for parameters, tags and settings: any TOML scalar.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

/// `pattern = 3` or `pattern = "3"`: a pattern id as a TOML string or integer.
fn pattern_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Str(String),
        Int(u32),
    }
    Ok(Some(match Id::deserialize(d)? {
        Id::Str(s) => s,
        Id::Int(i) => i.to_string(),
    }))
}

fn pairs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String)>, D::Error> {
    let map = BTreeMap::<String, Scalar>::deserialize(d)?;
    Ok(map
        .into_iter()
        .map(|(k, v)| {
            let v = match v {
                Scalar::Str(s) => s,
                Scalar::Int(i) => i.to_string(),
                Scalar::Float(f) => f.to_string(),
                Scalar::Bool(b) => b.to_string(),
            };
            (k, v)
        })
        .collect())
}

/// Settings resolved from the config file, env vars and flags.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub stack: StackArgs,
    pub aws: AwsOptions,
}

impl Resolved {
    /// The regions given (`--regions` or the config file), else `current`.
    pub fn regions_or(&self, current: &str) -> Vec<String> {
        if self.stack.regions.is_empty() {
            vec![current.to_string()]
        } else {
            self.stack.regions.clone()
        }
    }

    /// Every problem with the stack name, regions and tags given (one line
    /// each), found without any AWS call; empty when all are valid.
    pub fn problems(&self) -> Vec<String> {
        use crate::validate::input;
        let mut out = Vec::new();
        if let Some(name) = &self.stack.stack_name {
            out.extend(input::stack_name(name));
        }
        out.extend(input::regions("--regions", &self.stack.regions));
        if let Some(region) = &self.aws.region {
            out.extend(input::regions("--region", std::slice::from_ref(region)));
        }
        out.extend(input::tags(&self.stack.tags, 1));
        out.extend(input::removed_tags(
            &self.stack.remove_tags,
            &self.stack.tags,
        ));
        if let Some(url) = &self.aws.endpoint {
            out.extend(input::endpoint_url(url));
        }
        if let Some(profile) = &self.aws.profile {
            out.extend(crate::profile::problem(profile));
        }
        if let Some(base) = &self.stack.bucket_base {
            if let Err(e) = crate::bucket::check_base("--bucket-base", base) {
                out.push(e.to_string());
            }
        }
        out
    }
}

impl StackArgs {
    /// The stack name: `--stack-name`, else derived from `--pattern`.
    pub fn stack_name(&self) -> Result<String> {
        if let Some(name) = &self.stack_name {
            return Ok(name.clone());
        }
        match &self.pattern {
            Some(p) => Ok(crate::catalog::find(p)?.default_stack_name()),
            None => Err(Error::BadInput(
                "no stack given: pass --stack-name NAME or --pattern ID (or set one in streamkit.toml)".into(),
            )),
        }
    }
}

/// Merges config file < env vars < flags (clap already put env vars and flags in `global`/`flags`).
pub fn resolve(global: &GlobalArgs, flags: &StackArgs) -> Result<Resolved> {
    let file = load(global.config.as_deref(), global.env.as_deref())?.unwrap_or_default();
    let stack = merge(file, flags.clone());
    let aws = AwsOptions {
        // Else the first of --regions: a multi-region command needs no other.
        region: global
            .region()
            .or_else(|| stack.region.clone())
            .or_else(|| stack.regions.first().cloned()),
        profile: global.profile.clone().or_else(|| stack.profile.clone()),
        endpoint: global.endpoint_url.clone().filter(|e| !e.is_empty()),
        credentials: None,
    };
    Ok(Resolved { stack, aws })
}

/// Later (`over`) wins; maps merge key by key.
pub fn merge(base: StackArgs, over: StackArgs) -> StackArgs {
    fn pairs(mut a: Vec<(String, String)>, b: Vec<(String, String)>) -> Vec<(String, String)> {
        for (k, v) in b {
            a.retain(|(x, _)| *x != k);
            a.push((k, v));
        }
        a
    }
    StackArgs {
        pattern: over.pattern.or(base.pattern),
        stack_name: over.stack_name.or(base.stack_name),
        regions: if over.regions.is_empty() {
            base.regions
        } else {
            over.regions
        },
        bucket_base: over.bucket_base.or(base.bucket_base),
        solution: over.solution.or(base.solution),
        version: over.version.or(base.version),
        parameters: pairs(base.parameters, over.parameters),
        tags: pairs(base.tags, over.tags),
        remove_tags: [base.remove_tags, over.remove_tags].concat(),
        settings: pairs(base.settings, over.settings),
        region: over.region.or(base.region),
        profile: over.profile.or(base.profile),
    }
}

/// Reads the `[env.NAME]` section. With no `--config`, `./streamkit.toml` is
/// used when it exists; `--env` defaults to `default` (absent is fine then).
pub fn load(path: Option<&Path>, env: Option<&str>) -> Result<Option<StackArgs>> {
    let (path, explicit) = match path {
        Some(p) => (p.to_path_buf(), true),
        None => (PathBuf::from(DEFAULT_FILE), false),
    };
    if !path.exists() {
        if explicit || env.is_some() {
            return Err(Error::BadInput(format!(
                "config file {} not found; pass --config FILE or create it",
                path.display()
            )));
        }
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Error::BadInput(format!("cannot read config file {}: {e}", path.display())))?;
    parse(&path.display().to_string(), &text, env)
}

/// Parses config text; errors name the file, line and key.
pub fn parse(file: &str, text: &str, env: Option<&str>) -> Result<Option<StackArgs>> {
    let mut config: ConfigFile = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| {
                format!(
                    " line {}",
                    text[..s.start.min(text.len())].matches('\n').count() + 1
                )
            })
            .unwrap_or_default();
        let message = e.message().replace('\n', " ");
        Error::BadInput(format!("{file}{line}: {message}"))
    })?;
    let name = env.unwrap_or("default");
    match config.env.remove(name) {
        Some(section) => Ok(Some(section)),
        None if env.is_none() => Ok(None),
        None => {
            let known: Vec<&str> = config.env.keys().map(String::as_str).collect();
            Err(Error::BadInput(format!(
                "{file}: no [env.{name}] section; defined: {}",
                if known.is_empty() {
                    "(none)".to_string()
                } else {
                    known.join(", ")
                }
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typo_names_key_and_line() {
        let text = "[env.dev]\nregion = \"us-east-1\"\nstack_nmae = \"x\"\n";
        let err = parse("streamkit.toml", text, Some("dev"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("streamkit.toml line 3"), "{err}");
        assert!(err.contains("stack_nmae"), "{err}");
    }

    #[test]
    fn wrong_type_names_line() {
        let text = "[env.dev]\nregions = \"us-east-1\"\n";
        let err = parse("f.toml", text, Some("dev")).unwrap_err().to_string();
        assert!(err.contains("f.toml line 2"), "{err}");
    }

    #[test]
    fn flags_win_over_file_and_maps_merge() {
        let text =
            "[env.dev]\nstack_name = \"a\"\nparameters = { ShardCount = 2, RetentionHours = 48 }\n";
        let file = parse("f", text, Some("dev")).unwrap().unwrap();
        let flags = StackArgs {
            parameters: vec![("ShardCount".into(), "4".into())],
            ..Default::default()
        };
        let merged = merge(file, flags);
        assert_eq!(merged.stack_name.as_deref(), Some("a"));
        assert_eq!(
            merged.parameters,
            vec![
                ("RetentionHours".into(), "48".into()),
                ("ShardCount".into(), "4".into())
            ]
        );
    }
}
