//! The function's settings, from the environment the template sets (the
//! local runner reads the same variables). Each numeric setting is checked
//! against the same bounds as the template parameter it comes from.

use std::time::Duration;
use streamkit_core::config::Vars;

use crate::join::JoinConfig;
use crate::JoinsError;

pub use streamkit_core::config::{
    ALLOWED_LATENESS_SECONDS, IDLE_SHARD_TIMEOUT_SECONDS, LATE_PREFIX, METRICS_NAMESPACE,
    OUTPUT_BUCKET, STACK_NAME, STATE_TABLE,
};
pub const OUTPUT_TABLE: &str = "OUTPUT_TABLE";
pub const OUTPUT_STREAM: &str = "OUTPUT_STREAM";
pub const UNMATCHED_PREFIX: &str = "UNMATCHED_PREFIX";
pub const REJECTED_PREFIX: &str = "REJECTED_PREFIX";
pub const REFERENCE_KEY: &str = "REFERENCE_KEY";
pub const REFERENCE_CHECK_SECONDS: &str = "REFERENCE_CHECK_SECONDS";
pub const JOIN_WINDOW_SECONDS: &str = "JOIN_WINDOW_SECONDS";
pub const STATE_RETENTION_HOURS: &str = "STATE_RETENTION_HOURS";

/// Every variable the function reads (the template sets exactly these).
pub const ENV_VARS: &[&str] = &[
    STATE_TABLE,
    OUTPUT_TABLE,
    OUTPUT_STREAM,
    OUTPUT_BUCKET,
    UNMATCHED_PREFIX,
    LATE_PREFIX,
    REJECTED_PREFIX,
    REFERENCE_KEY,
    REFERENCE_CHECK_SECONDS,
    JOIN_WINDOW_SECONDS,
    ALLOWED_LATENESS_SECONDS,
    IDLE_SHARD_TIMEOUT_SECONDS,
    STATE_RETENTION_HOURS,
    METRICS_NAMESPACE,
    STACK_NAME,
];

/// Defaults (the template's) and bounds (the template parameters').
pub const DEFAULT_UNMATCHED_PREFIX: &str = "unmatched/";
pub const DEFAULT_LATE_PREFIX: &str = "late/";
pub const DEFAULT_REJECTED_PREFIX: &str = "rejected/";
pub const DEFAULT_REFERENCE_KEY: &str = "reference/products.json";
pub const DEFAULT_METRIC_NAMESPACE: &str = "Streamkit/Joins";
pub const WINDOW_SECONDS_RANGE: (u64, u64, u64) = (60, 1, 3600);
pub const LATENESS_SECONDS_RANGE: (u64, u64, u64) = (30, 0, 3600);
pub const IDLE_SECONDS_RANGE: (u64, u64, u64) = (60, 1, 3600);
pub const REFERENCE_CHECK_RANGE: (u64, u64, u64) = (60, 1, 86_400);
pub const RETENTION_HOURS_RANGE: (u64, u64, u64) = (48, 1, 8760);

/// Where to read, join and write, and where to report.
#[derive(Clone, Debug, PartialEq)]
pub struct JoinsConfig {
    /// The state store's DynamoDB table (join state, checkpoints, watermarks).
    pub state_table: String,
    /// The enriched items' table (orderId N, itemId N).
    pub output_table: String,
    /// Optional stream that also receives each enriched item (JSON).
    pub output_stream: Option<String>,
    /// The stack's bucket: reference data and the three record outputs.
    pub bucket: String,
    pub unmatched_prefix: String,
    pub late_prefix: String,
    pub rejected_prefix: String,
    /// Key of `products.json` in `bucket`.
    pub reference_key: String,
    /// The reference file's ETag is checked at most this often.
    pub reference_check: Duration,
    pub window: Duration,
    pub allowed_lateness: Duration,
    pub idle_shard_timeout: Duration,
    /// State items outlive their last write by this much (DynamoDB TTL).
    pub state_retention: Duration,
    pub metric_namespace: String,
    pub stack_name: String,
}

impl JoinsConfig {
    /// Defaults for everything but the tables and bucket.
    pub fn new(state_table: &str, output_table: &str, bucket: &str) -> Self {
        JoinsConfig {
            state_table: state_table.into(),
            output_table: output_table.into(),
            output_stream: None,
            bucket: bucket.into(),
            unmatched_prefix: DEFAULT_UNMATCHED_PREFIX.into(),
            late_prefix: DEFAULT_LATE_PREFIX.into(),
            rejected_prefix: DEFAULT_REJECTED_PREFIX.into(),
            reference_key: DEFAULT_REFERENCE_KEY.into(),
            reference_check: Duration::from_secs(REFERENCE_CHECK_RANGE.0),
            window: Duration::from_secs(WINDOW_SECONDS_RANGE.0),
            allowed_lateness: Duration::from_secs(LATENESS_SECONDS_RANGE.0),
            idle_shard_timeout: Duration::from_secs(IDLE_SECONDS_RANGE.0),
            state_retention: Duration::from_secs(RETENTION_HOURS_RANGE.0 * 3600),
            metric_namespace: DEFAULT_METRIC_NAMESPACE.into(),
            stack_name: String::new(),
        }
    }

