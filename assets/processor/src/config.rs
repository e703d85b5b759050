//! The function's settings, from the environment the template sets (the
//! local runner reads the same variables). Each numeric setting is checked
//! against the same bounds as the template parameter it comes from
//! (through the core's one reader, [`streamkit_core::config`]).

use std::time::Duration;
use streamkit_core::config::Vars;

use crate::ProcessorError;

pub use streamkit_core::config::{
    ALLOWED_LATENESS_SECONDS, IDLE_SHARD_TIMEOUT_SECONDS, LATE_PREFIX, METRICS_NAMESPACE,
    OUTPUT_BUCKET, OUTPUT_PREFIX, STACK_NAME, STATE_TABLE,
};
pub const WINDOW_SECONDS: &str = "WINDOW_SECONDS";
pub const EMIT_CONCURRENCY: &str = "EMIT_CONCURRENCY";

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
        let vars = Vars(var);
        let mut cfg =
            ProcessorConfig::new(&vars.required(OUTPUT_BUCKET)?, &vars.required(STATE_TABLE)?);
        cfg.prefix = vars.text(OUTPUT_PREFIX, DEFAULT_PREFIX);
        cfg.late_prefix = vars.text(LATE_PREFIX, DEFAULT_LATE_PREFIX);
        if cfg.prefix == cfg.late_prefix {
            return Err(ProcessorError::SamePrefix(cfg.prefix));
        }
        cfg.window = vars.seconds(WINDOW_SECONDS, WINDOW_SECONDS_RANGE)?;
        cfg.allowed_lateness = vars.seconds(ALLOWED_LATENESS_SECONDS, LATENESS_SECONDS_RANGE)?;
        cfg.idle_shard_timeout = vars.seconds(IDLE_SHARD_TIMEOUT_SECONDS, IDLE_SECONDS_RANGE)?;
        cfg.emit_concurrency = vars.bounded(EMIT_CONCURRENCY, EMIT_CONCURRENCY_RANGE)? as usize;
        cfg.metric_namespace = vars.non_blank(METRICS_NAMESPACE, DEFAULT_METRIC_NAMESPACE);
        cfg.stack_name = vars.required(STACK_NAME)?;
        Ok(cfg)
    }
}
