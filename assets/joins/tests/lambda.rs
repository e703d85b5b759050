//! The Lambda entry (the core runner's `lambda::handle` driving the join) with the payloads Lambda sends: a
//! Kinesis batch whose output write fails part-way reports the first record
//! it did not commit as the batch item failure, and the retry from there
//! (what the event source mapping does) ends with every item joined once; a
//! scheduled EventBridge event runs the emitter alone and reports the items
//! whose order never came. State in the core's in-memory store; ListShards
//! (for the shard's parents) against the emulator.

use base64::Engine;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU32, Ordering};
use streamkit_core::progress::MemoryStore;
use streamkit_core::runner::lambda::handle;
use streamkit_joins::ingest::Joins;
use streamkit_joins::join::EnrichedRow;
use streamkit_joins::page::PAGE_ORDERS;
use streamkit_joins::reference::Source;
use streamkit_joins::sink::{MemorySink, RowsWritten, Sink};
use streamkit_joins::{JoinsConfig, JoinsError};
use streamkit_testkit::Emulator;

/// The products file, always the same.
struct Fixed;

impl Source for Fixed {
    async fn etag(&self) -> Result<Option<String>, String> {
        Ok(Some("e1".into()))
    }
    async fn fetch(&self) -> Result<(Vec<u8>, Option<String>), String> {
        Ok((
            br#"{"productId":1,"productName":"Lamp","productPrice":9.99}"#.to_vec(),
            Some("e1".into()),
        ))
    }
    fn name(&self) -> String {
        "fixed".into()
    }
}

/// Fails the second rows call (after writing nothing of it).
struct FailSecond {
    inner: MemorySink,
    calls: AtomicU32,
}

impl Sink for FailSecond {
    async fn rows(&self, rows: &[EnrichedRow]) -> Result<RowsWritten, JoinsError> {
        if self.calls.fetch_add(1, Ordering::Relaxed) == 1 {
            return Err(JoinsError::Output {
                table: "out".into(),
                message: "throttled".into(),
            });
        }
        self.inner.rows(rows).await
    }
    async fn file(&self, key: &str, lines: &[String]) -> Result<(), JoinsError> {
        self.inner.file(key, lines).await
    }
}

fn record(shard: &str, seq: u64, data: &str) -> Value {
    let seq = format!("4954511524349098501828006771497314458218006259{seq:09}");
    json!({
        "kinesis": {
            "kinesisSchemaVersion": "1.0", "partitionKey": "k", "sequenceNumber": seq,
            "data": base64::engine::general_purpose::STANDARD.encode(data),
            "approximateArrivalTimestamp": 1795946400.123
        },
        "eventSource": "aws:kinesis", "eventVersion": "1.0",
        "eventID": format!("{shard}:{seq}"), "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/r", "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/orders"
    })
}

fn order(id: u64) -> String {
    format!(
        r#"{{"orderId":{id},"orderAmount":10.00,"orderStatus":"PAID","orderDateTime":"2026-11-23T10:00:00.000Z","recordType":"Order"}}"#
    )
}

fn item(order: u64) -> String {
    format!(
        r#"{{"orderId":{order},"itemId":1,"itemAmount":9.99,"itemQuantity":1,"itemStatus":"NEW","orderDateTime":"2026-11-23T10:00:00.000Z","recordType":"OrderItem"}}"#
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_write_retries_from_the_first_uncommitted_record_and_the_schedule_emits() {
    let emu = Emulator::start();
    let kinesis = aws_sdk_kinesis::Client::new(&emu.sdk_config("us-east-1").await);
    kinesis
        .create_stream()
        .stream_name("orders")
        .shard_count(1)
        .send()
        .await
        .unwrap();
    let shard = kinesis
        .list_shards()
        .stream_name("orders")
        .send()
        .await
        .unwrap()
        .shards()[0]
        .shard_id()
        .to_string();
    // 200 orders with one item each (joined at once), then an item whose
    // order never comes. Each order on its own state page, so the batch
    // takes several commits (a commit writes at most 98 pages).
    let mut records = Vec::new();
    for n in 1..=200u64 {
        let id = n * PAGE_ORDERS;
        records.push(record(&shard, 2 * n, &order(id)));
        records.push(record(&shard, 2 * n + 1, &item(id)));
    }
    records.push(record(&shard, 1000, &item(999)));
    let store = MemoryStore::new();
    let sink = FailSecond {
        inner: MemorySink::default(),
        calls: AtomicU32::new(0),
    };
    let mut cfg = JoinsConfig::new("state", "out", "bucket");
    cfg.idle_shard_timeout = std::time::Duration::from_secs(1);
    let joins = Joins::with_source(&store, &sink, &cfg, &Fixed);
    let now = 1_795_946_400_000;

    let handled = handle(&joins, json!({ "Records": records }), &kinesis, now)
        .await
        .unwrap();
    let failures = &handled.response.batch_item_failures;
    assert_eq!(failures.len(), 1, "one failure: where to resume");
    let resume = failures[0].item_identifier.clone().unwrap();
    let at = records
        .iter()
        .position(|r| r["kinesis"]["sequenceNumber"] == resume)
        .unwrap();
    assert!(at > 0, "the first chunk was committed");
    let written_before = sink.inner.all_rows().len();
    assert!(written_before > 0 && written_before < 200);

    // Lambda retries the batch from the failed record (and, bisecting, may
    // send records already applied again: they are skipped).
    let retry: Vec<Value> = records[at.saturating_sub(5)..].to_vec();
    let handled = handle(&joins, json!({ "Records": retry }), &kinesis, now)
        .await
        .unwrap();
    assert!(handled.response.batch_item_failures.is_empty());
    let rows = sink.inner.all_rows();
    assert_eq!(rows.len(), 200, "every item joined once");
    assert!(rows
        .values()
        .all(|r| r.product.as_ref().unwrap().name.as_deref() == Some("Lamp")));
    assert_eq!(
        handled.counts.duplicates, 0,
        "re-sent records are skipped by the checkpoint"
    );
    assert!(
        sink.inner.lines("unmatched/").is_empty(),
        "order 999's item still waits"
    );

    // The schedule, with the stream quiet: the watermark follows the clock.
    let scheduled = json!({
        "version": "0", "id": "1", "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "time": "2026-11-23T10:00:00Z", "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/emit"], "detail": {}
    });
    let handled = handle(&joins, scheduled, &kinesis, now + 600_000)
        .await
        .unwrap();
    assert_eq!(handled.counts.items_unmatched, 1);
    let lines = sink.inner.lines("unmatched/");
    assert_eq!(lines.len(), 1);
    let line: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(
        (line["reason"].as_str(), line["order_id"].as_u64()),
        (Some("order_not_found"), Some(999))
    );
}
