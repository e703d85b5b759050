//! Enrichment against a local fare API that checks SigV4 and the API key,
//! and answers 500 or too late for chosen ids.

use regex::Regex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use streamkit_core::events::RideRequest;
use streamkit_core::StreamRecord;
use streamkit_enrichment::secret::fetch_api_key;
use streamkit_enrichment::{enrich_records, EnrichConfig, FareClient};
use streamkit_testkit::Emulator;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const API_KEY: &str = "test-api-key";
const BUCKET: &str = "enriched";

#[derive(Default)]
struct Seen {
    requests: AtomicUsize,
    rejected_auth: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    attempts: std::sync::Mutex<std::collections::HashMap<u64, u32>>,
}

/// A fare API on loopback: 403 without a valid signature and key; id%100==40 → 500,
/// id%100==60 → answers after 5 s; id%100==80 → 500 on the first attempt
/// and times out on the second, then 200; else 200 {"expected_fare": id/2}.
async fn fare_api() -> (String, Arc<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/prod", listener.local_addr().unwrap());
    let seen = Arc::new(Seen::default());
    let auth = Regex::new(r"^AWS4-HMAC-SHA256 Credential=testing/\d{8}/us-east-1/execute-api/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=[0-9a-f]{64}$").unwrap();
    let state = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let (seen, auth) = (state.clone(), auth.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).to_string();
                let header = |name: &str| {
                    head.lines().skip(1).find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.trim()
                            .eq_ignore_ascii_case(name)
                            .then(|| v.trim().to_string())
                    })
                };
                seen.requests.fetch_add(1, Ordering::SeqCst);
                let now = seen.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                seen.max_in_flight.fetch_max(now, Ordering::SeqCst);
                let signed = header("authorization")
                    .and_then(|a| auth.captures(&a).map(|c| c[1].to_string()))
                    .is_some_and(|h| {
                        h.split(';').any(|x| x == "host")
                            && h.split(';').any(|x| x == "x-amz-date")
                            && h.split(';').any(|x| x == "x-api-key")
                    });
                let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
                let id: Option<u64> = path
                    .strip_prefix("/prod/predictFare?ride_request_id=")
                    .and_then(|s| s.parse().ok());
                let attempt = id.map_or(0, |id| {
                    let mut g = seen.attempts.lock().unwrap();
                    let n = g.entry(id).or_default();
                    *n += 1;
                    *n
                });
                let (status, body) = if !signed
                    || header("x-api-key").as_deref() != Some(API_KEY)
                    || header("x-amz-date").is_none()
                {
                    seen.rejected_auth.fetch_add(1, Ordering::SeqCst);
                    ("403 Forbidden", r#"{"message":"Forbidden"}"#.to_string())
                } else {
                    match id {
                        Some(id) if id % 100 == 40 => (
                            "500 Internal Server Error",
                            r#"{"message":"boom"}"#.to_string(),
                        ),
                        Some(id) if id % 100 == 80 && attempt == 1 => (
                            "500 Internal Server Error",
                            r#"{"message":"flaky"}"#.to_string(),
                        ),
                        Some(id) if id % 100 == 60 || (id % 100 == 80 && attempt == 2) => {
                            tokio::time::sleep(Duration::from_secs(5)).await;
                            (
                                "200 OK",
                                format!(r#"{{"expected_fare": {}}}"#, id as f64 / 2.0),
                            )
                        }
                        Some(id) => (
                            "200 OK",
                            format!(
                                r#"{{"ride_request_id": {id}, "expected_fare": {}}}"#,
                                id as f64 / 2.0
                            ),
                        ),
                        None => (
                            "400 Bad Request",
                            r#"{"error":"ride_request_id"}"#.to_string(),
                        ),
                    }
                };
                seen.in_flight.fetch_sub(1, Ordering::SeqCst);
                let resp = format!("HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });
    (url, seen)
}

/// Ride requests 1..=n (coordinates with 15-17 significant digits, as the
/// producer writes them) and one malformed record.
fn rides(n: u64) -> Vec<StreamRecord> {
    let mut rng = fastrand::Rng::with_seed(n);
    let mut out: Vec<StreamRecord> = (1..=n)
        .map(|id| {
            let ride = RideRequest {
                trip_id: id,
                ride_request_id: id,
                vehicle_id: id % 13,
                pickup_datetime: "2026-11-23T10:15:00.000Z".into(),
                pickup_latitude: 40.60 + rng.f64() * 0.25,
                pickup_longitude: -74.05 + rng.f64() * 0.30,
                passenger_count: 1,
            };
            StreamRecord {
                shard_id: "shardId-000000000000".into(),
                sequence_number: id.to_string(),
                partition_key: id.to_string(),
                data: serde_json::to_vec(&ride).unwrap(),
                approximate_arrival: None,
            }
        })
        .collect();
    out.push(StreamRecord {
        data: b"{\"ride_request_id\": \"twenty\"}".to_vec(),
        ..out[0].clone()
    });
    out
}

/// The invocation's time: enough for a few retries with backoff.
fn budget() -> Instant {
    Instant::now() + streamkit_enrichment::enrich::DEADLINE_MARGIN + Duration::from_millis(2500)
}

async fn s3(emu: &Emulator) -> (aws_config::SdkConfig, aws_sdk_s3::Client) {
    let cfg = emu.sdk_config("us-east-1").await;
    let s3 = streamkit_core::aws::s3_client(&cfg);
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    (cfg, s3)
}

#[tokio::test]
async fn samples_signs_and_persists_and_counts_failures() {
    let emu = Emulator::start();
    let (sdk, s3) = s3(&emu).await;
    let (url, seen) = fare_api().await;
    let fare = FareClient::new(
        &url,
        API_KEY,
        "us-east-1",
        sdk.credentials_provider().unwrap(),
        Duration::from_millis(500),
    );
    let summary = enrich_records(
        &rides(400),
        &fare,
        &s3,
        &EnrichConfig::new(BUCKET),
        budget(),
    )
    .await;

    assert_eq!(summary.records, 401);
    assert_eq!(summary.malformed, 1);
    assert_eq!(summary.sampled, 20, "ids 20, 40, ..., 400");
    assert!(
        summary.api_calls > 20,
        "failed calls are retried: {summary:?}"
    );
    assert_eq!(
        summary.latencies_ms.len() as u64,
        summary.api_calls,
        "one latency per call"
    );
    assert_eq!(summary.retries, summary.api_calls - 20);
    assert!(
        summary
            .latencies_ms
            .iter()
            .filter(|ms| **ms >= 500.0)
            .count()
            >= 4,
        "timeouts take the timeout: {:?}",
        summary.latencies_ms
    );
    assert_eq!(
        seen.requests.load(Ordering::SeqCst) as u64,
        summary.api_calls
    );
    assert_eq!(
        seen.rejected_auth.load(Ordering::SeqCst),
        0,
        "SigV4 header and API key accepted"
    );
    assert!(seen.max_in_flight.load(Ordering::SeqCst) <= 20);
    // Rides 40, 140, ... always fail (500), 60, 160, ... always time out;
    // 80, 180, ... fail twice (500, timeout) and are enriched on the third call.
    assert_eq!(summary.api_failures.get("http_500"), Some(&4));
    assert_eq!(summary.api_failures.get("timeout"), Some(&4));
    assert_eq!(summary.enriched, 12);
    assert_eq!(summary.failed(), 8);
    assert_eq!(summary.api_failed(), 8);
    assert_eq!(
        summary.failed_rides,
        [40, 60, 140, 160, 240, 260, 340, 360],
        "every sampled ride is enriched or reported"
    );
    assert_eq!(
        summary.enriched + summary.failed_rides.len() as u64,
        summary.sampled
    );
    assert_eq!(
        summary.first_failure(),
        Some("40"),
        "Lambda retries from the first failed record"
    );
    // The metrics of this batch, as they would be published.
    let data = streamkit_enrichment::metrics::metric_data(&summary, "st");
    let value = |name: &str| {
        data.iter()
            .find(|d| d.metric_name() == Some(name))
            .and_then(|d| d.value())
    };
    assert_eq!(value("EnrichmentRequests"), Some(summary.api_calls as f64));
    assert_eq!(value("EnrichmentFailures"), Some(8.0));
    let latency_calls: f64 = data
        .iter()
        .filter(|d| d.metric_name() == Some("EnrichmentLatency"))
        .flat_map(|d| d.counts())
        .sum();
    assert_eq!(latency_calls, summary.api_calls as f64);

    let list = s3.list_objects_v2().bucket(BUCKET).send().await.unwrap();
    let mut keys: Vec<String> = list
        .contents()
        .iter()
        .map(|o| o.key().unwrap().to_string())
        .collect();
    keys.sort();
    assert_eq!(keys, summary.keys);
    // Enriched in S3 or reported as failed: the counts add up, nothing twice.
    let enriched_ids: Vec<u64> = keys
        .iter()
        .map(|k| {
            k.rsplit("ride-")
                .next()
                .unwrap()
                .trim_end_matches(".json")
                .parse()
                .unwrap()
        })
        .collect();
    let mut all: Vec<u64> = enriched_ids
        .iter()
        .chain(&summary.failed_rides)
        .copied()
        .collect();
    all.sort_unstable();
    assert_eq!(all, (1..=20).map(|i| i * 20).collect::<Vec<u64>>());
    assert!(keys.contains(&"enriched/year=2026/month=11/day=23/hour=10/ride-20.json".to_string()));
    // Every enriched object is the input record's bytes with the fare's
    // text as the API wrote it added: no value re-encoded.
    let input = rides(400);
    for (key, id) in keys.iter().zip(&enriched_ids) {
        let body = s3
            .get_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .unwrap()
            .body
            .collect()
            .await
            .unwrap()
            .into_bytes();
        let raw = &input[*id as usize - 1].data;
        let want = format!(
            "{},\"expected_fare\":{}}}",
            std::str::from_utf8(&raw[..raw.len() - 1]).unwrap(),
            *id as f64 / 2.0
        );
        assert_eq!(std::str::from_utf8(&body).unwrap(), want, "{key}");
    }

    // Deterministic keys: the same batch again leaves the same set of objects.
    enrich_records(
        &rides(400),
        &fare,
        &s3,
        &EnrichConfig::new(BUCKET),
        budget(),
    )
    .await;
    let again = s3.list_objects_v2().bucket(BUCKET).send().await.unwrap();
    assert_eq!(again.contents().len(), keys.len());
}

#[tokio::test]
async fn the_api_key_comes_from_the_secret_named_in_api_key_secret() {
    let emu = Emulator::start();
    let (sdk, s3) = s3(&emu).await;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let name = "streamkit/st/fare-api-key-1a2b3c4d";
    secrets
        .create_secret()
        .name(name)
        .secret_string(API_KEY)
        .send()
        .await
        .unwrap();
    let key = fetch_api_key(&secrets, name).await.unwrap();
    assert_eq!(key, API_KEY);
    let (url, seen) = fare_api().await;
    let fare = FareClient::new(
        &url,
        &key,
        "us-east-1",
        sdk.credentials_provider().unwrap(),
        Duration::from_millis(500),
    );
    let summary =
        enrich_records(&rides(20), &fare, &s3, &EnrichConfig::new(BUCKET), budget()).await;
    assert_eq!((summary.enriched, summary.api_failed()), (1, 0));
    assert_eq!(seen.rejected_auth.load(Ordering::SeqCst), 0);

    let missing = fetch_api_key(&secrets, "streamkit/st/no-such-secret")
        .await
        .unwrap_err();
    assert!(
        missing.to_string().contains("streamkit/st/no-such-secret"),
        "{missing}"
    );
}

#[tokio::test]
async fn a_wrong_api_key_is_counted_not_dropped() {
    let emu = Emulator::start();
    let (sdk, s3) = s3(&emu).await;
    let (url, seen) = fare_api().await;
    let fare = FareClient::new(
        &url,
        "wrong-key",
        "us-east-1",
        sdk.credentials_provider().unwrap(),
        Duration::from_millis(500),
    );
    let summary = enrich_records(
        &rides(100),
        &fare,
        &s3,
        &EnrichConfig::new(BUCKET),
        budget(),
    )
    .await;
    assert_eq!(summary.sampled, 5);
    assert_eq!(summary.api_failures.get("http_403"), Some(&5));
    // A 403 is not retried, but the rides are reported, not dropped.
    assert_eq!((summary.api_calls, summary.api_failed()), (5, 5));
    assert_eq!(summary.failed_rides, [20, 40, 60, 80, 100]);
    assert_eq!(seen.rejected_auth.load(Ordering::SeqCst), 5);
    assert_eq!(summary.enriched, 0);
}

#[tokio::test]
async fn an_unreachable_api_is_a_transport_failure() {
    let emu = Emulator::start();
    let (sdk, s3) = s3(&emu).await;
    let port = streamkit_testkit::free_port();
    let fare = FareClient::new(
        &format!("http://127.0.0.1:{port}"),
        API_KEY,
        "us-east-1",
        sdk.credentials_provider().unwrap(),
        Duration::from_millis(500),
    );
    let summary =
        enrich_records(&rides(40), &fare, &s3, &EnrichConfig::new(BUCKET), budget()).await;
    assert_eq!(summary.api_failures.get("transport"), Some(&2));
}
