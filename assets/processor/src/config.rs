//! The function's settings, from the environment the template sets (the
//! local runner reads the same variables). Each numeric setting is checked
//! against the same bounds as the template parameter it comes from.

use std::time::Duration;

use crate::ProcessorError;

pub const OUTPUT_BUCKET: &str = "OUTPUT_BUCKET";
pub const OUTPUT_PREFIX: &str = "OUTPUT_PREFIX";
pub const LATE_PREFIX: &str = "LATE_PREFIX";
pub const STATE_TABLE: &str = "STATE_TABLE";
pub const WINDOW_SECONDS: &str = "WINDOW_SECONDS";
pub const ALLOWED_LATENESS_SECONDS: &str = "ALLOWED_LATENESS_SECONDS";
pub const IDLE_SHARD_TIMEOUT_SECONDS: &str = "IDLE_SHARD_TIMEOUT_SECONDS";
pub const EMIT_CONCURRENCY: &str = "EMIT_CONCURRENCY";
pub const METRICS_NAMESPACE: &str = "METRICS_NAMESPACE";
pub const STACK_NAME: &str = "STACK_NAME";

/// Every variable the function reads (the template sets exactly these).
pub const ENV_VARS: &[&str] = &[
    OUTPUT_BUCKET,
    OUTPUT_PREFIX,
    LATE_PREFIX,
    STATE_TABLE,
    WINDOW_SECONDS,
    ALLOWED_LATENESS_SECONDS,
    IDLE_SHARD_TIMEOUT_SECONDS,
    EMIT_CONCURRENCY,
    METRICS_NAMESPACE,
    STACK_NAME,
];

/// Defaults (the template's) and bounds (the template parameters').
pub const DEFAULT_PREFIX: &str = "data/";
pub const DEFAULT_LATE_PREFIX: &str = "late/";
pub const DEFAULT_METRIC_NAMESPACE: &str = "Streamkit/Processor";
pub const WINDOW_SECONDS_RANGE: (u64, u64, u64) = (10, 1, 900);
pub const LATENESS_SECONDS_RANGE: (u64, u64, u64) = (5, 0, 3600);
pub const IDLE_SECONDS_RANGE: (u64, u64, u64) = (60, 1, 3600);
pub const EMIT_CONCURRENCY_RANGE: (u64, u64, u64) = (1, 1, 10);
/// How long state items and progress outlive their last write (DynamoDB TTL).
pub const STATE_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// Where and how to aggregate, and where to report.
#[derive(Clone, Debug, PartialEq)]
pub struct ProcessorConfig {
    pub bucket: String,
    /// Key prefix of the window aggregates, e.g. `data/` (may be empty).
    pub prefix: String,
    /// Key prefix of the late (and malformed) records, e.g. `late/`.
    pub late_prefix: String,
    /// The state store's DynamoDB table.
    pub table: String,
    /// Window length (tumbling, event time).
    pub window: Duration,
    /// How far behind its shard's watermark a record may be and still count.
    pub allowed_lateness: Duration,
    /// A shard without records for this long stops holding the watermark.
    pub idle_shard_timeout: Duration,
    /// Windows written to S3 at once by the emitter.
    pub emit_concurrency: usize,
    /// CloudWatch namespace of the custom metrics.
    pub metric_namespace: String,
    /// Value of the `StackName` metric dimension.
    pub stack_name: String,
}

impl ProcessorConfig {
    /// Defaults for everything but the bucket and table.
    pub fn new(bucket: &str, table: &str) -> Self {
        ProcessorConfig {
            bucket: bucket.into(),
            prefix: DEFAULT_PREFIX.into(),
            late_prefix: DEFAULT_LATE_PREFIX.into(),
            table: table.into(),
            window: Duration::from_secs(WINDOW_SECONDS_RANGE.0),
            allowed_lateness: Duration::from_secs(LATENESS_SECONDS_RANGE.0),
            idle_shard_timeout: Duration::from_secs(IDLE_SECONDS_RANGE.0),
            emit_concurrency: EMIT_CONCURRENCY_RANGE.0 as usize,
            metric_namespace: DEFAULT_METRIC_NAMESPACE.into(),
            stack_name: String::new(),
        }
    }

    pub fn window_ms(&self) -> i64 {
        self.window.as_millis() as i64
    }

    pub fn lateness_ms(&self) -> i64 {
        self.allowed_lateness.as_millis() as i64
    }

    pub fn idle_ms(&self) -> i64 {
        self.idle_shard_timeout.as_millis() as i64
    }

    /// From the process environment, see [`ProcessorConfig::from_lookup`].
    pub fn from_env() -> Result<Self, ProcessorError> {
        ProcessorConfig::from_lookup(|name| std::env::var(name).ok())
    }

    /// From any variable source: `OUTPUT_BUCKET`, `STATE_TABLE` and
    /// `STACK_NAME` required; the rest default to the template's values.
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, ProcessorError> {
        let required = |name: &'static str| {
            var(name)
                .filter(|v| !v.trim().is_empty())
                .ok_or(ProcessorError::MissingEnv(name))
        };
        let bounded = |name: &'static str, (default, min, max): (u64, u64, u64)| match var(name) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or(ProcessorError::OutOfRange {
                    name,
                    value: v,
                    min,
                    max,
                }),
        };
        let mut cfg = ProcessorConfig::new(&required(OUTPUT_BUCKET)?, &required(STATE_TABLE)?);
        if let Some(prefix) = var(OUTPUT_PREFIX) {
            cfg.prefix = prefix;
        }
        if let Some(prefix) = var(LATE_PREFIX) {
            cfg.late_prefix = prefix;
        }
        if cfg.prefix == cfg.late_prefix {
            return Err(ProcessorError::SamePrefix(cfg.prefix));
        }
        cfg.window = Duration::from_secs(bounded(WINDOW_SECONDS, WINDOW_SECONDS_RANGE)?);
        cfg.allowed_lateness =
            Duration::from_secs(bounded(ALLOWED_LATENESS_SECONDS, LATENESS_SECONDS_RANGE)?);
        cfg.idle_shard_timeout =
            Duration::from_secs(bounded(IDLE_SHARD_TIMEOUT_SECONDS, IDLE_SECONDS_RANGE)?);
        cfg.emit_concurrency = bounded(EMIT_CONCURRENCY, EMIT_CONCURRENCY_RANGE)? as usize;
        if let Some(ns) = var(METRICS_NAMESPACE).filter(|v| !v.trim().is_empty()) {
            cfg.metric_namespace = ns;
        }
        cfg.stack_name = required(STACK_NAME)?;
        Ok(cfg)
    }
}
