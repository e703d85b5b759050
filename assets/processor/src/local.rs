//! Local runner: polls a stream itself (for the emulator and for users
//! without Lambda) and runs the same core as the function: [`ingest`] per
//! shard batch (children after their parents, as Lambda does), and the
//! [`emit`]ter after the batches and on a timer, the way the schedule runs it.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use streamkit_core::poller::{ShardPoller, StartPosition};
use streamkit_core::progress::StateStore;

use crate::emit::emit;
use crate::ingest::ingest;
use crate::sink::Sink;
use crate::{ProcessorConfig, ProcessorError};

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
    /// Stop once no shard returned records for this long and every window
    /// has been emitted; `None` runs until an error.
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
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct LocalSummary {
    pub records: u64,
    pub late: u64,
    pub malformed: u64,
    /// Kinesis records skipped as already applied (a re-run).
    pub skipped: u64,
    pub rows: u64,
    pub objects: u64,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Polls every shard (resuming after the store's checkpoints), applies and emits.
pub async fn run_local<S: StateStore, K: Sink>(
    kinesis: &aws_sdk_kinesis::Client,
    store: &S,
    sink: &K,
    cfg: &ProcessorConfig,
    opts: &LocalOptions,
) -> Result<LocalSummary, ProcessorError> {
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
    let mut summary = LocalSummary::default();
    let mut last_read = Instant::now();
    let mut last_emit: Option<Instant> = None;
    let mut round = 0u64;
    loop {
        round += 1;
        if round.is_multiple_of(10) {
            poller.refresh().await?;
        }
        let mut read = 0;
        for batch in poller.poll(opts.batch_limit).await? {
            if batch.records.is_empty() {
                continue;
            }
            read += batch.records.len();
            let topology: BTreeMap<String, Vec<String>> = poller
                .shard_ids()
                .into_iter()
                .map(|s| {
                    let parents = poller.parents(&s);
                    (s, parents)
                })
                .collect();
            let done = ingest(
                store,
                sink,
                &topology,
                cfg,
                &batch.shard_id,
                &batch.records,
                now_ms(),
            )
            .await
            .map_err(|f| f.error)?;
            summary.records += done.counts.records;
            summary.late += done.counts.late;
            summary.malformed += done.counts.malformed;
            summary.skipped += done.skipped;
        }
        if read > 0 {
            last_read = Instant::now();
        }
        if last_emit.is_none_or(|t| t.elapsed() >= opts.emit_every) {
            let e = emit(store, sink, cfg, now_ms()).await?;
            summary.rows += e.rows;
            summary.objects += e.objects;
            last_emit = Some(Instant::now());
            if let Some(idle) = opts.until_idle {
                if last_read.elapsed() >= idle && all_emitted(store).await? {
                    tracing::info!(
                        records = summary.records,
                        late = summary.late,
                        rows = summary.rows,
                        "local run finished"
                    );
                    return Ok(summary);
                }
            }
        }
        if read == 0 {
            tokio::time::sleep(opts.poll_pause).await;
        }
    }
}

/// No shard holds an open window and the emitter has nothing pending.
async fn all_emitted<S: StateStore>(store: &S) -> Result<bool, ProcessorError> {
    let e = store.emit_state().await?;
    let open = store.shards().await?.iter().any(|s| !s.open.is_empty());
    Ok(!open && e.closing.is_empty() && e.ready.is_empty())
}
