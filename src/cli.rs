//! The command line (clap derive): the `Command` enum composes each command's
//! argument struct, and [`Cli::run`] dispatches to the command and hands its
//! report to the I/O object. Every `///` here is `--help` text. Nothing below
//! imports this module back (shared flags live in [`crate::args`]).

use clap::{Parser, Subcommand};

use crate::args::{GlobalArgs, OutputFormat};
use crate::commands::{self, Context};
use crate::error::Result;
use crate::io::{Io, Report};

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

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the stacks streamkit can deploy.
    #[command(after_help = "Example:\n  streamkit patterns --output json")]
    Patterns,
    /// Render a stack's CloudFormation template, validate it, print or write it.
    #[command(
        after_help = "Examples:\n  streamkit synth --pattern 1\n  streamkit synth --pattern 2 --set engine=flink --format yaml\n  streamkit synth --all --out out/"
    )]
    Synth(commands::synth::SynthArgs),
    /// Render and check stacks without touching AWS (all settings of each pattern).
    #[command(
        after_help = "Examples:\n  streamkit validate\n  streamkit validate --pattern cross-region"
    )]
    Validate(commands::validate::ValidateArgs),
    /// Create the artifact buckets BASE and BASE-<region>: encrypted, versioned, private, TLS only.
    #[command(
        after_help = "Examples:\n  streamkit bootstrap --bucket-base my-assets\n  streamkit bootstrap --bucket-base my-assets --regions us-east-1,us-west-2"
    )]
    Bootstrap(commands::bootstrap::BootstrapArgs),
    /// Upload a build-dist output (templates to BASE, code to BASE-<region>), skipping unchanged objects.
    #[command(
        after_help = "Examples:\n  streamkit publish\n  streamkit publish --dist-dir deployment --regions us-east-1,us-west-2"
    )]
    Publish(commands::publish::PublishArgs),
    /// Deploy a stack: change set, guard for stateful resources, confirm, execute, watch, outputs.
    #[command(
        after_help = "Examples:\n  streamkit deploy --pattern 3\n  streamkit deploy --pattern 3 --parameter ShardCount=4 --yes\n  streamkit deploy --pattern cross-region --stack-name orders-xr --regions us-east-1,us-west-2 --parameter StreamName=orders --yes\n\nExit codes: 0 deployed or no changes, 1 deployment failed, 2 bad input or refused, 3 AWS access problem."
    )]
    Deploy(commands::deploy::DeployArgs),
    /// Check with IAM that you (or --role-arn) may make every change a deploy would make; changes nothing.
    #[command(
        after_help = "Examples:\n  streamkit preflight --pattern 3\n  streamkit preflight --pattern 2 --role-arn arn:aws:iam::123456789012:role/cfn-deploy --output json\n\nExit codes: 0 allowed (or IAM cannot simulate the caller: a warning says why), 2 an action is denied or bad input, 3 AWS access problem."
    )]
    Preflight(commands::preflight::PreflightArgs),
    /// Estimate a stack's monthly cost without deploying (deployed values with --deployed).
    #[command(
        after_help = "Examples:\n  streamkit estimate --pattern 3 --parameter ShardCount=4\n  streamkit estimate --pattern 3 --deployed --output json"
    )]
    Estimate(commands::estimate::EstimateArgs),
    /// Show the changes a deploy would make (a change set, deleted afterwards).
    #[command(after_help = "Example:\n  streamkit diff --pattern 3 --parameter ShardCount=4")]
    Diff(commands::diff::DiffArgs),
    /// Show a stack's status; --watch follows an operation in progress.
    #[command(
        after_help = "Examples:\n  streamkit status --pattern 3\n  streamkit status --stack-name streamkit-pattern-3 --watch"
    )]
    Status(commands::status::StatusArgs),
    /// Print a deployed stack's outputs.
    #[command(after_help = "Example:\n  streamkit outputs --pattern 3 --output json")]
    Outputs(commands::outputs::OutputsArgs),
    /// Delete a stack (in each of --regions); retained data buckets and tables stay unless --delete-data.
    #[command(
        after_help = "Examples:\n  streamkit destroy --pattern 3 --yes\n  streamkit destroy --pattern 3 --delete-data --yes\n  streamkit destroy --stack-name orders-xr --regions us-east-1,us-west-2 --yes"
    )]
    Destroy(commands::destroy::DestroyArgs),
    /// List the streamkit stacks deployed (name, pattern, status, last update, monthly estimate).
    #[command(
        after_help = "Examples:\n  streamkit list\n  streamkit list --regions us-east-1,us-west-2 --output json"
    )]
    List(commands::list::ListArgs),
    /// CloudFormation drift detection: one line per drifted property (expected → actual).
    #[command(
        after_help = "Examples:\n  streamkit drift --pattern 1\n  streamkit drift --stack-name orders --output json\n\nExit codes: 0 in sync, 1 drifted (or detection failed), 2 bad input, 3 AWS access problem."
    )]
    Drift(commands::drift::DriftArgs),
    /// Every log group of a stack, interleaved by time, each line prefixed by its source.
    #[command(
        after_help = "Examples:\n  streamkit logs --pattern 1 --since 10m\n  streamkit logs --pattern 1 --follow --filter ERROR"
    )]
    Logs(commands::logs::LogsArgs),
    /// Reshard a stack's stream (UpdateShardCount) or change its capacity mode, with the monthly cost before and after.
    #[command(
        after_help = "Examples:\n  streamkit scale --pattern 1 --shards 2\n  streamkit scale --pattern 1 --mode on-demand --yes\n\nLimits (UpdateShardCount): at most double or half the open shards per call, at most 10,000 shards, 10 calls per stream per rolling 24 hours.\nExit codes: 0 scaled or nothing to change, 1 AWS failure, 2 bad input or cancelled (nothing changed), 3 AWS access problem."
    )]
    Scale(commands::scale::ScaleArgs),
    /// Re-process the batches the stack's event source mappings discarded (SQS or S3 on-failure records).
    #[command(
        after_help = "Examples:\n  streamkit redrive --pattern 1 --dry-run\n  streamkit redrive --pattern 1\n\nExit codes: 0 redriven or nothing to redrive, 1 a batch failed again, 2 bad input (no failure destination; nothing changed), 3 AWS access problem."
    )]
    Redrive(commands::redrive::RedriveArgs),
    /// Re-process the records that arrived in a time range through the stack's function.
    #[command(
        after_help = "Examples:\n  streamkit replay --pattern 2 --from 30m\n  streamkit replay --pattern 2 --from 2026-12-06T14:00:00Z --to 2026-12-06T14:10:00Z\n\nExit codes: 0 replayed, 1 an invocation failed, 2 bad input (range in the future or reversed; nothing changed), 3 AWS access problem."
    )]
    Replay(commands::replay::ReplayArgs),
    /// Print the console URL of the stack's CloudWatch dashboard.
    #[command(after_help = "Example:\n  streamkit dashboard --pattern 3")]
    Dashboard(commands::dashboard::DashboardArgs),
    /// Build every asset and write deployable templates, zips and a manifest into deployment/.
    #[command(
        disable_version_flag = true,
        after_help = "Examples:\n  streamkit build-dist --bucket-base my-assets --solution streamkit --solution-version v1.0.0\n  streamkit build-dist --bucket-base my-assets --solution streamkit --solution-version dev --arch x86_64 --cargo-profile dev"
    )]
    BuildDist(commands::build_dist::BuildDistArgs),
    /// Run a stack's data plane locally (same code as in AWS), e.g. the cross-region replicator.
    #[command(
        after_help = "Example:\n  streamkit local replicate --stack-name orders-xr --regions us-east-1,us-west-2 --until-idle"
    )]
    Local(commands::local::LocalArgs),
    /// Cross-region replication: status per region and shard.
    #[command(
        after_help = "Example:\n  streamkit replication status --stack-name orders-xr --regions us-east-1,us-west-2 --max-lag 60"
    )]
    Replication(commands::replication::ReplicationArgs),
    /// Make the other region of a cross-region stack the active (replicating) one.
    #[command(
        after_help = "Examples:\n  streamkit failover --stack-name orders-xr --regions us-east-1,us-west-2 --to us-west-2 --yes\n\nExit codes: 0 done, 1 config changed under it or AWS failure, 2 bad input (nothing changed), 3 AWS access problem."
    )]
    Failover(commands::failover::FailoverArgs),
    /// Regenerate the generated parts of docs/ (the price table); --check fails when they drift.
    #[command(hide = true, after_help = "Example:\n  streamkit docs --check")]
    Docs(commands::docs::DocsArgs),
}

