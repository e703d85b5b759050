//! Lambda entry: a Kinesis event with tumbling-window state.
//!
//! Each invocation adds its records to the state; windows closed by the
//! event-time watermark are written at once, the rest at the final
//! invocation of the Lambda window. A failed write fails the invocation, so
//! Lambda retries it with the previous state; the same keys are rewritten.
//! [`handle`] returns the invocation's counts with the response;
//! [`handle_and_publish`] also publishes them as custom metrics.

use aws_lambda_events::event::kinesis::KinesisTimeWindowEvent;
use aws_lambda_events::event::streams::KinesisBatchItemFailure;
use serde::Serialize;
use std::collections::HashMap;
use streamkit_core::StreamRecord;

use crate::metrics::{self, BatchCounts};
use crate::window::WindowState;
use crate::{output, ProcessorConfig, ProcessorError};

/// State key under which the window state is kept.
pub const STATE_KEY: &str = "windows";

/// The response Lambda expects for tumbling windows: the state to carry and
/// the partial batch failures.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeWindowResponse {
    pub state: HashMap<String, String>,
    pub batch_item_failures: Vec<KinesisBatchItemFailure>,
}

/// What one invocation returns to Lambda, and what it did.
#[derive(Clone, Debug, Default)]
pub struct Handled {
    pub response: TimeWindowResponse,
    pub counts: BatchCounts,
}

/// Handles one invocation and publishes its counts (once; a failure to
/// publish is logged, not fatal). A failed invocation publishes nothing: its
/// retry counts the batch again.
pub async fn handle_and_publish(
    event: KinesisTimeWindowEvent,
    s3: &aws_sdk_s3::Client,
    cw: &aws_sdk_cloudwatch::Client,
    cfg: &ProcessorConfig,
) -> Result<TimeWindowResponse, ProcessorError> {
    let handled = handle(event, s3, cfg).await?;
    metrics::publish(cw, &cfg.metric_namespace, &cfg.stack_name, &handled.counts).await;
    Ok(handled.response)
}

/// Handles one invocation; `s3` and `cfg` are built once per container.
pub async fn handle(
    event: KinesisTimeWindowEvent,
    s3: &aws_sdk_s3::Client,
    cfg: &ProcessorConfig,
) -> Result<Handled, ProcessorError> {
    let props = &event.time_window_properties;
    let mut state: WindowState = match props.state.get(STATE_KEY) {
        Some(s) => serde_json::from_str(s).map_err(|e| ProcessorError::State(e.to_string()))?,
        None => WindowState::default(),
    };
    let records: Vec<StreamRecord> = event
        .kinesis_event
        .records
        .iter()
        .map(StreamRecord::from_lambda)
        .collect();
    let shard_id = props
        .shard_id
        .clone()
        .or_else(|| records.first().map(|r| r.shard_id.clone()))
        .unwrap_or_else(|| "unknown-shard".into());
    let stats = state.ingest(cfg.window.as_millis() as i64, &records);
    let done = if props.is_final_invoke_for_window {
        state.take_all()
    } else {
        state.take_closed()
    };
    let written = output::write(s3, cfg, &shard_id, done).await?;
    let counts = BatchCounts {
        records_in: stats.accepted + stats.late + stats.malformed,
        late_records: stats.late,
        malformed_records: stats.malformed,
        windows_emitted: written.iter().map(|w| w.rows).sum(),
        objects_written: written.len() as u64,
        bytes_written: written.iter().map(|w| w.bytes).sum(),
    };
    tracing::info!(
        shard_id,
        records = records.len(),
        accepted = stats.accepted,
        late = stats.late,
        malformed = stats.malformed,
        late_total = state.late,
        malformed_total = state.malformed,
        records_in = counts.records_in,
        windows = counts.windows_emitted,
        files = counts.objects_written,
        bytes = counts.bytes_written,
        final_invoke = props.is_final_invoke_for_window,
        "window batch processed"
    );
    let mut response = TimeWindowResponse::default();
    if !props.is_final_invoke_for_window {
        let json =
            serde_json::to_string(&state).map_err(|e| ProcessorError::State(e.to_string()))?;
        response.state.insert(STATE_KEY.into(), json);
    }
    Ok(Handled { response, counts })
}
