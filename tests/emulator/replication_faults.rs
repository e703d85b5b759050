//! `streamkit local replicate` through faults, end to end through the real
//! binary: the cross-region stack deployed in two regions of one strict
//! emulator, the CLI's every call going through a fault-injecting proxy
//! (`streamkit_testkit::proxy`) that hurts only the destination region
//! (us-west-2): a share of its PutRecords entries rejected, and a period in
//! which it is unreachable. Nothing may be lost, order per key must hold,
//! duplicates must be counted, and opaque payloads (non-UTF-8, KPL-aggregated)
//! must not block a shard.
//!
//! Needs `python3` with `tests/requirements.txt` (or STREAMKIT_PYTHON).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::time::Duration;

use crate::support::cli::*;
use crate::support::xr::*;
use streamkit_core::putrecords::OutRecord;
use streamkit_core::StreamRecord;
use streamkit_testkit::proxy::{FaultProxy, Faults, Reject, Unreachable};
use streamkit_testkit::Emulator;

/// CDC records of the fault run (plus the two opaque payloads).
const N: usize = 3000;
/// How long the destination stays unreachable once the CLI has started retrying.
const OUTAGE: Duration = Duration::from_secs(3);

/// `records` with a non-UTF-8 payload and a KPL-aggregated one inserted
/// among them (on two of the keys), and those two payloads.
fn with_opaque_payloads(mut records: Vec<OutRecord>) -> (Vec<OutRecord>, [Vec<u8>; 2]) {
    let binary = vec![0xff, 0xfe, 0x00, 0xc3, 0x28, 0x80, 0x0a];
    assert!(std::str::from_utf8(&binary).is_err());
    let kpl = streamkit_core::kpl::aggregate([
        ("customer-5", None, b"inner record 1".as_slice()),
        ("customer-5", None, b"inner record 2".as_slice()),
    ])
    .expect("aggregate")
    .data;
    assert!(streamkit_core::kpl::is_aggregated(&kpl));
    let opaque = |key: &str, data: &Vec<u8>| OutRecord {
        partition_key: key.into(),
        explicit_hash_key: None,
        data: data.clone(),
    };
    records.insert(records.len() / 3, opaque("customer-3", &binary));
    records.insert(2 * records.len() / 3, opaque("customer-5", &kpl));
    (records, [binary, kpl])
}

/// Removes re-sent copies, keeping each payload's last copy. The replicator
/// only ever re-sends a suffix of a key's records, in order (the entries
/// after a failed one, or a batch from its first unconfirmed record), so the
/// last copies are in source order: the result must equal the source.
fn without_duplicates(copies: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<Vec<u8>> = copies
        .iter()
        .rev()
        .filter(|d| seen.insert(*d))
        .cloned()
        .collect();
    out.reverse();
    out
}

/// The last sequence number of each shard of `records`.
fn last_per_shard(records: &[StreamRecord]) -> BTreeMap<String, String> {
    records
        .iter()
        .map(|r| (r.shard_id.clone(), r.sequence_number.clone()))
        .collect()
}

/// Runs the CLI to the end; the first time us-east-1 reports a retry towards
/// us-west-2 (the destination is unreachable), lets it retry for `OUTAGE` and
/// makes the destination reachable again. Returns exit code, stdout, stderr
/// lines and whether the outage was healed.
fn run_through_outage(
    proxy: &FaultProxy,
    mut cmd: std::process::Command,
) -> (i32, String, Vec<String>, bool) {
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn streamkit");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).expect("stdout");
        text
    });
    let retrying = format!("{A} -> {B}: ");
    let (mut lines, mut healed) = (Vec::new(), false);
    for line in BufReader::new(child.stderr.take().expect("stderr")).lines() {
        let line = line.expect("stderr line");
        // With --output json progress is NDJSON on stderr: `{"event":"retry","message":...}`.
        let message = serde_json::from_str::<serde_json::Value>(&line)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_string))
            .unwrap_or_else(|| line.clone());
        if !healed && message.starts_with(&retrying) {
            std::thread::sleep(OUTAGE);
            proxy.set_unreachable(None);
            healed = true;
        }
        lines.push(line);
    }
    let code = child.wait().expect("wait").code().unwrap_or(-1);
    (code, reader.join().expect("stdout reader"), lines, healed)
}

