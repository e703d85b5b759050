//! Sampling, bounded-concurrency enrichment and persistence.

use chrono::{DateTime, Datelike, NaiveDateTime, Timelike, Utc};
use futures::stream::{self, StreamExt};
use serde::Serialize;
use std::collections::BTreeMap;
use streamkit_core::events::RideRequest;
use streamkit_core::{kpl, StreamRecord};

use crate::FareClient;

/// Settings (the Lambda reads them from its environment).
#[derive(Clone, Debug)]
pub struct EnrichConfig {
    pub bucket: String,
    /// Key prefix, e.g. `enriched/`.
    pub prefix: String,
    /// Keep ride requests whose id is a multiple of this (20).
    pub sample_every: u64,
    /// Requests in flight at most (20).
    pub concurrency: usize,
    /// CloudWatch namespace for the failure metric.
    pub metric_namespace: String,
}

impl EnrichConfig {
    pub fn new(bucket: &str) -> Self {
        EnrichConfig {
            bucket: bucket.into(),
            prefix: "enriched/".into(),
            sample_every: 20,
            concurrency: 20,
            metric_namespace: "streamkit/Enrichment".into(),
        }
    }
}

/// What one batch did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct EnrichSummary {
    pub records: u64,
    pub malformed: u64,
    pub sampled: u64,
    pub enriched: u64,
    /// Fare API failures by reason (`timeout`, `http_500`, ...).
    pub api_failures: BTreeMap<String, u64>,
    /// Enriched events that could not be written.
    pub write_failures: u64,
    pub keys: Vec<String>,
}

impl EnrichSummary {
    pub fn failed(&self) -> u64 {
        self.api_failures.values().sum::<u64>() + self.write_failures
    }
}

/// The object key of an enriched ride: partitioned by pickup hour, named by id.
pub fn object_key(prefix: &str, ride: &RideRequest) -> String {
    let t = parse_time(&ride.pickup_datetime);
    match t {
        Some(t) => format!(
            "{prefix}year={:04}/month={:02}/day={:02}/hour={:02}/ride-{}.json",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            ride.ride_request_id
        ),
        None => format!("{prefix}undated/ride-{}.json", ride.ride_request_id),
    }
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
                .ok()
                .map(|t| t.and_utc())
        })
}

enum Outcome {
    Written(String),
    ApiFailed(String),
    WriteFailed,
}

/// Enriches the sampled ride requests of `records` and persists them.
pub async fn enrich_records(
    records: &[StreamRecord],
    fare: &FareClient,
    s3: &aws_sdk_s3::Client,
    cfg: &EnrichConfig,
) -> EnrichSummary {
    let mut summary = EnrichSummary::default();
    let mut sampled = Vec::new();
    for r in records {
        for user in kpl::deaggregate(&r.partition_key, None, &r.data) {
            summary.records += 1;
            let Ok(ride) = serde_json::from_slice::<RideRequest>(&user.data) else {
                summary.malformed += 1;
                tracing::warn!(sequence_number = %r.sequence_number, "malformed ride request");
                continue;
            };
            if cfg.sample_every > 0 && ride.ride_request_id % cfg.sample_every == 0 {
                sampled.push((ride, user.data));
            }
        }
    }
    summary.sampled = sampled.len() as u64;
    let outcomes: Vec<Outcome> = stream::iter(sampled)
        .map(|(ride, raw)| enrich_one(ride, raw, fare, s3, cfg))
        .buffer_unordered(cfg.concurrency.max(1))
        .collect()
        .await;
    for o in outcomes {
        match o {
            Outcome::Written(key) => {
                summary.enriched += 1;
                summary.keys.push(key);
            }
            Outcome::ApiFailed(reason) => *summary.api_failures.entry(reason).or_default() += 1,
            Outcome::WriteFailed => summary.write_failures += 1,
        }
    }
    summary.keys.sort();
    summary
}

async fn enrich_one(
    ride: RideRequest,
    raw: Vec<u8>,
    fare: &FareClient,
    s3: &aws_sdk_s3::Client,
    cfg: &EnrichConfig,
) -> Outcome {
    let id = ride.ride_request_id;
    let expected_fare = match fare.predict_fare(id).await {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(ride_request_id = id, reason = %e.reason(), error = %e, "fare API call failed");
            return Outcome::ApiFailed(e.reason());
        }
    };
    // Keep every original field, add the estimate.
    let mut event: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&raw).unwrap_or_default();
    event.insert("expected_fare".into(), expected_fare.into());
    let key = object_key(&cfg.prefix, &ride);
    let body = serde_json::to_vec(&event).unwrap_or_default();
    match s3
        .put_object()
        .bucket(&cfg.bucket)
        .key(&key)
        .content_type("application/json")
        .body(body.into())
        .send()
        .await
    {
        Ok(_) => Outcome::Written(key),
        Err(e) => {
            tracing::error!(key, error = %streamkit_core::error::sdk_message(&e), "enriched event not written");
            Outcome::WriteFailed
        }
    }
}

/// Publishes the failure count (and successes) as custom metrics; a failure to publish is logged.
pub async fn publish_metrics(
    cw: &aws_sdk_cloudwatch::Client,
    namespace: &str,
    summary: &EnrichSummary,
) {
    use aws_sdk_cloudwatch::types::{MetricDatum, StandardUnit};
    let datum = |name: &str, v: u64| {
        MetricDatum::builder()
            .metric_name(name)
            .value(v as f64)
            .unit(StandardUnit::Count)
            .build()
    };
    let data = vec![
        datum("EnrichmentFailures", summary.failed()),
        datum("EventsEnriched", summary.enriched),
        datum("MalformedRecords", summary.malformed),
    ];
    if let Err(e) = cw
        .put_metric_data()
        .namespace(namespace)
        .set_metric_data(Some(data))
        .send()
        .await
    {
        tracing::warn!(error = %streamkit_core::error::sdk_message(&e), "could not publish enrichment metrics");
    }
}

/// An S3 client for `sdk`; path-style addressing when an endpoint override
/// (emulator) is set, since `bucket.127.0.0.1` does not resolve.
pub fn s3_client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(sdk.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}
