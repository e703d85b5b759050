//! Replicator settings, from the Lambda environment or from a caller.

use streamkit_core::config::{ConfigError, Vars};
use streamkit_core::putrecords::RetryPolicy;

use crate::ReplicatorError;

#[derive(Clone, Debug)]
pub struct ReplicatorConfig {
    /// The stream, same name in both regions.
    pub stream_name: String,
    /// The region this replicator runs in (reads from).
    pub local_region: String,
    /// The region it writes to.
    pub target_region: String,
    /// Active-region config table (key `streamName`, attribute `activeRegion`).
    pub config_table: String,
    /// Checkpoint table (key `streamName` + `shardId`).
    pub checkpoint_table: String,
    /// CloudWatch namespace of the custom metrics.
    pub metric_namespace: String,
    /// Retries of failed PutRecords entries.
    pub retry: RetryPolicy,
}

impl ReplicatorConfig {
    /// Defaults for everything but names and regions.
    pub fn new(
        stream_name: &str,
        local_region: &str,
        target_region: &str,
        config_table: &str,
        checkpoint_table: &str,
    ) -> Self {
        ReplicatorConfig {
            stream_name: stream_name.into(),
            local_region: local_region.into(),
            target_region: target_region.into(),
            config_table: config_table.into(),
            checkpoint_table: checkpoint_table.into(),
            metric_namespace: "Streamkit/Replication".into(),
            retry: RetryPolicy::default(),
        }
    }

    /// From the function environment (see [`ReplicatorConfig::from_lookup`]).
    pub fn from_env() -> Result<Self, ReplicatorError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// From `lookup` (a variable's value, `None` when unset): `STREAM_NAME`,
    /// `AWS_REGION`, `TARGET_REGION`, `CONFIG_TABLE`, `CHECKPOINT_TABLE`,
    /// optional `METRICS_NAMESPACE` (the name every streamkit function reads)
    /// and `MAX_PUT_ATTEMPTS` (a positive integer: anything else is an error,
    /// never ignored).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ReplicatorError> {
        let vars = Vars(lookup);
        let mut cfg = ReplicatorConfig::new(
            &vars.required(STREAM_NAME)?,
            &vars.required(AWS_REGION)?,
            &vars.required(TARGET_REGION)?,
            &vars.required(CONFIG_TABLE)?,
            &vars.required(CHECKPOINT_TABLE)?,
        );
        cfg.metric_namespace = vars.non_blank(METRICS_NAMESPACE, &cfg.metric_namespace);
        let attempts = vars.positive(MAX_PUT_ATTEMPTS, cfg.retry.max_attempts.into())?;
        cfg.retry.max_attempts = u32::try_from(attempts).map_err(|_| ConfigError::NotPositive {
            name: MAX_PUT_ATTEMPTS,
            value: attempts.to_string(),
        })?;
        Ok(cfg)
    }
}

pub const STREAM_NAME: &str = "STREAM_NAME";
pub const AWS_REGION: &str = "AWS_REGION";
pub const TARGET_REGION: &str = "TARGET_REGION";
pub const CONFIG_TABLE: &str = "CONFIG_TABLE";
pub const CHECKPOINT_TABLE: &str = "CHECKPOINT_TABLE";
pub use streamkit_core::config::METRICS_NAMESPACE;
pub const MAX_PUT_ATTEMPTS: &str = "MAX_PUT_ATTEMPTS";

#[cfg(test)]
mod tests {
    use super::*;

    /// The replication alarms and dashboard read `Streamkit/Replication`
    /// (templates/replication/replicator.yaml), capital S.
    #[test]
    fn default_namespace_matches_the_alarms() {
        let cfg = ReplicatorConfig::new("s", "us-east-1", "us-west-2", "c", "k");
        assert_eq!(cfg.metric_namespace, "Streamkit/Replication");
    }

    fn env(extra: &[(&'static str, &str)]) -> impl Fn(&str) -> Option<String> {
        let mut vars: std::collections::BTreeMap<&'static str, String> = [
            (STREAM_NAME, "s"),
            (AWS_REGION, "us-east-1"),
            (TARGET_REGION, "us-west-2"),
            (CONFIG_TABLE, "c"),
            (CHECKPOINT_TABLE, "k"),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect();
        vars.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        move |name: &str| vars.get(name).cloned()
    }

    #[test]
    fn reads_metrics_namespace_and_a_positive_max_put_attempts() {
        let cfg = ReplicatorConfig::from_lookup(env(&[
            (METRICS_NAMESPACE, "My/Ns"),
            (MAX_PUT_ATTEMPTS, "3"),
        ]))
        .unwrap();
        assert_eq!(
            (cfg.metric_namespace.as_str(), cfg.retry.max_attempts),
            ("My/Ns", 3)
        );
        let cfg = ReplicatorConfig::from_lookup(env(&[("METRIC_NAMESPACE", "Old/Name")])).unwrap();
        assert_eq!(
            cfg.metric_namespace, "Streamkit/Replication",
            "one name: METRICS_NAMESPACE"
        );
    }

    #[test]
    fn a_bad_max_put_attempts_fails_init() {
        for bad in ["0", "-1", "three", "2.5", ""] {
            let e = ReplicatorConfig::from_lookup(env(&[(MAX_PUT_ATTEMPTS, bad)])).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!(
                    "environment variable MAX_PUT_ATTEMPTS must be a positive integer, got `{bad}`"
                ),
            );
        }
        let e = ReplicatorConfig::from_lookup(|_| None).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("missing environment variable STREAM_NAME"),
            "{e}"
        );
    }
}
