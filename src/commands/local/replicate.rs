//! `streamkit local replicate`: the replicator of a cross-region stack run
//! locally (same core as the Lambda), e.g. against the emulator.

use std::fmt;
use std::time::Duration;

use clap::Args;
use serde::Serialize;

use crate::aws;
use crate::commands::Context;
use crate::error::Result;
use crate::io::{write_lines, Report};
use crate::progress::Event;
use crate::replication::runner::{self, RegionRun, RunOptions};

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

/// What each region's runner did.
#[derive(Debug, Serialize)]
pub struct ReplicateReport {
    pub stack: String,
    pub stream: String,
    pub regions: Vec<RegionRun>,
}

pub fn run(ctx: &Context<'_>, args: &ReplicateArgs) -> Result<ReplicateReport> {
    // stdout is one JSON document: retry lines go to stderr in either mode.
    let progress = ctx.io.progress_on_stderr();
    let retry = |line: &str| {
        progress.emit(Event::Retry {
            message: line.to_string(),
        })
    };
    aws::block_on(async {
        let xr = crate::commands::region_pair(ctx, &args.stack_name, &args.regions).await?;
        let opts = RunOptions {
            until_idle: args
                .until_idle
                .then(|| Duration::from_secs_f64(args.idle_seconds.max(0.0))),
            poll_interval: Duration::from_millis(250),
            batch_limit: 1000,
            max_retry: Duration::from_secs_f64(args.max_retry_seconds.max(0.0)),
            progress: &retry,
        };
        let runs = runner::run(&xr, &opts).await?;
        Ok(ReplicateReport {
            stack: xr.stack_name,
            stream: xr.stream,
            regions: runs,
        })
    })
}

impl fmt::Display for ReplicateReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_lines(f, &self.regions, |f, r| {
            write!(
                f,
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
            )
        })
    }
}

impl Report for ReplicateReport {}
