//! `streamkit redrive [--dry-run]`: re-processes the batches a stack's event
//! source mappings discarded (their on-failure records in SQS or S3) through
//! the mapping's function, in order per shard, deleting each record only
//! after its batch succeeded. A second run finds nothing to redrive.

use std::fmt;

use clap::Args;
use serde::Serialize;

use super::Context;
use crate::aws;
use crate::config::StackRef;
use crate::error::{Error, Result};
use crate::io::Report;
use crate::ops::mappings;
use crate::ops::redrive::{self, BatchResult};

#[derive(Debug, Args)]
pub struct RedriveArgs {
    #[command(flatten)]
    pub stack: StackRef,
    /// Show what would be redriven; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Every discarded batch found and what became of it.
#[derive(Debug, Serialize)]
pub struct RedriveReport {
    pub stack: String,
    pub region: String,
    pub dry_run: bool,
    pub batches: Vec<BatchResult>,
    /// Messages in a failure destination that are not on-failure records (left alone).
    pub other_messages: usize,
}

pub fn run(ctx: &Context<'_>, args: &RedriveArgs) -> Result<RedriveReport> {
    aws::block_on(async {
        let (aws, info) = super::deployed(ctx, &args.stack).await?;
        let with_destination: Vec<_> = mappings::of_stack(&aws, &info.id)
            .await?
            .into_iter()
            .filter_map(|m| m.on_failure.clone().map(|d| (m, d)))
            .collect();
        if with_destination.is_empty() {
            return Err(Error::BadInput(format!(
                "stack {} has no Kinesis event source mapping with an on-failure destination (DestinationConfig.OnFailure): nothing can be redriven; nothing was changed",
                info.name
            )));
        }
        let progress = ctx.io.progress();
        let mut batches = Vec::new();
        let mut other_messages = 0;
        for (mapping, destination) in &with_destination {
            let (found, foreign) =
                redrive::redrive(&aws, mapping, destination, args.dry_run, &progress).await?;
            batches.extend(found);
            other_messages += foreign;
        }
        Ok(RedriveReport {
            stack: info.name,
            region: aws.region,
            dry_run: args.dry_run,
            batches,
            other_messages,
        })
    })
}

impl RedriveReport {
    fn count(&self, result: &str) -> (usize, usize) {
        self.batches
            .iter()
            .filter(|b| b.result == result)
            .fold((0, 0), |(n, r), b| (n + 1, r + b.records))
    }
}

impl fmt::Display for RedriveReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.batches {
            let reason = b
                .reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default();
            writeln!(
                f,
                "{} {} {}..{} ({} records): {}{reason}",
                b.function,
                b.shard_id,
                b.start,
                b.end,
                b.records,
                b.result.replace('_', " ")
            )?;
        }
        if self.batches.is_empty() {
            return write!(f, "{} ({}): nothing to redrive", self.stack, self.region);
        }
        let (n, r) = self.count(if self.dry_run {
            "would_redrive"
        } else {
            "redriven"
        });
        let (gone, _) = self.count("beyond_retention");
        let (failed, _) = self.count("failed");
        write!(
            f,
            "{} ({}): {n} batches ({r} records) {}; {gone} beyond retention; {failed} failed",
            self.stack,
            self.region,
            if self.dry_run {
                "would be redriven"
            } else {
                "redriven"
            }
        )
    }
}

impl Report for RedriveReport {
    fn outcome(self) -> Result<()> {
        let (failed, _) = self.count("failed");
        if failed == 0 {
            return Ok(());
        }
        Err(Error::Aws(format!(
            "{failed} batches failed again (their records stay in the failure destination); fix the function and run `streamkit redrive` again"
        )))
    }
}
