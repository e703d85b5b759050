//! Reading what the review needs through the AWS SDK: the dashboard body
//! (GetDashboard), alarms (DescribeAlarms), datapoints (GetMetricData, one
//! request per widget and region, all widgets at once), the dimension sets
//! of each metric (ListMetrics) and a stream's enhanced fan-out consumers
//! (Kinesis ListStreamConsumers). Clients are built from the [`Aws`] given,
//! one per region a widget names. `observe` holds what `--check` asks,
//! `alarm` turns DescribeAlarms answers into [`AlarmInfo`].

mod alarm;
mod observe;

use std::collections::BTreeMap;
use std::sync::Mutex;

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
use aws_sdk_cloudwatch::Client;
use futures::future::try_join_all;

use super::body::{MetricRef, MetricWidget, Source};
use super::model::{AlarmInfo, Window};
use crate::aws::Aws;
use crate::error::{Error, Result};

/// Dimension sets (each sorted by name) per (region, namespace, metric name).
type Listed = BTreeMap<(String, String, String), Vec<Vec<(String, String)>>>;

/// Most datapoints per series a graph asks for; longer ranges get a longer period.
const MAX_POINTS: i64 = 1440;

/// The datapoints of one result (a metric or an expression) of a widget.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    pub id: String,
    pub label: String,
    pub points: Vec<(i64, f64)>,
}

/// CloudWatch clients per region, sharing one identity and endpoint.
pub struct Fetcher {
    aws: Aws,
    clients: Mutex<BTreeMap<String, Client>>,
}

impl Fetcher {
    pub fn new(aws: &Aws) -> Fetcher {
        Fetcher {
            aws: aws.clone(),
            clients: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn home(&self) -> &str {
        &self.aws.region
    }

    fn cw(&self, region: &str) -> Client {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        clients
            .entry(region.to_string())
            .or_insert_with(|| Client::new(&self.aws.in_region(region).config))
            .clone()
    }

    /// The body of dashboard `name` (home region).
    pub async fn dashboard(&self, name: &str) -> Result<String> {
        let out = self
            .cw(self.home())
            .get_dashboard()
            .dashboard_name(name)
            .send()
            .await
            .map_err(|e| self.aws.error("cloudwatch", "GetDashboard", e))?;
        out.dashboard_body()
            .map(String::from)
            .ok_or_else(|| Error::Aws(format!("dashboard {name} has no body")))
    }

    /// The alarms with these names in `region` (DescribeAlarms, 100 at a time).
    pub async fn alarms(&self, region: &str, names: &[String]) -> Result<Vec<AlarmInfo>> {
        let client = self.cw(region);
        let mut out = Vec::new();
        for chunk in names.chunks(100) {
            let page = client
                .describe_alarms()
                .set_alarm_names(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| self.aws.error("cloudwatch", "DescribeAlarms", e))?;
            out.extend(
                page.metric_alarms()
                    .iter()
                    .map(|a| alarm::alarm_info(a, region)),
            );
        }
        Ok(out)
    }

    /// The datapoints of every row of a metric widget over `window`.
    pub async fn widget(&self, widget: &MetricWidget, window: Window) -> Result<Vec<Fetched>> {
        let home = widget
            .region
            .clone()
            .unwrap_or_else(|| self.home().to_string());
        let mut by_region: BTreeMap<String, Vec<MetricDataQuery>> = BTreeMap::new();
        for s in &widget.series {
            let region = s.region.clone().unwrap_or_else(|| home.clone());
            let query = match &s.source {
                Source::Metric(m) => {
                    let label = s.label.clone().unwrap_or_else(|| default_label(widget, m));
                    metric_query(
                        &s.id,
                        Some(&label),
                        m,
                        effective_period(m.period, window),
                        true,
                    )
                }
                Source::Expression(e) => MetricDataQuery::builder()
                    .id(&s.id)
                    .expression(e)
                    .set_label(s.label.clone())
                    .return_data(true)
                    .build(),
            };
            by_region.entry(region).or_default().push(query);
        }
        let requests = by_region
            .into_iter()
            .map(|(region, queries)| self.metric_data(region, queries, window));
        Ok(try_join_all(requests)
            .await?
            .into_iter()
            .flatten()
            .collect())
    }

    async fn metric_data(
        &self,
        region: String,
        queries: Vec<MetricDataQuery>,
        window: Window,
    ) -> Result<Vec<Fetched>> {
        let client = self.cw(&region);
        let mut found: Vec<Fetched> = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = client
                .get_metric_data()
                .set_metric_data_queries(Some(queries.clone()))
                .start_time(DateTime::from_secs(window.start))
                .end_time(DateTime::from_secs(window.end))
                .scan_by(ScanBy::TimestampAscending)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| self.aws.error("cloudwatch", "GetMetricData", e))?;
            for r in page.metric_data_results() {
                let points: Vec<(i64, f64)> = r
                    .timestamps()
                    .iter()
                    .map(DateTime::secs)
                    .zip(r.values().iter().copied())
                    .collect();
                let (id, label) = (r.id().unwrap_or_default(), r.label().unwrap_or_default());
                match found.iter_mut().find(|f| f.id == id && f.label == label) {
                    Some(f) => f.points.extend(points),
                    None => found.push(Fetched {
                        id: id.into(),
                        label: label.into(),
                        points,
                    }),
                }
            }
            token = page.next_token().map(String::from);
            if token.is_none() {
                break;
            }
        }
        for f in &mut found {
            f.points.sort_by_key(|p| p.0);
        }
        Ok(found)
    }
}

