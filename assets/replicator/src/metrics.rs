//! Custom metrics in the replicator's own region.

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};

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
    let dim = Dimension::builder()
        .name("StreamName")
        .value(stream)
        .build();
    let datum = |name: &str, value: f64, unit: StandardUnit| {
        MetricDatum::builder()
            .metric_name(name)
            .dimensions(dim.clone())
            .value(value)
            .unit(unit)
            .build()
    };
    let mut data = vec![
        datum(RECORDS_REPLICATED, replicated as f64, StandardUnit::Count),
        datum(FAILURES, failures as f64, StandardUnit::Count),
        datum(DUPLICATES, duplicates as f64, StandardUnit::Count),
    ];
    if let Some(lag) = lag_seconds {
        data.push(datum(REPLICATION_LAG, lag, StandardUnit::Seconds));
    }
    if let Err(e) = cw
        .put_metric_data()
        .namespace(namespace)
        .set_metric_data(Some(data))
        .send()
        .await
    {
        tracing::warn!(error = %streamkit_core::error::sdk_message(&e), "could not publish replication metrics");
    }
}