#[tokio::test(flavor = "multi_thread")]
async fn rejected_entries_and_an_outage_lose_nothing_and_duplicates_are_counted() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let (a, _b) = deploy_pair(&emu).await;
    let cfg_a = emu.sdk_config(A).await;
    let cfg_b = emu.sdk_config(B).await;
    let (records, opaque) = with_opaque_payloads(cdc_records(N, "faults"));
    produce(&cfg_a, &records).await;
    let src = read_all(&cfg_a).await;
    assert_eq!(src.len(), N + 2);

    // Faults only for the destination: unreachable from the start (healed
    // once the CLI retries), and every 7th PutRecords entry rejected.
    let proxy = FaultProxy::start(emu.port());
    proxy.set_faults(Faults {
        reject: Some(Reject::every(7, 400).in_region(B)),
        unreachable: Some(Unreachable::region(B)),
        throttle: None,
    });
    let mut cmd = streamkit_process(&emu.env(), dir.path());
    cmd.env("AWS_ENDPOINT_URL", proxy.endpoint())
        .args(replicate_args(
            &format!("{A},{B}"),
            &["--until-idle", "--output", "json"],
        ));
    let (code, out, err, healed) = run_through_outage(&proxy, cmd);
    let err = err.join("\n");
    assert_eq!(code, 0, "local replicate: {out}\n{err}");
    assert!(healed, "us-east-1 never retried towards us-west-2: {err}");
    let injected = proxy.injected();
    assert!(
        injected.rejected_entries > 0,
        "no entry rejected: {injected:?}"
    );
    assert!(
        injected.dropped_requests > 0,
        "no request dropped: {injected:?}"
    );
    assert!(
        err.contains("retrying in"),
        "progress lines while retrying: {err}"
    );

    let summary = json_of(&out);
    let ra = &summary["regions"][0];
    assert_eq!(ra["region"], A);
    assert_eq!(ra["records_replicated"], (N + 2) as u64, "{summary}");
    assert!(ra["retries"].as_u64().unwrap() > 0, "{summary}");
    assert_eq!(
        summary["regions"][1]["records_replicated"], 0,
        "B is passive"
    );
    let reported = ra["duplicates"].as_u64().unwrap() as usize;
    let possible = ra["possible_duplicates"].as_u64().unwrap() as usize;
    assert!(
        possible > 0,
        "dropped PutRecords calls have an unknown outcome: {summary}"
    );

    // Zero loss, bytes unchanged, order per key, duplicates accounted for.
    let dst = read_all(&cfg_b).await;
    let (want, got) = (by_key(&src), by_key(&dst));
    assert_eq!(
        want.keys().collect::<Vec<_>>(),
        got.keys().collect::<Vec<_>>()
    );
    for (key, payloads) in &want {
        assert!(
            without_duplicates(&got[key]) == *payloads,
            "{key}: the destination, re-sent copies removed, is the source in order"
        );
    }
    for blob in &opaque {
        assert!(
            dst.iter().any(|r| r.data == *blob),
            "opaque payload replicated unchanged"
        );
    }
    // The proxy never forwards a dropped request nor a rejected entry, and the
    // replicator's destination client has no retries of its own, so every
    // extra copy is one the core saw accepted: the count is exact. (A real
    // outage can also lose a response after the write: those copies are in
    // `possible_duplicates`, the upper bound.)
    let extra = dst.len() - src.len();
    assert!(
        reported > 0,
        "rejected entries forced re-sends of later same-key records: {summary}"
    );
    eprintln!(
        "fault run: {injected:?}; {extra} duplicates in the destination, {reported} reported (+{possible} possible)"
    );
    assert_eq!(extra, reported, "duplicates in the destination: {summary}");
    assert!(extra <= reported + possible);

    // Every shard's checkpoint is at its last record.
    assert_eq!(checkpoints(&a).await, last_per_shard(&src));
    drop(emu);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_outage_longer_than_the_limit_stops_with_one_line_and_a_rerun_resumes() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let (a, _b) = deploy_pair(&emu).await;
    let cfg_a = emu.sdk_config(A).await;
    let records = cdc_records(300, "limit");
    produce(&cfg_a, &records).await;

    let proxy = FaultProxy::start(emu.port());
    proxy.set_unreachable(Some(Unreachable::region(B)));
    let regions = format!("{A},{B}");
    let replicate = |extra: &[&str]| {
        let mut cmd = streamkit(&emu, dir.path());
        cmd.env("AWS_ENDPOINT_URL", proxy.endpoint())
            .args(["local", "replicate", "--stack-name", STACK])
            .args(["--regions", &regions, "--until-idle"])
            .args(extra);
        run(&mut cmd)
    };
    let (code, out, err) = replicate(&["--max-retry-seconds", "2"]);
    assert_eq!(code, 1, "gave up: {out}\n{err}");
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "one error line: {err}");
    for needle in [B, proxy.endpoint().as_str(), "--max-retry-seconds", "again"] {
        assert!(errors[0].contains(needle), "{needle} in: {}", errors[0]);
    }
    eprintln!("limit run: {}", errors[0]);
    assert!(proxy.injected().dropped_requests > 0);
    assert!(
        read_all(&emu.sdk_config(B).await).await.is_empty(),
        "nothing reached B while unreachable"
    );

    // Reachable again: a rerun resumes and loses nothing.
    proxy.set_unreachable(None);
    let (code, out, err) = replicate(&[]);
    assert_eq!(code, 0, "rerun: {out}\n{err}");
    assert!(
        out.lines().any(|l| l.starts_with(
            "us-east-1: read 300, replicated 300, duplicates 0 (at most 0 more possible), retries 0 (0 entries re-sent)"
        )),
        "text result: {out}"
    );
    let src = read_all(&cfg_a).await;
    let dst = read_all(&emu.sdk_config(B).await).await;
    assert_eq!(
        by_key(&dst),
        by_key_out(&records),
        "all of it, once, in order"
    );
    assert_eq!(checkpoints(&a).await, last_per_shard(&src));
    drop(emu);
}
