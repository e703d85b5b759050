//! The contract, as a property: random tick streams over several shards
//! (random partition keys, out of order within the allowed lateness, late
//! and malformed records, KPL aggregates, a split and a merge), delivered in
//! random batches with retries, bisects, resumes after partial failures,
//! duplicate deliveries and functions dying right after a commit, with the
//! emitter run after batches and at random (the schedule), produce exactly
//! the batch answer (computed independently in `support`), one row per
//! (ticker, window); late and malformed records land in the late output
//! once each, with their reason. Prices carry up to 17 significant digits
//! and are compared as text with the input records'. Every delivery goes
//! through the core's one runner (`streamkit_core::runner::ingest`).
//!
//! Run against the in-memory store (many cases) and the DynamoDB store on
//! the emulator (fewer cases): both implement the same conditional writes.

mod support;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use streamkit_core::progress::{dynamo, DynamoStore, MemoryStore, StateStore};
use streamkit_core::runner::ingest;
use streamkit_processor::emit::emit;
use streamkit_processor::ingest::Windows;
use streamkit_processor::sink::{
    MemorySink, BEYOND_ALLOWED_LATENESS, MALFORMED, WINDOW_ALREADY_EMITTED,
};
use streamkit_processor::ProcessorConfig;
use support::faulty::Faulty;
use support::stream::{generate, Case, Shape};
use support::{batch_answer, Tick};

fn config(case: &Case, idle_ms: i64) -> ProcessorConfig {
    let mut cfg = ProcessorConfig::new("bucket", "table");
    cfg.window = Duration::from_millis(case.window_ms as u64);
    cfg.allowed_lateness = Duration::from_millis(case.lateness_ms as u64);
    cfg.idle_shard_timeout = Duration::from_millis(idle_ms as u64);
    cfg
}

/// The simulated event source mapping and schedule. With `jumps`, the
/// wall clock sometimes leaps past the idle-shard timeout.
async fn deliver<S: StateStore + Send>(
    store: &Faulty<S>,
    sink: &MemorySink,
    case: &Case,
    cfg: &ProcessorConfig,
    seed: u64,
    jumps: bool,
) {
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x5eed_5eed);
    let mut pos: BTreeMap<&str, usize> = case.shards.keys().map(|s| (s.as_str(), 0)).collect();
    let mut now: i64 = 1_000_000;
    let done = |pos: &BTreeMap<&str, usize>, s: &str| pos[s] == case.shards[s].len();
    loop {
        let eligible: Vec<&str> = case
            .shards
            .keys()
            .map(String::as_str)
            .filter(|s| !done(&pos, s))
            .filter(|s| {
                case.parents
                    .get(*s)
                    .is_none_or(|ps| ps.iter().all(|p| done(&pos, p)))
            })
            .collect();
        if eligible.is_empty() {
            break;
        }
        let shard = eligible[rng.usize(..eligible.len())];
        let rest = &case.shards[shard][pos[shard]..];
        let batch = &rest[..rng.usize(1..=rest.len().min(40))];
        if rng.u8(..10) < 2 {
            store.fail_after(rng.i64(1..=3));
        }
        now += rng.i64(1..200);
        if jumps && rng.u8(..20) == 0 {
            now += cfg.idle_ms() + 1;
        }
        match ingest(
            &Windows::new(store, sink, cfg),
            &case.topology,
            shard,
            batch,
            now,
        )
        .await
        {
            Ok(_) => {
                // Now and then the mapping delivers a batch again.
                if rng.u8(..8) != 0 {
                    *pos.get_mut(shard).unwrap() += batch.len();
                }
                store.fail_after(-1);
                emit(store, sink, cfg, now).await.unwrap();
            }
            Err(failure) => {
                store.fail_after(-1);
                // ReportBatchItemFailures resumes at the reported record;
                // a function error retries (or bisects) from the batch start.
                if rng.bool() {
                    *pos.get_mut(shard).unwrap() += failure.first_unapplied;
                }
            }
        }
        if rng.u8(..4) == 0 {
            emit(store, sink, cfg, now).await.unwrap();
        }
    }
    // The stream goes quiet: the schedule closes the last windows.
    now += cfg.idle_ms() + 4 * cfg.window_ms() + cfg.lateness_ms() + 1;
    emit(store, sink, cfg, now).await.unwrap();
}

/// One row per (ticker, window), equal to `expected`.
fn assert_rows(sink: &MemorySink, expected: &BTreeMap<(String, i64), support::Expected>) {
    let mut got = BTreeMap::new();
    for row in sink.all_rows() {
        let key = (row.ticker.clone(), row.start_ms);
        assert!(
            got.insert(key.clone(), row).is_none(),
            "two rows for {key:?}"
        );
    }
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "the (ticker, window) keys"
    );
    for (key, e) in expected {
        let a = &got[key].agg;
        // Prices compared as text: the row's double printed shortest is
        // the input record's text (up to 17 significant digits).
        assert_eq!(
            (
                a.count,
                a.min.to_string(),
                a.max.to_string(),
                a.last_time_ms,
                a.last_price.to_string()
            ),
            (
                e.count,
                e.min_text.clone(),
                e.max_text.clone(),
                e.last_t,
                e.last_text.clone()
            ),
            "{key:?}"
        );
        assert!(
            (a.sum - e.sum).abs() <= 1e-6 * e.sum.abs().max(1.0),
            "{key:?}: sum {} vs {}",
            a.sum,
            e.sum
        );
    }
}

