//! Pattern 3 deployed with the real `streamkit deploy`: records put on the
//! stream appear as GZIP objects under the hourly time prefix of their
//! arrival, holding exactly the records that were put.

use std::io::Read;
use std::time::Duration;

use crate::support::{output, read_stream, wait_for, Live};
use aws_sdk_kinesis::primitives::Blob;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread")]
async fn pattern_3_delivers_the_records_put_on_its_stream_to_s3() {
    let live = Live::start();
    let outputs = live.deploy_with(
        "3",
        &["BufferingInterval=1".into(), "BufferingSize=1".into()],
    );
    let (stream, bucket) = (
        output(&outputs, "StreamName"),
        output(&outputs, "OutputBucketName"),
    );
    let (kinesis, s3) = live.kinesis_s3().await;

    let sent: Vec<Value> = (0..25)
        .map(|i| {
            let ticker = ["AAPL", "AMZN", "MSFT"][i % 3];
            json!({"EVENT_TIME": format!("2026-11-23T10:00:{i:02}.000Z"), "TICKER": ticker, "PRICE": i as f64 + 0.5})
        })
        .collect();
    for (i, record) in sent.iter().enumerate() {
        kinesis
            .put_record()
            .stream_name(&stream)
            .partition_key(format!("k{i}"))
            .data(Blob::new(record.to_string()))
            .send()
            .await
            .expect("PutRecord");
    }
    let arrivals = read_stream(&kinesis, &stream).await;
    assert_eq!(arrivals.len(), sent.len());

    let objects = wait_for("the records in S3", Duration::from_secs(60), || async {
        let listed = s3
            .list_objects_v2()
            .bucket(&bucket)
            .prefix("data/")
            .send()
            .await
            .ok()?;
        let mut objects = Vec::new();
        for o in listed.contents() {
            let key = o.key()?.to_string();
            let body = s3
                .get_object()
                .bucket(&bucket)
                .key(&key)
                .send()
                .await
                .ok()?
                .body
                .collect()
                .await
                .ok()?;
            objects.push((key, body.into_bytes().to_vec()));
        }
        let count: usize = objects.iter().map(|(_, b)| records_in(b).len()).sum();
        (count >= sent.len()).then_some(objects)
    })
    .await;

    let mut got = Vec::new();
    for (key, body) in &objects {
        // Firehose's hourly prefix of the oldest record's arrival, its object name, GZIP.
        let hours: Vec<String> = arrivals
            .iter()
            .map(|r| {
                let t: DateTime<Utc> = r.arrival.into();
                t.format("data/year=%Y/month=%m/day=%d/hour=%H/")
                    .to_string()
            })
            .collect();
        assert!(
            hours.iter().any(|h| key.starts_with(h.as_str())),
            "{key} not under {hours:?}"
        );
        let name = key.rsplit('/').next().unwrap_or_default();
        assert!(
            name.ends_with(".gz") && name.contains("-1-"),
            "object name {name}"
        );
        got.extend(records_in(body));
    }
    let mut expected: Vec<String> = sent.iter().map(Value::to_string).collect();
    let mut got: Vec<String> = got.iter().map(Value::to_string).collect();
    expected.sort();
    got.sort();
    assert_eq!(got, expected, "the delivered records are the ones put");
    let rows = live
        .least_privilege("streamkit-pattern-3", "3", &["DeliveryRole"])
        .await;
    eprintln!(
        "{}",
        crate::support::least_privilege::table("streamkit-pattern-3", &rows)
    );
}

/// The JSON records of a GZIP object (Firehose concatenates them as they came).
fn records_in(gzipped: &[u8]) -> Vec<Value> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(gzipped)
        .read_to_string(&mut text)
        .expect("a GZIP object");
    serde_json::Deserializer::from_str(&text)
        .into_iter::<Value>()
        .map(|v| v.expect("JSON records"))
        .collect()
}
