//! The replicator between two regions of one emulator.

mod common;

use aws_sdk_dynamodb::types::AttributeValue;
use common::*;
use std::time::Duration;
use streamkit_core::putrecords::{self, RetryPolicy};
use streamkit_replicator::checkpoint::{self, sequence_key};
use streamkit_replicator::{lambda, Clients, Replicator, ReplicatorConfig};
use streamkit_testkit::proxy::Capture;
use streamkit_testkit::Emulator;

const A: &str = "us-east-1";
const B: &str = "us-west-2";

fn config(local: &str, target: &str) -> ReplicatorConfig {
    let mut c = ReplicatorConfig::new(STREAM, local, target, CONFIG_TABLE, CHECKPOINT_TABLE);
    c.retry = RetryPolicy {
        max_attempts: 20,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(20),
        keep_key_order: true,
    };
    c
}

struct Setup {
    emu: Emulator,
    a: aws_config::SdkConfig,
    b: aws_config::SdkConfig,
}

async fn setup(source_records: usize) -> Setup {
    let emu = Emulator::start();
    let a = emu.sdk_config(A).await;
    let b = emu.sdk_config(B).await;
    create_stream(&a, 3).await;
    create_stream(&b, 2).await;
    create_tables(&a).await;
    set_active_region(&a, A).await;
    let out = putrecords::put_records(
        &aws_sdk_kinesis::Client::new(&a),
        STREAM,
        &payloads(source_records),
        &RetryPolicy::default(),
    )
    .await;
    assert!(out.all_delivered(), "source written: {out:?}");
    Setup { emu, a, b }
}

fn group_by_shard(
    records: &[streamkit_core::StreamRecord],
) -> Vec<Vec<streamkit_core::StreamRecord>> {
    let mut shards: std::collections::BTreeMap<String, Vec<_>> = Default::default();
    for r in records {
        shards
            .entry(r.shard_id.clone())
            .or_default()
            .push(r.clone());
    }
    shards.into_values().collect()
}

#[tokio::test]
async fn replicates_bytes_keys_and_order_with_monotonic_checkpoints() {
    let s = setup(300).await;
    let source = read_all(&s.a).await;
    assert_eq!(source.len(), 300);
    let replicator = Replicator::new(Clients::from_sdk_config(&s.a, B), config(A, B));

    // Each shard's records in two Lambda batches, as an event source mapping would deliver them.
    let shards = group_by_shard(&source);
    assert!(shards.len() > 1, "records spread over several shards");
    for shard in &shards {
        let half = shard.len() / 2;
        for part in [&shard[..half], &shard[half..]] {
            let resp = lambda::handle(lambda_event(A, part), &replicator)
                .await
                .expect("handler");
            assert!(resp.batch_item_failures.is_empty());
        }
    }

    let dest = read_all(&s.b).await;
    assert_eq!(dest.len(), source.len(), "nothing lost, nothing duplicated");
    assert_eq!(
        by_key(&dest),
        by_key(&source),
        "identical bytes and keys, order per key"
    );

    // One checkpoint per shard, at the shard's last record.
    let ddb = aws_sdk_dynamodb::Client::new(&s.a);
    let cps = checkpoint::read_all(&ddb, CHECKPOINT_TABLE, STREAM)
        .await
        .unwrap();
    assert_eq!(cps.len(), shards.len());
    for shard in &shards {
        let last = shard.last().unwrap();
        let cp = cps
            .iter()
            .find(|c| c.shard_id == last.shard_id)
            .expect("checkpoint per shard");
        assert_eq!(cp.sequence_number, last.sequence_number);
        assert_eq!(cp.records_replicated, shard.len() as u64);
        assert_eq!(cp.source_region, A);
        assert!(cp.approximate_arrival.is_some());
    }
    assert!(
        cps.iter().any(|c| c.commit_timestamp.is_some()),
        "commitTimestamp of the CDC payloads recorded"
    );

    // A redelivered older batch does not move the checkpoint backwards.
    let shard = &shards[0];
    let report = replicator
        .replicate_shard(&shard[0].shard_id, &shard[..1])
        .await
        .unwrap();
    assert!(report.active && !report.checkpoint_advanced);
    let again = checkpoint::read_all(&ddb, CHECKPOINT_TABLE, STREAM)
        .await
        .unwrap();
    let cp = again
        .iter()
        .find(|c| c.shard_id == shard[0].shard_id)
        .unwrap();
    assert_eq!(cp.sequence_number, shard.last().unwrap().sequence_number);
    assert!(sequence_key(&cp.sequence_number) > sequence_key(&shard[0].sequence_number));

    drop(s.emu);
}

