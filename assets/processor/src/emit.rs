//! The emitter: writes late records a crash left in the store, then closes
//! the windows the global watermark has passed (window end plus allowed
//! lateness), one Parquet object per window with one row per ticker, through
//! the core's [`close_ready`] protocol. Run after every batch and on the
//! schedule (so windows close while the stream is quiet).

use std::sync::atomic::{AtomicU64, Ordering};
use streamkit_core::progress::emit::close_ready;
use streamkit_core::progress::StateStore;

use crate::ingest::{window_pk, LateItem, LATE_PK};
use crate::output::window_key;
use crate::sink::Sink;
use crate::window::{rows, Partial};
use crate::{ProcessorConfig, ProcessorError};

/// What one run wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Emitted {
    /// Rows (ticker windows) written.
    pub rows: u64,
    /// Window objects written.
    pub objects: u64,
    pub bytes: u64,
    /// Late-record files written for an earlier, interrupted invocation.
    pub late_files: u64,
    pub watermark_ms: Option<i64>,
    pub closed_through: Option<i64>,
}

/// One emitter run at wall-clock `now_ms`.
pub async fn emit<S: StateStore, K: Sink>(
    store: &S,
    sink: &K,
    cfg: &ProcessorConfig,
    now_ms: i64,
) -> Result<Emitted, ProcessorError> {
    let mut out = Emitted::default();
    for item in store.items(LATE_PK).await? {
        let late: LateItem = serde_json::from_str(&item.body).map_err(|e| {
            ProcessorError::BadPartial(format!("{}/{}", item.pk, item.sk), e.to_string())
        })?;
        sink.late(&late.key, &late.records).await?;
        store.remove(&item.pk, &item.sk).await?;
        out.late_files += 1;
    }
    let (n_rows, n_objects, n_bytes) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
    let flush = |bucket: i64| {
        let (n_rows, n_objects, n_bytes) = (&n_rows, &n_objects, &n_bytes);
        async move {
            let pk = window_pk(bucket);
            let mut partials = Vec::new();
            for item in store.items(&pk).await? {
                let p: Partial = serde_json::from_str(&item.body).map_err(|e| {
                    ProcessorError::BadPartial(format!("{}/{}", item.pk, item.sk), e.to_string())
                })?;
                partials.push(p);
            }
            let rows = rows(&partials);
            let Some(first) = rows.first() else {
                return Ok(());
            };
            let bytes = sink
                .window(&window_key(&cfg.prefix, first.start_ms), &rows)
                .await?;
            n_rows.fetch_add(rows.len() as u64, Ordering::Relaxed);
            n_objects.fetch_add(1, Ordering::Relaxed);
            n_bytes.fetch_add(bytes, Ordering::Relaxed);
            Ok::<(), ProcessorError>(())
        }
    };
    let closed = close_ready(store, now_ms, cfg.idle_ms(), cfg.emit_concurrency, flush).await?;
    out.rows = n_rows.into_inner();
    out.objects = n_objects.into_inner();
    out.bytes = n_bytes.into_inner();
    out.watermark_ms = closed.watermark_ms;
    out.closed_through = closed.closed_through;
    Ok(out)
}
