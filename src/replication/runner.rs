//! `streamkit local replicate`: polls each region's stream and replicates
//! with the replicator core ([`Replicator::replicate_until_confirmed`] over
//! `replicate_shard`, the code the Lambda runs), the way the event source
//! mappings would in AWS. This is streamkit's one local replication loop.
//!
//! Echo prevention is the core's (the Lambda does the same): the active
//! region replicates only records that arrived in its stream at or after it
//! became active (`activeSince` of the config item, written by `streamkit
//! failover`); older records there are copies from the other region (or were
//! already reported unreplicated at the flip) and are checkpointed as handled
//! without being sent back. The passive region sends nothing; it checkpoints
//! the records it read (as an event source mapping keeps its position), so a
//! rerun does not read its whole stream again. Both regions' shards are
//! replicated concurrently, each shard's batch in order.
//!
//! Faults: like an event source mapping, a batch the destination does not
//! accept (unreachable, erroring, entries rejected) is sent again from its
//! first unconfirmed record, with backoff, the checkpoint staying before it;
//! polls and config reads are retried the same way. A region gives up, with
//! one line naming the endpoint and how to resume, once it made no progress
//! for [`RunOptions::max_retry`]. Re-sent copies are counted as duplicates.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use streamkit_core::poller::{ShardBatch, ShardPoller, StartPosition};
use streamkit_replicator::checkpoint;
use streamkit_replicator::{Clients, DrainPolicy, Replicator, ReplicatorConfig};

use super::retry::{one_line, pause, Backoff, Site};
pub use super::tally::RegionRun;
use super::tally::Tally;
use super::{core_error, XrStack};
use crate::error::{Error, Result};

pub struct RunOptions<'a> {
    /// Stop once every shard of both streams returned nothing for this long.
    pub until_idle: Option<Duration>,
    /// Pause between empty poll rounds.
    pub poll_interval: Duration,
    /// Records per GetRecords call.
    pub batch_limit: i32,
    /// Give up once a batch, poll or config read made no progress for this long.
    pub max_retry: Duration,
    /// Where retry lines go (the command's progress).
    pub progress: &'a dyn Fn(&str),
    /// Set (e.g. on Ctrl-C) to stop: the batches already read get one more
    /// attempt, then each region returns its totals.
    pub stop: Arc<AtomicBool>,
    /// Live totals, updated after every round (the command's progress lines).
    pub tally: &'a Tally,
}

impl RunOptions<'_> {
    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// Runs one replicator per region concurrently until idle, stopped, or for ever.
pub async fn run(xr: &XrStack, opts: &RunOptions<'_>) -> Result<Vec<RegionRun>> {
    let runs = xr.regions.iter().map(|r| run_region(xr, r, opts));
    futures::future::try_join_all(runs).await
}

