//! `streamkit local replicate`: polls each region's stream and replicates
//! with the replicator core ([`Replicator::replicate_shard`], the code the
//! Lambda runs), the way the event source mappings would in AWS.
//!
//! Echo prevention: the active region replicates only records that arrived
//! in its stream at or after it became active (`activeSince` of the config
//! item, written by `streamkit failover`); older records there are copies
//! from the other region (or were already reported unreplicated at the flip)
//! and are checkpointed as handled without being sent back. The passive
//! region sends nothing.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::Serialize;
use streamkit_core::poller::{ShardPoller, StartPosition};
use streamkit_core::StreamRecord;
use streamkit_replicator::checkpoint::{self, Checkpoint};
use streamkit_replicator::{Clients, Replicator, ReplicatorConfig};

use super::{core_error, XrStack};
use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Stop once every shard of both streams returned nothing for this long.
    pub until_idle: Option<Duration>,
    /// Pause between empty poll rounds.
    pub poll_interval: Duration,
    /// Records per GetRecords call.
    pub batch_limit: i32,
    /// Attempts at an unconfirmed remainder before giving up.
    pub max_batch_rounds: u32,
}

/// Totals of one region's runner.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RegionRun {
    pub region: String,
    pub polls: u64,
    pub records_read: u64,
    pub records_replicated: u64,
    pub duplicates: u64,
    /// Read while the region was passive (not sent).
    pub skipped_passive: u64,
    /// Read while active but older than the region's activation (not sent back: echo prevention).
    pub skipped_before_activation: u64,
}

/// Runs one replicator per region concurrently until idle (or for ever).
pub async fn run(xr: &XrStack, opts: &RunOptions) -> Result<Vec<RegionRun>> {
    let runs = xr.regions.iter().map(|r| run_region(xr, r, opts));
    futures::future::try_join_all(runs).await
}

async fn run_region(xr: &XrStack, region: &str, opts: &RunOptions) -> Result<RegionRun> {
    let aws = xr.aws_of(region)?;
    let target = xr.other_region(region).to_string();
    let mut cfg = ReplicatorConfig::new(
        &xr.stream,
        region,
        &target,
        &xr.config_table,
        &xr.checkpoint_table,
    );
    // The runner reads the config item every round; the core re-checks per batch.
    cfg.active_cache_ttl = Duration::ZERO;
    let replicator = Replicator::new(Clients::from_sdk_config(&aws.config, &target), cfg);
    let kinesis = aws_sdk_kinesis::Client::new(&aws.config);
    let ddb = aws_sdk_dynamodb::Client::new(&aws.config);

    // Resume after this region's own checkpoints.
    let cps = checkpoint::read_all(&ddb, &xr.checkpoint_table, &xr.stream)
        .await
        .map_err(core_error)?;
    let start = StartPosition {
        after: cps
            .into_iter()
            .filter(|c| c.source_region == region && !c.sequence_number.is_empty())
            .map(|c| (c.shard_id, c.sequence_number))
            .collect::<HashMap<_, _>>(),
        latest: false,
    };
    let mut poller = ShardPoller::open(&kinesis, &xr.stream, &start)
        .await
        .map_err(core_error)?;
    let mut run = RegionRun {
        region: region.to_string(),
        ..RegionRun::default()
    };
    let mut last_activity = Instant::now();
    loop {
        let batches = poller.poll(opts.batch_limit).await.map_err(core_error)?;
        run.polls += 1;
        let read: usize = batches.iter().map(|b| b.records.len()).sum();
        if read == 0 {
            if poller.finished() {
                return Ok(run);
            }
            if let Some(idle) = opts.until_idle {
                if last_activity.elapsed() >= idle {
                    return Ok(run);
                }
            }
            tokio::time::sleep(opts.poll_interval).await;
            continue;
        }
        last_activity = Instant::now();
        run.records_read += read as u64;
        let config = xr.read_config(region).await?;
        let (active, since) = match &config {
            Some(c) => (c.active_region == region, c.active_since.unwrap_or(0.0)),
            None => (false, 0.0),
        };
        for batch in batches.into_iter().filter(|b| !b.records.is_empty()) {
            if !active {
                run.skipped_passive += batch.records.len() as u64;
                continue;
            }
            let old = batch
                .records
                .iter()
                .take_while(|r| r.approximate_arrival.is_some_and(|at| at < since))
                .count();
            if old > 0 {
                run.skipped_before_activation += old as u64;
                mark_handled(&ddb, xr, region, &batch.shard_id, &batch.records[old - 1]).await?;
            }
            let drained = replicator
                .replicate_until_confirmed(
                    &batch.shard_id,
                    &batch.records[old..],
                    opts.max_batch_rounds,
                )
                .await
                .map_err(core_error)?;
            run.skipped_passive += drained.skipped_passive;
            run.records_replicated += drained.replicated;
            run.duplicates += drained.duplicates;
            if drained.unconfirmed > 0 {
                return Err(Error::Aws(format!(
                    "{region}: {} records of shard {} still not accepted by {target} after {} rounds: {}; run `streamkit local replicate` again to resume from the checkpoint",
                    drained.unconfirmed,
                    batch.shard_id,
                    drained.rounds,
                    drained.last_error.unwrap_or_else(|| "entries kept failing".into())
                )));
            }
        }
    }
}

/// Moves the checkpoint past records that are deliberately not sent.
async fn mark_handled(
    ddb: &aws_sdk_dynamodb::Client,
    xr: &XrStack,
    region: &str,
    shard_id: &str,
    last: &StreamRecord,
) -> Result<()> {
    let cp = Checkpoint {
        stream_name: xr.stream.clone(),
        shard_id: shard_id.to_string(),
        sequence_number: last.sequence_number.clone(),
        approximate_arrival: last.approximate_arrival,
        commit_timestamp: None,
        source_region: region.to_string(),
        records_replicated: 0,
    };
    checkpoint::advance(ddb, &xr.checkpoint_table, &cp, 0)
        .await
        .map_err(core_error)?;
    Ok(())
}
