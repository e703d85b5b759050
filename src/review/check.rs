//! `dashboard --check`: one verdict per metric of every widget and alarm,
//! from what ListMetrics and GetMetricData said ([`Observation`]) and what
//! AWS publishes ([`super::facts`]). Pure: the fetching is in `fetch`, the
//! report in `report`.

use serde::Serialize;

use super::body::{Kind, MetricRef, Source, Widget};
use super::facts::{self, Cadence};
use super::model::AlarmInfo;

/// The verdict for one metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Ok,
    NoDataYet,
    DoesNotExist,
    PublishedHourly,
    PublishedDaily,
    NeedsFeature,
}

impl Verdict {
    pub fn text(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::NoDataYet => "no data yet",
            Verdict::DoesNotExist => "does not exist",
            Verdict::PublishedHourly => "published hourly only",
            Verdict::PublishedDaily => "published daily only",
            Verdict::NeedsFeature => "needs a feature enabled",
        }
    }
}

/// Whether a row comes from a dashboard widget or an alarm of the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Widget,
    Alarm,
}

/// One metric to check: where it is used, in which region.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub origin: Origin,
    pub name: String,
    pub region: String,
    pub metric: MetricRef,
}

/// What CloudWatch (and Kinesis) said about one target.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observation {
    /// ListMetrics lists the metric with exactly these dimensions.
    pub exists: bool,
    /// GetMetricData returned datapoints within the window.
    pub has_data: bool,
    /// Other dimension sets ListMetrics lists for the same namespace and name.
    pub other_dimensions: Vec<Vec<(String, String)>>,
    /// Enhanced fan-out consumers of the stream (GetRecords metrics only).
    pub efo_consumers: Vec<String>,
}

/// Every metric of every metric widget and alarm, once per (user, metric, region).
pub fn targets(widgets: &[Widget], alarms: &[AlarmInfo], home: &str) -> Vec<Target> {
    let mut out: Vec<Target> = Vec::new();
    let mut push = |t: Target| {
        let same = |o: &Target| {
            o.origin == t.origin
                && o.name == t.name
                && o.region == t.region
                && o.metric.namespace == t.metric.namespace
                && o.metric.name == t.metric.name
                && o.metric.dimensions == t.metric.dimensions
        };
        if !out.iter().any(same) {
            out.push(t);
        }
    };
    for w in widgets {
        let Kind::Metric(m) = &w.kind else { continue };
        for s in &m.series {
            if let Source::Metric(metric) = &s.source {
                let region = s.region.clone().or_else(|| m.region.clone());
                push(Target {
                    origin: Origin::Widget,
                    name: m.title.clone(),
                    region: region.unwrap_or_else(|| home.to_string()),
                    metric: metric.clone(),
                });
            }
        }
    }
    for a in alarms {
        for metric in &a.metrics {
            push(Target {
                origin: Origin::Alarm,
                name: a.name.clone(),
                region: a.region.clone(),
                metric: metric.clone(),
            });
        }
    }
    out
}

/// The verdict for one metric and its reason.
pub fn judge(metric: &MetricRef, seen: &Observation) -> (Verdict, String) {
    let names: Vec<&str> = metric.dimensions.iter().map(|(n, _)| n.as_str()).collect();
    let fact = facts::lookup(&metric.namespace, &metric.name, &names);
    if let Some(f) = fact {
        match f.cadence {
            Cadence::Hourly if metric.period < 3600 => {
                return (
                    Verdict::PublishedHourly,
                    format!(
                        "{}; graph it with a period of 3600 s (this one uses {} s)",
                        f.when, metric.period
                    ),
                )
            }
            Cadence::Daily if metric.period < 86_400 => {
                return (
                    Verdict::PublishedDaily,
                    format!(
                        "{}; graph it with a period of 86400 s (this one uses {} s)",
                        f.when, metric.period
                    ),
                )
            }
            _ => {}
        }
    }
    if seen.exists {
        if seen.has_data {
            return (Verdict::Ok, String::new());
        }
        return match fact.map(|f| f.cadence) {
            Some(Cadence::Hourly) => (Verdict::PublishedHourly, fact.map_or("", |f| f.when).into()),
            Some(Cadence::Daily) => (Verdict::PublishedDaily, fact.map_or("", |f| f.when).into()),
            _ => (
                Verdict::NoDataYet,
                "listed by ListMetrics, but no datapoints in the window".into(),
            ),
        };
    }
    if let Some(f) = fact {
        if facts::polling_only(&metric.namespace, &metric.name) && !seen.efo_consumers.is_empty() {
            return (
                Verdict::DoesNotExist,
                format!(
                    "the stream is read through enhanced fan-out ({}), which publishes SubscribeToShardEvent.* per consumer; GetRecords metrics exist only when something polls",
                    seen.efo_consumers.join(", ")
                ),
            );
        }
        if let Some(need) = f.needs {
            return (Verdict::NeedsFeature, format!("needs {need}"));
        }
        return match f.cadence {
            Cadence::Hourly => (Verdict::PublishedHourly, f.when.into()),
            Cadence::Daily => (Verdict::PublishedDaily, f.when.into()),
            Cadence::Minute => (Verdict::NoDataYet, f.when.into()),
        };
    }
    let others = shown(&seen.other_dimensions);
    if facts::known_namespace(&metric.namespace) {
        let listed = if others.is_empty() {
            String::new()
        } else {
            format!("; ListMetrics has it with {others}")
        };
        return (
            Verdict::DoesNotExist,
            format!(
                "AWS publishes no {} {} with dimensions [{}]{listed}",
                metric.namespace,
                metric.name,
                names.join(", ")
            ),
        );
    }
    if !others.is_empty() {
        return (
            Verdict::DoesNotExist,
            format!("published only with other dimensions: {others}"),
        );
    }
    (
        Verdict::NoDataYet,
        "not published yet: a custom metric appears when the code first publishes it (check the name if it never does)".into(),
    )
}