#[tokio::test]
async fn lag_metric_is_published_with_put_metric_data() {
    // moto does not speak CloudWatch's rpc-v2-cbor protocol: capture the call instead.
    let s = setup(12).await;
    let capture = Capture::start();
    let mut clients = Clients::from_sdk_config(&s.a, B);
    let cw_cfg = s.a.to_builder().endpoint_url(capture.endpoint()).build();
    clients.cloudwatch = aws_sdk_cloudwatch::Client::new(&cw_cfg);
    let replicator = Replicator::new(clients, config(A, B));
    let source = read_all(&s.a).await;
    let shard = group_by_shard(&source).remove(0);
    let report = replicator
        .replicate_shard(&shard[0].shard_id, &shard)
        .await
        .unwrap();
    assert!(report.lag_seconds.is_some_and(|l| l >= 0.0));
    let calls = capture.calls();
    assert_eq!(calls.len(), 1);
    let (path, body) = &calls[0];
    assert!(path.ends_with("/operation/PutMetricData"), "{path}");
    for needle in [
        "Streamkit/Replication",
        "ReplicationLagSeconds",
        "RecordsReplicated",
        "StreamName",
        STREAM,
    ] {
        assert!(
            body.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{needle} in the request"
        );
    }
    drop(s.emu);
}

#[tokio::test]
async fn passive_region_does_nothing_and_failover_is_seen() {
    let s = setup(30).await;
    let source = read_all(&s.a).await;
    // The replicator of region B would write back to A: it must stay idle while A is active.
    let in_b = Replicator::new(Clients::from_sdk_config(&s.a, A), config(B, A));
    let resp = lambda::handle(lambda_event(B, &source), &in_b)
        .await
        .unwrap();
    assert!(resp.batch_item_failures.is_empty());
    assert_eq!(read_all(&s.a).await.len(), 30, "nothing written back to A");
    assert!(read_all(&s.b).await.is_empty());
    let ddb = aws_sdk_dynamodb::Client::new(&s.a);
    assert!(checkpoint::read_all(&ddb, CHECKPOINT_TABLE, STREAM)
        .await
        .unwrap()
        .is_empty());

    // After a flip (cache TTL zero here), A's replicator is the passive one.
    let in_a = Replicator::new(Clients::from_sdk_config(&s.a, B), config(A, B));
    assert!(in_a.is_active().await.unwrap());
    set_active_region(&s.a, B).await;
    assert!(!in_a.is_active().await.unwrap());
    assert!(in_b.is_active().await.unwrap());
    let report = in_a
        .replicate_shard(&source[0].shard_id, &source[..5])
        .await
        .unwrap();
    assert!(!report.active);
    assert!(read_all(&s.b).await.is_empty());
}

#[tokio::test]
async fn lambda_does_not_send_back_what_arrived_before_its_region_became_active() {
    // B's stream holds records that came from A (they arrived before B took over).
    let s = setup(0).await;
    create_tables(&s.b).await;
    let dest_b = aws_sdk_kinesis::Client::new(&s.b);
    let copies =
        putrecords::put_records(&dest_b, STREAM, &payloads(12), &RetryPolicy::default()).await;
    assert!(copies.all_delivered());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let since = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let fresh =
        putrecords::put_records(&dest_b, STREAM, &payloads(7), &RetryPolicy::default()).await;
    assert!(fresh.all_delivered());
    aws_sdk_dynamodb::Client::new(&s.b)
        .put_item()
        .table_name(CONFIG_TABLE)
        .item("streamName", AttributeValue::S(STREAM.into()))
        .item("activeRegion", AttributeValue::S(B.into()))
        .item("activeSince", AttributeValue::N(format!("{since:.3}")))
        .send()
        .await
        .expect("flip to B");

    let in_b = Replicator::new(Clients::from_sdk_config(&s.b, A), config(B, A));
    let in_stream = read_all(&s.b).await;
    assert_eq!(in_stream.len(), 19);
    for shard in group_by_shard(&in_stream) {
        let resp = lambda::handle(lambda_event(B, &shard), &in_b)
            .await
            .unwrap();
        assert!(resp.batch_item_failures.is_empty());
    }
    let sent_back = read_all(&s.a).await;
    assert_eq!(
        sent_back.len(),
        7,
        "only what arrived after the flip goes to A"
    );
    let fresh_payloads: Vec<Vec<u8>> = in_stream
        .iter()
        .filter(|r| r.approximate_arrival.is_some_and(|at| at >= since))
        .map(|r| r.data.clone())
        .collect();
    let mut got: Vec<Vec<u8>> = sent_back.iter().map(|r| r.data.clone()).collect();
    let mut want = fresh_payloads;
    got.sort();
    want.sort();
    assert_eq!(got, want);
    // Every shard's checkpoint is at its last record, skipped ones included.
    let cps = checkpoint::read_all(
        &aws_sdk_dynamodb::Client::new(&s.b),
        CHECKPOINT_TABLE,
        STREAM,
    )
    .await
    .unwrap();
    for shard in group_by_shard(&in_stream) {
        let last = shard.last().unwrap();
        let cp = cps
            .iter()
            .find(|c| c.shard_id == last.shard_id && c.source_region == B)
            .expect("checkpoint per shard");
        assert_eq!(cp.sequence_number, last.sequence_number);
    }
}