async fn run_region(xr: &XrStack, region: &str, opts: &RunOptions<'_>) -> Result<RegionRun> {
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
    // Short rounds: the runner retries a batch itself (with its own backoff and
    // progress lines), so a round gives up after about a second of failures.
    cfg.retry.max_attempts = 4;
    cfg.retry.max_delay = Duration::from_secs(1);
    let replicator = Replicator::new(Clients::from_sdk_config(&aws.config, &target), cfg);
    let kinesis = aws_sdk_kinesis::Client::new(&aws.config);
    let ddb = aws_sdk_dynamodb::Client::new(&aws.config);
    let mut run = RegionRun {
        region: region.to_string(),
        target: target.clone(),
        ..RegionRun::default()
    };
    opts.tally.update(&run);
    let here = Site {
        region,
        aws,
        max_retry: opts.max_retry,
        progress: opts.progress,
        stop: &opts.stop,
        tally: opts.tally,
    };
    let policy = DrainPolicy::stall_limit(opts.max_retry).stopped_by(opts.stop.clone());

    // Resume after this region's own checkpoints.
    let mut backoff = Backoff::new();
    let mut poller = loop {
        match open(xr, region, &ddb, &kinesis).await {
            Ok(p) => break p,
            Err(e) => {
                backoff
                    .wait(&here, &mut run, "opening the stream", e)
                    .await?;
                if opts.stopping() {
                    return Ok(run);
                }
            }
        }
    };
    let mut last_activity = Instant::now();
    loop {
        if opts.stopping() {
            return Ok(run);
        }
        let mut backoff = Backoff::new();
        let batches = loop {
            match poller.poll(opts.batch_limit).await {
                Ok(b) => break b,
                Err(e) => {
                    backoff
                        .wait(&here, &mut run, "GetRecords", core_error(e))
                        .await?;
                    if opts.stopping() {
                        return Ok(run);
                    }
                }
            }
        };
        run.polls += 1;
        run.millis_behind_latest = batches
            .iter()
            .filter_map(|b| b.millis_behind_latest)
            .max()
            .or(run.millis_behind_latest);
        let read: usize = batches.iter().map(|b| b.records.len()).sum();
        if read == 0 {
            opts.tally.update(&run);
            if poller.finished() {
                return Ok(run);
            }
            if let Some(idle) = opts.until_idle {
                if last_activity.elapsed() >= idle {
                    return Ok(run);
                }
            }
            pause(opts.poll_interval, &opts.stop).await;
            continue;
        }
        last_activity = Instant::now();
        run.records_read += read as u64;
        let mut backoff = Backoff::new();
        let config = loop {
            match xr.read_config(region).await {
                Ok(c) => break c,
                Err(e @ Error::BadInput(_)) => return Err(e),
                Err(e) => {
                    backoff
                        .wait(&here, &mut run, "reading the config item", e)
                        .await?;
                    if opts.stopping() {
                        // Nothing of this round was sent: it is read again next time.
                        run.unconfirmed_at_stop += read as u64;
                        return Ok(run);
                    }
                }
            }
        };
        let active = config.as_ref().is_some_and(|c| c.active_region == region);
        run.active = Some(active);
        let batches: Vec<_> = batches
            .into_iter()
            .filter(|b| !b.records.is_empty())
            .collect();
        if !active {
            run.skipped_passive += read as u64;
            if let Some(e) = passive_checkpoints(&replicator, &batches).await {
                run.last_error = Some(one_line(&e));
            }
            opts.tally.update(&run);
            continue;
        }
        // Shards are independent (order is per shard): all at once.
        let to = target.as_str();
        let drains = batches.iter().map(|batch| {
            let shard = &batch.shard_id;
            replicator.replicate_until_confirmed(shard, &batch.records, &policy, move |r| {
                (opts.progress)(&format!(
                    "{region} -> {to}: shard {shard}: {} records not accepted yet ({}); retrying in {:.1}s (no progress for {:.0}s of --max-retry-seconds {:.0})",
                    r.unconfirmed,
                    one_line(r.error),
                    r.wait.as_secs_f64(),
                    r.stalled.as_secs_f64(),
                    opts.max_retry.as_secs_f64()
                ))
            })
        });
        let drained = futures::future::join_all(drains).await;
        let mut gave_up = None;
        for (batch, drained) in batches.iter().zip(drained) {
            let drained = drained.map_err(core_error)?;
            let shard = &batch.shard_id;
            run.skipped_passive += drained.skipped_passive;
            run.records_replicated += drained.replicated;
            run.skipped_before_activation += drained.skipped_before_activation;
            run.duplicates += drained.duplicates;
            run.possible_duplicates += drained.possible_duplicates;
            run.retries += u64::from(drained.retries);
            run.retried_entries += drained.retried_entries;
            if let Some(e) = &drained.last_error {
                run.last_error = Some(format!("{shard}: {}", one_line(e)));
            }
            if drained.stopped {
                run.unconfirmed_at_stop += drained.unconfirmed as u64;
            } else if drained.unconfirmed > 0 && gave_up.is_none() {
                gave_up = Some((shard.clone(), drained));
            }
        }
        opts.tally.update(&run);
        if let Some((shard, drained)) = gave_up {
            let dest = xr.aws_of(&target)?.endpoint_of("kinesis");
            return Err(Error::Aws(format!(
                "{region}: {} records of shard {shard} not replicated to {target} ({dest}) for {:.0}s (--max-retry-seconds): {}; the checkpoint stays before them: run `streamkit local replicate` again once {target} accepts writes, it resumes there",
                drained.unconfirmed,
                opts.max_retry.as_secs_f64(),
                one_line(drained.last_error.as_deref().unwrap_or("entries kept failing")),
            )));
        }
    }
}

/// While passive: moves each shard's checkpoint past the records read (not
/// sent: copies, or writes to the passive region), as an event source
/// mapping keeps its position, so the next run does not read the region's
/// whole history again. Records that a later activation must send arrive
/// after its `activeSince`, which is after this read saw the region passive.
/// Returns the first checkpoint error.
async fn passive_checkpoints(replicator: &Replicator, batches: &[ShardBatch]) -> Option<String> {
    let writes = batches
        .iter()
        .map(|b| replicator.checkpoint(&b.shard_id, &b.records, 0));
    futures::future::join_all(writes)
        .await
        .into_iter()
        .find_map(|(_, error)| error)
}

/// Opens the poller after this region's own checkpoints.
async fn open(
    xr: &XrStack,
    region: &str,
    ddb: &aws_sdk_dynamodb::Client,
    kinesis: &aws_sdk_kinesis::Client,
) -> Result<ShardPoller> {
    let cps = checkpoint::read_all(ddb, &xr.checkpoint_table, &xr.stream)
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
    ShardPoller::open(kinesis, &xr.stream, &start)
        .await
        .map_err(core_error)
}
