//! The one CloudWatch custom-metrics publisher of every function (processor,
//! enrichment, replicator): data built with [`datum`] (or by hand for
//! value/count histograms), published by [`publish`] in calls of at most
//! 1,000 data (the PutMetricData limit); a failure is logged, never fatal,
//! since metrics must not fail the batch they describe.

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};

/// Most data PutMetricData takes in one call.
pub const MAX_DATA_PER_CALL: usize = 1000;

/// One dimension, e.g. `("StackName", stack)`.
pub fn dimension(name: &str, value: &str) -> Dimension {
    Dimension::builder().name(name).value(value).build()
}

/// One datum with a single value.
pub fn datum(name: &str, value: f64, unit: StandardUnit, dims: &[Dimension]) -> MetricDatum {
    MetricDatum::builder()
        .metric_name(name)
        .set_dimensions(Some(dims.to_vec()))
        .value(value)
        .unit(unit)
        .build()
}

/// A count datum (the most common kind).
pub fn count(name: &str, value: u64, dims: &[Dimension]) -> MetricDatum {
    datum(name, value as f64, StandardUnit::Count, dims)
}

/// Publishes `data` in `namespace`; `what` names the publisher in the
/// warning logged when CloudWatch refuses (e.g. `processor`).
pub async fn publish(
    cw: &aws_sdk_cloudwatch::Client,
    namespace: &str,
    data: Vec<MetricDatum>,
    what: &str,
) {
    for chunk in data.chunks(MAX_DATA_PER_CALL) {
        if let Err(e) = cw
            .put_metric_data()
            .namespace(namespace)
            .set_metric_data(Some(chunk.to_vec()))
            .send()
            .await
        {
            tracing::warn!(error = %crate::error::sdk_message(&e), namespace, "could not publish {what} metrics");
        }
    }
}
