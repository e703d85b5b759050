//! Lambda entry: one function serves the Kinesis event source mapping (a
//! batch of one shard: ingest, then emit) and the EventBridge schedule
//! (emit only, so unmatched items are decided while the stream is quiet).
//!
//! A batch that fails part-way reports the first record it did not commit
//! as the batch item failure: Lambda retries from there (bisecting, up to
//! the mapping's retry and age limits, then the failure destination), and
//! records the store already holds are skipped by the checkpoint. An emitter
//! failure after a successful ingest is logged, not reported: the next run
//! retries it.

use aws_lambda_events::event::streams::{KinesisBatchItemFailure, KinesisEventResponse};
use serde_json::Value;
use streamkit_core::poller::list_shards;
use streamkit_core::progress::StateStore;
use streamkit_core::runtime::{classify, Invocation};
use streamkit_core::StreamRecord;
use tokio::sync::Mutex;

use crate::emit::emit;
use crate::ingest::{ingest, Topology};
use crate::metrics::JoinCounts;
use crate::reference::{Reference, Source};
use crate::sink::Sink;
use crate::{JoinsConfig, JoinsError};

/// Parents from ListShards of the event's stream (asked only at a shard's
/// first commit).
pub struct KinesisTopology<'a> {
    pub client: &'a aws_sdk_kinesis::Client,
    pub stream: String,
}

impl Topology for KinesisTopology<'_> {
    async fn parents(&self, shard_id: &str) -> Result<Vec<String>, JoinsError> {
        let shards = list_shards(self.client, &self.stream).await?;
        Ok(shards
            .into_iter()
            .find(|s| s.shard_id == shard_id)
            .map(|s| s.parents)
            .unwrap_or_default())
    }
}

/// The stream name in an event source ARN (`arn:aws:kinesis:r:a:stream/NAME`).
pub fn stream_name(arn: &str) -> &str {
    arn.rsplit_once("stream/").map_or(arn, |(_, name)| name)
}

/// What the function keeps between invocations besides its clients.
pub struct Env<'a, S, K, R> {
    pub store: &'a S,
    pub sink: &'a K,
    pub kinesis: &'a aws_sdk_kinesis::Client,
    pub reference: &'a Mutex<Reference>,
    pub source: &'a R,
    pub cfg: &'a JoinsConfig,
}

/// What one invocation returns and did.
#[derive(Clone, Debug, Default)]
pub struct Handled {
    pub response: KinesisEventResponse,
    pub counts: JoinCounts,
}

/// Handles one invocation payload at wall-clock `now_ms`.
pub async fn handle<S: StateStore, K: Sink, R: Source>(
    payload: Value,
    env: &Env<'_, S, K, R>,
    now_ms: i64,
) -> Result<Handled, JoinsError> {
    let mut handled = Handled::default();
    let (products, checked) = env.reference.lock().await.current(env.source, now_ms).await;
    handled.counts.reference_errors = checked.error as u64;
    handled.counts.products = products.len() as u64;
    let event = match classify(payload)? {
        Invocation::Scheduled => {
            let e = emit(env.store, env.sink, env.cfg, &products, now_ms).await?;
            tracing::info!(buckets = e.buckets, unmatched = e.counts.items_unmatched, enriched = e.counts.items_enriched, watermark_ms = ?e.watermark_ms, "scheduled emit");
            handled.counts.add(&e.counts);
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
        client: env.kinesis,
        stream,
    };
    let result = ingest(
        env.store, env.sink, &topology, env.cfg, &products, &shard_id, &records, now_ms,
    )
    .await;
    match result {
        Ok(done) => {
            handled.counts.add(&done.counts);
            tracing::info!(
                shard_id,
                records = records.len(),
                skipped = done.skipped,
                commits = done.commits,
                enriched = done.counts.items_enriched,
                waiting = done.counts.items_waiting,
                rejected = done.counts.rejected(),
                "batch applied"
            );
        }
        Err(failure) => {
            tracing::error!(shard_id, error = %failure.error, first_unapplied = failure.first_unapplied, "batch applied in part");
            handled.counts.add(&failure.ingested.counts);
            let mut item = KinesisBatchItemFailure::default();
            item.item_identifier = Some(records[failure.first_unapplied].sequence_number.clone());
            handled.response.batch_item_failures.push(item);
            return Ok(handled);
        }
    }
    match emit(env.store, env.sink, env.cfg, &products, now_ms).await {
        Ok(e) => handled.counts.add(&e.counts),
        Err(e) => {
            tracing::warn!(error = %e, "emit after the batch failed; the next run retries it")
        }
    }
    Ok(handled)
}
