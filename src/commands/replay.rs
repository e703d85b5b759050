//! `streamkit replay --from TIME [--to TIME]`: re-processes the records that
//! arrived in a time range through the stack's function (AT_TIMESTAMP reads,
//! in order per shard), e.g. after fixing a bug.

use std::fmt;

use aws_sdk_kinesis::primitives::DateTime;
use clap::Args;
use serde::Serialize;

use super::Context;
use crate::aws;
use crate::config::StackRef;
use crate::error::{Error, Result};
use crate::io::Report;
use crate::ops::logs::parse_age;
use crate::ops::mappings;
use crate::ops::replay::{self, ShardReplay};

#[derive(Debug, Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    pub stack: StackRef,
    /// Start of the range (arrival time): RFC 3339 (2026-12-06T14:00:00Z) or an age (30m).
    #[arg(long, value_name = "TIME")]
    pub from: String,
    /// End of the range, exclusive (default: now): RFC 3339 or an age.
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
}

/// What was replayed, per function and shard.
#[derive(Debug, Serialize)]
pub struct ReplayReport {
    pub stack: String,
    pub region: String,
    pub from: String,
    pub to: String,
    pub shards: Vec<ShardReplay>,
}

/// Milliseconds since the epoch of a `--from`/`--to` value.
fn parse_time(flag: &str, text: &str, now: i64) -> std::result::Result<i64, String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_millis());
    }
    parse_age(text).map(|age| now - age).map_err(|_| {
        format!(
            "{flag} '{text}': not a time; give RFC 3339 (2026-12-06T14:00:00Z) or an age (30m, 2h)"
        )
    })
}

/// The range, or every problem with it (one line each).
pub fn range(args: &ReplayArgs, now: i64) -> Result<(i64, i64)> {
    let from = parse_time("--from", &args.from, now);
    let to = match &args.to {
        Some(t) => parse_time("--to", t, now),
        None => Ok(now),
    };
    let mut problems = Vec::new();
    match (&from, &to) {
        (Ok(f), Ok(t)) => {
            if *f > now {
                problems.push(format!("--from {}: in the future", args.from));
            }
            if *t > now {
                problems.push(format!(
                    "--to {}: in the future (records that have not arrived cannot be replayed)",
                    args.to.as_deref().unwrap_or_default()
                ));
            }
            if f >= t {
                problems.push("--from must be before --to (the range is reversed or empty)".into());
            }
        }
        _ => problems.extend([from.clone().err(), to.clone().err()].into_iter().flatten()),
    }
    if problems.is_empty() {
        Ok((from.unwrap_or_default(), to.unwrap_or_default()))
    } else {
        Err(Error::Invalid(problems))
    }
}

pub fn run(ctx: &Context<'_>, args: &ReplayArgs) -> Result<ReplayReport> {
    let now = chrono::Utc::now().timestamp_millis();
    let (from, to) = range(args, now)?;
    aws::block_on(async {
        let (aws, info) = super::deployed(ctx, &args.stack).await?;
        let list = mappings::of_stack(&aws, &info.id).await?;
        if list.is_empty() {
            return Err(Error::BadInput(format!(
                "stack {} has no Kinesis event source mapping: replay goes through a mapping's function (a Lambda engine); nothing was changed",
                info.name
            )));
        }
        let progress = ctx.io.progress();
        let mut shards = Vec::new();
        for m in &list {
            shards.extend(
                replay::replay(
                    &aws,
                    m,
                    DateTime::from_millis(from),
                    DateTime::from_millis(to),
                    &progress,
                )
                .await?,
            );
        }
        let iso = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms)
                .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
                .unwrap_or_default()
        };
        Ok(ReplayReport {
            stack: info.name,
            region: aws.region,
            from: iso(from),
            to: iso(to),
            shards,
        })
    })
}

impl fmt::Display for ReplayReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in &self.shards {
            let failed = s
                .failed
                .as_deref()
                .map(|r| format!("; stopped: {r}"))
                .unwrap_or_default();
            writeln!(
                f,
                "{} {}: {} records in {} invocations{failed}",
                s.function, s.shard_id, s.records, s.invocations
            )?;
        }
        let records: usize = self.shards.iter().map(|s| s.records).sum();
        write!(
            f,
            "{} ({}): replayed {records} records that arrived in [{}, {})",
            self.stack, self.region, self.from, self.to
        )
    }
}

impl Report for ReplayReport {
    fn outcome(self) -> Result<()> {
        let failed = self.shards.iter().filter(|s| s.failed.is_some()).count();
        if failed == 0 {
            return Ok(());
        }
        Err(Error::Aws(format!(
            "the replay of {failed} shards stopped at a failed invocation; fix the function and replay again (idempotent sinks make that safe)"
        )))
    }
}
