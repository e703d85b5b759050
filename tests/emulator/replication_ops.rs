//! Cross-region operations end to end on the emulator (strict mode, two
//! regions of one emulator), through the real binary: `local replicate`,
//! `replication status`, `failover` and their bad-input cases.
//!
//! The emulator creates each global table's replicas as independent tables
//! (no item replication between regions), so the test seeds the config item
//! in both replicas; `failover` writes both replicas itself.
//!
//! Needs `python3` with `tests/requirements.txt` (or STREAMKIT_PYTHON).

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::cli::*;
use crate::support::xr::*;
use crate::support::Clients;
use assert_cmd::Command;
use aws_sdk_dynamodb::types::AttributeValue;
use streamkit_replicator::checkpoint::sequence_key;
use streamkit_testkit::Emulator;

/// CDC records of the main run, as many as the issue asks (about 30 s on the emulator).
const N: usize = 10_000;

/// Keeps, per key, the payloads that are in `wanted` (order kept).
fn only(
    have: &BTreeMap<String, Vec<Vec<u8>>>,
    wanted: &BTreeMap<String, Vec<Vec<u8>>>,
) -> BTreeMap<String, Vec<Vec<u8>>> {
    let set: std::collections::HashSet<&Vec<u8>> = wanted.values().flatten().collect();
    have.iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.iter().filter(|d| set.contains(d)).cloned().collect(),
            )
        })
        .filter(|(_, v): &(String, Vec<Vec<u8>>)| !v.is_empty())
        .collect()
}

fn concat(parts: &[&BTreeMap<String, Vec<Vec<u8>>>]) -> BTreeMap<String, Vec<Vec<u8>>> {
    let mut out = BTreeMap::<String, Vec<Vec<u8>>>::new();
    for p in parts {
        for (k, v) in p.iter() {
            out.entry(k.clone()).or_default().extend(v.iter().cloned());
        }
    }
    out
}

fn assert_monotonic(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) {
    for (shard, seq) in before {
        let now = after.get(shard).expect("checkpoint kept");
        assert!(
            sequence_key(now) >= sequence_key(seq),
            "checkpoint of {shard} moved backwards: {seq} -> {now}"
        );
    }
}

fn bad_input(cmd: &mut Command, what: &str) {
    let (code, _out, err) = run(cmd);
    assert_eq!(code, 2, "{what}: exit 2 expected, stderr: {err}");
    assert_eq!(err.trim().lines().count(), 1, "{what}: one line: {err}");
}

/// `streamkit local replicate --until-idle --output json` on the test stack.
fn replicate_until_idle(mut cmd: assert_cmd::Command, regions: &str) -> (i32, String, String) {
    run(cmd.args(replicate_args(
        regions,
        &["--until-idle", "--output", "json"],
    )))
}

/// The two regions of one emulator, and what the cases produced so far.
struct Scenario {
    emu: Emulator,
    dir: tempfile::TempDir,
    a: Clients,
    b: Clients,
    cfg_a: aws_config::SdkConfig,
    cfg_b: aws_config::SdkConfig,
    regions: String,
    /// The first N records (A), and the 50 left pending behind the runner.
    first: Vec<streamkit_core::putrecords::OutRecord>,
    pending: Vec<streamkit_core::putrecords::OutRecord>,
    /// A's checkpoints after the first run.
    cp1: BTreeMap<String, String>,
    /// Copies the runner re-sent so far (the emulator throttles the catch-up
    /// at Kinesis' 1,000 records/s per shard; the runner counts what it re-sends).
    resent: usize,
}

impl Scenario {
    async fn start() -> Scenario {
        let emu = Emulator::start();
        let (a, b) = deploy_pair(&emu).await;
        Scenario {
            cfg_a: emu.sdk_config(A).await,
            cfg_b: emu.sdk_config(B).await,
            dir: tempfile::tempdir().unwrap(),
            regions: format!("{A},{B}"),
            emu,
            a,
            b,
            first: Vec::new(),
            pending: Vec::new(),
            cp1: BTreeMap::new(),
            resent: 0,
        }
    }

    fn sk(&self) -> assert_cmd::Command {
        streamkit(&self.emu, self.dir.path())
    }
}

