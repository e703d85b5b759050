//! Custom metrics in the replicator's own region, through the core's one
//! publisher.

use aws_sdk_cloudwatch::types::StandardUnit;
use streamkit_core::metrics::{count, datum, dimension};

/// Metric names (the alarms and the dashboard use them).
pub const RECORDS_REPLICATED: &str = "RecordsReplicated";
pub const REPLICATION_LAG: &str = "ReplicationLagSeconds";
pub const FAILURES: &str = "ReplicationFailures";
pub const DUPLICATES: &str = "DuplicatesSent";

/// Publishes one batch's figures; a failure is logged, not fatal.
pub async fn publish(
    cw: &aws_sdk_cloudwatch::Client,
    namespace: &str,
    stream: &str,
    replicated: usize,
    failures: usize,
    duplicates: usize,
    lag_seconds: Option<f64>,
) {
    let dims = [dimension("StreamName", stream)];
    let mut data = vec![
        count(RECORDS_REPLICATED, replicated as u64, &dims),
        count(FAILURES, failures as u64, &dims),
        count(DUPLICATES, duplicates as u64, &dims),
    ];
    if let Some(lag) = lag_seconds {
        data.push(datum(REPLICATION_LAG, lag, StandardUnit::Seconds, &dims));
    }
    streamkit_core::metrics::publish(cw, namespace, data, "replication").await;
}