fn shown(sets: &[Vec<(String, String)>]) -> String {
    sets.iter()
        .take(3)
        .map(|s| {
            format!(
                "[{}]",
                s.iter()
                    .map(|(n, v)| format!("{n}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}
#[cfg(test)]
mod tests {
    use super::*;

    fn metric(ns: &str, name: &str, dims: &[(&str, &str)], period: i32) -> MetricRef {
        MetricRef {
            namespace: ns.into(),
            name: name.into(),
            dimensions: dims
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            stat: "Sum".into(),
            period,
        }
    }

    #[test]
    fn verdicts_follow_listing_data_and_facts() {
        let listed = Observation {
            exists: true,
            has_data: true,
            ..Default::default()
        };
        let stream = [("StreamName", "s")];
        assert_eq!(
            judge(
                &metric("AWS/Kinesis", "IncomingRecords", &stream, 60),
                &listed
            )
            .0,
            Verdict::Ok
        );
        let nothing = Observation::default();
        assert_eq!(
            judge(
                &metric("AWS/Kinesis", "IncomingRecords", &stream, 60),
                &nothing
            )
            .0,
            Verdict::NoDataYet
        );
        let renamed = judge(
            &metric("AWS/Kinesis", "IncomingRecords", &[("Stream", "s")], 60),
            &nothing,
        );
        assert_eq!(renamed.0, Verdict::DoesNotExist);
        assert!(renamed.1.contains("dimensions [Stream]"), "{}", renamed.1);
        let efo = Observation {
            efo_consumers: vec!["replicator".into()],
            ..Default::default()
        };
        assert_eq!(
            judge(
                &metric("AWS/Kinesis", "GetRecords.Records", &stream, 60),
                &efo
            )
            .0,
            Verdict::DoesNotExist
        );
        let kpus = metric("AWS/KinesisAnalytics", "KPUs", &[("Application", "a")], 60);
        assert_eq!(judge(&kpus, &listed).0, Verdict::PublishedHourly);
        let kpus_hourly = metric(
            "AWS/KinesisAnalytics",
            "KPUs",
            &[("Application", "a")],
            3600,
        );
        assert_eq!(judge(&kpus_hourly, &listed).0, Verdict::Ok);
        assert_eq!(judge(&kpus_hourly, &nothing).0, Verdict::PublishedHourly);
        let esm = metric(
            "AWS/Lambda",
            "PolledEventCount",
            &[("EventSourceMappingUUID", "u")],
            60,
        );
        assert_eq!(judge(&esm, &nothing).0, Verdict::NeedsFeature);
        let s3 = metric(
            "AWS/S3",
            "NumberOfObjects",
            &[("BucketName", "b"), ("StorageType", "AllStorageTypes")],
            86_400,
        );
        assert_eq!(judge(&s3, &nothing).0, Verdict::PublishedDaily);
    }

    #[test]
    fn custom_metrics_are_judged_by_what_is_listed() {
        let m = metric(
            "Streamkit/Processor",
            "RecordsIn",
            &[("StackName", "s")],
            60,
        );
        assert_eq!(judge(&m, &Observation::default()).0, Verdict::NoDataYet);
        let elsewhere = Observation {
            other_dimensions: vec![vec![("Stack".into(), "s".into())]],
            ..Default::default()
        };
        let (verdict, reason) = judge(&m, &elsewhere);
        assert_eq!(verdict, Verdict::DoesNotExist);
        assert_eq!(reason, "published only with other dimensions: [Stack=s]");
    }
}
