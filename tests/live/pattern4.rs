//! Pattern 4 live: the deployed enrichment Lambda samples ride requests and
//! asks the deployed fare API (API Gateway, IAM + API key, Lambda proxy) for
//! each sampled ride, through the local API URL the emulator maps the
//! template's execute-api URL to. The fare API is made to fail: its function
//! code is replaced by one that answers 500 for a third of the calls at random
//! and always for a few rides. Every sampled ride then ends either enriched in
//! S3 (with the fare the API answered) or inside a batch the failure queue
//! names; none is lost.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::time::Duration;

use crate::support::common::{default_subnet, default_vpc};
use crate::support::{log_tail, put_every, stack_outputs, wait_for, Clients, Live};

const RIDES: u64 = 1000;
const SAMPLE_EVERY: u64 = 20;

/// Rides whose fare call always fails.
fn always_fails(id: u64) -> bool {
    id.is_multiple_of(200)
}

/// A fare API function (Python, the Runtime API by hand) that fails on purpose.
const FLAKY_FARE_API: &str = r#"#!/usr/bin/env python3
import json, os, random, urllib.request
base = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
while True:
    with urllib.request.urlopen(base + "/invocation/next") as r:
        event = json.loads(r.read())
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
    ride = int((event.get("queryStringParameters") or {}).get("ride_request_id", "0"))
    if ride % 200 == 0 or random.random() < 0.33:
        answer = {"statusCode": 500, "body": json.dumps({"error": "injected failure"})}
    else:
        answer = {"statusCode": 200, "headers": {"Content-Type": "application/json"},
                  "body": json.dumps({"ride_request_id": ride, "expected_fare": ride / 2})}
    req = urllib.request.Request(base + "/invocation/" + rid + "/response",
                                 data=json.dumps(answer).encode(), method="POST")
    urllib.request.urlopen(req).read()
"#;

/// A fare API function that always answers 200 with a fare whose JSON text
/// the test knows ([`fare_text`]): up to 17 significant digits.
const EXACT_FARE_API: &str = r#"#!/usr/bin/env python3
import json, os, urllib.request
base = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
while True:
    with urllib.request.urlopen(base + "/invocation/next") as r:
        event = json.loads(r.read())
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
    ride = int((event.get("queryStringParameters") or {}).get("ride_request_id", "0"))
    fare = "%d.%012d" % (ride % 90 + 3, (ride * 7919 + 13) % 10**12)
    answer = {"statusCode": 200, "headers": {"Content-Type": "application/json"},
              "body": '{"ride_request_id": %d, "expected_fare": %s}' % (ride, fare)}
    req = urllib.request.Request(base + "/invocation/" + rid + "/response",
                                 data=json.dumps(answer).encode(), method="POST")
    urllib.request.urlopen(req).read()
"#;

/// The fare text [`EXACT_FARE_API`] answers for a ride.
fn fare_text(ride: u64) -> String {
    format!(
        "{}.{:012}",
        ride % 90 + 3,
        (ride * 7919 + 13) % 1_000_000_000_000
    )
}

fn flaky_zip() -> Vec<u8> {
    function_zip(FLAKY_FARE_API)
}

fn function_zip(code: &str) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buf);
    let opts = zip::write::SimpleFileOptions::default().unix_permissions(0o755);
    zip.start_file("bootstrap", opts).expect("zip entry");
    zip.write_all(code.as_bytes()).expect("zip write");
    zip.finish().expect("zip finish");
    buf.into_inner()
}

fn ride(id: u64) -> serde_json::Value {
    serde_json::json!({
        "trip_id": id, "ride_request_id": id, "vehicle_id": id % 50,
        "pickup_datetime": "2026-11-29T10:00:00Z", "pickup_latitude": 40.7,
        "pickup_longitude": -73.9, "passenger_count": 1,
    })
}

/// Every enriched object's body, by ride id.
async fn enriched_bodies(c: &Clients, bucket: &str) -> BTreeMap<u64, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut token = None;
    loop {
        let page =
            c.s3.list_objects_v2()
                .bucket(bucket)
                .prefix("enriched/")
                .set_continuation_token(token)
                .send()
                .await
                .expect("ListObjectsV2");
        for key in page.contents().iter().filter_map(|o| o.key()) {
            let id: u64 = key
                .rsplit("ride-")
                .next()
                .and_then(|n| n.strip_suffix(".json"))
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("an enriched ride's key: {key}"));
            let body =
                c.s3.get_object()
                    .bucket(bucket)
                    .key(key)
                    .send()
                    .await
                    .expect("GetObject")
                    .body;
            out.insert(
                id,
                body.collect().await.expect("body").into_bytes().to_vec(),
            );
        }
        match page.next_continuation_token() {
            Some(t) => token = Some(t.to_string()),
            None => return out,
        }
    }
}

