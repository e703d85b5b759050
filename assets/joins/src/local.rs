//! Local runner: polls a stream itself (for the emulator and for users
//! without Lambda) and runs the same core as the function: [`ingest`] per
//! shard batch (children after their parents, as Lambda does), and the
//! [`emit`]ter after the batches and on a timer, the way the schedule runs
//! it; the products table is checked the same way.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use streamkit_core::poller::{ShardPoller, StartPosition};
use streamkit_core::progress::StateStore;

use crate::emit::{emit, pending};
use crate::ingest::ingest;
use crate::metrics::JoinCounts;
use crate::reference::{Reference, Source};
use crate::sink::Sink;
use crate::{JoinsConfig, JoinsError};

#[derive(Clone, Debug)]
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
    /// Stop once no shard returned records for this long and every item
    /// has been decided; `None` runs until an error.
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

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Polls every shard (resuming after the store's checkpoints), applies and emits.
pub async fn run_local<S: StateStore, K: Sink, R: Source>(
    kinesis: &aws_sdk_kinesis::Client,
    store: &S,
    sink: &K,
    source: &R,
    cfg: &JoinsConfig,
    opts: &LocalOptions,
) -> Result<JoinCounts, JoinsError> {
    let start = StartPosition {
        after: store
            .shards()
            .await?
            .into_iter()
            .filter(|s| !s.sequence_number.is_empty())
            .map(|s| (s.shard_id, s.sequence_number))
            .collect(),
        latest: opts.latest,
    };
    let mut poller = ShardPoller::open(kinesis, &opts.stream, &start).await?;
    let mut reference = Reference::new(cfg.reference_check);
    let mut total = JoinCounts::default();
    let mut last_read = Instant::now();
    let mut last_emit: Option<Instant> = None;
    let mut round = 0u64;
    loop {
        round += 1;
        if round.is_multiple_of(10) {
            poller.refresh().await?;
        }
        let (products, checked) = reference.current(source, now_ms()).await;
        total.reference_errors += checked.error as u64;
        total.products = products.len() as u64;
        let mut read = 0;
        for batch in poller.poll(opts.batch_limit).await? {
            if batch.records.is_empty() {
                continue;
            }
            read += batch.records.len();
            let topology =
                BTreeMap::from([(batch.shard_id.clone(), poller.parents(&batch.shard_id))]);
            let done = ingest(
                store,
                sink,
                &topology,
                cfg,
                &products,
                &batch.shard_id,
                &batch.records,
                now_ms(),
            )
            .await
            .map_err(|f| f.error)?;
            total.add(&done.counts);
        }
        if read > 0 {
            last_read = Instant::now();
        }
        if last_emit.is_none_or(|t| t.elapsed() >= opts.emit_every) {
            let e = emit(store, sink, cfg, &products, now_ms()).await?;
            total.add(&e.counts);
            last_emit = Some(Instant::now());
            if let Some(idle) = opts.until_idle {
                if last_read.elapsed() >= idle && pending(store).await?.is_empty() {
                    tracing::info!(
                        records = total.records_in,
                        enriched = total.items_enriched,
                        unmatched = total.items_unmatched,
                        "local run finished"
                    );
                    return Ok(total);
                }
            }
        }
        if read == 0 {
            tokio::time::sleep(opts.poll_pause).await;
        }
    }
}
