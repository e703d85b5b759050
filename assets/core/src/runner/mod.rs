//! The one stream runner of the stateful processors (pattern 2's windows,
//! the streaming join): everything but the domain. A processor implements
//! [`Processor`] (plan a chunk of a shard's records as one commit, say what
//! the commit counted, emit, tell whether everything is emitted); the runner
//! supplies
//! - [`ingest`]: a shard's records applied exactly once: skip what the
//!   stored checkpoint holds, commit chunk by chunk against the progress it
//!   read, reload and retry (with backoff) when the store refuses, and on
//!   an error report how far it got ([`IngestFailure::first_unapplied`]);
//! - [`lambda::handle`]: the Lambda entry (Kinesis batches with partial batch
//!   failures, the EventBridge schedule) and [`entry::main`] (the binary:
//!   Lambda or `local`, settings errors through `/runtime/init/error`);
//! - [`local::run_local`]: the local poll loop (the same ingest per shard
//!   batch, the emitter after batches and on a timer);
//! - [`Topology`]: a shard's parents and siblings (ListShards in Lambda, the
//!   poller locally).
//!
//! ## Resharding and stored progress
//! A child shard is read only after its parents are finished (Lambda does so,
//! and so does [`crate::poller::ShardPoller`]). At a shard's first commit the
//! runner registers every other shard of the topology that has no progress
//! yet, so a shard that has not started holds the watermark back (until it
//! starts or goes idle, [`crate::progress::watermark`]); that is why the
//! local runner passes the whole stream's topology, not only the batch's
//! shard. A registered progress that has not started carries no information
//! (no checkpoint, no watermark, possibly an old `closed_through`): the
//! runner starts such a shard afresh from its parents' watermarks and the
//! emitter's current `closed_through`, conditioned on the registration.

pub mod entry;
pub mod lambda;
pub mod local;
pub mod topology;

#[cfg(test)]
mod tests;

use serde::Serialize;
use std::fmt::Debug;
use std::future::Future;
use std::time::Duration;

use crate::progress::{watermark, Commit, ShardProgress, StateStore, StoreError};
use crate::{CoreError, StreamRecord};
pub use topology::{KinesisTopology, Topology};

/// Attempts to commit against a moving progress before giving up.
pub const MAX_ATTEMPTS: u32 = 12;

/// A processor's counters: added up over chunks, invocations and rounds.
pub trait Tally: Default + Clone + Debug + PartialEq + Serialize + Send + Sync {
    fn add(&mut self, other: &Self);
    /// Records the shard held before the first record the processor ever
    /// got (its mapping started after them): never processed, reported.
    fn before_start(&mut self, records: u64);
}

/// Where the next chunk starts.
pub struct At<'a> {
    /// The shard's progress as of the last commit (or fresh).
    pub progress: &'a ShardProgress,
    /// The stored progress the commit must find (None: none stored).
    pub expected: Option<&'a ShardProgress>,
    /// The whole batch; the chunk starts at `from`.
    pub records: &'a [StreamRecord],
    pub from: usize,
    pub now_ms: i64,
}

/// One planned commit: the first `len` records from [`At::from`].
pub struct Chunk<D> {
    pub len: usize,
    pub commit: Commit,
    /// What the processor does once the commit is stored.
    pub then: D,
}

/// The domain of a stateful stream processor.
pub trait Processor: Sync {
    type Store: StateStore;
    type Error: std::error::Error + From<StoreError> + From<CoreError> + Send + Sync + 'static;
    type Counts: Tally;
    /// The batch prepared once (parsed records), kept across retries.
    type Batch: Send + Sync;
    /// Kept from one chunk to the next; dropped when the progress is reloaded.
    type Cache: Default + Send;
    type Then: Send;

    fn store(&self) -> &Self::Store;

    fn prepare(&self, records: &[StreamRecord]) -> Self::Batch;

    /// Plans the next commit (at least one record). May write idempotent
    /// output before it (rows written only over older versions).
    fn chunk(
        &self,
        batch: &Self::Batch,
        cache: &mut Self::Cache,
        at: At<'_>,
    ) -> impl Future<Output = Result<Chunk<Self::Then>, Self::Error>> + Send;

    /// After the chunk's commit was stored: what it counted. Side outputs
    /// that fail here are left in the store for the emitter.
    fn committed(
        &self,
        cache: &mut Self::Cache,
        then: Self::Then,
    ) -> impl Future<Output = Self::Counts> + Send;

    /// One emitter run at wall-clock `now_ms`.
    fn emit(&self, now_ms: i64) -> impl Future<Output = Result<Self::Counts, Self::Error>> + Send;

    /// Whether nothing is left to emit (the local runner's `--until-idle`).
    fn settled(&self) -> impl Future<Output = Result<bool, Self::Error>> + Send;

    /// Before each invocation or local round (e.g. reload reference data).
    fn refresh(&self, _now_ms: i64) -> impl Future<Output = Self::Counts> + Send {
        async { Self::Counts::default() }
    }
}

/// What one [`ingest`] call applied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ingested<C> {
    pub counts: C,
    /// Kinesis records skipped as already applied.
    pub skipped: u64,
    pub commits: u64,
    /// Records on the shard before the first one the processor ever got
    /// (also added to `counts`).
    pub before_start: u64,
}

