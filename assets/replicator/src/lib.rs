//! Cross-region replicator core: reads batches of records of one shard,
//! writes them unchanged and in order to the stream of the same name in the
//! other region, checkpoints per shard and publishes lag metrics.
//!
//! Entry points: [`lambda::handle`] (the Lambda function) and
//! [`Replicator::replicate_until_confirmed`] (a batch retried until the
//! destination accepts it), both over [`Replicator::replicate_shard`]. The
//! local runner that polls the streams (`streamkit local replicate`) is the
//! CLI's, `src/replication/runner.rs`: there is one local replication loop.

pub mod active;
pub mod checkpoint;
pub mod config;
pub mod drain;
pub mod error;
pub mod lambda;
pub mod metrics;
mod replicate;

pub use config::ReplicatorConfig;
pub use drain::{DrainPolicy, Drained, Retry};
pub use error::ReplicatorError;
pub use replicate::{BatchReport, Clients, Replicator};
