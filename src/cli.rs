//! Command-line interface (clap derive). Every `///` here is `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Deploy Amazon Kinesis streaming patterns: render, validate, build and deploy.
#[derive(Debug, Parser)]
#[command(name = "streamkit", version, about, propagate_version = true)]
#[command(
    after_help = "Examples:\n  streamkit patterns\n  streamkit synth --pattern 2 --format yaml\n  streamkit synth --all --out out/\n  streamkit validate"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command accepts.
#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// AWS region (default: the profile's region or AWS_REGION).
    #[arg(long, global = true, env = "AWS_REGION")]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TemplateFormat {
    Json,
    Yaml,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the stacks streamkit can deploy.
    #[command(after_help = "Example:\n  streamkit patterns --output json")]
    Patterns,
    /// Render a stack's CloudFormation template, validate it, print or write it.
    #[command(
        after_help = "Examples:\n  streamkit synth --pattern 1\n  streamkit synth --pattern 2 --set engine=flink --format yaml\n  streamkit synth --all --out out/"
    )]
    Synth(SynthArgs),
    /// Render and check stacks without touching AWS (all settings of each pattern).
    #[command(
        after_help = "Examples:\n  streamkit validate\n  streamkit validate --pattern cross-region"
    )]
    Validate(ValidateArgs),
    /// Create the artifact buckets BASE and BASE-<region>: encrypted, versioned, private, TLS only.
    #[command(
        after_help = "Examples:\n  streamkit bootstrap --bucket-base my-assets\n  streamkit bootstrap --bucket-base my-assets --regions us-east-1,us-west-2"
    )]
    Bootstrap(crate::commands::bootstrap::BootstrapArgs),
    /// Upload a build-dist output (templates to BASE, code to BASE-<region>), skipping unchanged objects.
    #[command(
        after_help = "Examples:\n  streamkit publish\n  streamkit publish --dist-dir deployment --regions us-east-1,us-west-2"
    )]
    Publish(crate::commands::publish::PublishArgs),
    /// Deploy a stack: change set, guard for stateful resources, confirm, execute, watch, outputs.
    #[command(
        after_help = "Examples:\n  streamkit deploy --pattern 3\n  streamkit deploy --pattern 3 --parameter ShardCount=4 --yes\n  streamkit deploy --pattern cross-region --regions us-east-1,us-west-2 --parameter StreamName=orders --yes\n\nExit codes: 0 deployed or no changes, 1 deployment failed, 2 bad input or refused, 3 AWS access problem."
    )]
    Deploy(crate::commands::deploy::DeployArgs),
    /// Show the changes a deploy would make (a change set, deleted afterwards).
    #[command(after_help = "Example:\n  streamkit diff --pattern 3 --parameter ShardCount=4")]
    Diff(crate::commands::diff::DiffArgs),
    /// Show a stack's status; --watch follows an operation in progress.
    #[command(
        after_help = "Examples:\n  streamkit status --pattern 3\n  streamkit status --stack-name streamkit-pattern-3 --watch"
    )]
    Status(crate::commands::status::StatusArgs),
    /// Print a deployed stack's outputs.
    #[command(after_help = "Example:\n  streamkit outputs --pattern 3 --output json")]
    Outputs(crate::commands::outputs::OutputsArgs),
    /// Delete a stack; retained data buckets stay unless --delete-data.
    #[command(
        after_help = "Examples:\n  streamkit destroy --pattern 3 --yes\n  streamkit destroy --pattern 3 --delete-data --yes"
    )]
    Destroy(crate::commands::destroy::DestroyArgs),
    /// Print the console URL of the stack's CloudWatch dashboard.
    #[command(after_help = "Example:\n  streamkit dashboard --pattern 3")]
    Dashboard(crate::commands::dashboard::DashboardArgs),
    /// Build every asset and write deployable templates, zips and a manifest into deployment/.
    #[command(
        disable_version_flag = true,
        after_help = "Examples:\n  streamkit build-dist --bucket my-assets --solution streamkit --version v1.0.0\n  streamkit build-dist --bucket my-assets --solution streamkit --version dev --arch x86_64 --cargo-profile dev"
    )]
    BuildDist(crate::commands::build_dist::BuildDistArgs),
    /// Run a stack's data plane locally (same code as in AWS), e.g. the cross-region replicator.
    #[command(
        after_help = "Example:\n  streamkit local replicate --stack-name orders-xr --regions us-east-1,us-west-2 --until-idle"
    )]
    Local(crate::commands::local::LocalArgs),
    /// Cross-region replication: status per region and shard.
    #[command(
        after_help = "Example:\n  streamkit replication status --stack-name orders-xr --regions us-east-1,us-west-2 --max-lag 60"
    )]
    Replication(crate::commands::replication::ReplicationArgs),
    /// Make the other region of a cross-region stack the active (replicating) one.
    #[command(
        after_help = "Examples:\n  streamkit failover --stack-name orders-xr --regions us-east-1,us-west-2 --to us-west-2 --yes\n\nExit codes: 0 done, 1 config changed under it or AWS failure, 2 bad input (nothing changed), 3 AWS access problem."
    )]
    Failover(crate::commands::failover::FailoverArgs),
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Pattern id: 1, 2, 3, 4 or cross-region (see `streamkit patterns`).
    #[arg(long, required_unless_present = "all", conflicts_with = "all")]
    pub pattern: Option<String>,
    /// Render every pattern (needs --out).
    #[arg(long, requires = "out")]
    pub all: bool,
    /// Template format.
    #[arg(long, value_enum, default_value_t = TemplateFormat::Json)]
    pub format: TemplateFormat,
    /// Directory to write `<pattern>.template.<format>` into (default: print to stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Render-time setting, KEY=VALUE (repeatable), e.g. `engine=flink` for patterns 2 and 4.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub settings: Vec<(String, String)>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Only this pattern (default: every pattern).
    #[arg(long)]
    pub pattern: Option<String>,
}

/// Parses `KEY=VALUE`.
pub fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("'{s}' is not KEY=VALUE")),
    }
}
