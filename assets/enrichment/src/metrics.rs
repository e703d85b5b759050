//! Custom metrics of the enrichment processor: the alarm and the dashboard of
//! the template read them in namespace `METRICS_NAMESPACE`
//! (`Streamkit/Enrichment`) with dimension `StackName`.

use aws_sdk_cloudwatch::types::{MetricDatum, StandardUnit};
use std::collections::BTreeMap;
use streamkit_core::metrics::{count, dimension};

use crate::EnrichSummary;

/// Fare API calls made (count).
pub const REQUESTS: &str = "EnrichmentRequests";
/// Fare API calls that did not end in a usable 200 answer (count).
pub const FAILURES: &str = "EnrichmentFailures";
/// Duration of each fare API call, in milliseconds (one value per call).
pub const LATENCY: &str = "EnrichmentLatency";
/// The dimension every datum carries, valued with `STACK_NAME`.
pub const DIMENSION: &str = "StackName";
/// PutMetricData accepts at most this many distinct values per datum.
pub const MAX_VALUES_PER_DATUM: usize = 150;

/// The data for one batch: request and failure counts, and the latency of
/// every call as value/count pairs (whole milliseconds, so repeated durations
/// share a value), split over several data when there are more than 150
/// distinct values. No latency datum when no call was made.
pub fn metric_data(summary: &EnrichSummary, stack_name: &str) -> Vec<MetricDatum> {
    let dim = dimension(DIMENSION, stack_name);
    let dims = [dim.clone()];
    let mut data = vec![
        count(REQUESTS, summary.api_calls, &dims),
        count(FAILURES, summary.api_failed(), &dims),
    ];
    let mut histogram: BTreeMap<u64, u64> = BTreeMap::new();
    for ms in &summary.latencies_ms {
        *histogram.entry(ms.max(0.0).round() as u64).or_default() += 1;
    }
    let pairs: Vec<(u64, u64)> = histogram.into_iter().collect();
    for chunk in pairs.chunks(MAX_VALUES_PER_DATUM) {
        data.push(
            MetricDatum::builder()
                .metric_name(LATENCY)
                .dimensions(dim.clone())
                .set_values(Some(chunk.iter().map(|(v, _)| *v as f64).collect()))
                .set_counts(Some(chunk.iter().map(|(_, c)| *c as f64).collect()))
                .unit(StandardUnit::Milliseconds)
                .build(),
        );
    }
    data
}

/// Publishes [`metric_data`] in `namespace` (the core's one publisher).
pub async fn publish(
    cw: &aws_sdk_cloudwatch::Client,
    namespace: &str,
    stack_name: &str,
    summary: &EnrichSummary,
) {
    let data = metric_data(summary, stack_name);
    streamkit_core::metrics::publish(cw, namespace, data, "enrichment").await;
}
