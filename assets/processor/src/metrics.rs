//! Custom metrics of the processor, published once per invocation in
//! namespace `METRICS_NAMESPACE` (`Streamkit/Processor`) with dimension
//! `StackName`, as the template's dashboard reads them (through the core's
//! one publisher).

use aws_sdk_cloudwatch::types::{MetricDatum, StandardUnit};
use serde::Serialize;
use streamkit_core::metrics::{count, datum, dimension};

/// User records in the batch (after KPL de-aggregation; accepted + late + malformed).
pub const RECORDS_IN: &str = "RecordsIn";
/// Records beyond the allowed lateness (written to the late prefix).
pub const LATE_RECORDS: &str = "LateRecords";
/// Records that are not stock ticks (written to the late prefix).
pub const MALFORMED_RECORDS: &str = "MalformedRecords";
/// Per-ticker window aggregates written (Parquet rows).
pub const WINDOWS_EMITTED: &str = "WindowsEmitted";
/// Parquet objects written to S3.
pub const OBJECTS_WRITTEN: &str = "ObjectsWritten";
/// Bytes of those objects.
pub const BYTES_WRITTEN: &str = "BytesWritten";
/// Records a shard held before the first one the processor got (its
/// mapping started after them, at LATEST): never processed.
pub const RECORDS_BEFORE_START: &str = "RecordsBeforeStart";
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
    pub records_before_start: u64,
}

impl streamkit_core::runner::Tally for BatchCounts {
    fn add(&mut self, o: &BatchCounts) {
        self.records_in += o.records_in;
        self.late_records += o.late_records;
        self.malformed_records += o.malformed_records;
        self.windows_emitted += o.windows_emitted;
        self.objects_written += o.objects_written;
        self.bytes_written += o.bytes_written;
        self.records_before_start += o.records_before_start;
    }

    fn before_start(&mut self, records: u64) {
        self.records_before_start += records;
    }
}

/// One datum per metric, all with the `StackName` dimension.
pub fn metric_data(counts: &BatchCounts, stack_name: &str) -> Vec<MetricDatum> {
    let dims = [dimension(DIMENSION, stack_name)];
    vec![
        count(RECORDS_IN, counts.records_in, &dims),
        count(LATE_RECORDS, counts.late_records, &dims),
        count(MALFORMED_RECORDS, counts.malformed_records, &dims),
        count(WINDOWS_EMITTED, counts.windows_emitted, &dims),
        count(OBJECTS_WRITTEN, counts.objects_written, &dims),
        count(RECORDS_BEFORE_START, counts.records_before_start, &dims),
        datum(
            BYTES_WRITTEN,
            counts.bytes_written as f64,
            StandardUnit::Bytes,
            &dims,
        ),
    ]
}
