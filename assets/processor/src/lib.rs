//! Pattern 2 ("Flink-equivalent"): per ticker, event-time tumbling windows
//! (count, min, max, average, last price and its event time) written as
//! Parquet to S3, **one row per (ticker, window) whatever the shard count**.
//!
//! ## The contract
//! For any input, the output holds exactly one row per (ticker, window),
//! equal to a batch computation over every record whose event time falls in
//! the window and that arrived within the allowed lateness; independent of
//! shard count, partition keys, resharding, batch sizes, retries, restarts
//! and delivery order across shards. A record *arrived within the allowed
//! lateness* when its event time is no more than `ALLOWED_LATENESS_SECONDS`
//! behind the highest event time its shard had delivered before it (a child
//! shard starts from the lowest of its parents'). Other records, and records
//! that are not ticks, are counted and written under `LATE_PREFIX` with the
//! reason; none is dropped silently.
//!
//! ## The design
//! Window state lives outside the function, in a DynamoDB table, through
//! [`streamkit_core::progress`]:
//! - [`ingest`]: a shard's records are applied in order, exactly once: each
//!   commit writes the partial aggregates of the windows it touched and the
//!   shard's new checkpoint and watermark atomically, conditioned on the
//!   checkpoint it read, so retries, restarts and bisected batches skip what
//!   is applied. (Lambda's `ParallelizationFactor` is 1: a shard's batches
//!   in order, one at a time; scale with shards.)
//! - [`emit`]: the global watermark is the minimum of the shard watermarks
//!   over shards active within `IDLE_SHARD_TIMEOUT_SECONDS` (a parent drops
//!   out once its child starts; when all are idle it follows the wall
//!   clock). A window closes when the watermark reaches its end plus the
//!   allowed lateness; the emitter merges its partials (from every shard)
//!   into one row per ticker and writes one object per window under a
//!   deterministic key, so a repeated emission rewrites the same bytes.
//! - Why it holds: a shard that holds the watermark has a watermark at or
//!   above it, so any record it delivers later for a closed window is more
//!   than the allowed lateness behind it: late by the rule above. State can
//!   reach a closed window only from an idle or new shard; the store refuses
//!   that commit and the records are reported late (`window_already_emitted`).
//!   "Last price" takes the latest event time and, on ties, the highest
//!   price, so it does not depend on arrival order.
//!
//! The runner is the core's ([`streamkit_core::runner`]): the Lambda entry
//! (Kinesis batches with partial batch failures, the EventBridge schedule),
//! the local runner and the exactly-once ingest loop; this crate is the
//! domain it drives, [`ingest::Windows`] (plan a commit, emit, count).

pub mod config;
pub mod emit;
pub mod error;
pub mod ingest;
pub mod metrics;
pub mod output;
pub mod sink;
pub mod window;

pub use config::{ProcessorConfig, ENV_VARS};
pub use error::ProcessorError;
