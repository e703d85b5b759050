//! Pattern 2 ("Flink-equivalent"): per ticker, event-time tumbling windows
//! (count, min, max, average, last price) written as Parquet to S3 under
//! Hive-style `year=/month=/day=/hour=` partitions of the window start, with
//! deterministic object keys so a retried batch overwrites (exactly-once effect).
//!
//! Entry points: [`lambda::handle`] (Kinesis with tumbling-window state) and
//! [`local::run_local`] (polls a stream itself); both use [`window`] and [`output`].
//! The Lambda path publishes [`metrics`] once per invocation.

pub mod error;
pub mod lambda;
pub mod local;
pub mod metrics;
pub mod output;
pub mod window;

pub use error::ProcessorError;

use std::time::Duration;

pub const OUTPUT_BUCKET: &str = "OUTPUT_BUCKET";
pub const OUTPUT_PREFIX: &str = "OUTPUT_PREFIX";
pub const WINDOW_SECONDS: &str = "WINDOW_SECONDS";
pub const METRICS_NAMESPACE: &str = "METRICS_NAMESPACE";
pub const STACK_NAME: &str = "STACK_NAME";

/// Every variable the function reads (the template sets exactly these).
pub const ENV_VARS: &[&str] = &[
    OUTPUT_BUCKET,
    OUTPUT_PREFIX,
    WINDOW_SECONDS,
    METRICS_NAMESPACE,
    STACK_NAME,
];

/// Defaults, the template's values.
pub const DEFAULT_PREFIX: &str = "data/";
pub const DEFAULT_WINDOW_SECONDS: u64 = 60;
pub const DEFAULT_METRIC_NAMESPACE: &str = "Streamkit/Processor";

/// Where and how to aggregate, and where to report.
#[derive(Clone, Debug, PartialEq)]
pub struct ProcessorConfig {
    pub bucket: String,
    /// Key prefix, e.g. `data/` (may be empty).
    pub prefix: String,
    /// Window length (tumbling).
    pub window: Duration,
    /// CloudWatch namespace of the custom metrics (`METRICS_NAMESPACE`).
    pub metric_namespace: String,
    /// Value of the `StackName` metric dimension (`STACK_NAME`).
    pub stack_name: String,
}

impl ProcessorConfig {
    /// Defaults for everything but the bucket (no stack name: the local runner
    /// publishes no metrics).
    pub fn new(bucket: &str) -> Self {
        ProcessorConfig {
            bucket: bucket.into(),
            prefix: DEFAULT_PREFIX.into(),
            window: Duration::from_secs(DEFAULT_WINDOW_SECONDS),
            metric_namespace: DEFAULT_METRIC_NAMESPACE.into(),
            stack_name: String::new(),
        }
    }

    /// From the process environment, see [`ProcessorConfig::from_lookup`].
    pub fn from_env() -> Result<Self, ProcessorError> {
        ProcessorConfig::from_lookup(|name| std::env::var(name).ok())
    }

    /// From any variable source: `OUTPUT_BUCKET` and `STACK_NAME` (required),
    /// `OUTPUT_PREFIX` (default `data/`), `WINDOW_SECONDS` (default 60),
    /// `METRICS_NAMESPACE` (default `Streamkit/Processor`).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, ProcessorError> {
        let required = |name: &'static str| {
            var(name)
                .filter(|v| !v.trim().is_empty())
                .ok_or(ProcessorError::MissingEnv(name))
        };
        let mut cfg = ProcessorConfig::new(&required(OUTPUT_BUCKET)?);
        if let Some(prefix) = var(OUTPUT_PREFIX) {
            cfg.prefix = prefix;
        }
        if let Some(v) = var(WINDOW_SECONDS) {
            let secs = v
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|s| *s > 0)
                .ok_or(ProcessorError::BadWindow(v))?;
            cfg.window = Duration::from_secs(secs);
        }
        if let Some(ns) = var(METRICS_NAMESPACE).filter(|v| !v.trim().is_empty()) {
            cfg.metric_namespace = ns;
        }
        cfg.stack_name = required(STACK_NAME)?;
        Ok(cfg)
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