/// The local runner replicates N records A -> B: nothing lost, nothing
/// duplicated, order per key kept, one checkpoint per shard at its last record.
async fn replicate_n_records_a_to_b(sc: &mut Scenario) {
    let (a, cfg_a, cfg_b, regions) = (&sc.a, &sc.cfg_a, &sc.cfg_b, sc.regions.as_str());
    let sk = || sc.sk();
    let first = cdc_records(N, "first");
    produce(cfg_a, &first).await;
    let (code, out, err) = replicate_until_idle(sk(), regions);
    assert_eq!(code, 0, "local replicate: {out}\n{err}");
    let summary = json_of(&out);
    assert_eq!(summary["regions"][0]["region"], A);
    assert_eq!(summary["regions"][0]["records_replicated"], N as u64);
    assert_eq!(
        summary["regions"][1]["records_replicated"], 0,
        "B is passive"
    );

    let src = read_all(cfg_a).await;
    let dst = read_all(cfg_b).await;
    assert_eq!(src.len(), N);
    // The emulator enforces the 1,000 records/s per-shard write limit: the
    // catch-up is throttled, and the runner re-sends (and counts) copies.
    let resent = summary["regions"][0]["duplicates"].as_u64().unwrap() as usize;
    assert_eq!(
        dst.len(),
        N + resent,
        "nothing lost; re-sent copies as counted"
    );
    assert!(
        src.iter()
            .map(|r| &r.shard_id)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            > 1,
        "records spread over several shards"
    );
    assert_eq!(
        without_resent(by_key(&dst)),
        by_key_out(&first),
        "bytes, keys and order per key in B"
    );
    let cp1 = checkpoints(a).await;
    assert_eq!(cp1.len(), 3, "one checkpoint per shard: {cp1:?}");
    for (shard, seq) in &cp1 {
        let last = src.iter().rfind(|r| &r.shard_id == shard).unwrap();
        assert_eq!(
            seq, &last.sequence_number,
            "checkpoint of {shard} at its last record"
        );
    }
    sc.first = first;
    sc.cp1 = cp1;
    sc.resent = resent;
}

/// `replication status`: caught up, then 50 records behind with a lag over `--max-lag`.
async fn status_caught_up_then_behind(sc: &mut Scenario) {
    let (cfg_a, regions) = (&sc.cfg_a, sc.regions.as_str());
    let sk = || sc.sk();
    let (code, out, err) = run(sk().args([
        "replication",
        "status",
        "--stack-name",
        STACK,
        "--regions",
        regions,
        "--max-lag",
        "0",
        "--output",
        "json",
    ]));
    assert_eq!(code, 0, "status: {out}\n{err}");
    let s = json_of(&out);
    assert_eq!(s["active_region"], A);
    assert_eq!(s["records_behind"], 0);
    assert_eq!(s["lag_seconds"], 0.0);
    assert_eq!(s["outcome"], "healthy");
    let (code, text, _) = run(sk().args([
        "replication",
        "status",
        "--stack-name",
        STACK,
        "--regions",
        regions,
    ]));
    assert_eq!(code, 0);
    assert!(
        text.contains("active region us-east-1") && text.contains("0 records of us-east-1"),
        "{text}"
    );

    let pending = cdc_records(50, "pending");
    produce(cfg_a, &pending).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (code, out, err) = run(sk().args([
        "replication",
        "status",
        "--stack-name",
        STACK,
        "--regions",
        regions,
        "--max-lag",
        "0.5",
        "--output",
        "json",
    ]));
    assert_eq!(code, 1, "lag above --max-lag: {out}\n{err}");
    let s = json_of(&out);
    assert_eq!(s["records_behind"], 50);
    assert!(s["lag_seconds"].as_f64().unwrap() >= 1.0);
    assert_eq!(s["outcome"], "unhealthy");
    sc.pending = pending;
}

