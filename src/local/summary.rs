//! The live summary line of `local up`: records in per stream (AWS/Kinesis
//! IncomingRecords), invocations, errors and iterator age per function
//! (AWS/Lambda), objects per bucket, and the stack's alarms in ALARM, all read
//! back from the emulator as they would be from AWS.

use std::fmt;
use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, StateValue, Statistic};
use serde::Serialize;

use crate::aws::Aws;
use crate::error::Result;
use crate::local::stack::Resources;

/// One summary, since `local up` deployed the stack.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Seconds since the stack was up.
    pub seconds: u64,
    pub streams: Vec<Count>,
    pub functions: Vec<FunctionStats>,
    pub buckets: Vec<Count>,
    /// Names of the stack's alarms in ALARM.
    pub alarms: Vec<String>,
    /// Requests and service actions the emulator denied (IAM enforced), from its log.
    pub denials: Option<u64>,
    /// Left out of the text line's names (`<stack>-`).
    #[serde(skip)]
    pub prefix: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Count {
    pub name: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FunctionStats {
    pub name: String,
    pub invocations: u64,
    pub errors: u64,
    /// Latest IteratorAge maximum (ms), when the function reads a stream.
    pub iterator_age_ms: Option<u64>,
}

/// Reads the summary of `r` since `since`.
pub async fn read(
    aws: &Aws,
    r: &Resources,
    stack: &str,
    since: SystemTime,
    seconds: u64,
) -> Result<Summary> {
    let cw = aws_sdk_cloudwatch::Client::new(&aws.config);
    let mut streams = Vec::new();
    for s in &r.streams {
        let count = metric(
            aws,
            &cw,
            "AWS/Kinesis",
            "IncomingRecords",
            "StreamName",
            s,
            since,
            Statistic::Sum,
        )
        .await?;
        streams.push(Count {
            name: s.clone(),
            count: count.iter().sum::<f64>() as u64,
        });
    }
    let mut functions = Vec::new();
    for f in &r.functions {
        let inv = metric(
            aws,
            &cw,
            "AWS/Lambda",
            "Invocations",
            "FunctionName",
            f,
            since,
            Statistic::Sum,
        )
        .await?;
        let err = metric(
            aws,
            &cw,
            "AWS/Lambda",
            "Errors",
            "FunctionName",
            f,
            since,
            Statistic::Sum,
        )
        .await?;
        let age = metric(
            aws,
            &cw,
            "AWS/Lambda",
            "IteratorAge",
            "FunctionName",
            f,
            since,
            Statistic::Maximum,
        )
        .await?;
        functions.push(FunctionStats {
            name: f.clone(),
            invocations: inv.iter().sum::<f64>() as u64,
            errors: err.iter().sum::<f64>() as u64,
            iterator_age_ms: age.last().map(|a| *a as u64),
        });
    }
    let mut buckets = Vec::new();
    for b in &r.buckets {
        buckets.push(Count {
            name: b.clone(),
            count: object_count(aws, b).await?,
        });
    }
    let mut alarms = Vec::new();
    for names in r.alarms.chunks(100) {
        let resp = cw
            .describe_alarms()
            .set_alarm_names(Some(names.to_vec()))
            .state_value(StateValue::Alarm)
            .send()
            .await
            .map_err(|e| aws.error("monitoring", "DescribeAlarms", e))?;
        let in_alarm = |state: Option<&StateValue>| state == Some(&StateValue::Alarm);
        alarms.extend(
            resp.metric_alarms()
                .iter()
                .filter(|a| in_alarm(a.state_value()))
                .filter_map(|a| a.alarm_name().map(str::to_string)),
        );
        alarms.extend(
            resp.composite_alarms()
                .iter()
                .filter(|a| in_alarm(a.state_value()))
                .filter_map(|a| a.alarm_name().map(str::to_string)),
        );
    }
    Ok(Summary {
        seconds,
        streams,
        functions,
        buckets,
        alarms,
        denials: None,
        prefix: format!("{stack}-"),
    })
}

/// The datapoints (oldest first) of one statistic, in 60 s periods since `since`.
#[allow(clippy::too_many_arguments)]
async fn metric(
    aws: &Aws,
    cw: &aws_sdk_cloudwatch::Client,
    namespace: &str,
    name: &str,
    dimension: &str,
    value: &str,
    since: SystemTime,
    statistic: Statistic,
) -> Result<Vec<f64>> {
    let start = since - Duration::from_secs(60);
    let end = SystemTime::now() + Duration::from_secs(60);
    let resp = cw
        .get_metric_statistics()
        .namespace(namespace)
        .metric_name(name)
        .dimensions(Dimension::builder().name(dimension).value(value).build())
        .start_time(DateTime::from(start))
        .end_time(DateTime::from(end))
        .period(60)
        .statistics(statistic.clone())
        .send()
        .await
        .map_err(|e| aws.error("monitoring", "GetMetricStatistics", e))?;
    let mut points: Vec<_> = resp.datapoints().to_vec();
    points.sort_by_key(|p| p.timestamp().map(|t| t.secs()));
    Ok(points
        .iter()
        .filter_map(|p| match statistic {
            Statistic::Maximum => p.maximum(),
            _ => p.sum(),
        })
        .collect())
}

/// Objects in a bucket (every page).
pub async fn object_count(aws: &Aws, bucket: &str) -> Result<u64> {
    let mut pages = aws
        .s3()
        .list_objects_v2()
        .bucket(bucket)
        .into_paginator()
        .send();
    let mut n = 0;
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| aws.error("s3", "ListObjectsV2", e))?;
        n += page.contents().len() as u64;
    }
    Ok(n)
}

impl Summary {
    /// Objects written to the stack's buckets so far.
    pub fn objects(&self) -> u64 {
        self.buckets.iter().map(|b| b.count).sum()
    }
}

/// `  35s | in: orders 600 | fn: proc 12 inv 0 err age 80ms | objects: out 3 | alarms: none`
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let short = |name: &str| {
            let lower = name.to_lowercase();
            match lower.strip_prefix(&self.prefix.to_lowercase()) {
                Some(_) => name[self.prefix.len()..].to_string(),
                None => name.to_string(),
            }
        };
        let list = |items: Vec<String>| {
            if items.is_empty() {
                "-".to_string()
            } else {
                items.join(", ")
            }
        };
        let streams = list(
            self.streams
                .iter()
                .map(|s| format!("{} {}", short(&s.name), s.count))
                .collect(),
        );
        let functions = list(
            self.functions
                .iter()
                .map(|s| {
                    let age = s
                        .iterator_age_ms
                        .map(|a| format!(" age {a}ms"))
                        .unwrap_or_default();
                    format!(
                        "{} {} inv {} err{age}",
                        short(&s.name),
                        s.invocations,
                        s.errors
                    )
                })
                .collect(),
        );
        let buckets = list(
            self.buckets
                .iter()
                .map(|b| format!("{} {}", short(&b.name), b.count))
                .collect(),
        );
        let alarms = if self.alarms.is_empty() {
            "none".to_string()
        } else {
            self.alarms
                .iter()
                .map(|a| short(a))
                .collect::<Vec<_>>()
                .join(", ")
        };
        write!(
            f,
            "{:>4}s | records in: {streams} | lambda: {functions} | objects: {buckets} | in ALARM: {alarms}",
            self.seconds
        )?;
        match self.denials {
            Some(n) => write!(f, " | IAM denied: {n}"),
            None => Ok(()),
        }
    }
}
