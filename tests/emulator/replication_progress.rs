//! `local replicate`'s progress lines and Ctrl-C summary, and `failover`'s
//! success criterion (config read back + the new active replicator's
//! checkpoints, not new traffic), through the real binary on the emulator.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use crate::support::cli::*;
use crate::support::xr::*;
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;
use streamkit_core::putrecords::{put_records, RetryPolicy};
use streamkit_replicator::checkpoint::sequence_key;
use streamkit_testkit::Emulator;

/// `local replicate` without `--until-idle`, progress every 0.5 s.
fn spawn_replicate(emu: &Emulator, dir: &std::path::Path, json: bool) -> Child {
    let mut cmd = streamkit_process(&emu.env(), dir);
    cmd.args(replicate_args(&format!("{A},{B}"), &["--interval", "0.5"]));
    if json {
        cmd.args(["--output", "json"]);
    }
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn local replicate")
}

/// The child's stderr, line by line, as it comes.
fn stderr_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let err = child.stderr.take().expect("stderr piped");
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(|l| l.ok()) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits (up to 60 s) for a stderr line `done` accepts; returns it.
fn wait_for_line(rx: &mpsc::Receiver<String>, done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            if done(&line) {
                return line;
            }
            seen.push(line);
        }
    }
    panic!(
        "no such progress line within 60 s; stderr so far:\n{}",
        seen.join("\n")
    );
}

fn sigint(child: &Child) {
    // SAFETY: kill(2) on the pid of the child this test spawned.
    let rc = unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    assert_eq!(rc, 0, "SIGINT sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn local_replicate_reports_progress_and_stops_on_ctrl_c() {
    let emu = Emulator::start();
    let (_a, _b) = deploy_pair(&emu).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg_a = emu.sdk_config(A).await;
    let records = cdc_records(400, "progress");
    produce(&cfg_a, &records).await;

    // JSON: progress events on stderr until A's totals show all 400, then SIGINT.
    let mut child = spawn_replicate(&emu, dir.path(), true);
    let rx = stderr_lines(&mut child);
    let line = wait_for_line(&rx, |l| {
        serde_json::from_str::<Value>(l).is_ok_and(|v| {
            v["event"] == "replication_progress"
                && v["progress"]["regions"][0]["records_replicated"] == 400
        })
    });
    let event: Value = serde_json::from_str(&line).unwrap();
    let regions = &event["progress"]["regions"];
    assert_eq!(regions[0]["region"], A);
    assert_eq!(regions[0]["target"], B);
    assert_eq!(regions[0]["active"], true);
    assert_eq!(regions[1]["region"], B);
    assert!(regions[0]["millis_behind_latest"].is_i64(), "{event}");
    sigint(&child);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "Ctrl-C after the start: exit 0");
    let report = json_of(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(report["outcome"], "interrupted", "{report}");
    assert_eq!(report["regions"][0]["records_replicated"], 400);
    assert_eq!(report["regions"][0]["unconfirmed_at_stop"], 0);
    assert_eq!(
        report["regions"][1]["records_replicated"], 0,
        "B is passive"
    );
    // Independently: B's stream holds the 400 records.
    let in_b = read_all(&emu.sdk_config(B).await).await;
    assert_eq!(without_resent(by_key(&in_b)), by_key_out(&records));

    // Text: plain progress lines, then the summary on stdout after SIGINT.
    let more = cdc_records(50, "text");
    produce(&cfg_a, &more).await;
    let mut child = spawn_replicate(&emu, dir.path(), false);
    let rx = stderr_lines(&mut child);
    // B is passive: it sends nothing, and its first run checkpointed the 400
    // copies it read, so this run reads only the 50 new ones.
    wait_for_line(&rx, |l| {
        l.contains(&format!("{A} -> {B} active: replicated 50 of 50 read"))
            && l.contains(&format!("| {B} -> {A} passive: replicated 0 of 50 read"))
    });
    sigint(&child);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(&format!("{A}: read 50, replicated 50,")),
        "{text}"
    );
    assert!(text.contains("stopped on Ctrl-C after "), "{text}");
}

