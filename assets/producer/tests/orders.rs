//! `--kind orders` through the real binary against the emulator: every
//! planned record arrives on its orderId's shard in send order, the products
//! file lands in S3 and the records file holds exactly what was sent.

use std::collections::BTreeMap;
use std::process::Command;
use streamkit_core::poller::{ShardPoller, StartPosition};
use streamkit_testkit::Emulator;

#[tokio::test(flavor = "multi_thread")]
async fn orders_kind_sends_orders_items_and_writes_products() {
    let emu = Emulator::start();
    let cfg = emu.sdk_config("us-east-1").await;
    let kinesis = aws_sdk_kinesis::Client::new(&cfg);
    let s3 = streamkit_core::aws::s3_client(&cfg);
    kinesis
        .create_stream()
        .stream_name("orders")
        .shard_count(2)
        .send()
        .await
        .unwrap();
    s3.create_bucket().bucket("ref").send().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let records = dir.path().join("records.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_streamkit-producer"))
        .args(["--stream", "orders", "--kind", "orders", "--count", "40"])
        .args(["--rate", "2000", "--seed", "5", "--items-first", "0.5"])
        .args(["--missing-orders", "0.1", "--duplicates", "0.1"])
        .args(["--products-out", "s3://ref/products.json"])
        .arg("--records-out")
        .arg(&records)
        .envs(emu.env())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let sent: Vec<String> = std::fs::read_to_string(&records)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert!(sent.len() > 80, "{}", sent.len());
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("delivered={}", sent.len())));

    let products = s3
        .get_object()
        .bucket("ref")
        .key("products.json")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    let products = String::from_utf8(products.to_vec()).unwrap();
    assert_eq!(products.lines().count(), 1000);

    // Read everything back: per orderId, the records in send order, one shard each.
    let mut poller = ShardPoller::open(&kinesis, "orders", &StartPosition::default())
        .await
        .unwrap();
    let mut got: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    loop {
        let batches = poller.poll(1000).await.unwrap();
        if batches.iter().all(|b| b.records.is_empty()) {
            break;
        }
        for b in batches {
            for r in b.records {
                let e = got
                    .entry(r.partition_key.clone())
                    .or_insert_with(|| (b.shard_id.clone(), Vec::new()));
                assert_eq!(e.0, b.shard_id, "one shard per orderId");
                e.1.push(String::from_utf8(r.data).unwrap());
            }
        }
    }
    let mut want: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in &sent {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        want.entry(v["orderId"].to_string())
            .or_default()
            .push(line.clone());
    }
    let got: BTreeMap<String, Vec<String>> = got.into_iter().map(|(k, v)| (k, v.1)).collect();
    assert_eq!(got, want);
}
