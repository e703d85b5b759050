//! The emitter's protocol: close every bucket the watermark has passed,
//! exactly once in effect, safe against crashes and concurrent emitters
//! (see the module docs of [`crate::progress`]).

use futures::stream::{self, StreamExt, TryStreamExt};
use std::collections::BTreeSet;
use std::future::Future;

use super::{watermark, ShardProgress, StateStore, StoreError};

/// What one run did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Closed {
    /// The global watermark seen.
    pub watermark_ms: Option<i64>,
    /// `closed_through` after the run.
    pub closed_through: Option<i64>,
    /// Buckets flushed (close times), in order.
    pub flushed: Vec<i64>,
}

/// Closes the buckets at or below the global watermark (`now_ms` and
/// `idle_ms` as in [`watermark::global`]): finishes what an earlier run left
/// half-done, then raises `closed_through` to the highest bucket to close,
/// copies it into every shard, and calls `flush(bucket)` for each (it must
/// be idempotent; up to `concurrency` run at once) before marking it done.
/// A failed flush leaves the bucket for the next run.
pub async fn close_ready<S, F, Fut, E>(
    store: &S,
    now_ms: i64,
    idle_ms: i64,
    concurrency: usize,
    flush: F,
) -> Result<Closed, E>
where
    S: StateStore,
    F: Fn(i64) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: From<StoreError>,
{
    let state = store.emit_state().await?;
    let mut shards = store.shards().await?;
    let mut closed_through = state.closed_through;
    let mut ready: BTreeSet<i64> = state.ready.clone();
    if !state.closing.is_empty() {
        // A run stopped between begin_close and promote: finish it.
        let through = closed_through.unwrap_or(i64::MIN);
        mark_all(store, &shards, through, &state.closing).await?;
        store.promote(&state.closing).await?;
        ready.extend(&state.closing);
    }
    if let Some(through) = closed_through {
        // Buckets a failed mark left open in some shard.
        let stale = open_at_or_below(&shards, through);
        if !stale.is_empty() {
            mark_all(store, &shards, through, &stale).await?;
            ready.extend(stale);
        }
    }
    let watermark_ms = watermark::global(&shards, now_ms, idle_ms);
    if let Some(g) = watermark_ms {
        let closing = open_at_or_below(&shards, g);
        let above = |b: &i64| closed_through.is_none_or(|c| *b > c);
        if let Some(&through) = closing.iter().rev().find(|b| above(b)) {
            if store.begin_close(closed_through, through, &closing).await? {
                // A shard that first committed meanwhile copied the old value.
                shards = store.shards().await?;
                let closing = open_at_or_below(&shards, through);
                mark_all(store, &shards, through, &closing).await?;
                store.promote(&closing).await?;
                ready.extend(closing);
                closed_through = Some(through);
            }
        }
    }
    let flush = &flush;
    let mut flushed: Vec<i64> = stream::iter(ready)
        .map(|bucket| async move {
            flush(bucket).await?;
            store.finish(bucket).await?;
            Ok::<i64, E>(bucket)
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await?;
    flushed.sort_unstable();
    Ok(Closed {
        watermark_ms,
        closed_through,
        flushed,
    })
}

fn open_at_or_below(shards: &[ShardProgress], through: i64) -> BTreeSet<i64> {
    shards
        .iter()
        .flat_map(|s| s.open.iter().copied())
        .filter(|b| *b <= through)
        .collect()
}

async fn mark_all<S: StateStore>(
    store: &S,
    shards: &[ShardProgress],
    through: i64,
    buckets: &BTreeSet<i64>,
) -> Result<(), StoreError> {
    for s in shards {
        store.mark_closed(&s.shard_id, through, buckets).await?;
    }
    Ok(())
}
