//! Monthly cost estimate of a stack, on paper: us-east-1 list prices (named
//! constants below, with the date they are from) applied to the resources and
//! parameter values of the rendered template, idle and at a fixed load of
//! 1 MB/s. The same model prices the reference design the stack replaces, so
//! `streamkit deploy` and BENCHMARKS.md can show both.
//!
//! It is an estimate, not a bill: free tiers, taxes, data transfer to the
//! internet, CloudWatch Logs volume and S3 storage beyond the first month are
//! left out, and the load model's assumptions are the `LOAD_*` constants.
//!
//! Files: this one holds the result types and the load model's constants,
//! `price` the prices, `model` what is priced, `estimate` the entry point,
//! `table` the price table of `docs/costs.md` (generated from `price`).

use serde::Serialize;

/// The region whose list prices these are.
pub const PRICES_REGION: &str = "us-east-1";

/// When the prices below were taken (AWS public pricing pages, us-east-1).
pub const PRICES_AS_OF: &str = "2025-06";

pub mod estimate;
mod joins;
mod model;
pub mod price;
pub mod table;
#[cfg(test)]
mod tests;

pub const HOURS_PER_MONTH: f64 = 730.0;
const SECONDS_PER_MONTH: f64 = HOURS_PER_MONTH * 3600.0;
/// The load of the "at 1 MB/s" figure: 1,000 records of 1 KB per second.
pub const LOAD_BYTES_PER_SECOND: f64 = 1_000_000.0;
pub const LOAD_RECORD_BYTES: f64 = 1_000.0;
/// Billed duration assumed per Lambda batch of a stream-triggered function.
pub const LOAD_LAMBDA_MS_PER_BATCH: f64 = 100.0;
/// Billed duration assumed per API-triggered Lambda call (pattern 4's fare API).
pub const LOAD_LAMBDA_MS_PER_REQUEST: f64 = 10.0;
/// Pattern 1 clients send `POST /records` with this many records per request.
pub const LOAD_RECORDS_PER_INGEST_REQUEST: f64 = 100.0;
/// Pattern 4 enriches one ride request in 20 (one fare API call each).
pub const LOAD_RECORDS_PER_FARE_REQUEST: f64 = 20.0;
/// Reference replicator: one synchronous cross-region PutRecord plus one
/// DynamoDB PutItem per record.
pub const LOAD_REFERENCE_MS_PER_RECORD: f64 = 35.0;
/// Producer instance root volume (gp3).
const EBS_GB: f64 = 8.0;

const RECORDS_PER_SECOND: f64 = LOAD_BYTES_PER_SECOND / LOAD_RECORD_BYTES;
const GB_PER_MONTH: f64 = LOAD_BYTES_PER_SECOND * SECONDS_PER_MONTH / 1e9;
const RECORDS_PER_MONTH: f64 = RECORDS_PER_SECOND * SECONDS_PER_MONTH;

/// One priced item.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CostLine {
    pub item: String,
    #[serde(serialize_with = "cents")]
    pub idle_usd: f64,
    #[serde(serialize_with = "cents")]
    pub at_1mbps_usd: f64,
}

/// Monthly estimate of one design.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Estimate {
    #[serde(serialize_with = "cents")]
    pub idle_usd: f64,
    #[serde(serialize_with = "cents")]
    pub at_1mbps_usd: f64,
    pub lines: Vec<CostLine>,
}

/// Money in JSON: rounded to cents (the sums' binary fractions, such as
/// `54.199999999999996`, are not amounts anyone pays).
fn cents<S: serde::Serializer>(usd: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((usd * 100.0).round() / 100.0)
}