/// Failover to B while the runner runs: B takes over, no echo either way,
/// records written to the passive region stay there.
async fn failover_in_the_middle_of_a_run(sc: &mut Scenario) {
    let mut resent = sc.resent;
    let (a, b, cfg_a, cfg_b, regions) = (&sc.a, &sc.b, &sc.cfg_a, &sc.cfg_b, sc.regions.as_str());
    let sk = || sc.sk();
    let mut runner = streamkit_process(&sc.emu.env(), sc.dir.path());
    runner
        .args(replicate_args(
            regions,
            &["--until-idle", "--idle-seconds", "8", "--output", "json"],
        ))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let runner = runner.spawn().expect("spawn local replicate");
    let before = cdc_records(300, "before");
    produce(cfg_a, &before).await;
    // Let the runner catch up (status is the gate a failover script would use).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, out, _) = run(sk().args([
            "replication",
            "status",
            "--stack-name",
            STACK,
            "--regions",
            regions,
            "--output",
            "json",
        ]));
        if json_of(&out)["records_behind"] == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "runner did not catch up: {out}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let cp2 = checkpoints(a).await;
    assert_monotonic(&sc.cp1, &cp2);

    let failover = std::thread::spawn({
        let mut cmd = sk();
        cmd.args([
            "failover",
            "--stack-name",
            STACK,
            "--regions",
            regions,
            "--to",
            B,
            "--yes",
            "--wait-timeout",
            "60",
            "--output",
            "json",
        ]);
        move || run(&mut cmd)
    });
    // Producers move to B once B is active.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let active = config_item(b)
            .await
            .and_then(|i| i.get("activeRegion").and_then(|v| v.as_s().ok()).cloned());
        if active.as_deref() == Some(B) {
            break;
        }
        assert!(Instant::now() < deadline, "flip not seen in B");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A producer that has not moved yet writes to A after the flip: those
    // records stay in A (A is passive), as the README says.
    let during = cdc_records(20, "during");
    produce(cfg_a, &during).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let after = cdc_records(300, "after");
    produce(cfg_b, &after).await;
    let (code, out, err) = failover.join().unwrap();
    assert_eq!(code, 0, "failover: {out}\n{err}");
    let f = json_of(&out);
    assert_eq!(f["from"], A);
    assert_eq!(f["to"], B);
    assert_eq!(f["unreplicated_at_flip"], 0);
    let run_out = runner.wait_with_output().unwrap();
    assert!(
        run_out.status.success(),
        "runner: {}",
        String::from_utf8_lossy(&run_out.stderr)
    );
    let r = json_of(&String::from_utf8_lossy(&run_out.stdout));
    resent += r["regions"][0]["duplicates"].as_u64().unwrap() as usize;
    assert_eq!(
        r["regions"][1]["records_replicated"], 300,
        "B sent the post-flip records: {r}"
    );

    // Every record is where it belongs, once: no echo in either direction.
    let in_a = by_key(&read_all(cfg_a).await);
    let in_b = without_resent(by_key(&read_all(cfg_b).await));
    let from_a = concat(&[
        &by_key_out(&sc.first),
        &by_key_out(&sc.pending),
        &by_key_out(&before),
    ]);
    let from_b = by_key_out(&after);
    assert_eq!(
        only(&in_b, &from_a),
        from_a,
        "A's records in B, order per key"
    );
    assert_eq!(
        only(&in_a, &from_b),
        from_b,
        "B's post-flip records in A, order per key"
    );
    assert!(
        only(&in_b, &by_key_out(&during)).is_empty(),
        "records written to the passive region are not replicated"
    );
    assert_eq!(
        in_a,
        concat(&[&from_a, &by_key_out(&during), &from_b]),
        "A holds its records then B's, nothing echoed"
    );
    assert_eq!(
        in_b.values().map(Vec::len).sum::<usize>(),
        N + 50 + 300 + 300,
        "nothing echoed into B"
    );
    let (code, out, _) = run(sk().args([
        "replication",
        "status",
        "--stack-name",
        STACK,
        "--regions",
        regions,
        "--output",
        "json",
    ]));
    assert_eq!(code, 0);
    let s = json_of(&out);
    assert_eq!(s["active_region"], B);
    assert_eq!(
        s["records_behind"], 0,
        "B's pre-flip copies are not counted: {s}"
    );
    assert_monotonic(&cp2, &checkpoints(a).await);
    sc.resent = resent;
}

/// Failback to A with records stranded in B and no runner: reported, not sent
/// back later; A replicates again afterwards.
async fn failback_with_unreplicated_records(sc: &Scenario) {
    let (a, b, cfg_a, cfg_b, regions) = (&sc.a, &sc.b, &sc.cfg_a, &sc.cfg_b, sc.regions.as_str());
    let sk = || sc.sk();
    let stranded = cdc_records(10, "stranded");
    produce(cfg_b, &stranded).await;
    let (code, out, err) = run(sk().args([
        "failover",
        "--stack-name",
        STACK,
        "--regions",
        regions,
        "--to",
        A,
        "--yes",
        "--no-wait",
        "--output",
        "json",
    ]));
    assert_eq!(code, 0, "failback: {out}\n{err}");
    let f = json_of(&out);
    assert_eq!(f["unreplicated_at_flip"], 10, "{f}");
    for c in [a, b] {
        let item = config_item(c).await.unwrap();
        assert_eq!(
            item["activeRegion"],
            AttributeValue::S(A.into()),
            "{}",
            c.region
        );
    }
    let (code, out, err) = replicate_until_idle(sk(), regions);
    assert_eq!(code, 0, "replicate after failback: {out}\n{err}");
    let r = json_of(&out);
    assert_eq!(
        r["regions"][0]["records_replicated"], 0,
        "nothing echoed back to B: {r}"
    );
    // A's copies of B's records and the writes stranded in A were read by A's
    // runner while A was passive (and checkpointed then); whatever it reads
    // now arrived before A became active again: none of it is sent.
    assert_eq!(
        r["regions"][0]["records_read"], r["regions"][0]["skipped_before_activation"],
        "A's copies of B's records and the stranded writes are not sent: {r}"
    );
    let a_count = read_all(cfg_a).await.len();
    let b_count = read_all(cfg_b).await.len();
    assert_eq!(a_count, N + 50 + 300 + 20 + 300);
    assert_eq!(b_count, N + 50 + 300 + 300 + 10 + sc.resent);
    let back = cdc_records(30, "back");
    produce(cfg_a, &back).await;
    let (code, out, err) = replicate_until_idle(sk(), regions);
    assert_eq!(code, 0, "{out}\n{err}");
    let in_b = without_resent(by_key(&read_all(cfg_b).await));
    assert_eq!(
        only(&in_b, &by_key_out(&back)),
        by_key_out(&back),
        "A replicates again after failback"
    );
    assert_eq!(
        read_all(cfg_a).await.len(),
        a_count + 30,
        "no echo after failback"
    );
    let (code, out, _) = run(sk().args([
        "replication",
        "status",
        "--stack-name",
        STACK,
        "--regions",
        regions,
        "--max-lag",
        "0",
        "--output",
        "json",
    ]));
    assert_eq!(code, 0, "{out}");
    assert_eq!(json_of(&out)["records_behind"], 0);
}

