//! Shared core of the code that runs inside streamkit's pipelines: event
//! schemas and generators, KPL aggregation, the ordered PutRecords sender,
//! a shard poller for local runners, SDK, S3 and logging setup, the one
//! CloudWatch metrics publisher, Lambda runtime helpers (scheduled vs Kinesis
//! invocations, init errors), and [`progress`]: the per-shard checkpoint and
//! watermark store that stateful processors build on, and [`runner`]: the one
//! stream runner they share (Lambda entry, local runner, exactly-once ingest),
//! with [`config`], the settings reader every function uses.

pub mod aws;
pub mod config;
pub mod error;
pub mod events;
pub mod kpl;
pub mod lambda_event;
pub mod metrics;
pub mod poller;
pub mod progress;
pub mod putrecords;
pub mod record;
pub mod runner;
pub mod runtime;
pub mod time;

pub use error::CoreError;
pub use lambda_event::KinesisEvent;
pub use record::StreamRecord;
