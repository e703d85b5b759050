//! The Lambda entry of a stateful processor: one function serves the
//! Kinesis event source mapping (a batch of one shard: ingest, then emit)
//! and the EventBridge schedule (emit only, so state closes while the stream
//! is quiet).
//!
//! A batch that fails part-way reports the first record it did not commit
//! as the batch item failure (`ReportBatchItemFailures`): Lambda retries
//! from there (bisecting, up to the mapping's retry and age limits, then the
//! failure destination), and records the store already holds are skipped by
//! the checkpoint. An emitter failure after a successful ingest is logged,
//! not reported: the next run retries it.

use aws_lambda_events::event::streams::KinesisEventResponse;
use serde_json::Value;

use super::topology::{stream_name, KinesisTopology};
use super::{ingest, Processor, Tally};
use crate::runtime::{classify, item_failure, Invocation};
use crate::StreamRecord;

/// What one invocation returns and did.
#[derive(Clone, Debug, Default)]
pub struct Handled<C> {
    pub response: KinesisEventResponse,
    pub counts: C,
}

/// The response that makes Lambda retry from `sequence_number`.
pub fn retry_from(sequence_number: &str) -> KinesisEventResponse {
    let mut response = KinesisEventResponse::default();
    response
        .batch_item_failures
        .push(item_failure(sequence_number));
    response
}

/// Handles one invocation payload at wall-clock `now_ms`.
pub async fn handle<P: Processor>(
    p: &P,
    payload: Value,
    kinesis: &aws_sdk_kinesis::Client,
    now_ms: i64,
) -> Result<Handled<P::Counts>, P::Error> {
    let mut handled = Handled::<P::Counts>::default();
    handled.counts.add(&p.refresh(now_ms).await);
    let event = match classify(payload)? {
        Invocation::Scheduled => {
            let emitted = p.emit(now_ms).await?;
            tracing::info!(counts = ?emitted, "scheduled emit");
            handled.counts.add(&emitted);
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
    match ingest(p, &topology, &shard_id, &records, now_ms).await {
        Ok(done) => {
            handled.counts.add(&done.counts);
            tracing::info!(
                shard_id,
                records = records.len(),
                skipped = done.skipped,
                commits = done.commits,
                counts = ?done.counts,
                "batch applied"
            );
        }
        Err(failure) => {
            tracing::error!(shard_id, error = %failure.error, first_unapplied = failure.first_unapplied, "batch applied in part");
            handled.counts.add(&failure.ingested.counts);
            handled.response = retry_from(&records[failure.first_unapplied].sequence_number);
            return Ok(handled);
        }
    }
    match p.emit(now_ms).await {
        Ok(emitted) => handled.counts.add(&emitted),
        Err(e) => {
            tracing::warn!(error = %e, "emit after the batch failed; the next run retries it")
        }
    }
    Ok(handled)
}
