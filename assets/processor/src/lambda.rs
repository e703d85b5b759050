//! Lambda entry: one function serves the Kinesis event source mapping (a
//! batch of one shard: ingest, then emit) and the EventBridge schedule
//! (emit only, so windows close while the stream is quiet).
//!
//! A batch that fails part-way reports the first record it did not commit
//! as the batch item failure: Lambda retries from there, and records the
//! store already holds are skipped by the checkpoint. An emitter failure
//! after a successful ingest is logged, not reported: the next run retries it.

use aws_lambda_events::event::streams::{KinesisBatchItemFailure, KinesisEventResponse};
use serde_json::Value;
use streamkit_core::poller::{list_shards, ShardInfo};
use streamkit_core::progress::StateStore;
use streamkit_core::runtime::{classify, Invocation};
use streamkit_core::StreamRecord;

use crate::emit::emit;
use crate::ingest::{ingest, Topology};
use crate::metrics::BatchCounts;
use crate::sink::Sink;
use crate::{ProcessorConfig, ProcessorError};

/// Parents from ListShards of the event's stream (asked only at a shard's
/// first commit).
pub struct KinesisTopology<'a> {
    pub client: &'a aws_sdk_kinesis::Client,
    pub stream: String,
}

impl Topology for KinesisTopology<'_> {
    async fn shards(&self) -> Result<Vec<ShardInfo>, ProcessorError> {
        Ok(list_shards(self.client, &self.stream).await?)
    }
}

/// The stream name in an event source ARN (`arn:aws:kinesis:r:a:stream/NAME`).
pub fn stream_name(arn: &str) -> &str {
    arn.rsplit_once("stream/").map_or(arn, |(_, name)| name)
}

/// What one invocation returns and did.
#[derive(Clone, Debug, Default)]
pub struct Handled {
    pub response: KinesisEventResponse,
    pub counts: BatchCounts,
}

/// Handles one invocation payload at wall-clock `now_ms`.
pub async fn handle<S: StateStore, K: Sink>(
    payload: Value,
    store: &S,
    sink: &K,
    kinesis: &aws_sdk_kinesis::Client,
    cfg: &ProcessorConfig,
    now_ms: i64,
) -> Result<Handled, ProcessorError> {
    let mut handled = Handled::default();
    let event = match classify(payload)? {
        Invocation::Scheduled => {
            let emitted = emit(store, sink, cfg, now_ms).await?;
            tracing::info!(rows = emitted.rows, objects = emitted.objects, watermark_ms = ?emitted.watermark_ms, "scheduled emit");
            add_emitted(&mut handled.counts, &emitted);
            return Ok(handled);
        }
        Invocation::Kinesis(event) => event,
    };
    let records: Vec<StreamRecord> = event
        .records
        .iter()
        .map(StreamRecord::from_lambda)
        .collect();
    let Some(first) = records.first() else {
        return Ok(handled);
    };
    let shard_id = first.shard_id.clone();
    let stream = event.records[0]
        .event_source_arn
        .as_deref()
        .map(stream_name)
        .unwrap_or_default()
        .to_string();
    let topology = KinesisTopology {
        client: kinesis,
        stream,
    };
    match ingest(store, sink, &topology, cfg, &shard_id, &records, now_ms).await {
        Ok(done) => {
            handled.counts.records_in = done.counts.records;
            handled.counts.late_records = done.counts.late;
            handled.counts.malformed_records = done.counts.malformed;
            tracing::info!(
                shard_id,
                records = records.len(),
                skipped = done.skipped,
                commits = done.commits,
                late = done.counts.late,
                malformed = done.counts.malformed,
                "batch applied"
            );
        }
        Err(failure) => {
            tracing::error!(shard_id, error = %failure.error, first_unapplied = failure.first_unapplied, "batch applied in part");
            handled.counts.records_in = failure.ingested.counts.records;
            handled.counts.late_records = failure.ingested.counts.late;
            handled.counts.malformed_records = failure.ingested.counts.malformed;
            let seq = records[failure.first_unapplied].sequence_number.clone();
            let mut item = KinesisBatchItemFailure::default();
            item.item_identifier = Some(seq);
            handled.response.batch_item_failures.push(item);
            return Ok(handled);
        }
    }
    match emit(store, sink, cfg, now_ms).await {
        Ok(emitted) => add_emitted(&mut handled.counts, &emitted),
        Err(e) => {
            tracing::warn!(error = %e, "emit after the batch failed; the next run retries it")
        }
    }
    Ok(handled)
}

fn add_emitted(counts: &mut BatchCounts, e: &crate::emit::Emitted) {
    counts.windows_emitted += e.rows;
    counts.objects_written += e.objects;
    counts.bytes_written += e.bytes;
}