/// A failure with how far the batch got: records before `first_unapplied`
/// are committed (Lambda resumes the batch there).
#[derive(Debug)]
pub struct IngestFailure<E, C> {
    pub error: E,
    pub first_unapplied: usize,
    pub ingested: Ingested<C>,
}

/// Applies `records` (one shard's, in order) at wall-clock `now_ms`.
pub async fn ingest<P: Processor, T: Topology>(
    p: &P,
    topology: &T,
    shard_id: &str,
    records: &[StreamRecord],
    now_ms: i64,
) -> Result<Ingested<P::Counts>, IngestFailure<P::Error, P::Counts>> {
    let store = p.store();
    let batch = p.prepare(records);
    let mut out = Ingested::<P::Counts>::default();
    let mut next = 0usize;
    let mut attempts = 0;
    loop {
        let fail = |error: P::Error, next: usize, out: &Ingested<P::Counts>| IngestFailure {
            error,
            first_unapplied: next,
            ingested: out.clone(),
        };
        let (mut expected, mut progress) = match load(store, topology, shard_id, now_ms).await {
            Ok(x) => x,
            Err(e) => return Err(fail(e, next, &out)),
        };
        while next < records.len() && progress.applied(&records[next].sequence_number) {
            next += 1;
            out.skipped += 1;
        }
        if attempts == 0 && next == 0 && !progress.started() && !records.is_empty() {
            out.before_start = before_start(topology, shard_id, &records[0]).await;
            out.counts.before_start(out.before_start);
        }
        let mut cache = P::Cache::default();
        let mut refused = false;
        while next < records.len() {
            let at = At {
                progress: &progress,
                expected: expected.as_ref(),
                records,
                from: next,
                now_ms,
            };
            let chunk = match p.chunk(&batch, &mut cache, at).await {
                Ok(c) => c,
                Err(e) => return Err(fail(e, next, &out)),
            };
            match store.commit(&chunk.commit).await {
                Ok(true) => {}
                Ok(false) => {
                    refused = true;
                    break;
                }
                Err(e) => return Err(fail(e.into(), next, &out)),
            }
            let c = &chunk.commit;
            progress.sequence_number = c.sequence_number.clone();
            progress.watermark_ms = c.watermark_ms;
            progress.active_ms = c.active_ms;
            progress.open.extend(&c.open);
            expected = Some(progress.clone());
            out.commits += 1;
            next += chunk.len;
            let counts = p.committed(&mut cache, chunk.then).await;
            out.counts.add(&counts);
        }
        if !refused {
            return Ok(out);
        }
        attempts += 1;
        if attempts >= MAX_ATTEMPTS {
            let error = CoreError::Contended {
                shard: shard_id.to_string(),
                attempts,
            };
            return Err(fail(error.into(), next, &out));
        }
        let ms = (10u64 << attempts.min(8)).min(2000);
        tokio::time::sleep(Duration::from_millis(ms / 2 + fastrand::u64(0..=ms / 2))).await;
    }
}

/// Records the shard held before `first`, logged when any (a failure to
/// tell is logged and counts none).
async fn before_start<T: Topology>(topology: &T, shard_id: &str, first: &StreamRecord) -> u64 {
    let first = &first.sequence_number;
    match topology.records_before(shard_id, first).await {
        Ok(0) => 0,
        Ok(n) => {
            tracing::warn!(
                shard_id,
                records = n,
                first_sequence_number = %first,
                "records on the shard before the first one this processor got were not processed: its event source mapping started after them (StartingPosition LATEST); use TRIM_HORIZON to read them"
            );
            n
        }
        Err(e) => {
            tracing::warn!(shard_id, error = %e, "cannot tell whether records before the mapping's start were skipped");
            0
        }
    }
}

/// The stored progress when the shard has started; otherwise a fresh one
/// that inherits its parents' watermark and the emitter's `closed_through`
/// (a registered progress that has not started carries no information; it
/// stays the commit's condition). The first time a shard is seen, every
/// other shard of the topology without progress is registered, so a shard
/// that has not started holds the watermark back.
pub async fn load<E: From<StoreError> + From<CoreError>, S: StateStore, T: Topology>(
    store: &S,
    topology: &T,
    shard_id: &str,
    now_ms: i64,
) -> Result<(Option<ShardProgress>, ShardProgress), E> {
    let stored = store.shard(shard_id).await?;
    if let Some(p) = stored.as_ref().filter(|p| p.started()) {
        return Ok((Some(p.clone()), p.clone()));
    }
    let parents = match &stored {
        Some(p) => p.parents.clone(),
        None => {
            let shards = topology.shards().await?;
            for s in &shards {
                if s.shard_id != shard_id {
                    store.register(&s.shard_id, &s.parents, now_ms).await?;
                }
            }
            shards
                .into_iter()
                .find(|s| s.shard_id == shard_id)
                .map(|s| s.parents)
                .unwrap_or_default()
        }
    };
    let emit = store.emit_state().await?;
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
    Ok((stored, fresh))
}