    pub fn join(&self) -> JoinConfig {
        JoinConfig {
            window_ms: self.window.as_millis() as i64,
            lateness_ms: self.allowed_lateness.as_millis() as i64,
        }
    }

    pub fn idle_ms(&self) -> i64 {
        self.idle_shard_timeout.as_millis() as i64
    }

    /// From the process environment, see [`JoinsConfig::from_lookup`].
    pub fn from_env() -> Result<Self, JoinsError> {
        JoinsConfig::from_lookup(|name| std::env::var(name).ok())
    }

    /// From any variable source: `STATE_TABLE`, `OUTPUT_TABLE`,
    /// `OUTPUT_BUCKET` and `STACK_NAME` required; the rest default to the
    /// template's values (`OUTPUT_STREAM` empty: no output stream).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, JoinsError> {
        let vars = Vars(var);
        let mut cfg = JoinsConfig::new(
            &vars.required(STATE_TABLE)?,
            &vars.required(OUTPUT_TABLE)?,
            &vars.required(OUTPUT_BUCKET)?,
        );
        cfg.output_stream = vars.get(OUTPUT_STREAM).filter(|v| !v.trim().is_empty());
        cfg.unmatched_prefix = vars.text(UNMATCHED_PREFIX, DEFAULT_UNMATCHED_PREFIX);
        cfg.late_prefix = vars.text(LATE_PREFIX, DEFAULT_LATE_PREFIX);
        cfg.rejected_prefix = vars.text(REJECTED_PREFIX, DEFAULT_REJECTED_PREFIX);
        cfg.reference_key = vars.text(REFERENCE_KEY, DEFAULT_REFERENCE_KEY);
        let prefixes = [
            &cfg.unmatched_prefix,
            &cfg.late_prefix,
            &cfg.rejected_prefix,
        ];
        let distinct = prefixes
            .iter()
            .enumerate()
            .all(|(i, p)| !p.is_empty() && prefixes[..i].iter().all(|q| q != p));
        if !distinct {
            return Err(JoinsError::Prefixes(format!("{prefixes:?}")));
        }
        cfg.reference_check = vars.seconds(REFERENCE_CHECK_SECONDS, REFERENCE_CHECK_RANGE)?;
        cfg.window = vars.seconds(JOIN_WINDOW_SECONDS, WINDOW_SECONDS_RANGE)?;
        cfg.allowed_lateness = vars.seconds(ALLOWED_LATENESS_SECONDS, LATENESS_SECONDS_RANGE)?;
        cfg.idle_shard_timeout = vars.seconds(IDLE_SHARD_TIMEOUT_SECONDS, IDLE_SECONDS_RANGE)?;
        cfg.state_retention =
            Duration::from_secs(vars.bounded(STATE_RETENTION_HOURS, RETENTION_HOURS_RANGE)? * 3600);
        cfg.metric_namespace = vars.non_blank(METRICS_NAMESPACE, DEFAULT_METRIC_NAMESPACE);
        cfg.stack_name = vars.required(STACK_NAME)?;
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> Result<JoinsConfig, JoinsError> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        JoinsConfig::from_lookup(|k| env.get(k).cloned())
    }

    const BASE: [(&str, &str); 4] = [
        (STATE_TABLE, "state"),
        (OUTPUT_TABLE, "out"),
        (OUTPUT_BUCKET, "bucket"),
        (STACK_NAME, "st"),
    ];

    #[test]
    fn defaults_and_overrides() {
        let cfg = lookup(&BASE).unwrap();
        assert_eq!(cfg.window, Duration::from_secs(60));
        assert_eq!(cfg.output_stream, None);
        let mut pairs = BASE.to_vec();
        pairs.extend([(JOIN_WINDOW_SECONDS, "5"), (OUTPUT_STREAM, "enriched")]);
        let cfg = lookup(&pairs).unwrap();
        assert_eq!(cfg.join().window_ms, 5000);
        assert_eq!(cfg.output_stream.as_deref(), Some("enriched"));
    }

    #[test]
    fn bad_settings_name_the_variable() {
        let e = lookup(&BASE[1..]).unwrap_err().to_string();
        assert!(e.contains("STATE_TABLE"), "{e}");
        let mut pairs = BASE.to_vec();
        pairs.push((JOIN_WINDOW_SECONDS, "0"));
        let e = lookup(&pairs).unwrap_err().to_string();
        assert!(
            e.contains("JOIN_WINDOW_SECONDS") && e.contains("from 1 to 3600"),
            "{e}"
        );
        let mut pairs = BASE.to_vec();
        pairs.push((LATE_PREFIX, "unmatched/"));
        assert!(matches!(lookup(&pairs), Err(JoinsError::Prefixes(_))));
    }
}
