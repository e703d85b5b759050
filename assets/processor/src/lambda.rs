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

/// GetRecords pages read at most looking for records before a shard's first
/// delivered one (AWS may return empty pages before the tip).
const MAX_PAGES_BEFORE_START: usize = 20;

impl Topology for KinesisTopology<'_> {
    async fn shards(&self) -> Result<Vec<ShardInfo>, ProcessorError> {
        Ok(list_shards(self.client, &self.stream).await?)
    }

    /// Reads the shard from TRIM_HORIZON up to `sequence_number` (at most
    /// [`MAX_PAGES_BEFORE_START`] pages) and counts the records before it.
    async fn records_before(
        &self,
        shard_id: &str,
        sequence_number: &str,
    ) -> Result<u64, ProcessorError> {
        use aws_sdk_kinesis::types::ShardIteratorType;
        use streamkit_core::record::cmp_sequence;
        let call = |op: &'static str, e: String| ProcessorError::Kinesis {
            operation: op,
            message: e,
        };
        let mut iterator = self
            .client
            .get_shard_iterator()
            .stream_name(&self.stream)
            .shard_id(shard_id)
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .map_err(|e| call("GetShardIterator", streamkit_core::error::sdk_message(&e)))?
            .shard_iterator;
        let mut before = 0u64;
        for _ in 0..MAX_PAGES_BEFORE_START {
            let Some(it) = iterator.take() else { break };
            let page = self
                .client
                .get_records()
                .shard_iterator(it)
                .limit(10_000)
                .send()
                .await
                .map_err(|e| call("GetRecords", streamkit_core::error::sdk_message(&e)))?;
            for r in page.records() {
                if cmp_sequence(r.sequence_number(), sequence_number).is_lt() {
                    before += 1;
                } else {
                    return Ok(before);
                }
            }
            if page.millis_behind_latest() == Some(0) && page.records().is_empty() {
                break;
            }
            iterator = page.next_shard_iterator().map(String::from);
        }
        Ok(before)
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
            handled.counts.records_before_start = done.before_start;
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
            handled.counts.records_before_start = failure.ingested.before_start;
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
