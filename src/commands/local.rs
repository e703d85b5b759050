//! `streamkit local replicate`: the replicator of a cross-region stack run
//! locally (same core as the Lambda), e.g. against the emulator.

use std::io::Write;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::json;

use crate::aws;
use crate::cli::{GlobalArgs, OutputFormat};
use crate::commands::emit;
use crate::config::{self, StackArgs};
use crate::error::Result;
use crate::replication::runner::{self, RunOptions};
use crate::replication::XrStack;

#[derive(Debug, Args)]
pub struct LocalArgs {
    #[command(subcommand)]
    pub command: LocalCommand,
}

#[derive(Debug, Subcommand)]
pub enum LocalCommand {
    /// Poll both regions' streams and replicate from the active one, as the event source mappings would.
    #[command(
        after_help = "Examples:\n  streamkit local replicate --stack-name orders-xr --regions us-east-1,us-west-2 --until-idle\n  streamkit local replicate --stack-name orders-xr --until-idle --max-retry-seconds 60\n\nExit codes: 0 done, 1 replication failed (e.g. the destination unreachable for --max-retry-seconds; run again to resume), 2 bad input, 3 AWS access problem."
    )]
    Replicate(ReplicateArgs),
}

#[derive(Debug, Args)]
pub struct ReplicateArgs {
    /// The cross-region stack (same name in both regions).
    #[arg(long)]
    pub stack_name: String,
    /// The stack's two regions, A,B (default: --region and the stack's PeerRegion).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub regions: Vec<String>,
    /// Exit once every shard of both streams has been idle for --idle-seconds.
    #[arg(long)]
    pub until_idle: bool,
    /// Idle time before --until-idle exits.
    #[arg(long, default_value_t = 3.0, value_name = "SECONDS")]
    pub idle_seconds: f64,
    /// Keep retrying a batch the destination does not accept (unreachable,
    /// erroring, entries rejected), or a failing poll, for this long without
    /// progress; then exit 1 (a rerun resumes from the checkpoints).
    #[arg(long, default_value_t = 300.0, value_name = "SECONDS")]
    pub max_retry_seconds: f64,
}

pub fn run(global: &GlobalArgs, args: &LocalArgs, out: &mut dyn Write) -> Result<()> {
    let LocalCommand::Replicate(args) = &args.command;
    let resolved = config::resolve(global, &StackArgs::default())?;
    aws::block_on(async {
        let xr = XrStack::resolve(&resolved.aws, &args.stack_name, &args.regions).await?;
        let opts = RunOptions {
            until_idle: args
                .until_idle
                .then(|| Duration::from_secs_f64(args.idle_seconds.max(0.0))),
            poll_interval: Duration::from_millis(250),
            batch_limit: 1000,
            max_retry: Duration::from_secs_f64(args.max_retry_seconds.max(0.0)),
            progress: |line| eprintln!("{line}"),
        };
        let runs = runner::run(&xr, &opts).await?;
        if global.output == OutputFormat::Json {
            return emit(
                out,
                &json!({ "stack": xr.stack_name, "stream": xr.stream, "regions": runs })
                    .to_string(),
            );
        }
        for r in &runs {
            emit(
                out,
                &format!(
                    "{}: read {}, replicated {}, duplicates {} (at most {} more possible), retries {} ({} entries re-sent), skipped while passive {}, not sent back (before activation) {}",
                    r.region,
                    r.records_read,
                    r.records_replicated,
                    r.duplicates,
                    r.possible_duplicates,
                    r.retries,
                    r.retried_entries,
                    r.skipped_passive,
                    r.skipped_before_activation
                ),
            )?;
        }
        Ok(())
    })
}
