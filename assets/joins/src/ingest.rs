//! Applying a shard's records and writing what they join: the domain half
//! of the exactly-once ingest (the core's [`runner::ingest`] is the other:
//! checkpoint skip, commit, reload and retry, partial failures), as
//! [`Joins`], the processor the core's runner drives.
//!
//! Records are taken in chunks that fit one commit. For each chunk: the
//! state pages of its orderIds are read; each record is classified in shard
//! order (rejected, late, or applied to its order's state: joined rows, or
//! an item waiting in its bucket); the rows are written (only over older
//! versions); then one conditional commit stores the changed state pages,
//! the waiting lists, the records for S3 (an outbox item) and the new
//! checkpoint and watermark. A refused commit makes the runner reload and
//! recompute: the rows it wrote are rewritten only if newer. After the
//! commit the outbox is written to S3 and removed (the emitter writes any a
//! crash left behind).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use streamkit_core::progress::StateStore;
use streamkit_core::runner::{self, At, Processor};
use streamkit_core::StreamRecord;

use crate::chunk::{apply, chunk_len, users, User};
use crate::emit::{emit, pending};
use crate::metrics::JoinCounts;
use crate::page::{page_of, MAX_BODY_BYTES};
use crate::products::Products;
use crate::reference::{NoSource, Reference, Source};
use crate::sink::Sink;
use crate::state::{self, Loaded, Outbox, OUTBOX_PK};
use crate::{JoinsConfig, JoinsError};

/// The join as the core's runner drives it, with the products table in use
/// (fixed, or checked from a [`Source`] before each invocation or round).
pub struct Joins<'a, S, K, R = NoSource> {
    pub store: &'a S,
    pub sink: &'a K,
    pub cfg: &'a JoinsConfig,
    products: Mutex<Arc<Products>>,
    reference: Option<(&'a R, tokio::sync::Mutex<Reference>)>,
}

impl<'a, S, K> Joins<'a, S, K> {
    /// With a fixed products table.
    pub fn new(store: &'a S, sink: &'a K, cfg: &'a JoinsConfig, products: Products) -> Self {
        Joins {
            store,
            sink,
            cfg,
            products: Mutex::new(Arc::new(products)),
            reference: None,
        }
    }
}

impl<'a, S, K, R: Source> Joins<'a, S, K, R> {
    /// With the products file of `source` (none loaded until it is found).
    pub fn with_source(store: &'a S, sink: &'a K, cfg: &'a JoinsConfig, source: &'a R) -> Self {
        Joins {
            store,
            sink,
            cfg,
            products: Mutex::new(Arc::new(Products::default())),
            reference: Some((
                source,
                tokio::sync::Mutex::new(Reference::new(cfg.reference_check)),
            )),
        }
    }

    /// The products table in use.
    pub fn products(&self) -> Arc<Products> {
        self.products
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// What a committed chunk leaves to do: the pages the shard's items now
/// hold, its counts, its outbox.
pub type Then = (
    BTreeMap<u64, BTreeSet<u64>>,
    JoinCounts,
    Option<(String, Outbox)>,
);

impl<S: StateStore, K: Sink, R: Source> Processor for Joins<'_, S, K, R> {
    type Store = S;
    type Error = JoinsError;
    type Counts = JoinCounts;
    type Batch = Vec<Vec<User>>;
    type Cache = Loaded;
    type Then = Then;

    fn store(&self) -> &S {
        self.store
    }

    fn prepare(&self, records: &[StreamRecord]) -> Vec<Vec<User>> {
        records
            .iter()
            .enumerate()
            .map(|(i, r)| users(i, r))
            .collect()
    }

    async fn chunk(
        &self,
        batch: &Vec<Vec<User>>,
        cache: &mut Loaded,
        at: At<'_>,
    ) -> Result<runner::Chunk<Then>, JoinsError> {
        let (cfg, next) = (self.cfg, at.from);
        let len = chunk_len(&batch[next..], &cfg.join());
        let users = &batch[next..next + len];
        let pages: BTreeSet<u64> = users
            .iter()
            .flatten()
            .filter_map(|u| u.parsed.as_ref().ok().map(|i| page_of(i.order_id())))
            .filter(|p| !cache.pages.contains(p))
            .collect();
        let shard_id = &at.progress.shard_id;
        cache.extend(state::load_pages(self.store, &pages, shard_id).await?);
        let products = self.products();
        let step = apply(
            cfg,
            &products,
            &mut cache.states,
            &cache.own,
            at.progress,
            at.expected.cloned(),
            &at.records[next..next + len],
            users,
            at.now_ms,
        );
        if let Some(big) = step
            .commit
            .items
            .iter()
            .find(|i| i.body.len() > MAX_BODY_BYTES)
        {
            return Err(JoinsError::StateTooLarge {
                key: format!("{}/{}", big.pk, big.sk),
                bytes: big.body.len(),
            });
        }
        let written = self.sink.rows(&step.rows).await?;
        let mut counts = step.counts;
        counts.items_enriched = written.written;
        counts.rows_unchanged = written.unchanged;
        counts.missing_product = written.missing_product;
        Ok(runner::Chunk {
            len,
            commit: step.commit,
            then: (step.pages, counts, step.outbox),
        })
    }

    async fn committed(&self, cache: &mut Loaded, (pages, counts, outbox): Then) -> JoinCounts {
        cache.own.extend(pages);
        if let Some((sk, outbox)) = outbox {
            // Committed: a failure here leaves the outbox for the emitter.
            if let Err(e) = flush_outbox(self.store, self.sink, &sk, &outbox).await {
                tracing::warn!(error = %e, "outbox left for the emitter");
            }
        }
        counts
    }

    async fn emit(&self, now_ms: i64) -> Result<JoinCounts, JoinsError> {
        let e = emit(self.store, self.sink, self.cfg, &self.products(), now_ms).await?;
        tracing::info!(buckets = e.buckets, unmatched = e.counts.items_unmatched, enriched = e.counts.items_enriched, watermark_ms = ?e.watermark_ms, "emit");
        Ok(e.counts)
    }

    async fn settled(&self) -> Result<bool, JoinsError> {
        Ok(pending(self.store).await?.is_empty())
    }

    /// Checks the products file (see [`Reference::current`]).
    async fn refresh(&self, now_ms: i64) -> JoinCounts {
        let mut counts = JoinCounts::default();
        if let Some((source, reference)) = &self.reference {
            let (products, checked) = reference.lock().await.current(*source, now_ms).await;
            counts.reference_errors = checked.error as u64;
            *self.products.lock().unwrap_or_else(|p| p.into_inner()) = products;
        }
        counts.products = self.products().len() as u64;
        counts
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
