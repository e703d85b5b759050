//! Local runner: polls a stream itself and writes the same Parquet output
//! as the Lambda function (for the emulator and for users without Lambda).

use std::collections::HashMap;
use std::time::Duration;
use streamkit_core::poller::{ShardPoller, StartPosition};

use crate::window::WindowState;
use crate::{output, ProcessorConfig, ProcessorError};

#[derive(Clone, Debug)]
pub struct LocalOptions {
    pub stream: String,
    /// Records per GetRecords call.
    pub batch_limit: i32,
    /// Stop (and flush every open window) after a round with no records.
    pub stop_when_caught_up: bool,
    /// Start at LATEST instead of TRIM_HORIZON.
    pub latest: bool,
    /// Pause between empty rounds when not stopping.
    pub idle_sleep: Duration,
}

impl LocalOptions {
    pub fn new(stream: &str) -> Self {
        LocalOptions {
            stream: stream.into(),
            batch_limit: 1000,
            stop_when_caught_up: false,
            latest: false,
            idle_sleep: Duration::from_secs(1),
        }
    }
}

/// Totals of a local run.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct LocalSummary {
    pub records: u64,
    pub accepted: u64,
    pub late: u64,
    pub malformed: u64,
    pub files: Vec<String>,
}

/// Polls every shard, aggregates per shard, writes windows as they close
/// (and all open ones when stopping).
pub async fn run_local(
    kinesis: &aws_sdk_kinesis::Client,
    s3: &aws_sdk_s3::Client,
    cfg: &ProcessorConfig,
    opts: &LocalOptions,
) -> Result<LocalSummary, ProcessorError> {
    let start = StartPosition {
        latest: opts.latest,
        ..StartPosition::default()
    };
    let mut poller = ShardPoller::open(kinesis, &opts.stream, &start).await?;
    let mut states: HashMap<String, WindowState> = HashMap::new();
    let mut summary = LocalSummary::default();
    let window_ms = cfg.window.as_millis() as i64;
    loop {
        let batches = poller.poll(opts.batch_limit).await?;
        let mut read = 0;
        for batch in batches {
            read += batch.records.len();
            summary.records += batch.records.len() as u64;
            let state = states.entry(batch.shard_id.clone()).or_default();
            let stats = state.ingest(window_ms, &batch.records);
            summary.accepted += stats.accepted;
            summary.late += stats.late;
            summary.malformed += stats.malformed;
            let closed = state.take_closed();
            let written = output::write(s3, cfg, &batch.shard_id, closed).await?;
            summary.files.extend(written.into_iter().map(|w| w.key));
        }
        if read == 0 && (opts.stop_when_caught_up || poller.finished()) {
            let mut shards: Vec<_> = states.into_iter().collect();
            shards.sort_by(|a, b| a.0.cmp(&b.0));
            for (shard_id, mut state) in shards {
                let written = output::write(s3, cfg, &shard_id, state.take_all()).await?;
                summary.files.extend(written.into_iter().map(|w| w.key));
            }
            tracing::info!(
                records = summary.records,
                late = summary.late,
                malformed = summary.malformed,
                files = summary.files.len(),
                "local run finished"
            );
            return Ok(summary);
        }
        if read == 0 {
            tokio::time::sleep(opts.idle_sleep).await;
        }
    }
}
