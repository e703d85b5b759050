//! Custom metrics of the Lambda processor, published once per invocation in
//! namespace `METRICS_NAMESPACE` (`Streamkit/Processor`) with dimension
//! `StackName`, as the template's dashboard reads them.

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};
use serde::Serialize;

/// User records in the batch (after KPL de-aggregation; accepted + late + malformed).
pub const RECORDS_IN: &str = "RecordsIn";
/// Records for windows that had already closed (dropped).
pub const LATE_RECORDS: &str = "LateRecords";
/// Records that are not stock ticks (skipped).
pub const MALFORMED_RECORDS: &str = "MalformedRecords";
/// Per-ticker window aggregates written (Parquet rows).
pub const WINDOWS_EMITTED: &str = "WindowsEmitted";
/// Parquet objects written to S3.
pub const OBJECTS_WRITTEN: &str = "ObjectsWritten";
/// Bytes of those objects.
pub const BYTES_WRITTEN: &str = "BytesWritten";
/// The dimension every datum carries, valued with `STACK_NAME`.
pub const DIMENSION: &str = "StackName";

/// What one invocation did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BatchCounts {
    pub records_in: u64,
    pub late_records: u64,
    pub malformed_records: u64,
    pub windows_emitted: u64,
    pub objects_written: u64,
    pub bytes_written: u64,
}

/// One datum per metric, all with the `StackName` dimension.
pub fn metric_data(counts: &BatchCounts, stack_name: &str) -> Vec<MetricDatum> {
    let dim = Dimension::builder()
        .name(DIMENSION)
        .value(stack_name)
        .build();
    let datum = |name: &str, value: u64, unit: StandardUnit| {
        MetricDatum::builder()
            .metric_name(name)
            .dimensions(dim.clone())
            .value(value as f64)
            .unit(unit)
            .build()
    };
    vec![
        datum(RECORDS_IN, counts.records_in, StandardUnit::Count),
        datum(LATE_RECORDS, counts.late_records, StandardUnit::Count),
        datum(
            MALFORMED_RECORDS,
            counts.malformed_records,
            StandardUnit::Count,
        ),
        datum(WINDOWS_EMITTED, counts.windows_emitted, StandardUnit::Count),
        datum(OBJECTS_WRITTEN, counts.objects_written, StandardUnit::Count),
        datum(BYTES_WRITTEN, counts.bytes_written, StandardUnit::Bytes),
    ]
}

/// Publishes [`metric_data`] in `namespace`; a failure is logged, not fatal.
pub async fn publish(
    cw: &aws_sdk_cloudwatch::Client,
    namespace: &str,
    stack_name: &str,
    counts: &BatchCounts,
) {
    if let Err(e) = cw
        .put_metric_data()
        .namespace(namespace)
        .set_metric_data(Some(metric_data(counts, stack_name)))
        .send()
        .await
    {
        tracing::warn!(error = %streamkit_core::error::sdk_message(&e), "could not publish processor metrics");
    }
}
