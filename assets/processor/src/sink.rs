//! Where finished windows and late records go: [`crate::output::S3Sink`] in
//! the function and the local runner, [`MemorySink`] in property tests.
//! Keys are deterministic, so writing the same thing twice overwrites.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;

use crate::window::WindowRow;
use crate::ProcessorError;

/// Why a record is not in any window.
pub const BEYOND_ALLOWED_LATENESS: &str = "beyond_allowed_lateness";
pub const WINDOW_ALREADY_EMITTED: &str = "window_already_emitted";
pub const MALFORMED: &str = "malformed";

/// One line of the late-data output (JSON lines).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LateRecord {
    /// [`BEYOND_ALLOWED_LATENESS`], [`WINDOW_ALREADY_EMITTED`] or [`MALFORMED`].
    pub reason: String,
    pub shard_id: String,
    pub sequence_number: String,
    pub sub_sequence_number: u64,
    pub partition_key: String,
    /// Event time (ms) when the record is a tick.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_time_ms: Option<i64>,
    /// The shard's watermark (ms) when the record arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard_watermark_ms: Option<i64>,
    /// The record's bytes as text (lossy for non-UTF-8).
    pub data: String,
}

/// The two outputs.
pub trait Sink: Sync {
    /// Writes a window's rows under `key`; returns the bytes written.
    fn window(
        &self,
        key: &str,
        rows: &[WindowRow],
    ) -> impl Future<Output = Result<u64, ProcessorError>> + Send;
    /// Writes late records under `key`.
    fn late(
        &self,
        key: &str,
        records: &[LateRecord],
    ) -> impl Future<Output = Result<(), ProcessorError>> + Send;
}

/// Outputs kept in memory, by key (a rewrite replaces).
#[derive(Default)]
pub struct MemorySink {
    pub windows: Mutex<BTreeMap<String, Vec<WindowRow>>>,
    pub late: Mutex<BTreeMap<String, Vec<LateRecord>>>,
}

impl MemorySink {
    pub fn all_rows(&self) -> Vec<WindowRow> {
        let g = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        g.values().flatten().cloned().collect()
    }

    pub fn all_late(&self) -> Vec<LateRecord> {
        let g = self.late.lock().unwrap_or_else(|p| p.into_inner());
        g.values().flatten().cloned().collect()
    }
}

impl Sink for MemorySink {
    async fn window(&self, key: &str, rows: &[WindowRow]) -> Result<u64, ProcessorError> {
        let mut g = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        g.insert(key.to_string(), rows.to_vec());
        Ok(rows.len() as u64 * 64)
    }

    async fn late(&self, key: &str, records: &[LateRecord]) -> Result<(), ProcessorError> {
        let mut g = self.late.lock().unwrap_or_else(|p| p.into_inner());
        g.insert(key.to_string(), records.to_vec());
        Ok(())
    }
}
