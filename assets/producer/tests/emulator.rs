//! The producer against the emulator: records read back intact, in order per key.

use clap::Parser;
use std::collections::BTreeMap;
use streamkit_core::events::StockTick;
use streamkit_core::poller::{ShardPoller, StartPosition};
use streamkit_core::{kpl, StreamRecord};
use streamkit_producer::{replay, run, ProducerArgs};
use streamkit_testkit::Emulator;

async fn stream(emu: &Emulator, name: &str, shards: i32) -> aws_sdk_kinesis::Client {
    let client = aws_sdk_kinesis::Client::new(&emu.sdk_config("us-east-1").await);
    client
        .create_stream()
        .stream_name(name)
        .shard_count(shards)
        .send()
        .await
        .unwrap();
    client
}

async fn read_all(client: &aws_sdk_kinesis::Client, name: &str) -> Vec<StreamRecord> {
    let mut poller = ShardPoller::open(client, name, &StartPosition::default())
        .await
        .unwrap();
    let mut out = Vec::new();
    loop {
        let batches = poller.poll(10_000).await.unwrap();
        if batches.iter().all(|b| b.records.is_empty()) {
            return out;
        }
        out.extend(batches.into_iter().flat_map(|b| b.records));
    }
}

fn args(extra: &[&str]) -> ProducerArgs {
    let mut argv = vec!["streamkit-producer", "--stream", "s", "--rate", "5000"];
    argv.extend_from_slice(extra);
    ProducerArgs::parse_from(argv)
}

#[tokio::test]
async fn replayed_lines_arrive_intact_and_in_order_per_key() {
    let emu = Emulator::start();
    let client = stream(&emu, "s", 3).await;
    let lines: Vec<String> = (0..400)
        .map(|i| {
            format!(
                "{{\"TICKER\":\"T{}\",\"seq\":{i},\"EVENT_TIME\":\"2026-11-23T10:00:{:02}.000Z\"}}",
                i % 9,
                i / 10
            )
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ticks.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let text = replay::load_text(path.to_str().unwrap(), None)
        .await
        .unwrap();
    let set = replay::parse(&text, Some("EVENT_TIME"), None);
    // 40 s of data at speedup 1000: 40 ms.
    let a = args(&[
        "--replay",
        "x",
        "--speedup",
        "1000",
        "--timestamp-field",
        "EVENT_TIME",
        "--hash-keys",
        "partition-key",
    ]);
    let mut progress = Vec::new();
    let summary = run(&a, &client, Some(set), &mut progress).await.unwrap();
    assert!(summary.all_delivered(), "{summary}");
    assert_eq!(summary.delivered, 400);
    assert!(String::from_utf8(progress).unwrap().contains("sent=400"));

    let got = read_all(&client, "s").await;
    let mut per_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &got {
        per_key
            .entry(r.partition_key.clone())
            .or_default()
            .push(String::from_utf8(r.data.clone()).unwrap());
    }
    let mut want: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, l) in lines.iter().enumerate() {
        want.entry(format!("T{}", i % 9))
            .or_default()
            .push(l.clone());
    }
    assert_eq!(per_key, want, "bytes unchanged, order per key kept");
}

#[tokio::test]
async fn aggregated_generated_ticks_deaggregate_to_every_record() {
    let emu = Emulator::start();
    let client = stream(&emu, "s", 2).await;
    let a = args(&[
        "--count",
        "1000",
        "--aggregate",
        "--kind",
        "ticks",
        "--seed",
        "7",
    ]);
    let summary = run(&a, &client, None, &mut std::io::sink()).await.unwrap();
    assert!(summary.all_delivered(), "{summary}");
    assert_eq!(summary.records, 1000);
    assert!(
        summary.kinesis_records < 100,
        "aggregation packs records: {summary}"
    );
    let got = read_all(&client, "s").await;
    assert_eq!(got.len() as u64, summary.kinesis_records);
    let mut users = 0;
    for r in &got {
        assert!(kpl::is_aggregated(&r.data));
        for u in kpl::deaggregate(&r.partition_key, None, &r.data) {
            let tick: StockTick = serde_json::from_slice(&u.data).expect("a stock tick");
            assert!(tick.event_time().is_some() && (0.0..=100.0).contains(&tick.price));
            assert_eq!(u.partition_key, tick.ticker);
            users += 1;
        }
    }
    assert_eq!(users, 1000);
}

#[tokio::test]
async fn missing_stream_is_reported_as_not_delivered() {
    let emu = Emulator::start();
    let client = aws_sdk_kinesis::Client::new(&emu.sdk_config("us-east-1").await);
    let a = args(&["--count", "10", "--kind", "cdc", "--max-attempts", "2"]);
    let summary = run(&a, &client, None, &mut std::io::sink()).await.unwrap();
    assert!(!summary.all_delivered());
    assert_eq!(summary.failed, 10);
}
