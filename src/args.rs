//! Arguments shared by the command line and the commands: the global flags,
//! the output and template formats, `KEY=VALUE` parsing. Below both `cli`
//! (which composes the commands' argument structs) and `commands`, so neither
//! imports the other back.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// Flags every command accepts.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// AWS region (default: AWS_REGION, else the profile's region).
    /// AWS_REGION is read by [`GlobalArgs::region`], so this field is the flag
    /// alone (`deploy` refuses `--region` with `--regions`).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// Named AWS profile from the shared config files.
    #[arg(long, global = true, env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// Send every AWS call to this endpoint (e.g. a local emulator).
    #[arg(long, global = true, env = "AWS_ENDPOINT_URL")]
    pub endpoint_url: Option<String>,
    /// Result format on stdout: human-readable text, or JSON for machines.
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// Settings file with `[env.NAME]` sections (default: ./streamkit.toml when present).
    #[arg(long, global = true, env = "STREAMKIT_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Environment section of the settings file to use (default: `default`).
    #[arg(long, global = true, env = "STREAMKIT_ENV", value_name = "NAME")]
    pub env: Option<String>,
}

impl GlobalArgs {
    /// The region: `--region`, else `AWS_REGION` (empty values are unset).
    pub fn region(&self) -> Option<String> {
        self.region
            .clone()
            .or_else(|| std::env::var("AWS_REGION").ok())
            .filter(|r| !r.is_empty())
    }
}

/// What stdout carries: text for people, or JSON (NDJSON) for programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
}

/// The format of a rendered template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TemplateFormat {
    Json,
    Yaml,
}

impl TemplateFormat {
    /// File extension of a template in this format.
    pub fn extension(self) -> &'static str {
        match self {
            TemplateFormat::Json => "json",
            TemplateFormat::Yaml => "yaml",
        }
    }
}

/// Parses `KEY=VALUE` (the key trimmed, the value as given).
pub fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("'{s}' is not KEY=VALUE")),
    }
}
