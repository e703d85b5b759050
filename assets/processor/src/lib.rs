//! Pattern 2 ("Flink-equivalent"): per ticker, event-time tumbling windows
//! (count, min, max, average, last price) written as Parquet to S3 under
//! Hive-style `year=/month=/day=/hour=` partitions of the window start, with
//! deterministic object keys so a retried batch overwrites (exactly-once effect).
//!
//! Entry points: [`lambda::handle`] (Kinesis with tumbling-window state) and
//! [`local::run_local`] (polls a stream itself); both use [`window`] and [`output`].

pub mod error;
pub mod lambda;
pub mod local;
pub mod output;
pub mod window;

pub use error::ProcessorError;

use std::time::Duration;

/// Where and how to aggregate.
#[derive(Clone, Debug)]
pub struct ProcessorConfig {
    pub bucket: String,
    /// Key prefix, e.g. `aggregates/` (may be empty).
    pub prefix: String,
    /// Window length (tumbling).
    pub window: Duration,
}

impl ProcessorConfig {
    /// From `OUTPUT_BUCKET`, optional `OUTPUT_PREFIX` (default `aggregates/`)
    /// and `WINDOW_SECONDS` (default 60).
    pub fn from_env() -> Result<Self, ProcessorError> {
        let bucket = std::env::var("OUTPUT_BUCKET")
            .map_err(|_| ProcessorError::MissingEnv("OUTPUT_BUCKET"))?;
        let prefix = std::env::var("OUTPUT_PREFIX").unwrap_or_else(|_| "aggregates/".into());
        let secs = match std::env::var("WINDOW_SECONDS") {
            Ok(v) => v
                .parse::<u64>()
                .ok()
                .filter(|s| *s > 0)
                .ok_or(ProcessorError::BadWindow(v))?,
            Err(_) => 60,
        };
        Ok(ProcessorConfig {
            bucket,
            prefix,
            window: Duration::from_secs(secs),
        })
    }
}

/// An S3 client for `sdk`; path-style addressing when an endpoint override
/// (emulator) is set, since `bucket.127.0.0.1` does not resolve.
pub fn s3_client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(sdk.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}
