//! Pattern 4 ("async I/O" enrichment): keeps ride requests whose
//! `ride_request_id % SAMPLE_EVERY == 0`, asks the fare API for an estimate
//! with at most `MAX_IN_FLIGHT` requests in flight and a timeout, keeps the
//! 200 answers, writes the enriched events to S3 under deterministic keys, and
//! counts every call, failure and latency (log line and custom metrics)
//! instead of dropping failures silently.

pub mod config;
pub mod enrich;
pub mod fare;
pub mod metrics;
pub mod secret;
pub mod splice;

pub use config::{ConfigError, Settings};
pub use enrich::{enrich_records, EnrichConfig, EnrichSummary};
pub use fare::{Fare, FareClient, FareError};