impl Cli {
    /// Runs the command with the CLI's context.
    pub fn run(&self, io: &Io) -> Result<()> {
        self.run_in(&Context::new(io, &self.global))
    }

    /// Runs the command in `ctx` and writes its report (see [`Report`]).
    pub fn run_in(&self, ctx: &Context<'_>) -> Result<()> {
        fn emit<R: Report>(ctx: &Context<'_>, report: Result<R>) -> Result<()> {
            let report = report?;
            ctx.io.report(&report)?;
            report.outcome()
        }
        use commands::*;
        match &self.command {
            Command::Patterns => emit(ctx, patterns::run(ctx)),
            Command::Synth(a) => emit(ctx, synth::run(ctx, a)),
            Command::Validate(a) => emit(ctx, validate::run(ctx, a)),
            Command::Bootstrap(a) => emit(ctx, bootstrap::run(ctx, a)),
            Command::Publish(a) => emit(ctx, publish::run(ctx, a)),
            Command::Deploy(a) => emit(ctx, deploy::run(ctx, a)),
            Command::Diff(a) => emit(ctx, diff::run(ctx, a)),
            Command::Preflight(a) => emit(ctx, preflight::run(ctx, a)),
            Command::Estimate(a) => emit(ctx, estimate::run(ctx, a)),
            Command::Status(a) => emit(ctx, status::run(ctx, a)),
            Command::Outputs(a) => emit(ctx, outputs::run(ctx, a)),
            Command::Destroy(a) => emit(ctx, destroy::run(ctx, a)),
            Command::Dashboard(a) => emit(ctx, dashboard::run(ctx, a)),
            Command::List(a) => emit(ctx, list::run(ctx, a)),
            Command::Drift(a) => emit(ctx, drift::run(ctx, a)),
            Command::Logs(a) => emit(ctx, logs::run(ctx, a)),
            Command::Scale(a) => emit(ctx, scale::run(ctx, a)),
            Command::Redrive(a) => emit(ctx, redrive::run(ctx, a)),
            Command::Replay(a) => emit(ctx, replay::run(ctx, a)),
            Command::BuildDist(a) => emit(ctx, build_dist::run(ctx, a)),
            Command::Local(a) => emit(ctx, local::run(ctx, a)),
            Command::Replication(a) => emit(ctx, replication::run(ctx, a)),
            Command::Failover(a) => emit(ctx, failover::run(ctx, a)),
            Command::Docs(a) => emit(ctx, docs::run(ctx, a)),
        }
    }
}

