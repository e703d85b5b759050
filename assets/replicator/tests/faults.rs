//! Fault injection: a proxy in front of the emulator rejects PutRecords
//! entries the way throttling does.

mod common;

use common::*;
use std::time::Duration;
use streamkit_core::putrecords::{self, RetryPolicy};
use streamkit_replicator::{checkpoint, lambda, Clients, Replicator, ReplicatorConfig};
use streamkit_testkit::proxy::{FaultProxy, Faults, Reject};
use streamkit_testkit::Emulator;

const A: &str = "us-east-1";
const B: &str = "us-west-2";

async fn replicator_through(emu: &Emulator, proxy_endpoint: &str, max_attempts: u32) -> Replicator {
    let a = emu.sdk_config(A).await;
    let mut clients = Clients::from_sdk_config(&a, B);
    let through_proxy = streamkit_core::aws::for_region(&a, B)
        .to_builder()
        .endpoint_url(proxy_endpoint)
        .build();
    clients.destination = aws_sdk_kinesis::Client::new(&through_proxy);
    let mut cfg = ReplicatorConfig::new(STREAM, A, B, CONFIG_TABLE, CHECKPOINT_TABLE);
    cfg.retry = RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(10),
        keep_key_order: true,
    };
    Replicator::new(clients, cfg)
}

async fn setup(n: usize) -> (Emulator, Vec<streamkit_core::StreamRecord>) {
    let emu = Emulator::start();
    let a = emu.sdk_config(A).await;
    create_stream(&a, 1).await;
    create_stream(&emu.sdk_config(B).await, 2).await;
    create_tables(&a).await;
    set_active_region(&a, A).await;
    let out = putrecords::put_records(
        &aws_sdk_kinesis::Client::new(&a),
        STREAM,
        &payloads(n),
        &RetryPolicy::default(),
    )
    .await;
    assert!(out.all_delivered());
    let source = read_all(&a).await;
    assert_eq!(source.len(), n);
    (emu, source)
}

#[tokio::test]
async fn throttled_entries_are_retried_with_zero_loss_and_order_per_key() {
    let (emu, source) = setup(400).await;
    let proxy = FaultProxy::start(emu.port());
    proxy.set_faults(Faults {
        reject: Some(Reject::every(4, 150)),
        ..Faults::default()
    });
    let replicator = replicator_through(&emu, &proxy.endpoint(), 30).await;
    let report = replicator
        .replicate_shard(&source[0].shard_id, &source)
        .await
        .unwrap();
    assert_eq!(report.first_unconfirmed, None, "{report:?}");
    assert_eq!(report.replicated, 400);
    let injected = proxy.injected().rejected_entries;
    assert_eq!(injected, 150, "the proxy rejected entries");
    assert!(report.retried_entries >= injected);

    let dest = read_all(&emu.sdk_config(B).await).await;
    let (want, got) = (by_key(&source), by_key(&dest));
    assert_eq!(
        want.keys().collect::<Vec<_>>(),
        got.keys().collect::<Vec<_>>()
    );
    for (key, records) in &want {
        assert!(
            is_subsequence(records, &got[key]),
            "order and completeness for {key}"
        );
    }
    // Extra copies are exactly the re-sent ones the report admits to.
    assert_eq!(dest.len(), source.len() + report.duplicates);
    eprintln!(
        "fault test: {injected} entries rejected, {} retried, {} duplicates delivered",
        report.retried_entries, report.duplicates
    );
}

#[tokio::test]
async fn persistent_failure_reports_the_first_unconfirmed_record() {
    let (emu, source) = setup(60).await;
    let poisoned = "key-3";
    let proxy = FaultProxy::start(emu.port());
    proxy.set_reject(Some(Reject::key(poisoned)));
    let replicator = replicator_through(&emu, &proxy.endpoint(), 3).await;
    let resp = lambda::handle(lambda_event(A, &source), &replicator)
        .await
        .unwrap();
    let first_bad = source
        .iter()
        .position(|r| r.partition_key == poisoned)
        .unwrap();
    assert_eq!(resp.batch_item_failures.len(), 1);
    assert_eq!(
        resp.batch_item_failures[0].item_identifier.as_deref(),
        Some(source[first_bad].sequence_number.as_str())
    );

    // The checkpoint stops right before it; Lambda resumes there.
    let ddb = aws_sdk_dynamodb::Client::new(&emu.sdk_config(A).await);
    let cps = checkpoint::read_all(&ddb, CHECKPOINT_TABLE, STREAM)
        .await
        .unwrap();
    assert_eq!(cps.len(), 1);
    assert_eq!(
        cps[0].sequence_number,
        source[first_bad - 1].sequence_number
    );
    // Every other key arrived complete and in order.
    let got = by_key(&read_all(&emu.sdk_config(B).await).await);
    assert!(!got.contains_key(poisoned));
    for (key, records) in by_key(&source) {
        if key != poisoned {
            assert!(is_subsequence(&records, &got[&key]), "{key}");
        }
    }
}
