//! The replication of one shard's batch.

use aws_config::SdkConfig;
use serde::Serialize;
use streamkit_core::putrecords::{self, OutRecord};
use streamkit_core::StreamRecord;

use crate::active::read_active;
use crate::checkpoint::{self, Checkpoint};
use crate::{metrics, ReplicatorConfig, ReplicatorError};

/// The clients the replicator uses, built once per container.
#[derive(Clone, Debug)]
pub struct Clients {
    /// Kinesis in the target region.
    pub destination: aws_sdk_kinesis::Client,
    /// DynamoDB in the local region (config and checkpoint global tables).
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// CloudWatch in the local region.
    pub cloudwatch: aws_sdk_cloudwatch::Client,
}

impl Clients {
    /// From a local-region config: the destination uses the same settings
    /// (credentials, endpoint override) in `target_region`, without the SDK's
    /// own retries: PutRecords retries are the core's, which counts every
    /// re-sent copy (an SDK retry after a lost response would not be counted).
    pub fn from_sdk_config(local: &SdkConfig, target_region: &str) -> Clients {
        let target = streamkit_core::aws::for_region(local, target_region);
        let destination = aws_sdk_kinesis::config::Builder::from(&target)
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build();
        Clients {
            destination: aws_sdk_kinesis::Client::from_conf(destination),
            dynamodb: aws_sdk_dynamodb::Client::new(local),
            cloudwatch: aws_sdk_cloudwatch::Client::new(local),
        }
    }
}

/// What happened to one batch.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BatchReport {
    /// False when this region is passive (nothing was done).
    pub active: bool,
    pub records: usize,
    /// Records at the start of the batch that arrived before this region
    /// became active (`activeSince`): copies from the other region, not sent
    /// back (echo prevention), checkpointed as handled.
    pub skipped_before_activation: usize,
    /// Records sent and confirmed in order (they follow the skipped ones).
    pub replicated: usize,
    /// Index in the batch of the first record not confirmed: Lambda resumes there.
    pub first_unconfirmed: Option<usize>,
    pub retried_entries: usize,
    /// Extra copies in the destination once the batch is resumed at
    /// `first_unconfirmed` (records after it that were written will be again).
    pub duplicates: usize,
    /// Entries in calls whose outcome is unknown (e.g. connection lost): they
    /// may have been written, and are sent again.
    pub possible_duplicates: usize,
    pub failed_entries: usize,
    pub checkpoint_advanced: bool,
    pub checkpoint_error: Option<String>,
    pub lag_seconds: Option<f64>,
    pub last_error: Option<String>,
}

/// The replicator: clients and settings.
#[derive(Debug)]
pub struct Replicator {
    clients: Clients,
    config: ReplicatorConfig,
}

impl Replicator {
    pub fn new(clients: Clients, config: ReplicatorConfig) -> Replicator {
        Replicator { clients, config }
    }

    pub fn config(&self) -> &ReplicatorConfig {
        &self.config
    }

    /// The DynamoDB client (local region), for checkpoint reads.
    pub fn dynamodb(&self) -> &aws_sdk_dynamodb::Client {
        &self.clients.dynamodb
    }

    /// Whether this region is the active one (a fresh read).
    pub async fn is_active(&self) -> Result<bool, ReplicatorError> {
        Ok(self.activation().await?.is_some())
    }

    /// `Some(activeSince)` when this region is the active one, else `None`.
    async fn activation(&self) -> Result<Option<Option<f64>>, ReplicatorError> {
        let cfg = &self.config;
        let active =
            read_active(&self.clients.dynamodb, &cfg.config_table, &cfg.stream_name).await?;
        Ok((active.region == cfg.local_region).then_some(active.since))
    }

