//! A shard whose mapping started after some of its records (LATEST): at the
//! shard's first commit the processor asks how many records came before the
//! first one it got and reports them; later batches do not ask again.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use streamkit_core::poller::ShardInfo;
use streamkit_core::progress::MemoryStore;
use streamkit_core::runner::{ingest, Topology};
use streamkit_core::CoreError;
use streamkit_core::StreamRecord;
use streamkit_processor::ingest::Windows;
use streamkit_processor::sink::MemorySink;
use streamkit_processor::ProcessorConfig;

/// One shard; `before` records on it before any the processor gets.
struct Started {
    before: u64,
    asked: AtomicU32,
}

impl Topology for Started {
    async fn shards(&self) -> Result<Vec<ShardInfo>, CoreError> {
        Ok(vec![ShardInfo {
            shard_id: "shardId-000000000000".into(),
            parents: vec![],
        }])
    }

    async fn records_before(&self, shard_id: &str, seq: &str) -> Result<u64, CoreError> {
        assert_eq!((shard_id, seq), ("shardId-000000000000", "1000"));
        self.asked.fetch_add(1, Ordering::SeqCst);
        Ok(self.before)
    }
}

fn tick(seq: u64) -> StreamRecord {
    StreamRecord {
        shard_id: "shardId-000000000000".into(),
        sequence_number: seq.to_string(),
        partition_key: "AMZN".into(),
        data: br#"{"EVENT_TIME":"2026-11-23T10:00:00.123Z","TICKER":"AMZN","PRICE":50.12}"#
            .to_vec(),
        approximate_arrival: None,
    }
}

#[tokio::test]
async fn records_before_the_first_delivered_one_are_reported_once() {
    let (store, sink) = (MemoryStore::new(), MemorySink::default());
    let cfg = ProcessorConfig::new("bucket", "table");
    let topology = Started {
        before: 10,
        asked: AtomicU32::new(0),
    };
    let shard = "shardId-000000000000";
    let now = 1_795_428_000_000;
    let windows = Windows::new(&store, &sink, &cfg);
    let first = ingest(&windows, &topology, shard, &[tick(1000), tick(1001)], now)
        .await
        .unwrap();
    assert_eq!(first.before_start, 10);
    let second = ingest(&windows, &topology, shard, &[tick(1002)], now)
        .await
        .unwrap();
    assert_eq!(second.before_start, 0);
    assert_eq!(
        topology.asked.load(Ordering::SeqCst),
        1,
        "asked at the first commit only"
    );

    // A fixed topology (the local runner's) knows of none.
    let fixed: BTreeMap<String, Vec<String>> = BTreeMap::from([(shard.to_string(), vec![])]);
    let other = MemoryStore::new();
    let done = ingest(
        &Windows::new(&other, &sink, &cfg),
        &fixed,
        shard,
        &[tick(1000)],
        now,
    )
    .await
    .unwrap();
    assert_eq!(done.before_start, 0);
}
