//! The cross-region stack on the emulator for tests through the CLI: both
//! regions deployed and seeded, records produced and read back, checkpoints,
//! and the `streamkit` binary pointed at the emulator.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;
use streamkit_core::events::{EventKind, Generator};
use streamkit_core::poller::{ShardPoller, StartPosition};
use streamkit_core::putrecords::{put_records, OutRecord, RetryPolicy};
use streamkit_core::StreamRecord;
use streamkit_replicator::checkpoint;
use streamkit_testkit::Emulator;

use super::{create_stack, render, Clients};

pub const A: &str = "us-east-1";
pub const B: &str = "us-west-2";
pub const STACK: &str = "sk-xr-ops";
pub const STREAM: &str = "sk-ops";
pub const CONFIG_TABLE: &str = "sk-ops-replication-config";
pub const CHECKPOINT_TABLE: &str = "sk-ops-replication-checkpoints";
/// Partition keys the records are spread over (3 shards per stream).
pub const KEYS: usize = 8;

/// `streamkit local replicate` arguments for the test stack in `regions`,
/// then `extra`.
pub fn replicate_args<'a>(regions: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "local",
        "replicate",
        "--stack-name",
        STACK,
        "--regions",
        regions,
    ];
    args.extend_from_slice(extra);
    args
}

/// Deploys the cross-region stack in A (primary) and B (secondary), 3 shards
/// each, and seeds the config item with A active in both table replicas (the
/// emulator does not replicate items between them).
pub async fn deploy_pair(emu: &Emulator) -> (Clients, Clients) {
    let a = Clients::new(emu, A).await;
    let b = Clients::new(emu, B).await;
    let template = render("cross-region", &[]);
    for (c, role, peer) in [(&a, "primary", B), (&b, "secondary", A)] {
        let params = [
            ("RegionRole", role),
            ("StreamName", STREAM),
            ("PeerRegion", peer),
            ("ShardCount", "3"),
        ];
        create_stack(c, STACK, &template, &params).await;
    }
    for c in [&a, &b] {
        set_config(c, Some(AttributeValue::S(A.into()))).await;
        // The local runner is the replicator of these tests: `local
        // replicate` refuses to run beside an enabled deployed one.
        pause_replicator(c, STACK).await;
    }
    (a, b)
}

/// Disables the deployed replicator's event source mapping of `stack` in
/// `c`'s region, as `local replicate`'s refusal tells a user to.
pub async fn pause_replicator(c: &Clients, stack: &str) {
    let uuid = c
        .cfn
        .describe_stack_resource()
        .stack_name(stack)
        .logical_resource_id("ReplicatorEventSourceMapping")
        .send()
        .await
        .expect("DescribeStackResource ReplicatorEventSourceMapping")
        .stack_resource_detail()
        .and_then(|d| d.physical_resource_id())
        .expect("the replicator's mapping")
        .to_string();
    c.lambda
        .update_event_source_mapping()
        .uuid(&uuid)
        .enabled(false)
        .send()
        .await
        .expect("UpdateEventSourceMapping Enabled=false");
}

