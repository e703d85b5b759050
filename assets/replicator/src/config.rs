//! Replicator settings, from the Lambda environment or from a caller.

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

    /// From the function environment: `STREAM_NAME`, `AWS_REGION`,
    /// `TARGET_REGION`, `CONFIG_TABLE`, `CHECKPOINT_TABLE`, optional
    /// `METRIC_NAMESPACE`, `MAX_PUT_ATTEMPTS`.
    pub fn from_env() -> Result<Self, ReplicatorError> {
        let var =
            |name: &'static str| std::env::var(name).map_err(|_| ReplicatorError::MissingEnv(name));
        let mut cfg = ReplicatorConfig::new(
            &var("STREAM_NAME")?,
            &var("AWS_REGION")?,
            &var("TARGET_REGION")?,
            &var("CONFIG_TABLE")?,
            &var("CHECKPOINT_TABLE")?,
        );
        if let Ok(ns) = std::env::var("METRIC_NAMESPACE") {
            cfg.metric_namespace = ns;
        }
        if let Some(n) = std::env::var("MAX_PUT_ATTEMPTS")
            .ok()
            .and_then(|s| s.parse().ok())
        {
            cfg.retry.max_attempts = n;
        }
        Ok(cfg)
    }
}

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
}
