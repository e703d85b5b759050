//! A local runner: polls the source stream and replicates with the same
//! core as the Lambda function (for `streamkit local replicate`).

use std::collections::HashMap;
use std::time::Duration;
use streamkit_core::poller::{ShardPoller, StartPosition};

use crate::{checkpoint, DrainPolicy, Replicator, ReplicatorError};

#[derive(Clone, Debug)]
pub struct LocalOptions {
    /// Records per GetRecords call.
    pub batch_limit: i32,
    /// Stop after a poll round that returned nothing (caught up).
    pub stop_when_caught_up: bool,
    /// Resume each shard after its checkpoint instead of TRIM_HORIZON.
    pub resume_from_checkpoint: bool,
    /// Pause between empty rounds when not stopping.
    pub idle_sleep: Duration,
    /// Times an unconfirmed remainder is retried before giving up.
    pub max_batch_rounds: u32,
}

impl Default for LocalOptions {
    fn default() -> Self {
        LocalOptions {
            batch_limit: 1000,
            stop_when_caught_up: false,
            resume_from_checkpoint: true,
            idle_sleep: Duration::from_secs(1),
            max_batch_rounds: 5,
        }
    }
}

/// Totals of a local run.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct LocalSummary {
    pub polls: u64,
    pub records_read: u64,
    pub records_replicated: u64,
    pub duplicates: u64,
    /// Records read while this region was passive (not replicated).
    pub skipped_passive: u64,
}

/// Polls `source` (the local region's stream) and replicates every batch.
pub async fn run_local(
    source: &aws_sdk_kinesis::Client,
    replicator: &Replicator,
    opts: &LocalOptions,
) -> Result<LocalSummary, ReplicatorError> {
    let cfg = replicator.config();
    let mut start = StartPosition::default();
    if opts.resume_from_checkpoint {
        let dynamodb = replicator.dynamodb();
        start.after = checkpoint::read_all(dynamodb, &cfg.checkpoint_table, &cfg.stream_name)
            .await?
            .into_iter()
            .filter(|c| c.source_region == cfg.local_region)
            .map(|c| (c.shard_id, c.sequence_number))
            .collect::<HashMap<_, _>>();
    }
    let mut poller = ShardPoller::open(source, &cfg.stream_name, &start).await?;
    let mut summary = LocalSummary::default();
    loop {
        let batches = poller.poll(opts.batch_limit).await?;
        summary.polls += 1;
        let mut read = 0;
        for batch in batches {
            read += batch.records.len();
            summary.records_read += batch.records.len() as u64;
            let drained = replicator
                .replicate_until_confirmed(
                    &batch.shard_id,
                    &batch.records,
                    &DrainPolicy::rounds(opts.max_batch_rounds),
                    |_| {},
                )
                .await?;
            summary.skipped_passive += drained.skipped_passive;
            summary.records_replicated += drained.replicated;
            summary.duplicates += drained.duplicates;
            if drained.unconfirmed > 0 {
                return Err(ReplicatorError::Core(streamkit_core::CoreError::Kinesis {
                    operation: "PutRecords",
                    stream: cfg.stream_name.clone(),
                    message: format!(
                        "{} records of shard {} still unconfirmed after {} rounds: {}",
                        drained.unconfirmed,
                        batch.shard_id,
                        drained.rounds,
                        drained
                            .last_error
                            .unwrap_or_else(|| "entries kept failing".into())
                    ),
                }));
            }
        }
        if read == 0 {
            if opts.stop_when_caught_up || poller.finished() {
                return Ok(summary);
            }
            tokio::time::sleep(opts.idle_sleep).await;
        }
    }
}
