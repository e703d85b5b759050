//! What `--check` asks about each metric: the dimension sets ListMetrics
//! lists, whether GetMetricData has datapoints, and a stream's enhanced
//! fan-out consumers (Kinesis ListStreamConsumers).

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::MetricDataQuery;
use futures::future::try_join_all;

use super::{metric_query, Fetcher, Listed};
use crate::error::Result;
use crate::review::check::{Observation, Target};
use crate::review::facts;
use crate::review::model::Window;

impl Fetcher {
    /// What ListMetrics, GetMetricData and Kinesis say about each target (same order).
    pub async fn observe(&self, targets: &[Target], window: Window) -> Result<Vec<Observation>> {
        let mut listed: Listed = BTreeMap::new();
        let keys: Vec<(String, String, String)> = targets
            .iter()
            .map(|t| {
                (
                    t.region.clone(),
                    t.metric.namespace.clone(),
                    t.metric.name.clone(),
                )
            })
            .collect();
        let mut unique = keys.clone();
        unique.sort();
        unique.dedup();
        let lists = try_join_all(
            unique
                .iter()
                .map(|(r, ns, name)| self.dimension_sets(r, ns, name)),
        )
        .await?;
        listed.extend(unique.into_iter().zip(lists));
        let data = self.has_data(targets, window).await?;
        let mut consumers: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        for t in targets
            .iter()
            .filter(|t| facts::polling_only(&t.metric.namespace, &t.metric.name))
        {
            if let Some((_, stream)) = t.metric.dimensions.iter().find(|(n, _)| n == "StreamName") {
                let key = (t.region.clone(), stream.clone());
                if let std::collections::btree_map::Entry::Vacant(slot) = consumers.entry(key) {
                    slot.insert(self.efo_consumers(&t.region, stream).await?);
                }
            }
        }
        Ok(targets
            .iter()
            .zip(keys)
            .zip(data)
            .map(|((t, key), has_data)| {
                let mut wanted = t.metric.dimensions.clone();
                wanted.sort();
                let sets = listed.get(&key).cloned().unwrap_or_default();
                let stream = t
                    .metric
                    .dimensions
                    .iter()
                    .find(|(n, _)| n == "StreamName")
                    .map(|(_, v)| v.clone());
                Observation {
                    exists: sets.contains(&wanted),
                    has_data,
                    other_dimensions: sets.into_iter().filter(|s| *s != wanted).collect(),
                    efo_consumers: stream
                        .and_then(|s| consumers.get(&(t.region.clone(), s)).cloned())
                        .unwrap_or_default(),
                }
            })
            .collect())
    }

    /// Every dimension set ListMetrics lists for a metric (each sorted by name).
    async fn dimension_sets(
        &self,
        region: &str,
        namespace: &str,
        name: &str,
    ) -> Result<Vec<Vec<(String, String)>>> {
        let mut pages = self
            .cw(region)
            .list_metrics()
            .namespace(namespace)
            .metric_name(name)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.aws.error("cloudwatch", "ListMetrics", e))?;
            for m in page.metrics() {
                let mut dims: Vec<(String, String)> = m
                    .dimensions()
                    .iter()
                    .map(|d| {
                        (
                            d.name().unwrap_or_default().to_string(),
                            d.value().unwrap_or_default().to_string(),
                        )
                    })
                    .collect();
                dims.sort();
                out.push(dims);
            }
        }
        Ok(out)
    }

    /// Whether each target has datapoints in the window, or within its last two
    /// periods for metrics published less often (one GetMetricData per region and range).
    async fn has_data(&self, targets: &[Target], window: Window) -> Result<Vec<bool>> {
        let mut groups: BTreeMap<(String, i64), Vec<MetricDataQuery>> = BTreeMap::new();
        for (i, t) in targets.iter().enumerate() {
            let start = window
                .start
                .min(window.end - 2 * i64::from(t.metric.period));
            let q = metric_query(&format!("q{i}"), None, &t.metric, t.metric.period, true);
            groups.entry((t.region.clone(), start)).or_default().push(q);
        }
        let mut with_data = vec![false; targets.len()];
        for ((region, start), queries) in groups {
            let range = Window {
                start,
                end: window.end,
            };
            for chunk in queries.chunks(500) {
                for f in self
                    .metric_data(region.clone(), chunk.to_vec(), range)
                    .await?
                {
                    let index: usize = f.id.trim_start_matches('q').parse().unwrap_or(usize::MAX);
                    if let Some(slot) = with_data.get_mut(index) {
                        *slot |= !f.points.is_empty();
                    }
                }
            }
        }
        Ok(with_data)
    }

    /// The enhanced fan-out consumers registered on a stream (none if it is gone).
    async fn efo_consumers(&self, region: &str, stream: &str) -> Result<Vec<String>> {
        let kinesis = aws_sdk_kinesis::Client::new(&self.aws.in_region(region).config);
        let Ok(summary) = kinesis
            .describe_stream_summary()
            .stream_name(stream)
            .send()
            .await
        else {
            return Ok(Vec::new());
        };
        let Some(arn) = summary
            .stream_description_summary()
            .map(|s| s.stream_arn().to_string())
        else {
            return Ok(Vec::new());
        };
        let out = kinesis
            .list_stream_consumers()
            .stream_arn(arn)
            .send()
            .await
            .map_err(|e| self.aws.error("kinesis", "ListStreamConsumers", e))?;
        Ok(out
            .consumers()
            .iter()
            .map(|c| c.consumer_name().to_string())
            .collect())
    }
}