fn late_output(sink: &MemorySink) -> Vec<(String, u64, String)> {
    let mut out: Vec<_> = sink
        .all_late()
        .into_iter()
        .map(|r| (r.sequence_number, r.sub_sequence_number, r.reason))
        .collect();
    out.sort();
    out
}

/// No idle shard: the answer is exact, late records are exactly the injected ones.
async fn exact_case<S: StateStore + Send>(store: S, shape: Shape) {
    let case = generate(shape);
    let cfg = config(&case, i64::MAX / 4);
    let (store, sink) = (Faulty::new(store), MemorySink::default());
    deliver(&store, &sink, &case, &cfg, shape.seed, false).await;
    let mut expected: Vec<(String, u64, String)> = case
        .late
        .iter()
        .map(|(s, n)| (s.clone(), *n, BEYOND_ALLOWED_LATENESS.to_string()))
        .chain(
            case.malformed
                .iter()
                .map(|(s, n)| (s.clone(), *n, MALFORMED.to_string())),
        )
        .collect();
    expected.sort();
    assert_eq!(late_output(&sink), expected);
    assert_rows(&sink, &batch_answer(&case.on_time, case.window_ms));
    let shards = store.shards().await.unwrap();
    let late: u64 = shards.iter().map(|s| s.counts.late).sum();
    assert_eq!(
        late as usize,
        case.late.len(),
        "late records counted once each"
    );
}

/// Idle shards (the clock leaps): whatever the emitter closed early, every
/// tick is in exactly one row or in the late output, once, with a reason.
async fn idle_case<S: StateStore + Send>(store: S, shape: Shape) {
    let case = generate(shape);
    let cfg = config(&case, 5_000);
    let (store, sink) = (Faulty::new(store), MemorySink::default());
    deliver(&store, &sink, &case, &cfg, shape.seed, true).await;
    let late = late_output(&sink);
    let ids: BTreeSet<(String, u64)> = late.iter().map(|(s, n, _)| (s.clone(), *n)).collect();
    assert_eq!(ids.len(), late.len(), "a record in the late output twice");
    for (s, n, reason) in &late {
        let injected = case.late.contains(&(s.clone(), *n));
        let malformed = case.malformed.contains(&(s.clone(), *n));
        match reason.as_str() {
            BEYOND_ALLOWED_LATENESS => assert!(injected, "{s}/{n} reported late"),
            MALFORMED => assert!(malformed),
            WINDOW_ALREADY_EMITTED => assert!(!malformed),
            other => panic!("unknown reason {other}"),
        }
    }
    assert!(
        case.late.iter().all(|id| ids.contains(id)),
        "an injected late tick is missing"
    );
    let accepted: Vec<Tick> = case
        .all
        .iter()
        .filter(|(id, _)| !ids.contains(id))
        .map(|(_, t)| t.clone())
        .collect();
    assert_rows(&sink, &batch_answer(&accepted, case.window_ms));
}

fn shapes() -> impl Strategy<Value = Shape> {
    (any::<u64>(), 20usize..300, 1i64..6, 0i64..4).prop_map(|(seed, records, w, l)| Shape {
        seed,
        records,
        window_ms: w * 1000,
        lateness_ms: l * 1000 + 500,
    })
}

fn run(cases: u32, body: impl Fn(Shape) -> Result<(), TestCaseError>) {
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner.run(&shapes(), body).unwrap();
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

#[test]
fn in_memory_store_gives_the_batch_answer() {
    let rt = rt();
    run(256, |shape| {
        rt.block_on(exact_case(MemoryStore::new(), shape));
        Ok(())
    });
}

#[test]
fn in_memory_store_accounts_for_every_record_with_idle_shards() {
    let rt = rt();
    run(128, |shape| {
        rt.block_on(idle_case(MemoryStore::new(), shape));
        Ok(())
    });
}

#[test]
fn dynamodb_store_on_the_emulator_gives_the_same_answers() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let emu = streamkit_testkit::Emulator::start();
    let ddb =
        rt.block_on(async { aws_sdk_dynamodb::Client::new(&emu.sdk_config("us-east-1").await) });
    let n = std::sync::atomic::AtomicU32::new(0);
    let table = |ddb: &aws_sdk_dynamodb::Client| {
        let name = format!(
            "state-{}",
            n.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        );
        rt.block_on(dynamo::create_table(ddb, &name)).unwrap();
        DynamoStore::new(ddb, &name)
    };
    run(6, |shape| {
        let store = table(&ddb);
        rt.block_on(exact_case(store, shape));
        Ok(())
    });
    run(4, |shape| {
        let store = table(&ddb);
        rt.block_on(idle_case(store, shape));
        Ok(())
    });
}