/// The widget's period, lengthened (whole minutes) so a series has at most 1440 points.
pub fn effective_period(period: i32, window: Window) -> i32 {
    let seconds = window.seconds();
    let period = i64::from(period.max(1));
    if seconds / period <= MAX_POINTS {
        return period as i32;
    }
    let needed = (seconds + MAX_POINTS - 1) / MAX_POINTS;
    (((needed + 59) / 60) * 60) as i32
}

/// The metric name, plus what tells it apart from rows of the same metric in
/// the widget: the dimension values that differ, and the statistic if it differs.
fn default_label(widget: &MetricWidget, m: &MetricRef) -> String {
    let others: Vec<&MetricRef> = widget
        .series
        .iter()
        .filter_map(|s| match &s.source {
            Source::Metric(o) if o.name == m.name && o != m => Some(o),
            _ => None,
        })
        .collect();
    let mut label = m.name.clone();
    for (name, value) in &m.dimensions {
        if others
            .iter()
            .any(|o| !o.dimensions.contains(&(name.clone(), value.clone())))
        {
            label = format!("{label} {value}");
        }
    }
    if others.iter().any(|o| o.stat != m.stat) {
        label = format!("{label} {}", m.stat);
    }
    label
}

#[cfg(test)]
mod label_tests {
    use super::*;
    use crate::review::body::{self, Kind};

    #[test]
    fn labels_tell_rows_of_one_metric_apart() {
        let widgets = body::parse(
            r#"{"widgets":[{"type":"metric","properties":{"stat":"Average","metrics":[
              ["AWS/S3","BucketSizeBytes","BucketName","b","StorageType","StandardStorage"],
              ["AWS/S3","BucketSizeBytes","BucketName","b","StorageType","GlacierStorage"],
              ["AWS/Lambda","Duration","FunctionName","f",{"stat":"p99"}],
              ["AWS/Lambda","Duration","FunctionName","f",{"stat":"Minimum"}],
              ["AWS/Lambda","Invocations","FunctionName","f"]]}}]}"#,
        )
        .unwrap();
        let Kind::Metric(m) = &widgets[0].kind else {
            panic!()
        };
        let labels: Vec<String> = m
            .series
            .iter()
            .map(|s| match &s.source {
                Source::Metric(r) => default_label(m, r),
                Source::Expression(_) => String::new(),
            })
            .collect();
        assert_eq!(
            labels,
            [
                "BucketSizeBytes StandardStorage",
                "BucketSizeBytes GlacierStorage",
                "Duration p99",
                "Duration Minimum",
                "Invocations"
            ]
        );
    }
}

fn metric_query(
    id: &str,
    label: Option<&str>,
    m: &MetricRef,
    period: i32,
    returns: bool,
) -> MetricDataQuery {
    let dims = m
        .dimensions
        .iter()
        .map(|(n, v)| Dimension::builder().name(n).value(v).build())
        .collect();
    let metric = Metric::builder()
        .namespace(&m.namespace)
        .metric_name(&m.name)
        .set_dimensions(Some(dims))
        .build();
    let stat = MetricStat::builder()
        .metric(metric)
        .period(period)
        .stat(&m.stat)
        .build();
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(stat)
        .set_label(label.map(String::from))
        .return_data(returns)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_ranges_get_longer_periods() {
        let hours = |h: i64| Window {
            start: 0,
            end: h * 3600,
        };
        assert_eq!(effective_period(60, hours(3)), 60);
        assert_eq!(effective_period(60, hours(24)), 60);
        assert_eq!(effective_period(60, hours(48)), 120);
        assert_eq!(effective_period(86_400, hours(3)), 86_400);
    }
}
