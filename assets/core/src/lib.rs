//! Shared core of the code that runs inside streamkit's pipelines: event
//! schemas and generators, KPL aggregation, the ordered PutRecords sender,
//! a shard poller for local runners, SDK and logging setup.

pub mod aws;
pub mod error;
pub mod events;
pub mod kpl;
pub mod poller;
pub mod putrecords;
pub mod record;

pub use error::CoreError;
pub use record::StreamRecord;
