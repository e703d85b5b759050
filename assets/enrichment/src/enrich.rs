//! Sampling, bounded-concurrency enrichment and persistence.

use chrono::{DateTime, Datelike, NaiveDateTime, Timelike, Utc};
use futures::stream::{self, StreamExt};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
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
    /// Fare API calls that were a retry of a failed one.
    pub retries: u64,
    /// Sampled rides given up on (after retries, within the budget): their
    /// ride ids, and the sequence numbers of the Kinesis records holding
    /// them, sorted, to report as batch item failures.
    pub failed_rides: Vec<u64>,
    pub failed_sequence_numbers: Vec<String>,
}

impl EnrichSummary {
    /// Fare API calls that did not end in a usable 200 answer.
    pub fn api_failed(&self) -> u64 {
        self.api_failures.values().sum()
    }

    /// Sampled rides not persisted: failed API calls plus failed writes.
    pub fn failed(&self) -> u64 {
        self.api_failed() + self.write_failures
    }

    /// The record Lambda should retry from (ReportBatchItemFailures): the
    /// lowest sequence number holding a ride that was not persisted.
    pub fn first_failure(&self) -> Option<&str> {
        self.failed_sequence_numbers.first().map(String::as_str)
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

/// A ride request: a JSON object of that schema (serde would also take an
/// array of the values, which has no fields to keep).
fn parse_ride(data: &[u8]) -> Option<RideRequest> {
    let first = data.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' {
        return None;
    }
    serde_json::from_slice(data).ok()
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

/// Time kept back from the function's deadline (to answer Lambda).
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(2);
/// Shortest call worth making near the deadline.
const MIN_CALL: Duration = Duration::from_millis(200);

/// Enriches the sampled ride requests of `records` and persists them; a
/// failed fare call (timeout, 5xx, 429, transport) is retried with backoff
/// until it succeeds or `deadline` (minus [`DEADLINE_MARGIN`]) is near; what
/// still failed is listed in the summary to report as batch item failures.
pub async fn enrich_records(
    records: &[StreamRecord],
    fare: &FareClient,
    s3: &aws_sdk_s3::Client,
    cfg: &EnrichConfig,
    deadline: Instant,
) -> EnrichSummary {
    let mut summary = EnrichSummary::default();
    let mut sampled = Vec::new();
    for r in records {
        for user in kpl::deaggregate(&r.partition_key, None, &r.data) {
            summary.records += 1;
            let Some(ride) = parse_ride(&user.data) else {
                summary.malformed += 1;
                tracing::warn!(sequence_number = %r.sequence_number, "malformed ride request");
                continue;
            };
            if cfg.sample_every > 0 && ride.ride_request_id % cfg.sample_every == 0 {
                sampled.push((ride, user.data, r.sequence_number.clone()));
            }
        }
    }
    summary.sampled = sampled.len() as u64;
    let outcomes: Vec<(u64, String, Vec<f64>, Outcome)> = stream::iter(sampled)
        .map(|(ride, raw, seq)| async move {
            let id = ride.ride_request_id;
            let (latencies, outcome) = enrich_one(ride, raw, fare, s3, cfg, deadline).await;
            (id, seq, latencies, outcome)
        })
        .buffer_unordered(cfg.concurrency.max(1))
        .collect()
        .await;
    for (id, seq, latencies, o) in outcomes {
        summary.api_calls += latencies.len() as u64;
        summary.retries += latencies.len().saturating_sub(1) as u64;
        summary.latencies_ms.extend(latencies);
        match o {
            Outcome::Written(key) => {
                summary.enriched += 1;
                summary.keys.push(key);
                continue;
            }
            Outcome::ApiFailed(reason) => *summary.api_failures.entry(reason).or_default() += 1,
            Outcome::WriteFailed => summary.write_failures += 1,
        }
        summary.failed_rides.push(id);
        summary.failed_sequence_numbers.push(seq);
    }
    summary.keys.sort();
    summary.failed_rides.sort_unstable();
    summary
        .failed_sequence_numbers
        .sort_by(|a, b| streamkit_core::record::cmp_sequence(a, b));
    summary.failed_sequence_numbers.dedup();
    summary
}

/// The fare, retried with backoff while the budget lasts; every call's latency.
async fn fare_with_retries(
    fare: &FareClient,
    id: u64,
    deadline: Instant,
) -> (Vec<f64>, Result<crate::Fare, crate::FareError>) {
    let mut latencies = Vec::new();
    let mut backoff = Duration::from_millis(100);
    loop {
        let left = deadline
            .saturating_duration_since(Instant::now())
            .saturating_sub(DEADLINE_MARGIN);
        let started = Instant::now();
        let answer = fare
            .predict_fare_within(id, fare.timeout().min(left.max(MIN_CALL)))
            .await;
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        let e = match answer {
            Ok(f) => return (latencies, Ok(f)),
            Err(e) => e,
        };
        let left = deadline
            .saturating_duration_since(Instant::now())
            .saturating_sub(DEADLINE_MARGIN);
        if !e.retryable() || left < backoff + MIN_CALL {
            return (latencies, Err(e));
        }
        tracing::info!(ride_request_id = id, reason = %e.reason(), retry_in_ms = backoff.as_millis() as u64, "fare API call failed; retrying");
        let jitter = backoff.mul_f64(fastrand::f64() / 2.0);
        tokio::time::sleep(backoff / 2 + jitter).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

async fn enrich_one(
    ride: RideRequest,
    raw: Vec<u8>,
    fare: &FareClient,
    s3: &aws_sdk_s3::Client,
    cfg: &EnrichConfig,
    deadline: Instant,
) -> (Vec<f64>, Outcome) {
    let id = ride.ride_request_id;
    let (latencies, answer) = fare_with_retries(fare, id, deadline).await;
    let expected_fare = match answer {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(ride_request_id = id, reason = %e.reason(), error = %e, attempts = latencies.len(), "fare API failed for good in this invocation; the record is reported as a batch item failure");
            return (latencies, Outcome::ApiFailed(e.reason()));
        }
    };
    // The ride request's own bytes with the estimate added (every value's
    // text kept). The ride parsed as an object, so this cannot fail.
    let Some(body) = crate::splice::with_field(&raw, "expected_fare", expected_fare.text()) else {
        tracing::error!(ride_request_id = id, "ride request is not a JSON object");
        return (latencies, Outcome::WriteFailed);
    };
    let key = object_key(&cfg.prefix, &ride);
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
    (latencies, outcome)
}
