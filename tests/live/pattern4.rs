//! Pattern 4 live: the deployed enrichment Lambda samples ride requests and
//! asks the deployed fare API (API Gateway, IAM + API key, Lambda proxy) for
//! each sampled ride, through the local API URL the emulator maps the
//! template's execute-api URL to. The fare API is made to fail: its function
//! code is replaced by one that answers 500 for a third of the calls at random
//! and always for a few rides. Every sampled ride then ends either enriched in
//! S3 (with the fare the API answered) or inside a batch the failure queue
//! names; none is lost.

use std::collections::BTreeSet;
use std::io::Write;
use std::time::Duration;

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;

use crate::support::common::{default_subnet, default_vpc};
use crate::support::{log_tail, stack_outputs, wait_for, Clients, Live};

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

fn flaky_zip() -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buf);
    let opts = zip::write::SimpleFileOptions::default().unix_permissions(0o755);
    zip.start_file("bootstrap", opts).expect("zip entry");
    zip.write_all(FLAKY_FARE_API.as_bytes()).expect("zip write");
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

    for chunk in (1..=RIDES).collect::<Vec<_>>().chunks(250) {
        let entries: Vec<PutRecordsRequestEntry> = chunk
            .iter()
            .map(|id| {
                PutRecordsRequestEntry::builder()
                    .partition_key(id.to_string())
                    .data(Blob::new(ride(*id).to_string()))
                    .build()
                    .expect("an entry")
            })
            .collect();
        let out = c
            .kinesis
            .put_records()
            .stream_name(stream)
            .set_records(Some(entries))
            .send()
            .await
            .expect("PutRecords");
        assert_eq!(out.failed_record_count(), Some(0));
    }

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