/// How many objects are under `enriched/`.
async fn enriched_count(c: &Clients, bucket: &str) -> usize {
    let mut n = 0;
    let mut token = None;
    loop {
        let page =
            c.s3.list_objects_v2()
                .bucket(bucket)
                .prefix("enriched/")
                .set_continuation_token(token)
                .send()
                .await
                .expect("ListObjectsV2");
        n += page.contents().len();
        match page.next_continuation_token() {
            Some(t) => token = Some(t.to_string()),
            None => return n,
        }
    }
}

/// Significant digits of a JSON number's text.
fn significant_digits(number: &str) -> usize {
    let mantissa = number.split(['e', 'E']).next().unwrap_or_default();
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    digits.trim_start_matches('0').len()
}

/// Ride ids of the enriched objects, with the fare each holds.
async fn enriched(c: &Clients, bucket: &str) -> Vec<(u64, f64)> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page =
            c.s3.list_objects_v2()
                .bucket(bucket)
                .prefix("enriched/")
                .set_continuation_token(token)
                .send()
                .await
                .expect("ListObjectsV2");
        for key in page.contents().iter().filter_map(|o| o.key()) {
            let body =
                c.s3.get_object()
                    .bucket(bucket)
                    .key(key)
                    .send()
                    .await
                    .expect("GetObject")
                    .body;
            let v: serde_json::Value =
                serde_json::from_slice(&body.collect().await.expect("body").into_bytes())
                    .expect("an enriched ride");
            out.push((
                v["ride_request_id"].as_u64().expect("ride_request_id"),
                v["expected_fare"].as_f64().expect("expected_fare"),
            ));
        }
        match page.next_continuation_token() {
            Some(t) => token = Some(t.to_string()),
            None => return out,
        }
    }
}