/// Parses the CLI's JSON result (the first NDJSON line: an error object may
/// follow it); panics with the text when it is not JSON.
pub fn json_of(text: &str) -> Value {
    let first = text.lines().next().unwrap_or_default();
    serde_json::from_str(first).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// `n` CDC records (JSON with commitTimestamp) over `KEYS` keys; `tag` makes payloads unique per batch.
pub fn cdc_records(n: usize, tag: &str) -> Vec<OutRecord> {
    let mut g = Generator::new(EventKind::Cdc, Some(7));
    (0..n)
        .map(|i| {
            let e = g.next_event(chrono::Utc::now());
            let mut v: Value = serde_json::from_slice(&e.data).unwrap();
            v["batch"] = format!("{tag}-{i}").into();
            OutRecord {
                partition_key: format!("customer-{}", i % KEYS),
                explicit_hash_key: None,
                data: serde_json::to_vec(&v).unwrap(),
            }
        })
        .collect()
}

/// Writes the records in order, at most 1,000 a second: the emulator
/// enforces Kinesis' per-shard write limit (1,000 records/s), and a throttled
/// key-ordered retry would re-send later records of the key (duplicates the
/// tests do not expect in the source stream).
pub async fn produce(cfg: &aws_config::SdkConfig, records: &[OutRecord]) {
    let client = aws_sdk_kinesis::Client::new(cfg);
    for chunk in records.chunks(1000) {
        let started = std::time::Instant::now();
        let out = put_records(&client, STREAM, chunk, &RetryPolicy::default()).await;
        assert!(out.all_delivered(), "produced: {out:?}");
        assert_eq!(out.duplicates, 0, "produced without throttling: {out:?}");
        if chunk.len() == 1000 {
            let pace = std::time::Duration::from_secs(1).saturating_sub(started.elapsed());
            tokio::time::sleep(pace).await;
        }
    }
}

pub async fn read_all(cfg: &aws_config::SdkConfig) -> Vec<StreamRecord> {
    let client = aws_sdk_kinesis::Client::new(cfg);
    let mut poller = ShardPoller::open(&client, STREAM, &StartPosition::default())
        .await
        .expect("open poller");
    let mut out = Vec::new();
    loop {
        let batches = poller.poll(10_000).await.expect("poll");
        if batches.iter().all(|b| b.records.is_empty()) {
            return out;
        }
        for b in batches {
            out.extend(b.records);
        }
    }
}

/// (key -> payloads in stream order) of the records.
pub fn by_key<'a>(
    records: impl IntoIterator<Item = &'a StreamRecord>,
) -> BTreeMap<String, Vec<Vec<u8>>> {
    group(records.into_iter().map(|r| (&r.partition_key, &r.data)))
}

/// (key -> payloads in order) of records to produce.
pub fn by_key_out(records: &[OutRecord]) -> BTreeMap<String, Vec<Vec<u8>>> {
    group(records.iter().map(|r| (&r.partition_key, &r.data)))
}

/// Removes re-sent copies, keeping each payload's last copy (the replicator
/// re-sends a suffix of a key's records after a throttled or failed entry,
/// so the last copies are in source order).
pub fn without_resent(map: BTreeMap<String, Vec<Vec<u8>>>) -> BTreeMap<String, Vec<Vec<u8>>> {
    map.into_iter()
        .map(|(key, copies)| {
            let mut seen = std::collections::HashSet::new();
            let mut out: Vec<Vec<u8>> = copies
                .into_iter()
                .rev()
                .filter(|d| seen.insert(d.clone()))
                .collect();
            out.reverse();
            (key, out)
        })
        .collect()
}

fn group<'a>(
    pairs: impl Iterator<Item = (&'a String, &'a Vec<u8>)>,
) -> BTreeMap<String, Vec<Vec<u8>>> {
    let mut map = BTreeMap::<String, Vec<Vec<u8>>>::new();
    for (key, data) in pairs {
        map.entry(key.clone()).or_default().push(data.clone());
    }
    map
}

pub async fn set_config(c: &Clients, value: Option<AttributeValue>) {
    match value {
        Some(v) => {
            c.dynamodb
                .put_item()
                .table_name(CONFIG_TABLE)
                .item("streamName", AttributeValue::S(STREAM.into()))
                .item("activeRegion", v)
                .send()
                .await
                .expect("put config");
        }
        None => {
            c.dynamodb
                .delete_item()
                .table_name(CONFIG_TABLE)
                .key("streamName", AttributeValue::S(STREAM.into()))
                .send()
                .await
                .expect("delete config");
        }
    }
}

pub async fn config_item(c: &Clients) -> Option<BTreeMap<String, AttributeValue>> {
    c.dynamodb
        .get_item()
        .table_name(CONFIG_TABLE)
        .key("streamName", AttributeValue::S(STREAM.into()))
        .consistent_read(true)
        .send()
        .await
        .expect("get config")
        .item()
        .map(|m| m.clone().into_iter().collect())
}

pub async fn checkpoints(c: &Clients) -> BTreeMap<String, String> {
    checkpoint::read_all(&c.dynamodb, CHECKPOINT_TABLE, STREAM)
        .await
        .expect("checkpoints")
        .into_iter()
        .filter(|cp| cp.source_region == c.region)
        .map(|cp| (cp.shard_id, cp.sequence_number))
        .collect()
}
