//! Helpers for the replicator tests: stream and table setup, reading a
//! stream back and Lambda event fixtures (the fault-injecting proxy is
//! `streamkit_testkit::proxy`).

#![allow(dead_code)]

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use aws_sdk_kinesis::types::StreamMode;
use aws_sdk_kinesis::types::StreamModeDetails;
use base64::Engine;
use streamkit_core::poller::{ShardPoller, StartPosition};
use streamkit_core::KinesisEvent;
use streamkit_core::StreamRecord;

pub const STREAM: &str = "orders";
pub const CONFIG_TABLE: &str = "streamkit-active-region";
pub const CHECKPOINT_TABLE: &str = "streamkit-replication-checkpoint";

pub async fn create_stream(cfg: &SdkConfig, shards: i32) {
    aws_sdk_kinesis::Client::new(cfg)
        .create_stream()
        .stream_name(STREAM)
        .shard_count(shards)
        .stream_mode_details(
            StreamModeDetails::builder()
                .stream_mode(StreamMode::Provisioned)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("create stream");
}

pub async fn create_tables(cfg: &SdkConfig) {
    let ddb = aws_sdk_dynamodb::Client::new(cfg);
    let attr = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    let key = |n: &str, t: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
            .unwrap()
    };
    ddb.create_table()
        .table_name(CONFIG_TABLE)
        .attribute_definitions(attr("streamName"))
        .key_schema(key("streamName", KeyType::Hash))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("config table");
    ddb.create_table()
        .table_name(CHECKPOINT_TABLE)
        .attribute_definitions(attr("streamName"))
        .attribute_definitions(attr("shardId"))
        .key_schema(key("streamName", KeyType::Hash))
        .key_schema(key("shardId", KeyType::Range))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("checkpoint table");
}

pub async fn set_active_region(cfg: &SdkConfig, region: &str) {
    aws_sdk_dynamodb::Client::new(cfg)
        .put_item()
        .table_name(CONFIG_TABLE)
        .item("streamName", AttributeValue::S(STREAM.into()))
        .item("activeRegion", AttributeValue::S(region.into()))
        .send()
        .await
        .expect("seed config");
}

/// Every record of the stream, per shard in order, read until a round is empty.
pub async fn read_all(cfg: &SdkConfig) -> Vec<StreamRecord> {
    let client = aws_sdk_kinesis::Client::new(cfg);
    let mut poller = ShardPoller::open(&client, STREAM, &StartPosition::default())
        .await
        .expect("open poller");
    let mut out = Vec::new();
    loop {
        let batches = poller.poll(10_000).await.expect("poll");
        let n: usize = batches.iter().map(|b| b.records.len()).sum();
        if n == 0 {
            return out;
        }
        for b in batches {
            out.extend(b.records);
        }
    }
}

/// (key, data) in order per key.
pub fn by_key(records: &[StreamRecord]) -> std::collections::BTreeMap<String, Vec<Vec<u8>>> {
    let mut map = std::collections::BTreeMap::<String, Vec<Vec<u8>>>::new();
    for r in records {
        map.entry(r.partition_key.clone())
            .or_default()
            .push(r.data.clone());
    }
    map
}

/// A Lambda Kinesis event in the real JSON shape, parsed as the functions parse it.
pub fn lambda_event(region: &str, records: &[StreamRecord]) -> KinesisEvent {
    let recs: Vec<serde_json::Value> = records
        .iter()
        .map(|r| {
            serde_json::json!({
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": r.partition_key,
                    "sequenceNumber": r.sequence_number,
                    "data": base64::engine::general_purpose::STANDARD.encode(&r.data),
                    "approximateArrivalTimestamp": r.approximate_arrival.unwrap_or(1_700_000_000.0)
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": format!("{}:{}", r.shard_id, r.sequence_number),
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": "arn:aws:iam::123456789012:role/replicator",
                "awsRegion": region,
                "eventSourceARN": format!("arn:aws:kinesis:{region}:123456789012:stream/{STREAM}")
            })
        })
        .collect();
    serde_json::from_value(serde_json::json!({ "Records": recs })).expect("a valid Kinesis event")
}

/// Test payloads: JSON CDC records, binary bytes and KPL-aggregated records, over a few keys.
pub fn payloads(n: usize) -> Vec<streamkit_core::putrecords::OutRecord> {
    (0..n)
        .map(|i| {
            let key = format!("key-{}", i % 7);
            let data = match i % 3 {
                0 => format!(
                    "{{\"key\": {i}, \"commitTimestamp\": \"2021-11-10T00:{:02}:{:02}Z\"}}",
                    i / 60 % 60,
                    i % 60
                )
                .into_bytes(),
                1 => vec![0xFF, 0x00, 0xFE, (i % 256) as u8, (i / 256) as u8],
                _ => {
                    let a = format!("a{i}");
                    let b = format!("b{i}");
                    streamkit_core::kpl::aggregate([
                        (key.as_str(), None, a.as_bytes()),
                        (key.as_str(), None, b.as_bytes()),
                    ])
                    .unwrap()
                    .data
                }
            };
            streamkit_core::putrecords::OutRecord {
                partition_key: key,
                explicit_hash_key: None,
                data,
            }
        })
        .collect()
}

/// Whether `sub` occurs in `seq` in order (not necessarily contiguous).
pub fn is_subsequence(sub: &[Vec<u8>], seq: &[Vec<u8>]) -> bool {
    let mut it = seq.iter();
    sub.iter().all(|x| it.any(|y| y == x))
}