/// Ride ids inside the batches the failure queue names (their records read
/// back from the stream by shard and sequence range).
async fn in_failed_batches(c: &Clients, queue: &str, stream: &str) -> BTreeSet<u64> {
    let mut out = BTreeSet::new();
    let got = c
        .sqs
        .receive_message()
        .queue_url(queue)
        .max_number_of_messages(10)
        .visibility_timeout(0)
        .send()
        .await
        .expect("ReceiveMessage");
    for m in got.messages() {
        let record: serde_json::Value =
            serde_json::from_str(m.body().unwrap_or_default()).expect("an invocation record");
        let info = &record["KinesisBatchInfo"];
        let (shard, first, last) = (
            info["shardId"].as_str().expect("shardId"),
            info["startSequenceNumber"].as_str().expect("start"),
            info["endSequenceNumber"].as_str().expect("end"),
        );
        let iterator = c
            .kinesis
            .get_shard_iterator()
            .stream_name(stream)
            .shard_id(shard)
            .shard_iterator_type(aws_sdk_kinesis::types::ShardIteratorType::AtSequenceNumber)
            .starting_sequence_number(first)
            .send()
            .await
            .expect("GetShardIterator")
            .shard_iterator
            .expect("an iterator");
        let records = c
            .kinesis
            .get_records()
            .shard_iterator(iterator)
            .limit(10_000)
            .send()
            .await
            .expect("GetRecords");
        let last: u128 = last.parse().expect("a sequence number");
        for r in records.records() {
            if r.sequence_number()
                .parse::<u128>()
                .expect("a sequence number")
                > last
            {
                break;
            }
            let v: serde_json::Value = serde_json::from_slice(r.data().as_ref()).expect("a ride");
            out.insert(v["ride_request_id"].as_u64().expect("an id"));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn every_sampled_ride_is_enriched_or_in_a_failed_batch_when_the_fare_api_fails() {
    let live = Live::start();
    let c = Clients::new(&live.emu, "us-east-1").await;
    let vpc = format!("ProducerVpcId={}", default_vpc(&c).await);
    let subnet = format!("ProducerSubnetId={}", default_subnet(&c).await);
    live.deploy(
        "4",
        &["us-east-1"],
        &["--parameter", &vpc, "--parameter", &subnet],
    );
    let outputs = stack_outputs(&c, "streamkit-pattern-4").await;
    let (stream, bucket, processor) = (
        &outputs["StreamName"],
        &outputs["OutputBucketName"],
        &outputs["ProcessorName"],
    );

    // The fault: the fare API's code fails on purpose. The operator's knobs:
    // a shorter enrichment timeout and one retry, so failures end quickly.
    let fare_fn = c
        .cfn
        .describe_stack_resource()
        .stack_name("streamkit-pattern-4")
        .logical_resource_id("FareFunction")
        .send()
        .await
        .expect("DescribeStackResource FareFunction")
        .stack_resource_detail()
        .and_then(|r| r.physical_resource_id())
        .expect("the fare API function")
        .to_string();
    c.lambda
        .update_function_code()
        .function_name(&fare_fn)
        .zip_file(aws_sdk_lambda::primitives::Blob::new(flaky_zip()))
        .send()
        .await
        .expect("UpdateFunctionCode");
    c.lambda
        .update_function_configuration()
        .function_name(processor)
        .timeout(12)
        .send()
        .await
        .expect("UpdateFunctionConfiguration");
    let mapping = c
        .lambda
        .list_event_source_mappings()
        .function_name(processor)
        .send()
        .await
        .expect("ListEventSourceMappings")
        .event_source_mappings()[0]
        .uuid()
        .expect("a mapping")
        .to_string();
    c.lambda
        .update_event_source_mapping()
        .uuid(&mapping)
        .maximum_retry_attempts(1)
        .send()
        .await
        .expect("UpdateEventSourceMapping");

    let entries = (1..=RIDES)
        .map(|id| (id.to_string(), ride(id).to_string().into_bytes()))
        .collect();
    put_every(&c.kinesis, stream, entries).await;

    let sampled: BTreeSet<u64> = (1..=RIDES).filter(|id| id % SAMPLE_EVERY == 0).collect();
    let doomed: BTreeSet<u64> = sampled
        .iter()
        .copied()
        .filter(|id| always_fails(*id))
        .collect();
    let queue = &outputs["FailureQueueUrl"];
    let (done, failed) = wait_for(
        "every sampled ride enriched or in a failed batch",
        Duration::from_secs(420),
        || async {
            let done: BTreeSet<u64> = enriched(&c, bucket)
                .await
                .iter()
                .map(|(id, _)| *id)
                .collect();
            let failed = in_failed_batches(&c, queue, stream).await;
            let accounted = sampled
                .iter()
                .all(|id| done.contains(id) || failed.contains(id));
            (accounted && doomed.iter().all(|id| failed.contains(id))).then_some((done, failed))
        },
    )
    .await;
    for (id, fare) in enriched(&c, bucket).await {
        assert_eq!(id % SAMPLE_EVERY, 0, "only sampled rides are enriched");
        assert_eq!(
            fare,
            id as f64 / 2.0,
            "ride {id}: the fare the API answered"
        );
    }
    assert!(
        doomed.iter().all(|id| !done.contains(id)),
        "a ride whose call always fails is never enriched"
    );
    let lost: Vec<&u64> = sampled
        .iter()
        .filter(|id| !done.contains(id) && !failed.contains(id))
        .collect();
    assert!(
        lost.is_empty(),
        "lost rides {lost:?}; log:\n{}",
        log_tail(&c, processor, 40).await
    );
    assert!(
        done.len() >= sampled.len() - doomed.len(),
        "rides whose calls only failed at random are enriched after retries: {} of {}",
        done.len(),
        sampled.len() - doomed.len()
    );
}

const EXACT_RIDES: u64 = 3000;

/// Issue 25: the enriched object is the ride request exactly as it was on
/// the stream, with the fare's text as the API wrote it added. Every ride is
/// sampled (SAMPLE_EVERY=1) and its coordinates carry 15-17 significant
/// digits (the producer's generator): each object is compared byte for byte
/// with the record put, so every untouched value's text is checked.
#[tokio::test(flavor = "multi_thread")]
async fn enriched_rides_keep_every_input_value_byte_for_byte() {
    let live = Live::start();
    let c = Clients::new(&live.emu, "us-east-1").await;
    let vpc = format!("ProducerVpcId={}", default_vpc(&c).await);
    let subnet = format!("ProducerSubnetId={}", default_subnet(&c).await);
    live.deploy(
        "4",
        &["us-east-1"],
        &["--parameter", &vpc, "--parameter", &subnet],
    );
    let outputs = stack_outputs(&c, "streamkit-pattern-4").await;
    let (stream, bucket, processor) = (
        &outputs["StreamName"],
        &outputs["OutputBucketName"],
        &outputs["ProcessorName"],
    );
    let fare_fn = c
        .cfn
        .describe_stack_resource()
        .stack_name("streamkit-pattern-4")
        .logical_resource_id("FareFunction")
        .send()
        .await
        .expect("DescribeStackResource FareFunction")
        .stack_resource_detail()
        .and_then(|r| r.physical_resource_id())
        .expect("the fare API function")
        .to_string();
    c.lambda
        .update_function_code()
        .function_name(&fare_fn)
        .zip_file(aws_sdk_lambda::primitives::Blob::new(function_zip(
            EXACT_FARE_API,
        )))
        .send()
        .await
        .expect("UpdateFunctionCode");
    // Every ride sampled: the operator's SAMPLE_EVERY, the rest as deployed.
    let config = c
        .lambda
        .get_function_configuration()
        .function_name(processor)
        .send()
        .await
        .expect("GetFunctionConfiguration");
    let mut env = config
        .environment()
        .and_then(|e| e.variables())
        .cloned()
        .unwrap_or_default();
    assert_eq!(env.get("SAMPLE_EVERY").map(String::as_str), Some("20"));
    env.insert("SAMPLE_EVERY".into(), "1".into());
    c.lambda
        .update_function_configuration()
        .function_name(processor)
        .environment(
            aws_sdk_lambda::types::Environment::builder()
                .set_variables(Some(env))
                .build(),
        )
        .send()
        .await
        .expect("UpdateFunctionConfiguration");

    let mut generator =
        streamkit_core::events::Generator::new(streamkit_core::events::EventKind::Rides, Some(25));
    let rides: Vec<Vec<u8>> = (0..EXACT_RIDES)
        .map(|_| generator.next_event(chrono::Utc::now()).data)
        .collect();
    let mut digits = BTreeMap::<usize, usize>::new();
    for r in &rides {
        let text = std::str::from_utf8(r).expect("UTF-8");
        for f in ["pickup_latitude", "pickup_longitude"] {
            // The number's text as put (not re-serialized).
            let at = text.find(&format!("\"{f}\":")).expect("the field") + f.len() + 3;
            let number = text[at..].split([',', '}']).next().unwrap_or_default();
            *digits.entry(significant_digits(number)).or_default() += 1;
        }
    }
    // Shortest round-trip texts of random doubles near 40.7 and -73.9: most
    // have 15-17 significant digits (a few happen to need fewer).
    let in_range: usize = (15..=17).filter_map(|d| digits.get(&d)).sum();
    assert!(
        in_range as u64 >= 2 * EXACT_RIDES * 95 / 100 && digits.get(&17).is_some_and(|n| *n > 500),
        "coordinates with 15-17 significant digits: {digits:?}"
    );
    let entries = rides
        .iter()
        .enumerate()
        .map(|(i, data)| ((i + 1).to_string(), data.clone()))
        .collect();
    put_every(&c.kinesis, stream, entries).await;

    let started = std::time::Instant::now();
    wait_for("every ride enriched", Duration::from_secs(900), || async {
        (enriched_count(&c, bucket).await as u64 >= EXACT_RIDES).then_some(())
    })
    .await;
    eprintln!(
        "{EXACT_RIDES} rides enriched in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let got = enriched_bodies(&c, bucket).await;
    assert_eq!(got.len() as u64, EXACT_RIDES);
    let mut differ = Vec::new();
    for (i, input) in rides.iter().enumerate() {
        let id = i as u64 + 1;
        let want = format!(
            "{},\"expected_fare\":{}}}",
            std::str::from_utf8(&input[..input.len() - 1]).expect("UTF-8"),
            fare_text(id)
        );
        let body = got.get(&id).map(|b| String::from_utf8_lossy(b).to_string());
        if body.as_deref() != Some(want.as_str()) {
            differ.push((id, body, want));
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {EXACT_RIDES} enriched objects differ from their input; first: {:?}; log:\n{}",
        differ.len(),
        differ.first(),
        log_tail(&c, processor, 20).await
    );
    live.least_privilege(
        "streamkit-pattern-4",
        "4",
        &[
            "ProcessorRole",
            "FareFunctionRole",
            "ApiGatewayCloudWatchRole",
        ],
    )
    .await;
}