/// Writes a few records to `region`'s stream every 20 ms until `stop`.
fn keep_producing(
    cfg: aws_config::SdkConfig,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<usize> {
    tokio::spawn(async move {
        let client = aws_sdk_kinesis::Client::new(&cfg);
        let mut sent = 0;
        let mut round = 0;
        while !stop.load(Ordering::SeqCst) {
            let batch = cdc_records(5, &format!("live-{round}"));
            let out = put_records(&client, STREAM, &batch, &RetryPolicy::default()).await;
            assert!(out.all_delivered(), "{out:?}");
            sent += batch.len();
            round += 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        sent
    })
}

fn failover(
    emu: &Emulator,
    dir: &std::path::Path,
    to: &str,
    timeout: &str,
) -> (i32, String, String) {
    run(streamkit(emu, dir).args([
        "failover",
        "--stack-name",
        STACK,
        "--regions",
        &format!("{A},{B}"),
        "--to",
        to,
        "--yes",
        "--wait-timeout",
        timeout,
        "--output",
        "json",
    ]))
}

#[tokio::test(flavor = "multi_thread")]
async fn failover_is_judged_on_the_config_and_checkpoints_not_on_new_traffic() {
    let emu = Emulator::start();
    let (a, b) = deploy_pair(&emu).await;
    let dir = tempfile::tempdir().unwrap();
    let (cfg_a, cfg_b) = (emu.sdk_config(A).await, emu.sdk_config(B).await);
    // History replicated A -> B, then no traffic at all, no replicator running.
    produce(&cfg_a, &cdc_records(100, "history")).await;
    let (code, out, err) = run(streamkit(&emu, dir.path()).args(replicate_args(
        &format!("{A},{B}"),
        &["--until-idle", "--idle-seconds", "0.5"],
    )));
    assert_eq!(code, 0, "{out}\n{err}");

    let (code, out, err) = failover(&emu, dir.path(), B, "30");
    assert_eq!(code, 0, "failover without traffic succeeds: {out}\n{err}");
    let f = json_of(&out);
    assert_eq!(f["confirmed_in"], serde_json::json!([B, A]), "{f}");
    assert_eq!(f["takeover"]["records_since_flip"], 0, "{f}");
    for c in [&a, &b] {
        assert_eq!(
            config_item(c).await.unwrap()["activeRegion"],
            AttributeValue::S(B.into())
        );
    }

    // Traffic into A while failing back, no replicator: the flip is made, but
    // A's replicator never checkpoints the new records: exit 1 naming it.
    let stop = Arc::new(AtomicBool::new(false));
    let producer = keep_producing(cfg_a.clone(), stop.clone());
    let (code, out, err) = failover(&emu, dir.path(), A, "3");
    stop.store(true, Ordering::SeqCst);
    producer.await.unwrap();
    assert_eq!(code, 1, "traffic without a replicator: {out}\n{err}");
    assert!(err.contains("did not reach them"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert_eq!(
        config_item(&a).await.unwrap()["activeRegion"],
        AttributeValue::S(A.into())
    );

    // Traffic into B while failing over to B with the runner running: it
    // succeeds once B's checkpoints cover what arrived since the flip.
    // A's records of the step before go to B first (A is still active).
    let (code, out, err) = run(streamkit(&emu, dir.path()).args(replicate_args(
        &format!("{A},{B}"),
        &["--until-idle", "--idle-seconds", "0.5"],
    )));
    assert_eq!(code, 0, "{out}\n{err}");
    let runner = spawn_replicate(&emu, dir.path(), true);
    let stop = Arc::new(AtomicBool::new(false));
    let producer = keep_producing(cfg_b.clone(), stop.clone());
    let started = chrono::Utc::now();
    let (code, out, err) = failover(&emu, dir.path(), B, "60");
    stop.store(true, Ordering::SeqCst);
    let sent = producer.await.unwrap();
    sigint(&runner);
    let runner_out = runner.wait_with_output().unwrap();
    assert_eq!(runner_out.status.code(), Some(0));
    assert_eq!(code, 0, "traffic with the runner: {out}\n{err}");
    let f = json_of(&out);
    let since_flip = f["takeover"]["records_since_flip"].as_u64().unwrap();
    assert!(
        since_flip > 0 && since_flip <= sent as u64,
        "records since the flip: {since_flip} of {sent} written: {f}"
    );
    // Independently: B's checkpoints cover every record of B's stream that
    // arrived within the first second after the flip.
    let since = f["active_since"].as_f64().unwrap();
    assert!(since >= started.timestamp_millis() as f64 / 1000.0 - 1.0);
    let cps = checkpoints(&b).await;
    for r in read_all(&cfg_b).await {
        let at = r.approximate_arrival.unwrap();
        if at >= since && at < since + 1.0 {
            let cp = cps.get(&r.shard_id).expect("checkpoint of the shard");
            assert!(
                sequence_key(cp) >= sequence_key(&r.sequence_number),
                "record of {} at {at} not covered by checkpoint {cp}",
                r.shard_id
            );
        }
    }
}
