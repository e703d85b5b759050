//! The store's data types and the operations every store implements with
//! the same conditional semantics ([`super::DynamoStore`] for Lambda and the
//! local runner, [`super::MemoryStore`] for large property tests and
//! benchmarks).

use std::collections::BTreeSet;
use std::future::Future;
use thiserror::Error;

use crate::record::cmp_sequence;

/// Progress of one shard.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ShardProgress {
    pub shard_id: String,
    /// Last applied sequence number.
    pub sequence_number: String,
    /// Highest event time applied (ms), once any.
    pub watermark_ms: Option<i64>,
    /// Wall-clock time of the last commit (ms).
    pub active_ms: i64,
    /// Parent shards (split or merge), recorded at the first commit.
    pub parents: Vec<String>,
    /// Close times of the open buckets this shard added state to.
    pub open: BTreeSet<i64>,
    /// The emitter's `closed_through` as this shard last saw it.
    pub closed_through: Option<i64>,
    /// Running totals.
    pub counts: Counts,
}

impl ShardProgress {
    /// Whether a record at event time `t` is beyond the allowed lateness on this shard.
    pub fn is_late(&self, t: i64, lateness_ms: i64) -> bool {
        self.watermark_ms.is_some_and(|w| t < w - lateness_ms)
    }

    /// Whether a bucket with this close time is already closed.
    pub fn is_closed(&self, close_ms: i64) -> bool {
        self.closed_through.is_some_and(|c| close_ms <= c)
    }

    /// Whether the shard has applied a record (not only been registered).
    pub fn started(&self) -> bool {
        !self.sequence_number.is_empty()
    }

    /// Whether `sequence_number` was applied already.
    pub fn applied(&self, sequence_number: &str) -> bool {
        !self.sequence_number.is_empty()
            && cmp_sequence(sequence_number, &self.sequence_number).is_le()
    }
}

/// Record counters kept per shard.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub records: u64,
    pub late: u64,
    pub malformed: u64,
}

/// An opaque state item, e.g. one window's partial aggregates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateItem {
    pub pk: String,
    pub sk: String,
    pub body: String,
    /// Epoch seconds after which the store may delete it (DynamoDB TTL).
    pub expires_at: i64,
}

/// One atomic step of a shard: its state items and its new progress.
#[derive(Clone, Debug, PartialEq)]
pub struct Commit {
    pub shard_id: String,
    /// The progress this commit was computed from (`None`, or a registered
    /// shard that has not started: the shard's first commit).
    pub expected: Option<ShardProgress>,
    /// For a first commit: the emitter's `closed_through` it was computed with.
    pub expected_closed_through: Option<i64>,
    /// New checkpoint: the last sequence number this commit covers.
    pub sequence_number: String,
    pub watermark_ms: Option<i64>,
    pub active_ms: i64,
    /// Recorded on the first commit only.
    pub parents: Vec<String>,
    /// Close times of buckets this commit adds state to (all above `closed_through`).
    pub open: BTreeSet<i64>,
    pub items: Vec<StateItem>,
    /// Added to the shard's counters.
    pub added: Counts,
    /// Epoch seconds after which the progress item may expire.
    pub expires_at: i64,
}

/// Most state items in one commit (DynamoDB transactions take 100 actions:
/// the progress update and a condition check leave 98).
pub const MAX_ITEMS_PER_COMMIT: usize = 98;

/// The emitter's own record.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EmitState {
    pub closed_through: Option<i64>,
    /// Buckets whose closing started (not yet copied to every shard).
    pub closing: BTreeSet<i64>,
    /// Buckets closed everywhere, waiting for (or in) their flush.
    pub ready: BTreeSet<i64>,
}

/// A store failure (not a failed condition, which operations report as `false`).
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("state store {operation} on table `{table}` failed: {message}; check the table exists in this region and the role may use it")]
    Call {
        operation: &'static str,
        table: String,
        message: String,
    },
    #[error("state store item {pk}/{sk} in table `{table}` is malformed: {message}")]
    Malformed {
        table: String,
        pk: String,
        sk: String,
        message: String,
    },
}

/// The operations of a state store. Every write is conditional as documented
/// and returns `Ok(false)` when its condition failed (nothing written).
pub trait StateStore: Sync {
    /// One shard's progress (strongly consistent).
    fn shard(
        &self,
        shard_id: &str,
    ) -> impl Future<Output = Result<Option<ShardProgress>, StoreError>> + Send;
    /// Every shard's progress (strongly consistent).
    fn shards(&self) -> impl Future<Output = Result<Vec<ShardProgress>, StoreError>> + Send;
    /// The emitter's record (strongly consistent; default when absent).
    fn emit_state(&self) -> impl Future<Output = Result<EmitState, StoreError>> + Send;
    /// Applies `commit` atomically if the shard's progress (or, for a first
    /// commit, its absence or registration, and the emitter's
    /// `closed_through`) is as expected.
    fn commit(&self, commit: &Commit) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Registers a shard that has not started (so it holds the watermark
    /// until it starts or goes idle) unless it has progress already.
    fn register(
        &self,
        shard_id: &str,
        parents: &[String],
        active_ms: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Raises `closed_through` from `expected` to `through` and adds `buckets`
    /// to `closing`, if `closed_through` is still `expected`.
    fn begin_close(
        &self,
        expected: Option<i64>,
        through: i64,
        buckets: &BTreeSet<i64>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Copies `through` into a shard's progress (never lowering it) and
    /// removes `buckets` from its open set.
    fn mark_closed(
        &self,
        shard_id: &str,
        through: i64,
        buckets: &BTreeSet<i64>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Moves `buckets` from `closing` to `ready`.
    fn promote(
        &self,
        buckets: &BTreeSet<i64>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Removes a flushed bucket from `ready`.
    fn finish(&self, bucket: i64) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Deletes one state item (no condition; absent is fine).
    fn remove(&self, pk: &str, sk: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Every state item under `pk` (strongly consistent), in `sk` order.
    fn items(&self, pk: &str) -> impl Future<Output = Result<Vec<StateItem>, StoreError>> + Send;
}
