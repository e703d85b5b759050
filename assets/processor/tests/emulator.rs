//! The processor against the emulator: Parquet on S3, read back with the
//! `parquet` crate; known aggregates; a re-run leaves the same objects.

use aws_lambda_events::event::kinesis::KinesisTimeWindowEvent;
use aws_sdk_kinesis::primitives::Blob;
use base64::Engine;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::RowAccessor;
use std::collections::BTreeMap;
use std::time::Duration;
use streamkit_processor::local::{run_local, LocalOptions};
use streamkit_processor::metrics::{self, BatchCounts};
use streamkit_processor::{lambda, ProcessorConfig};
use streamkit_testkit::Emulator;

const BUCKET: &str = "aggregates";

#[derive(Debug, PartialEq)]
struct Row {
    ticker: String,
    start: String,
    count: i64,
    min: f64,
    max: f64,
    avg: f64,
    last: f64,
}

fn tick(time: &str, ticker: &str, price: f64) -> Vec<u8> {
    format!("{{\"EVENT_TIME\": \"{time}\", \"TICKER\": \"{ticker}\", \"PRICE\": {price}}}")
        .into_bytes()
}

/// The known input: two windows of AMZN and AAPL, plus junk.
fn input() -> Vec<(String, Vec<u8>)> {
    vec![
        (
            "AMZN".into(),
            tick("2026-11-23T10:00:01.000Z", "AMZN", 10.0),
        ),
        (
            "AMZN".into(),
            tick("2026-11-23T10:00:30.000Z", "AMZN", 30.0),
        ),
        ("AAPL".into(), tick("2026-11-23T10:00:05.000Z", "AAPL", 5.0)),
        (
            "AMZN".into(),
            tick("2026-11-23T10:00:20.000Z", "AMZN", 20.0),
        ),
        ("AMZN".into(), b"not json".to_vec()),
        (
            "AMZN".into(),
            br#"{"EVENT_TIME": "2026-11-23T10:00:02Z", "TICKER": "AMZN", "PRICE": "cheap"}"#
                .to_vec(),
        ),
        (
            "AMZN".into(),
            tick("2026-11-23T10:01:10.000Z", "AMZN", 40.0),
        ),
        ("AAPL".into(), tick("2026-11-23T11:59:59.999Z", "AAPL", 7.0)),
        // Late: its window [10:00, 10:01) closed when 11:59 was seen.
        ("AAPL".into(), tick("2026-11-23T10:00:50.000Z", "AAPL", 6.0)),
    ]
}

fn expected() -> Vec<Row> {
    let row = |ticker: &str, start: &str, count, min, max, avg, last| Row {
        ticker: ticker.into(),
        start: start.into(),
        count,
        min,
        max,
        avg,
        last,
    };
    let mut rows = vec![
        row("AAPL", "2026-11-23T10:00:00Z", 1, 5.0, 5.0, 5.0, 5.0),
        row("AMZN", "2026-11-23T10:00:00Z", 3, 10.0, 30.0, 20.0, 30.0),
        row("AMZN", "2026-11-23T10:01:00Z", 1, 40.0, 40.0, 40.0, 40.0),
        row("AAPL", "2026-11-23T11:59:00Z", 1, 7.0, 7.0, 7.0, 7.0),
    ];
    rows.sort_by(|a, b| (&a.start, &a.ticker).cmp(&(&b.start, &b.ticker)));
    rows
}

async fn setup(emu: &Emulator) -> (aws_sdk_kinesis::Client, aws_sdk_s3::Client) {
    let cfg = emu.sdk_config("us-east-1").await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&cfg)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    (aws_sdk_kinesis::Client::new(&cfg), s3)
}

fn config() -> ProcessorConfig {
    ProcessorConfig {
        prefix: "aggregates/".into(),
        window: Duration::from_secs(60),
        stack_name: "st".into(),
        ..ProcessorConfig::new(BUCKET)
    }
}

/// Every object: key → bytes.
async fn objects(s3: &aws_sdk_s3::Client) -> BTreeMap<String, Vec<u8>> {
    let list = s3.list_objects_v2().bucket(BUCKET).send().await.unwrap();
    let mut out = BTreeMap::new();
    for o in list.contents() {
        let key = o.key().unwrap().to_string();
        let body = s3
            .get_object()
            .bucket(BUCKET)
            .key(&key)
            .send()
            .await
            .unwrap()
            .body
            .collect()
            .await
            .unwrap();
        out.insert(key, body.into_bytes().to_vec());
    }
    out
}

fn rows(objects: &BTreeMap<String, Vec<u8>>) -> Vec<Row> {
    let mut out = Vec::new();
    for bytes in objects.values() {
        let reader =
            SerializedFileReader::new(bytes::Bytes::from(bytes.clone())).expect("a Parquet file");
        for row in reader.get_row_iter(None).unwrap() {
            let row = row.unwrap();
            let start =
                chrono::DateTime::from_timestamp_millis(row.get_timestamp_millis(1).unwrap())
                    .unwrap();
            out.push(Row {
                ticker: row.get_string(0).unwrap().clone(),
                start: start.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                count: row.get_long(3).unwrap(),
                min: row.get_double(4).unwrap(),
                max: row.get_double(5).unwrap(),
                avg: row.get_double(6).unwrap(),
                last: row.get_double(7).unwrap(),
            });
        }
    }
    out.sort_by(|a, b| (&a.start, &a.ticker).cmp(&(&b.start, &b.ticker)));
    out
}

