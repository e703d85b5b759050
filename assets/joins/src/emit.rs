//! The emitter: writes outboxes a crash left in the store, then closes the
//! buckets the global watermark has passed, through the core's
//! [`close_ready`] protocol. Closing a bucket decides each item waiting in
//! it: joined (its order arrived meanwhile, possibly on another shard) or
//! unmatched, written with the reason to one object per bucket under the
//! unmatched prefix (a deterministic key: a repeated close rewrites it).
//! Run after every batch and on the schedule (so items are decided while
//! the stream is quiet).
//!
//! Until a products table has loaded, no row is written: the rows a commit
//! joined wait in the state (`h` items, see [`crate::state`]) and no bucket
//! is closed; the emitter counts the waiting items
//! (`ItemsAwaitingProducts`). The first run with a table writes them, as
//! the state joins them then, and closes the buckets as usual.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use streamkit_core::progress::emit::close_ready;
use streamkit_core::progress::{StateItem, StateStore};

use crate::ingest::flush_outbox;
use crate::join::Resolution;
use crate::lines::{item_json, object_key, to_line, UnmatchedLine};
use crate::metrics::JoinCounts;
use crate::products::Products;
use crate::sink::Sink;
use crate::state::{self, Outbox, HELD_PK, OUTBOX_PK};
use crate::{JoinsConfig, JoinsError};

/// Buckets decided at once.
const FLUSH_CONCURRENCY: usize = 4;

/// What one run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Emitted {
    pub counts: JoinCounts,
    pub buckets: u64,
    /// Outboxes written for an earlier, interrupted invocation.
    pub outboxes: u64,
    pub watermark_ms: Option<i64>,
    pub closed_through: Option<i64>,
}

/// One emitter run at wall-clock `now_ms`.
pub async fn emit<S: StateStore, K: Sink>(
    store: &S,
    sink: &K,
    cfg: &JoinsConfig,
    products: &Products,
    now_ms: i64,
) -> Result<Emitted, JoinsError> {
    let mut out = Emitted::default();
    for item in store.items(OUTBOX_PK).await? {
        let outbox: Outbox = serde_json::from_str(&item.body)
            .map_err(|e| JoinsError::BadState(format!("{}/{}", item.pk, item.sk), e.to_string()))?;
        flush_outbox(store, sink, &item.sk, &outbox).await?;
        out.outboxes += 1;
    }
    let held = store.items(HELD_PK).await?;
    if !products.is_loaded() {
        // No products table yet: joined rows wait in the state, and so do
        // the buckets (closing one could join an item without its product).
        out.counts.items_awaiting_products = state::parse_waiting(&held)?.len() as u64;
        tracing::warn!(
            items = out.counts.items_awaiting_products,
            "no products table has loaded: joined items wait in the state"
        );
        return Ok(out);
    }
    if !held.is_empty() {
        let released = release(store, sink, cfg, products, &held).await?;
        out.counts.add(&released);
    }
    let totals = Mutex::new(JoinCounts::default());
    let flush = |bucket: i64| {
        let totals = &totals;
        async move {
            let counts = decide(store, sink, cfg, products, bucket).await?;
            totals
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .add(&counts);
            Ok::<(), JoinsError>(())
        }
    };
    let closed = close_ready(store, now_ms, cfg.idle_ms(), FLUSH_CONCURRENCY, flush).await?;
    out.counts
        .add(&totals.into_inner().unwrap_or_else(|p| p.into_inner()));
    out.buckets = closed.flushed.len() as u64;
    out.watermark_ms = closed.watermark_ms;
    out.closed_through = closed.closed_through;
    Ok(out)
}

/// Writes the rows held while no products table had loaded, as the state
/// joins them now, then removes the held lists (idempotent: a row is written
/// only over an older version).
async fn release<S: StateStore, K: Sink>(
    store: &S,
    sink: &K,
    cfg: &JoinsConfig,
    products: &Products,
    held: &[StateItem],
) -> Result<JoinCounts, JoinsError> {
    let entries = state::parse_waiting(held)?;
    let ids: BTreeSet<u64> = entries.iter().map(|(o, _)| *o).collect();
    let states = state::load(store, &ids).await?;
    let join = cfg.join();
    let rows: Vec<_> = entries
        .iter()
        .filter_map(|(o, i)| states.get(o)?.row_of(*i, &join, products))
        .collect();
    let written = sink.rows(&rows).await?;
    for item in held {
        store.remove(&item.pk, &item.sk).await?;
    }
    tracing::info!(
        held = entries.len(),
        written = written.written,
        "items held for the products table written"
    );
    Ok(JoinCounts {
        items_enriched: written.written,
        rows_unchanged: written.unchanged,
        missing_product: written.missing_product,
        ..JoinCounts::default()
    })
}

/// Decides every item waiting in `bucket` (idempotent).
async fn decide<S: StateStore, K: Sink>(
    store: &S,
    sink: &K,
    cfg: &JoinsConfig,
    products: &Products,
    bucket: i64,
) -> Result<JoinCounts, JoinsError> {
    let mut counts = JoinCounts::default();
    let waiting = state::parse_waiting(&store.items(&state::bucket_pk(bucket)).await?)?;
    if waiting.is_empty() {
        return Ok(counts);
    }
    let ids: BTreeSet<u64> = waiting.iter().map(|(o, _)| *o).collect();
    let states = state::load(store, &ids).await?;
    let join = cfg.join();
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    for (order_id, item_id) in waiting {
        let Some(s) = states.get(&order_id) else {
            continue;
        };
        match s.resolve(item_id, bucket, &join, products) {
            Resolution::Joined(row) => rows.push(*row),
            Resolution::Elsewhere => {}
            Resolution::Unmatched(reason) => {
                let Some(item) = s.items.get(&item_id) else {
                    continue;
                };
                counts.items_unmatched += 1;
                lines.push(to_line(&UnmatchedLine {
                    reason: reason.as_str(),
                    order_id,
                    item_id,
                    bucket_ms: bucket,
                    window_seconds: join.window_ms / 1000,
                    order_date_time: s.order.as_ref().map(|o| o.value.date_time.clone()),
                    data: item_json(&item.value),
                }));
            }
        }
    }
    let written = sink.rows(&rows).await?;
    counts.items_enriched = written.written;
    counts.rows_unchanged = written.unchanged;
    counts.missing_product = written.missing_product;
    if !lines.is_empty() {
        let key = object_key(&cfg.unmatched_prefix, bucket, &format!("bucket-{bucket}"));
        sink.file(&key, &lines).await?;
    }
    Ok(counts)
}

/// Buckets per shard still open, for "is everything decided" checks.
pub async fn pending<S: StateStore>(store: &S) -> Result<BTreeMap<String, usize>, JoinsError> {
    let e = store.emit_state().await?;
    let mut out: BTreeMap<String, usize> = store
        .shards()
        .await?
        .into_iter()
        .filter(|s| !s.open.is_empty())
        .map(|s| (s.shard_id, s.open.len()))
        .collect();
    if !e.closing.is_empty() || !e.ready.is_empty() {
        out.insert("emitter".into(), e.closing.len() + e.ready.len());
    }
    if !store.items(OUTBOX_PK).await?.is_empty() {
        out.insert("outbox".into(), 1);
    }
    let held = state::parse_waiting(&store.items(HELD_PK).await?)?;
    if !held.is_empty() {
        out.insert("awaiting products".into(), held.len());
    }
    Ok(out)
}
