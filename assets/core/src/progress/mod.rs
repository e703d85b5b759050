//! The building block of stateful stream processors (pattern 2's windows, the
//! streaming join's per-key state): keyed state *outside* the function, in a
//! store with conditional writes, advanced exactly once per shard, with event
//! time tracked per shard and combined into one watermark.
//!
//! ## What is stored
//! - **Shard progress** ([`ShardProgress`]), one per shard: the last applied
//!   sequence number (the checkpoint), the shard's watermark (highest event
//!   time applied), when it last applied a record (wall clock), its parent
//!   shards, the *buckets* it put state into that are still open, and its copy
//!   of the emitter's `closed_through`.
//! - **State items** ([`StateItem`]): opaque bodies under a partition key,
//!   written only together with the progress that produced them.
//! - **The emitter's record** ([`EmitState`]): `closed_through` and the
//!   buckets being closed.
//!
//! A *bucket* is identified by its **close time** (ms of event time): the
//! watermark at which its state is final (a window's end plus the allowed
//! lateness; a join's item time plus the interval). Buckets close in the
//! order of their close times, so one number, `closed_through`, says which
//! are closed: every bucket whose close time is at or below it.
//!
//! ## Exactly once per shard
//! A [`Commit`] carries the state items of a run of records, the new
//! checkpoint, and the checkpoint (and `closed_through`) it was computed
//! from. The store applies it atomically and only if the stored progress is
//! still the expected one; otherwise nothing happens and the caller reloads.
//! So a retried batch, a restarted function or a bisected batch skips the
//! records at or before the checkpoint and never applies a record twice.
//! This needs a shard's batches in order, one at a time (Lambda's
//! `ParallelizationFactor` 1).
//!
//! ## The watermark ([`watermark::global`])
//! The global watermark is the minimum of the shard watermarks over the
//! shards that applied a record within the idle-shard timeout and are not
//! parents whose children have all started (a parent is read to its end
//! before its children start, so it has nothing more to add). A shard seen
//! in the stream but not started yet is registered: without parents it holds
//! the watermark back until it starts or goes idle; with parents, they hold
//! it for it. When every shard is
//! idle, the watermark follows the wall clock from the highest shard
//! watermark, so the last windows of a stream that went quiet still close.
//! A shard's first commit starts its watermark at the lowest of its parents'
//! (resharding neither loses nor stalls the watermark).
//!
//! ## Late data
//! A record is late on its shard when its event time is more than the
//! allowed lateness behind the shard's watermark (decided by the caller with
//! [`ShardProgress::is_late`]); and a commit that would add state to a
//! bucket at or below `closed_through` is refused, so state reaching an
//! already-closed bucket (only possible from a shard that was idle or new)
//! is reported late by the caller too, never lost. Because an active shard's
//! watermark is at or above the global one, a record accepted on it can
//! never belong to a bucket the emitter closed.
//!
//! ## Closing ([`emit::close_ready`])
//! The emitter raises `closed_through` to the watermark (conditionally, so
//! concurrent emitters do not both), records the buckets being closed, copies
//! `closed_through` into every shard's progress (after which no commit adds
//! to those buckets), then hands each bucket to the caller's flush (which
//! must be idempotent: deterministic output keys) and marks it done. A crash
//! anywhere is finished by the next run.

pub mod dynamo;
pub mod emit;
pub mod memory;
pub mod store;
pub mod watermark;

pub use dynamo::DynamoStore;
pub use memory::MemoryStore;
pub use store::{Commit, Counts, EmitState, ShardProgress, StateItem, StateStore, StoreError};

/// The stored checkpoint of a shard before anything was applied.
pub const NO_SEQUENCE: &str = "";