/// A command line clap could not parse: help and version as clap prints
/// them; errors as clap prints them (exit 2), or with `--output json` one
/// JSON error object on stderr.
pub fn parse_error(
    err: clap::Error,
    io_for: impl FnOnce(OutputFormat) -> Io,
) -> std::process::ExitCode {
    use clap::error::ErrorKind;
    let json = {
        let args: Vec<String> = std::env::args().collect();
        args.windows(2)
            .any(|w| w[0] == "--output" && w[1] == "json")
            || args.iter().any(|a| a == "--output=json")
    };
    let usage = !matches!(
        err.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if !(json && usage) {
        err.exit();
    }
    let io = io_for(OutputFormat::Json);
    std::process::ExitCode::from(io.finish(Err(usage_error(&err.render().to_string()))))
}

/// clap's rendered error as one message (with the arguments it names, e.g.
/// every missing one) and a hint (its tips, the usage line, where to read more).
pub fn usage_error(rendered: &str) -> crate::error::Error {
    let (mut message, mut hint) = (Vec::new(), Vec::new());
    for line in rendered.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(tip) = line.strip_prefix("tip: ") {
            hint.push(tip.to_string());
        } else if line.starts_with("Usage:") || line.starts_with("For more information") {
            hint.push(line.to_string());
        } else {
            message.push(line.trim_start_matches("error: ").to_string());
        }
    }
    crate::error::Error::Usage {
        message: message.join(" "),
        hint: hint.join("; "),
    }
}
