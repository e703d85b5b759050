//! The local runner: polls a stream itself (for the emulator and for users
//! without Lambda) and runs what the function runs: [`ingest`] per shard
//! batch (children after their parents, as Lambda does; the topology passed
//! is the whole stream's, so shards that have not started are registered
//! and hold the watermark back), and the emitter after the batches and on a
//! timer, the way the schedule runs it.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::{ingest, Processor, Tally};
use crate::poller::{ShardPoller, StartPosition};
use crate::progress::StateStore;

#[derive(Clone, Debug, PartialEq)]
pub struct LocalOptions {
    pub stream: String,
    /// Records per GetRecords call.
    pub batch_limit: i32,
    /// Start shards without a checkpoint at LATEST instead of TRIM_HORIZON.
    pub latest: bool,
    /// Pause after a round that read nothing.
    pub poll_pause: Duration,
    /// How often the emitter runs (Lambda's schedule runs it every minute).
    pub emit_every: Duration,
    /// Stop once no shard returned records for this long and everything is
    /// emitted; `None` runs until an error.
    pub until_idle: Option<Duration>,
}

impl LocalOptions {
    pub fn new(stream: &str) -> Self {
        LocalOptions {
            stream: stream.into(),
            batch_limit: 1000,
            latest: false,
            poll_pause: Duration::from_millis(500),
            emit_every: Duration::from_secs(1),
            until_idle: None,
        }
    }
}

/// Totals of a local run.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct LocalSummary<C> {
    #[serde(flatten)]
    pub counts: C,
    /// Kinesis records skipped as already applied (a re-run).
    pub skipped: u64,
}

/// The topology the poller sees: every shard with its parents.
pub fn topology(poller: &ShardPoller) -> BTreeMap<String, Vec<String>> {
    poller
        .shard_ids()
        .into_iter()
        .map(|s| {
            let parents = poller.parents(&s);
            (s, parents)
        })
        .collect()
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Polls every shard (resuming after the store's checkpoints), applies and emits.
pub async fn run_local<P: Processor>(
    p: &P,
    kinesis: &aws_sdk_kinesis::Client,
    opts: &LocalOptions,
) -> Result<LocalSummary<P::Counts>, P::Error> {
    let start = StartPosition {
        after: p
            .store()
            .shards()
            .await?
            .into_iter()
            .filter(|s| s.started())
            .map(|s| (s.shard_id, s.sequence_number))
            .collect(),
        latest: opts.latest,
    };
    let mut poller = ShardPoller::open(kinesis, &opts.stream, &start).await?;
    let mut summary = LocalSummary::<P::Counts>::default();
    let mut last_read = Instant::now();
    let mut last_emit: Option<Instant> = None;
    let mut round = 0u64;
    loop {
        round += 1;
        if round.is_multiple_of(10) {
            poller.refresh().await?;
        }
        summary.counts.add(&p.refresh(now_ms()).await);
        let mut read = 0;
        for batch in poller.poll(opts.batch_limit).await? {
            if batch.records.is_empty() {
                continue;
            }
            read += batch.records.len();
            let topology = topology(&poller);
            let done = ingest(p, &topology, &batch.shard_id, &batch.records, now_ms())
                .await
                .map_err(|f| f.error)?;
            summary.counts.add(&done.counts);
            summary.skipped += done.skipped;
        }
        if read > 0 {
            last_read = Instant::now();
        }
        if last_emit.is_none_or(|t| t.elapsed() >= opts.emit_every) {
            summary.counts.add(&p.emit(now_ms()).await?);
            last_emit = Some(Instant::now());
            if let Some(idle) = opts.until_idle {
                if last_read.elapsed() >= idle && p.settled().await? {
                    tracing::info!(counts = ?summary.counts, "local run finished");
                    return Ok(summary);
                }
            }
        }
        if read == 0 {
            tokio::time::sleep(opts.poll_pause).await;
        }
    }
}
