//! DescribeAlarms answers as [`AlarmInfo`]: state, reason, and the metrics
//! the alarm evaluates (its one metric, or the inputs of its metric math).

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, MetricAlarm};

use crate::review::body::MetricRef;
use crate::review::model::AlarmInfo;

pub(super) fn alarm_info(a: &MetricAlarm, region: &str) -> AlarmInfo {
    let dims = |ds: &[Dimension]| -> Vec<(String, String)> {
        ds.iter()
            .map(|d| {
                (
                    d.name().unwrap_or_default().to_string(),
                    d.value().unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    let mut metrics = Vec::new();
    if let Some(name) = a.metric_name() {
        metrics.push(MetricRef {
            namespace: a.namespace().unwrap_or_default().to_string(),
            name: name.to_string(),
            dimensions: dims(a.dimensions()),
            stat: a
                .extended_statistic()
                .map(String::from)
                .or_else(|| a.statistic().map(|s| s.as_str().to_string()))
                .unwrap_or_default(),
            period: a.period().unwrap_or(60),
        });
    }
    for q in a.metrics() {
        if let Some(stat) = q.metric_stat() {
            let metric = stat.metric();
            metrics.push(MetricRef {
                namespace: metric
                    .and_then(|m| m.namespace())
                    .unwrap_or_default()
                    .to_string(),
                name: metric
                    .and_then(|m| m.metric_name())
                    .unwrap_or_default()
                    .to_string(),
                dimensions: dims(metric.map(|m| m.dimensions()).unwrap_or_default()),
                stat: stat.stat().unwrap_or_default().to_string(),
                period: stat.period().unwrap_or(60),
            });
        }
    }
    AlarmInfo {
        name: a.alarm_name().unwrap_or_default().to_string(),
        arn: a.alarm_arn().unwrap_or_default().to_string(),
        region: region.to_string(),
        state: a
            .state_value()
            .map_or("INSUFFICIENT_DATA", |s| s.as_str())
            .to_string(),
        reason: a.state_reason().unwrap_or_default().to_string(),
        updated: a.state_updated_timestamp().map(DateTime::secs),
        description: a.alarm_description().unwrap_or_default().to_string(),
        metrics,
    }
}
