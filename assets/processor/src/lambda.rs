//! Lambda entry: a Kinesis event with tumbling-window state.
//!
//! Each invocation adds its records to the state; windows closed by the
//! event-time watermark are written at once, the rest at the final
//! invocation of the Lambda window. A failed write fails the invocation, so
//! Lambda retries it with the previous state; the same keys are rewritten.

use aws_lambda_events::event::kinesis::KinesisTimeWindowEvent;
use aws_lambda_events::event::streams::KinesisBatchItemFailure;
use serde::Serialize;
use std::collections::HashMap;
use streamkit_core::StreamRecord;

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

/// Handles one invocation; `s3` and `cfg` are built once per container.
pub async fn handle(
    event: KinesisTimeWindowEvent,
    s3: &aws_sdk_s3::Client,
    cfg: &ProcessorConfig,
) -> Result<TimeWindowResponse, ProcessorError> {
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
    let keys = output::write(s3, cfg, &shard_id, done).await?;
    tracing::info!(
        shard_id,
        records = records.len(),
        accepted = stats.accepted,
        late = stats.late,
        malformed = stats.malformed,
        late_total = state.late,
        malformed_total = state.malformed,
        files = keys.len(),
        final_invoke = props.is_final_invoke_for_window,
        "window batch processed"
    );
    let mut response = TimeWindowResponse::default();
    if !props.is_final_invoke_for_window {
        let json =
            serde_json::to_string(&state).map_err(|e| ProcessorError::State(e.to_string()))?;
        response.state.insert(STATE_KEY.into(), json);
    }
    Ok(response)
}
