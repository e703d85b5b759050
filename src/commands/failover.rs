//! `streamkit failover`: conditional flip of the active region, report of
//! what was unreplicated at the flip, wait for the new active replicator.

use std::fmt;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use clap::Args;
use serde::Serialize;

use super::Context;
use crate::aws;
use crate::error::{Error, Result};
use crate::io::Report;
use crate::replication::status::{self, Status};
use crate::replication::{now_secs, XrStack};

#[derive(Debug, Args)]
pub struct FailoverArgs {
    /// The cross-region stack (same name in both regions).
    #[arg(long)]
    pub stack_name: String,
    /// The region to make active (one of the stack's two).
    #[arg(long, value_name = "REGION")]
    pub to: String,
    /// The stack's two regions, A,B (default: --region and the stack's PeerRegion).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub regions: Vec<String>,
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Return right after the flip instead of waiting for the new active replicator.
    #[arg(long)]
    pub no_wait: bool,
    /// How long to wait for the new active replicator to checkpoint.
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    pub wait_timeout: u64,
}

/// The flip, what was unreplicated at that moment, and the takeover.
#[derive(Debug, Serialize)]
pub struct FailoverReport {
    pub stack: String,
    pub stream: String,
    pub from: String,
    pub to: String,
    pub active_since: f64,
    /// Records in `from`'s stream not yet in `to`'s; `None` when `from` was unreachable.
    pub unreplicated_at_flip: Option<u64>,
    pub unreplicated_is_lower_bound: bool,
    pub status_at_flip: Option<Status>,
    /// Seconds until the new active region's replicator checkpointed (`None` with `--no-wait`).
    pub new_active_replicator_seen: Option<f64>,
    pub warnings: Vec<String>,
}

pub fn run(ctx: &Context<'_>, args: &FailoverArgs) -> Result<FailoverReport> {
    crate::replication::check_region_name(&args.to)?;
    aws::block_on(async {
        let xr = super::region_pair(ctx, &args.stack_name, &args.regions).await?;
        xr.aws_of(&args.to)?;
        let (_, current) = xr.require_config().await?;
        let from = current.active_region.clone();
        if from == args.to {
            return Err(Error::BadInput(format!(
                "{} is already the active region of stream {}; nothing to do",
                args.to, xr.stream
            )));
        }
        let question = format!(
            "Make {} the active region of stream {} (now {from})?",
            args.to, xr.stream
        );
        if !args.yes && !ctx.io.confirm(&question)? {
            return Err(Error::BadInput(
                "failover not confirmed; nothing changed".into(),
            ));
        }
        // What the old active region holds that the new one does not (best effort:
        // the old region may be unreachable, which is why one fails over).
        let before = status::status(&xr).await.ok();
        let since = now_secs();
        // The new active region's replica first: it must take effect there.
        if !xr.flip_in(&args.to, &from, &args.to, since).await? {
            let now = xr.read_config(&args.to).await?;
            return Err(Error::Aws(format!(
                "the config of stream {} changed under the failover (active region is now {}, expected {from}); nothing changed; check `streamkit replication status` and run again",
                xr.stream,
                now.map(|c| c.active_region).unwrap_or_else(|| "missing".into())
            )));
        }
        // The other replica: already replicated (global table) or written here.
        let mut warnings = Vec::new();
        match xr.flip_in(&from, &from, &args.to, since).await {
            Ok(true) => {}
            Ok(false) => match xr.read_config(&from).await {
                Ok(Some(c)) if c.active_region == args.to => {}
                other => warnings.push(format!(
                    "the config replica in {from} was not updated (it holds {other:?}); the global table should replicate the flip"
                )),
            },
            Err(e) => warnings.push(format!("the config replica in {from} was not updated: {e}")),
        }
        let (unreplicated, bound) = before
            .as_ref()
            .map(|s| (Some(s.records_behind), s.behind_is_lower_bound))
            .unwrap_or((None, false));
        let mut waited = None;
        if !args.no_wait {
            waited = Some(wait_for_takeover(&xr, &args.to, since, args.wait_timeout).await?);
        }
        Ok(FailoverReport {
            stack: xr.stack_name.clone(),
            stream: xr.stream.clone(),
            from,
            to: args.to.clone(),
            active_since: since,
            unreplicated_at_flip: unreplicated,
            unreplicated_is_lower_bound: bound,
            status_at_flip: before,
            new_active_replicator_seen: waited,
            warnings,
        })
    })
}

impl fmt::Display for FailoverReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "active region of stream {}: {} -> {}",
            self.stream, self.from, self.to
        )?;
        match self.unreplicated_at_flip {
            Some(n) => write!(
                f,
                "\nunreplicated at the flip: {}{n} records in {} not in {}",
                if self.unreplicated_is_lower_bound {
                    "at least "
                } else {
                    ""
                },
                self.from,
                self.to
            )?,
            None => write!(
                f,
                "\nunreplicated at the flip: unknown ({} unreachable)",
                self.from
            )?,
        }
        if let Some(before) = &self.status_at_flip {
            write!(f, "\n{}", status::render(before))?;
        }
        for w in &self.warnings {
            write!(f, "\nwarning: {w}")?;
        }
        if self.new_active_replicator_seen.is_some() {
            write!(f, "\nthe replicator in {} has taken over", self.to)?;
        }
        Ok(())
    }
}

impl Report for FailoverReport {}

/// Waits until a checkpoint written by `region`'s replicator after `since` appears.
async fn wait_for_takeover(xr: &XrStack, region: &str, since: f64, timeout: u64) -> Result<f64> {
    let aws = xr.aws_of(region)?;
    let ddb = aws_sdk_dynamodb::Client::new(&aws.config);
    let start = Instant::now();
    let first =
        chrono::DateTime::from_timestamp_millis((since * 1000.0) as i64).unwrap_or_default();
    loop {
        let items = ddb
            .query()
            .table_name(&xr.checkpoint_table)
            .key_condition_expression("streamName = :s")
            .expression_attribute_values(":s", AttributeValue::S(xr.stream.clone()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| aws.error("dynamodb", "Query", e))?;
        // A checkpoint the new active replicator wrote after the flip.
        let seen = items.items().iter().any(|item| {
            let s = |k: &str| item.get(k).and_then(|v| v.as_s().ok());
            s("sourceRegion").is_some_and(|r| r == region)
                && s("updatedAt")
                    .and_then(|u| chrono::DateTime::parse_from_rfc3339(u).ok())
                    .is_some_and(|u| u.timestamp_millis() as f64 / 1000.0 >= since)
        });
        if seen {
            return Ok(start.elapsed().as_secs_f64());
        }
        if start.elapsed() >= Duration::from_secs(timeout) {
            return Err(Error::Aws(format!(
                "the flip is done ({region} active since {first}), but no replicator in {region} wrote a checkpoint within {timeout}s; is the replicator running (`streamkit local replicate`, or the Lambda's event source mapping)? Check `streamkit replication status`"
            )));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