#[tokio::test]
async fn local_runner_writes_known_aggregates_and_a_rerun_overwrites() {
    let emu = Emulator::start();
    let (kinesis, s3) = setup(&emu).await;
    kinesis
        .create_stream()
        .stream_name("ticks")
        .shard_count(1)
        .send()
        .await
        .unwrap();
    for (key, data) in input() {
        kinesis
            .put_record()
            .stream_name("ticks")
            .partition_key(key)
            .data(Blob::new(data))
            .send()
            .await
            .unwrap();
    }
    let mut opts = LocalOptions::new("ticks");
    opts.stop_when_caught_up = true;
    opts.batch_limit = 3;
    let summary = run_local(&kinesis, &s3, &config(), &opts).await.unwrap();
    assert_eq!(
        (summary.records, summary.malformed, summary.late),
        (9, 2, 1)
    );

    let first = objects(&s3).await;
    assert_eq!(rows(&first), expected());
    let keys: Vec<&String> = first.keys().collect();
    assert_eq!(keys.len(), 3, "one object per window: {keys:?}");
    assert!(keys[0].starts_with("aggregates/year=2026/month=11/day=23/hour=10/shardId-000000000000_20261123T100000000Z_"), "{keys:?}");
    assert!(
        keys[2].starts_with("aggregates/year=2026/month=11/day=23/hour=11/"),
        "{keys:?}"
    );

    // The same input again: the same keys, byte-identical, no duplicates.
    let again = run_local(&kinesis, &s3, &config(), &opts).await.unwrap();
    assert_eq!(again.files, summary.files);
    assert_eq!(objects(&s3).await, first);
}

fn window_event(
    records: &[(String, Vec<u8>)],
    first_seq: u64,
    state: Option<&str>,
    final_invoke: bool,
) -> KinesisTimeWindowEvent {
    let recs: Vec<serde_json::Value> = records
        .iter()
        .enumerate()
        .map(|(i, (key, data))| {
            let seq = format!("4954{:040}", first_seq + i as u64);
            serde_json::json!({
                "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": key, "sequenceNumber": seq,
                            "data": base64::engine::general_purpose::STANDARD.encode(data),
                            "approximateArrivalTimestamp": 1795946400.5},
                "eventSource": "aws:kinesis", "eventVersion": "1.0", "eventID": format!("shardId-000000000001:{seq}"),
                "eventName": "aws:kinesis:record", "invokeIdentityArn": "arn:aws:iam::123456789012:role/p",
                "awsRegion": "us-east-1", "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/ticks"
            })
        })
        .collect();
    let state = match state {
        Some(s) => serde_json::json!({ "windows": s }),
        None => serde_json::Value::Null,
    };
    serde_json::from_value(serde_json::json!({
        "Records": recs,
        "window": {"start": "2026-11-23T10:05:00Z", "end": "2026-11-23T10:06:00Z"},
        "state": state,
        "shardId": "shardId-000000000001",
        "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/ticks",
        "isFinalInvokeForWindow": final_invoke,
        "isWindowTerminatedEarly": false
    }))
    .expect("a tumbling-window Kinesis event")
}

#[tokio::test]
async fn lambda_handler_carries_state_and_writes_the_same_aggregates() {
    let emu = Emulator::start();
    let (_, s3) = setup(&emu).await;
    let input = input();
    let (head, tail) = input.split_at(4);
    let handled = lambda::handle(window_event(head, 1, None, false), &s3, &config())
        .await
        .unwrap();
    assert!(objects(&s3).await.is_empty(), "no window closed yet");
    assert_eq!(
        handled.counts,
        BatchCounts {
            records_in: 4,
            ..BatchCounts::default()
        }
    );
    let first = handled.response;
    let state = first
        .state
        .get(lambda::STATE_KEY)
        .expect("state carried")
        .clone();
    let done = lambda::handle(window_event(tail, 5, Some(&state), true), &s3, &config())
        .await
        .unwrap();
    let (counts, done) = (done.counts, done.response);
    assert!(done.state.is_empty() && done.batch_item_failures.is_empty());
    let written = objects(&s3).await;
    assert_eq!(rows(&written), expected());
    // Tail: 2 junk, 1 late, 2 accepted; the final invocation writes all four
    // ticker windows as three objects (one per window start).
    let bytes: usize = written.values().map(Vec::len).sum();
    assert_eq!(
        counts,
        BatchCounts {
            records_in: 5,
            late_records: 1,
            malformed_records: 2,
            windows_emitted: 4,
            objects_written: 3,
            bytes_written: bytes as u64,
        }
    );
    // The data the invocation would publish.
    let data = metrics::metric_data(&counts, "st");
    let value = |name: &str| {
        data.iter()
            .find(|d| d.metric_name() == Some(name))
            .and_then(|d| d.value())
    };
    assert_eq!(value("RecordsIn"), Some(5.0));
    assert_eq!(value("BytesWritten"), Some(bytes as f64));
    // A retried final invocation rewrites the same objects.
    lambda::handle(window_event(tail, 5, Some(&state), true), &s3, &config())
        .await
        .unwrap();
    assert_eq!(objects(&s3).await, written);
    // Lambda reads the response in this shape.
    let json = serde_json::to_value(&first).unwrap();
    assert!(json["state"]["windows"].is_string() && json["batchItemFailures"].is_array());
}