/// The cut-off at `activeSince` holds within one second, whatever digits the
/// arrival times have (Lambda drops trailing zeros: `.5`, `.98`).
#[tokio::test]
async fn the_activation_cut_off_is_exact_below_one_second() {
    let s = setup(0).await;
    create_tables(&s.b).await;
    aws_sdk_dynamodb::Client::new(&s.b)
        .put_item()
        .table_name(CONFIG_TABLE)
        .item("streamName", AttributeValue::S(STREAM.into()))
        .item("activeRegion", AttributeValue::S(B.into()))
        .item("activeSince", AttributeValue::N("1700000000.3".into()))
        .send()
        .await
        .expect("B active since .3");
    let record = |seq: u32, arrival: f64| streamkit_core::StreamRecord {
        shard_id: "shardId-000000000000".into(),
        sequence_number: format!("4960{seq:04}"),
        partition_key: format!("key-{seq}"),
        data: format!("arrived {arrival}").into_bytes(),
        approximate_arrival: Some(arrival),
    };
    let shard = [
        record(1, 1_700_000_000.2),
        record(2, 1_700_000_000.5),
        record(3, 1_700_000_000.98),
        record(4, 1_700_000_001.05),
    ];
    let in_b = Replicator::new(Clients::from_sdk_config(&s.b, A), config(B, A));
    let resp = lambda::handle(lambda_event(B, &shard), &in_b)
        .await
        .unwrap();
    assert!(resp.batch_item_failures.is_empty());
    let mut sent: Vec<Vec<u8>> = read_all(&s.a).await.into_iter().map(|r| r.data).collect();
    sent.sort();
    let want: Vec<Vec<u8>> = shard[1..].iter().map(|r| r.data.clone()).collect();
    assert_eq!(
        sent, want,
        "everything that arrived after .3 is sent, nothing before"
    );
}

#[tokio::test]
async fn missing_config_item_is_an_error_not_a_skip() {
    let emu = Emulator::start();
    let a = emu.sdk_config(A).await;
    create_tables(&a).await;
    let r = Replicator::new(Clients::from_sdk_config(&a, B), config(A, B));
    let err = r.is_active().await.unwrap_err().to_string();
    assert!(
        err.contains(CONFIG_TABLE) && err.contains("activeRegion"),
        "{err}"
    );
}

/// After a failover, the new active region must not keep believing it is
/// passive for the cache's lifetime: records it skips as passive are
/// acknowledged and never replicated (they would be lost).
#[tokio::test]
async fn a_cached_passive_answer_is_not_trusted_after_a_failover() {
    let s = setup(0).await;
    let cfg = config(B, A);
    let in_b = Replicator::new(Clients::from_sdk_config(&s.a, A), cfg);
    assert!(!in_b.is_active().await.unwrap(), "A is active at first");

    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        - 1.0;
    aws_sdk_dynamodb::Client::new(&s.a)
        .put_item()
        .table_name(CONFIG_TABLE)
        .item("streamName", AttributeValue::S(STREAM.into()))
        .item("activeRegion", AttributeValue::S(B.into()))
        .item("activeSince", AttributeValue::N(format!("{since:.3}")))
        .send()
        .await
        .expect("flip to B");
    let out = putrecords::put_records(
        &aws_sdk_kinesis::Client::new(&s.b),
        STREAM,
        &payloads(9),
        &RetryPolicy::default(),
    )
    .await;
    assert!(out.all_delivered());

    for shard in group_by_shard(&read_all(&s.b).await) {
        let resp = lambda::handle(lambda_event(B, &shard), &in_b)
            .await
            .unwrap();
        assert!(resp.batch_item_failures.is_empty());
    }
    assert_eq!(
        read_all(&s.a).await.len(),
        9,
        "every record written to B after the flip reaches A within the cache's lifetime"
    );
}