/// Bad input: one line, exit 2, nothing changed.
async fn failover_refuses_bad_input(sc: &Scenario) {
    let (a, b, regions) = (&sc.a, &sc.b, sc.regions.as_str());
    let sk = || sc.sk();
    let config_before = (config_item(a).await, config_item(b).await);
    bad_input(
        sk().args([
            "failover",
            "--stack-name",
            "nope",
            "--regions",
            regions,
            "--to",
            A,
            "--yes",
        ]),
        "unknown stack",
    );
    bad_input(
        sk().args([
            "failover",
            "--stack-name",
            STACK,
            "--regions",
            regions,
            "--to",
            "mars-1",
            "--yes",
        ]),
        "unknown region",
    );
    bad_input(
        sk().args([
            "failover",
            "--stack-name",
            STACK,
            "--regions",
            regions,
            "--to",
            "eu-west-1",
            "--yes",
        ]),
        "region not one of the two",
    );
    bad_input(
        sk().args([
            "failover",
            "--stack-name",
            STACK,
            "--regions",
            "us-east-1,eu-west-1",
            "--to",
            A,
            "--yes",
        ]),
        "--regions not the stack's",
    );
    bad_input(
        sk().args([
            "failover",
            "--stack-name",
            STACK,
            "--regions",
            regions,
            "--to",
            A,
            "--yes",
        ]),
        "already active",
    );
    bad_input(
        sk().args([
            "local",
            "replicate",
            "--stack-name",
            "nope",
            "--regions",
            regions,
            "--until-idle",
        ]),
        "local replicate, unknown stack",
    );
    assert_eq!((config_item(a).await, config_item(b).await), config_before);
}

/// A config item that changed under the failover (exit 1), is malformed or
/// is missing (exit 2): nothing written.
async fn failover_refuses_a_changed_malformed_or_missing_config(sc: &Scenario) {
    let (a, b, regions) = (&sc.a, &sc.b, sc.regions.as_str());
    let sk = || sc.sk();
    // The config changed under the failover (here: B's replica already says B
    // while A's says A): exit 1, nothing written.
    set_config(b, Some(AttributeValue::S(B.into()))).await;
    let (code, out, err) = run(sk().args([
        "failover",
        "--stack-name",
        STACK,
        "--regions",
        regions,
        "--to",
        B,
        "--yes",
        "--no-wait",
    ]));
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(err.contains("changed under the failover"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert_eq!(
        config_item(a).await.unwrap()["activeRegion"],
        AttributeValue::S(A.into()),
        "nothing changed in A"
    );
    for c in [a, b] {
        set_config(c, Some(AttributeValue::N("5".into()))).await;
    }
    bad_input(
        sk().args([
            "failover",
            "--stack-name",
            STACK,
            "--regions",
            regions,
            "--to",
            A,
            "--yes",
        ]),
        "malformed config item",
    );
    assert_eq!(
        config_item(a).await.unwrap()["activeRegion"],
        AttributeValue::N("5".into())
    );
    for c in [a, b] {
        set_config(c, None).await;
    }
    bad_input(
        sk().args([
            "failover",
            "--stack-name",
            STACK,
            "--regions",
            regions,
            "--to",
            A,
            "--yes",
        ]),
        "missing config item",
    );
    bad_input(
        sk().args([
            "replication",
            "status",
            "--stack-name",
            STACK,
            "--regions",
            regions,
        ]),
        "status without config item",
    );
    assert!(config_item(a).await.is_none() && config_item(b).await.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn replicate_status_and_failover_on_the_emulator() {
    let mut sc = Scenario::start().await;
    replicate_n_records_a_to_b(&mut sc).await;
    status_caught_up_then_behind(&mut sc).await;
    failover_in_the_middle_of_a_run(&mut sc).await;
    failback_with_unreplicated_records(&sc).await;
    failover_refuses_bad_input(&sc).await;
    failover_refuses_a_changed_malformed_or_missing_config(&sc).await;
}