    /// Replicates `records` (one shard, source order) to the target region.
    /// Passive region: returns at once with `active: false`. Errors only when
    /// the active region cannot be determined; delivery problems are in the report.
    pub async fn replicate_shard(
        &self,
        shard_id: &str,
        records: &[StreamRecord],
    ) -> Result<BatchReport, ReplicatorError> {
        let mut report = BatchReport {
            records: records.len(),
            ..BatchReport::default()
        };
        if records.is_empty() {
            return Ok(report);
        }
        let Some(since) = self.activation().await? else {
            tracing::debug!(
                shard_id,
                records = records.len(),
                "passive region: nothing to do"
            );
            return Ok(report);
        };
        report.active = true;
        let cfg = &self.config;
        // Echo prevention: what arrived before this region took over came
        // from the other region (or was reported unreplicated at the flip).
        let skipped = since.map_or(0, |since| {
            records
                .iter()
                .take_while(|r| r.approximate_arrival.is_some_and(|at| at < since))
                .count()
        });
        report.skipped_before_activation = skipped;
        let all = records;
        let records = &all[skipped..];
        if records.is_empty() {
            (report.checkpoint_advanced, report.checkpoint_error) =
                self.checkpoint(shard_id, &all[..skipped], 0).await;
            return Ok(report);
        }
        // Bytes and keys exactly as read: no decoding, no re-aggregation.
        let out: Vec<OutRecord> = records
            .iter()
            .map(|r| OutRecord {
                partition_key: r.partition_key.clone(),
                explicit_hash_key: None,
                data: r.data.clone(),
            })
            .collect();
        let outcome = putrecords::put_records(
            &self.clients.destination,
            &cfg.stream_name,
            &out,
            &cfg.retry,
        )
        .await;
        let prefix = outcome.first_unconfirmed().unwrap_or(records.len());
        report.replicated = prefix;
        report.first_unconfirmed = outcome.first_unconfirmed().map(|i| skipped + i);
        report.retried_entries = outcome.retried;
        report.duplicates = outcome.duplicates_when_resuming_at(prefix);
        report.possible_duplicates = outcome.ambiguous;
        report.failed_entries = outcome.failed_entries();
        report.last_error = outcome.last_error.clone();
        if prefix > 0 {
            let last = &records[prefix - 1];
            report.lag_seconds = last
                .approximate_arrival
                .map(|at| (now_secs() - at).max(0.0));
        }
        // The checkpoint and the metrics are independent: one round trip, not two.
        let handled = if prefix > 0 {
            &records[..prefix]
        } else {
            &all[..skipped]
        };
        let metrics = metrics::publish(
            &self.clients.cloudwatch,
            &cfg.metric_namespace,
            &cfg.stream_name,
            prefix,
            records.len() - prefix,
            report.duplicates,
            report.lag_seconds,
        );
        ((report.checkpoint_advanced, report.checkpoint_error), ()) =
            tokio::join!(self.checkpoint(shard_id, handled, prefix), metrics);
        tracing::info!(
            shard_id,
            records = report.records,
            replicated = report.replicated,
            retried = report.retried_entries,
            skipped_before_activation = report.skipped_before_activation,
            duplicates = report.duplicates,
            lag_seconds = report.lag_seconds,
            "batch replicated"
        );
        Ok(report)
    }
}

impl Replicator {
    /// Moves the shard's checkpoint to the last of `handled` (`replicated`
    /// of them were sent; 0 for records handled without sending, e.g. read
    /// while passive). Returns (advanced, error): a failure is logged and
    /// returned for the report.
    pub async fn checkpoint(
        &self,
        shard_id: &str,
        handled: &[StreamRecord],
        replicated: usize,
    ) -> (bool, Option<String>) {
        let cfg = &self.config;
        let Some(last) = handled.last() else {
            return (false, None);
        };
        let cp = Checkpoint {
            stream_name: cfg.stream_name.clone(),
            shard_id: shard_id.to_string(),
            sequence_number: last.sequence_number.clone(),
            approximate_arrival: last.approximate_arrival,
            commit_timestamp: (replicated > 0)
                .then(|| latest_commit_timestamp(handled))
                .flatten(),
            source_region: cfg.local_region.clone(),
            records_replicated: 0,
        };
        match checkpoint::advance(
            &self.clients.dynamodb,
            &cfg.checkpoint_table,
            &cp,
            replicated as u64,
        )
        .await
        {
            Ok(moved) => (moved, None),
            Err(e) => {
                tracing::error!(error = %e, shard_id, "checkpoint not written");
                (false, Some(e.to_string()))
            }
        }
    }
}

fn now_secs() -> f64 {
    chrono::Utc::now().timestamp_millis() as f64 / 1000.0
}

/// The latest `commitTimestamp` among JSON payloads that carry one.
fn latest_commit_timestamp(records: &[StreamRecord]) -> Option<String> {
    records
        .iter()
        .filter_map(|r| serde_json::from_slice::<serde_json::Value>(&r.data).ok())
        .filter_map(|v| v.get("commitTimestamp")?.as_str().map(str::to_string))
        .filter_map(|s| {
            chrono::DateTime::parse_from_rfc3339(&s)
                .ok()
                .map(|t| (t, s))
        })
        .max_by_key(|(t, _)| *t)
        .map(|(_, s)| s)
}
