//! Applying a shard's records, exactly once, and writing what they join.
//!
//! Records at or before the shard's checkpoint are skipped (a retried,
//! bisected or re-read batch). The rest are taken in chunks that fit one
//! commit. For each chunk: the state pages of its orderIds are read; each record
//! is classified in shard order (rejected, late, or applied to its order's
//! state: joined rows, or an item waiting in its bucket); the rows are
//! written (only over older versions); then one conditional commit stores
//! the changed state pages, the waiting lists, the records for S3 (an outbox
//! item) and the new checkpoint and watermark. A refused commit (an emitter
//! closed buckets, or another invocation moved the shard) reloads and
//! recomputes: the rows it wrote are rewritten only if newer. After the
//! commit the outbox is written to S3 and removed (the emitter writes any a
//! crash left behind).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::Duration;
use streamkit_core::progress::{watermark, ShardProgress, StateStore};
use streamkit_core::StreamRecord;

use crate::chunk::{apply, chunk_len, users, User};
use crate::metrics::JoinCounts;
use crate::page::{page_of, MAX_BODY_BYTES};
use crate::products::Products;
use crate::sink::Sink;
use crate::state::{self, Loaded, Outbox, OUTBOX_PK};
use crate::{JoinsConfig, JoinsError};

/// Attempts to commit against a moving progress before giving up.
const MAX_ATTEMPTS: u32 = 12;

/// Where a shard's parents come from (ListShards in Lambda, the poller locally).
pub trait Topology: Sync {
    fn parents(
        &self,
        shard_id: &str,
    ) -> impl Future<Output = Result<Vec<String>, JoinsError>> + Send;
}

/// A fixed shard graph (shard → parents).
impl Topology for BTreeMap<String, Vec<String>> {
    async fn parents(&self, shard_id: &str) -> Result<Vec<String>, JoinsError> {
        Ok(self.get(shard_id).cloned().unwrap_or_default())
    }
}

/// What one call applied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ingested {
    pub counts: JoinCounts,
    /// Kinesis records skipped as already applied.
    pub skipped: u64,
    pub commits: u64,
}

/// A failure with how far the batch got: records before `first_unapplied`
/// are committed (Lambda may resume the batch there).
#[derive(Debug)]
pub struct IngestFailure {
    pub error: JoinsError,
    pub first_unapplied: usize,
    pub ingested: Ingested,
}

/// Applies `records` (one shard's, in order) at wall-clock `now_ms`.
#[allow(clippy::too_many_arguments)]
pub async fn ingest<S: StateStore, K: Sink, T: Topology>(
    store: &S,
    sink: &K,
    topology: &T,
    cfg: &JoinsConfig,
    products: &Products,
    shard_id: &str,
    records: &[StreamRecord],
    now_ms: i64,
) -> Result<Ingested, IngestFailure> {
    let mut out = Ingested::default();
    let mut next = 0usize;
    let mut attempts = 0;
    let users: Vec<Vec<User>> = records
        .iter()
        .enumerate()
        .map(|(i, r)| users(i, r))
        .collect();
    loop {
        let fail = |error: JoinsError, next: usize, out: &Ingested| IngestFailure {
            error,
            first_unapplied: next,
            ingested: out.clone(),
        };
        let (mut expected, mut progress) = match load(store, topology, shard_id).await {
            Ok(x) => x,
            Err(e) => return Err(fail(e, next, &out)),
        };
        while next < records.len() && progress.applied(&records[next].sequence_number) {
            next += 1;
            out.skipped += 1;
        }
        let mut cache = Loaded::default();
        let mut refused = false;
        while next < records.len() {
            let len = chunk_len(&users[next..], &cfg.join());
            let pages: BTreeSet<u64> = users[next..next + len]
                .iter()
                .flatten()
                .filter_map(|u| u.parsed.as_ref().ok().map(|i| page_of(i.order_id())))
                .filter(|p| !cache.pages.contains(p))
                .collect();
            match state::load_pages(store, &pages, shard_id).await {
                Ok(loaded) => cache.extend(loaded),
                Err(e) => return Err(fail(e, next, &out)),
            }
            let step = apply(
                cfg,
                products,
                &mut cache.states,
                &cache.own,
                &progress,
                expected.clone(),
                &records[next..next + len],
                &users[next..next + len],
                now_ms,
            );
            if let Some(big) = step
                .commit
                .items
                .iter()
                .find(|i| i.body.len() > MAX_BODY_BYTES)
            {
                let error = JoinsError::StateTooLarge {
                    key: format!("{}/{}", big.pk, big.sk),
                    bytes: big.body.len(),
                };
                return Err(fail(error, next, &out));
            }
            let written = match sink.rows(&step.rows).await {
                Ok(w) => w,
                Err(e) => return Err(fail(e, next, &out)),
            };
            match store.commit(&step.commit).await {
                Ok(true) => {}
                Ok(false) => {
                    refused = true;
                    break;
                }
                Err(e) => return Err(fail(e.into(), next, &out)),
            }
            let c = &step.commit;
            progress.sequence_number = c.sequence_number.clone();
            progress.watermark_ms = c.watermark_ms;
            progress.active_ms = c.active_ms;
            progress.open.extend(&c.open);
            cache.own.extend(step.pages);
            expected = Some(progress.clone());
            let mut counts = step.counts;
            counts.items_enriched = written.written;
            counts.rows_unchanged = written.unchanged;
            counts.missing_product = written.missing_product;
            out.counts.add(&counts);
            out.commits += 1;
            next += len;
            if let Some((sk, outbox)) = step.outbox {
                // Committed: a failure here leaves the outbox for the emitter.
                if let Err(e) = flush_outbox(store, sink, &sk, &outbox).await {
                    tracing::warn!(error = %e, "outbox left for the emitter");
                }
            }
        }
        if !refused {
            return Ok(out);
        }
        attempts += 1;
        if attempts >= MAX_ATTEMPTS {
            let error = JoinsError::Contended {
                shard: shard_id.to_string(),
                attempts,
            };
            return Err(fail(error, next, &out));
        }
        let ms = (10u64 << attempts.min(8)).min(2000);
        tokio::time::sleep(Duration::from_millis(ms / 2 + fastrand::u64(0..=ms / 2))).await;
    }
}

/// Writes an outbox's files and removes it.
pub async fn flush_outbox<S: StateStore, K: Sink>(
    store: &S,
    sink: &K,
    sk: &str,
    outbox: &Outbox,
) -> Result<(), JoinsError> {
    for (key, lines) in &outbox.files {
        sink.file(key, lines).await?;
    }
    store.remove(OUTBOX_PK, sk).await?;
    Ok(())
}

/// The stored progress, or for a shard's first commit a fresh one that
/// inherits its parents' watermark and the emitter's `closed_through`.
async fn load<S: StateStore, T: Topology>(
    store: &S,
    topology: &T,
    shard_id: &str,
) -> Result<(Option<ShardProgress>, ShardProgress), JoinsError> {
    if let Some(p) = store.shard(shard_id).await? {
        return Ok((Some(p.clone()), p));
    }
    let emit = store.emit_state().await?;
    let parents = topology.parents(shard_id).await?;
    let mut found = Vec::new();
    for p in &parents {
        found.push(store.shard(p).await?);
    }
    let fresh = ShardProgress {
        shard_id: shard_id.to_string(),
        watermark_ms: watermark::inherited(&found),
        parents,
        closed_through: emit.closed_through,
        ..ShardProgress::default()
    };
    Ok((None, fresh))
}
