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
    live.least_privilege("streamkit-pattern-3", "3", &["DeliveryRole"])
        .await;
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

/// "Update behaviors of stack resources" (CloudFormation User Guide) and
/// "UpdateShardCount" (Kinesis API Reference): `ShardCount` is not a
/// create-only property of `AWS::Kinesis::Stream`, so `streamkit deploy
/// --parameter ShardCount=4` (from the default 2) reshards the stream in place; the delivery stream,
/// whose properties do not change, keeps its physical id and goes on reading
/// (the closed parent shard keeps its records, the children get the new ones):
/// every record put before, during and after the update reaches S3, once.
#[tokio::test(flavor = "multi_thread")]
async fn a_shard_count_update_under_traffic_keeps_the_delivery_stream_and_every_record() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use crate::support::common::stack_resources;
    use crate::support::{Clients, REGION};

    let live = Live::start();
    let buffering = [
        "BufferingInterval=1".to_string(),
        "BufferingSize=1".to_string(),
    ];
    let outputs = live.deploy_with("3", &buffering);
    let (stream, bucket) = (
        output(&outputs, "StreamName"),
        output(&outputs, "OutputBucketName"),
    );
    let c = Clients::new(&live.emu, REGION).await;
    let ids = |resources: Vec<crate::support::common::StackResource>| {
        resources
            .into_iter()
            .map(|r| (r.logical_id, r.physical_id))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let before = ids(stack_resources(&c, "streamkit-pattern-3").await);

    // Traffic before, during and after the update: one record every 20 ms.
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let writer = {
        let (kinesis, stream, stop, sent) = (
            c.kinesis.clone(),
            stream.clone(),
            stop.clone(),
            sent.clone(),
        );
        tokio::spawn(async move {
            let mut n = 0usize;
            while !stop.load(Ordering::SeqCst) {
                let record = json!({"n": n, "TICKER": "AMZN"});
                kinesis
                    .put_record()
                    .stream_name(&stream)
                    .partition_key(format!("k{n}"))
                    .data(Blob::new(record.to_string()))
                    .send()
                    .await
                    .expect("PutRecord");
                n += 1;
                sent.store(n, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            n
        })
    };
    wait_for(
        "records put before the update",
        Duration::from_secs(30),
        || async { (sent.load(Ordering::SeqCst) >= 30).then_some(()) },
    )
    .await;
    let update = {
        let mut extra = vec!["--parameter".to_string(), "ShardCount=4".to_string()];
        for p in &buffering {
            extra.extend(["--parameter".to_string(), p.clone()]);
        }
        extra
    };
    let args: Vec<&str> = update.iter().map(String::as_str).collect();
    live.deploy_expecting("3", &[REGION], &args, "updated");
    let at_update = sent.load(Ordering::SeqCst);
    wait_for(
        "records put after the update",
        Duration::from_secs(30),
        || async { (sent.load(Ordering::SeqCst) >= at_update + 30).then_some(()) },
    )
    .await;
    stop.store(true, Ordering::SeqCst);
    let total = writer.await.expect("the writer");

    let after = ids(stack_resources(&c, "streamkit-pattern-3").await);
    assert_eq!(after, before, "every resource keeps its physical id");
    let shards = c
        .kinesis
        .describe_stream_summary()
        .stream_name(&stream)
        .send()
        .await
        .expect("DescribeStreamSummary");
    assert_eq!(
        shards
            .stream_description_summary()
            .unwrap()
            .open_shard_count(),
        4
    );

    let (_, s3) = live.kinesis_s3().await;
    let delivered = wait_for("every record in S3", Duration::from_secs(120), || async {
        let listed = s3
            .list_objects_v2()
            .bucket(&bucket)
            .prefix("data/")
            .send()
            .await
            .ok()?;
        let mut got = Vec::new();
        for o in listed.contents() {
            let body = s3
                .get_object()
                .bucket(&bucket)
                .key(o.key()?)
                .send()
                .await
                .ok()?;
            got.extend(records_in(&body.body.collect().await.ok()?.into_bytes()));
        }
        (got.len() >= total).then_some(got)
    })
    .await;
    let mut got: Vec<u64> = delivered
        .iter()
        .map(|v| v["n"].as_u64().expect("n"))
        .collect();
    got.sort_unstable();
    let expected: Vec<u64> = (0..total as u64).collect();
    assert_eq!(got, expected, "every record put, once");
}
