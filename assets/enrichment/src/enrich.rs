//! Sampling, bounded-concurrency enrichment and persistence.

use chrono::{DateTime, Datelike, NaiveDateTime, Timelike, Utc};
use futures::stream::{self, StreamExt};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Instant;
use streamkit_core::events::RideRequest;
use streamkit_core::{kpl, StreamRecord};

use crate::FareClient;

/// Settings (the Lambda reads them from its environment, see [`crate::config`]).
#[derive(Clone, Debug, PartialEq)]
pub struct EnrichConfig {
    /// `OUTPUT_BUCKET`.
    pub bucket: String,
    /// Key prefix, e.g. `enriched/` (`OUTPUT_PREFIX`).
    pub prefix: String,
    /// Keep ride requests whose id is a multiple of this (`SAMPLE_EVERY`, 20).
    pub sample_every: u64,
    /// Requests in flight at most (`MAX_IN_FLIGHT`, 20).
    pub concurrency: usize,
    /// CloudWatch namespace of the custom metrics (`METRICS_NAMESPACE`).
    pub metric_namespace: String,
    /// Value of the `StackName` metric dimension (`STACK_NAME`).
    pub stack_name: String,
}

/// The namespace the template's alarm and dashboard read.
pub const DEFAULT_METRIC_NAMESPACE: &str = "Streamkit/Enrichment";

impl EnrichConfig {
    pub fn new(bucket: &str) -> Self {
        EnrichConfig {
            bucket: bucket.into(),
            prefix: "enriched/".into(),
            sample_every: 20,
            concurrency: 20,
            metric_namespace: DEFAULT_METRIC_NAMESPACE.into(),
            stack_name: String::new(),
        }
    }
}

/// What one batch did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct EnrichSummary {
    pub records: u64,
    pub malformed: u64,
    pub sampled: u64,
    /// Fare API calls made (one per sampled ride request).
    pub api_calls: u64,
    pub enriched: u64,
    /// Fare API failures by reason (`timeout`, `http_500`, ...).
    pub api_failures: BTreeMap<String, u64>,
    /// Enriched events that could not be written.
    pub write_failures: u64,
    pub keys: Vec<String>,
    /// Duration of every fare API call (failed ones included), in milliseconds.
    pub latencies_ms: Vec<f64>,
}

impl EnrichSummary {
    /// Fare API calls that did not end in a usable 200 answer.
    pub fn api_failed(&self) -> u64 {
        self.api_failures.values().sum()
    }

    /// Events not persisted: failed API calls plus failed writes.
    pub fn failed(&self) -> u64 {
        self.api_failed() + self.write_failures
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
    let outcomes: Vec<(f64, Outcome)> = stream::iter(sampled)
        .map(|(ride, raw)| enrich_one(ride, raw, fare, s3, cfg))
        .buffer_unordered(cfg.concurrency.max(1))
        .collect()
        .await;
    for (latency_ms, o) in outcomes {
        summary.api_calls += 1;
        summary.latencies_ms.push(latency_ms);
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
) -> (f64, Outcome) {
    let id = ride.ride_request_id;
    let started = Instant::now();
    let answer = fare.predict_fare(id).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let expected_fare = match answer {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(ride_request_id = id, reason = %e.reason(), error = %e, latency_ms, "fare API call failed");
            return (latency_ms, Outcome::ApiFailed(e.reason()));
        }
    };
    // Keep every original field, add the estimate.
    let mut event: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&raw).unwrap_or_default();
    event.insert("expected_fare".into(), expected_fare.into());
    let key = object_key(&cfg.prefix, &ride);
    let body = serde_json::to_vec(&event).unwrap_or_default();
    let outcome = match s3
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
    };
    (latency_ms, outcome)
}

/// An S3 client for `sdk`; path-style addressing when an endpoint override
/// (emulator) is set, since `bucket.127.0.0.1` does not resolve.
pub fn s3_client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(sdk.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}
