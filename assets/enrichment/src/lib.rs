//! Pattern 4 ("async I/O" enrichment): keeps ride requests whose
//! `ride_request_id % 20 == 0`, asks the fare API for an estimate with at
//! most 20 requests in flight and a timeout, keeps the 200 answers, writes
//! the enriched events to S3 under deterministic keys, and counts every
//! failure (log line and custom metric) instead of dropping it silently.

pub mod enrich;
pub mod fare;

pub use enrich::{enrich_records, EnrichConfig, EnrichSummary};
pub use fare::{FareClient, FareError};
