//! The cross-region commands on the emulator, in process: a deploy to two
//! regions, `local replicate`, `replication status` and `failover`, each in
//! text and in JSON.

use streamkit_core::putrecords::{put_records, OutRecord, RetryPolicy};
use streamkit_testkit::Emulator;

use super::{expect, run, tmp, Run, Setup};
use crate::support::cli::fake_dist;

const STACK: &str = "sk-cmd-xr";
const STREAM: &str = "sk-cmd-stream";
const REGIONS: &str = "us-east-1,us-west-2";
const RECORDS: usize = 20;

struct Pair {
    emu: Emulator,
    dir: tempfile::TempDir,
}

impl Pair {
    fn setup(&self, json: bool) -> Setup {
        let s = Setup::on(&self.emu.endpoint());
        if json {
            s.json()
        } else {
            s
        }
    }

    /// Runs and compares; `unordered` sorts the lines first (two regions at once).
    fn step(&self, name: &str, json: bool, unordered: bool, args: &[&str]) -> Run {
        let r = run(&self.setup(json), args);
        let tidy = |text: &str| {
            let text = text.replace(&format!(":{}", self.emu.port()), ":<port>");
            if !unordered {
                return text;
            }
            let mut lines: Vec<&str> = text.lines().collect();
            lines.sort();
            lines.iter().map(|l| format!("{l}\n")).collect()
        };
        let r = Run {
            stdout: tidy(&r.stdout),
            stderr: tidy(&r.stderr),
            ..r
        };
        let ext = if json { "json" } else { "txt" };
        expect(&format!("{name}.{ext}"), &r, Some(self.dir.path()));
        r
    }
}

async fn produce(emu: &Emulator) {
    let cfg = emu.sdk_config("us-east-1").await;
    let records: Vec<OutRecord> = (0..RECORDS)
        .map(|i| OutRecord {
            partition_key: format!("key-{}", i % 4),
            explicit_hash_key: None,
            data: format!("{{\"n\":{i}}}").into_bytes(),
        })
        .collect();
    let out = put_records(
        &aws_sdk_kinesis::Client::new(&cfg),
        STREAM,
        &records,
        &RetryPolicy::default(),
    )
    .await;
    assert!(out.all_delivered(), "{out:?}");
}

fn deploy_both_regions(p: &Pair) {
    fake_dist(p.dir.path(), "sk-cmd-xr-assets");
    let dist = p.dir.path().join("deployment").display().to_string();
    let stream = format!("StreamName={STREAM}");
    let args = [
        "deploy",
        "--pattern",
        "cross-region",
        "--stack-name",
        STACK,
        "--regions",
        REGIONS,
        "--parameter",
        &stream,
        "--parameter",
        "ShardCount=1",
        "--dist-dir",
        &dist,
        "--yes",
    ];
    let r = p.step("deploy-regions", false, true, &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = p.step("deploy-regions", true, true, &args);
    let lines = r.json();
    let results = lines.iter().filter(|l| l["event"] == "result").count();
    assert_eq!(results, 2, "one result per region");
}

fn replicate(p: &Pair) {
    let args = [
        "local",
        "replicate",
        "--stack-name",
        STACK,
        "--regions",
        REGIONS,
        "--until-idle",
        "--idle-seconds",
        "1",
    ];
    let r = p.step("local-replicate", false, false, &args);
    assert!(
        r.stdout
            .starts_with(&format!("us-east-1: read {RECORDS}, replicated {RECORDS}")),
        "{}",
        r.stdout
    );
    p.step("local-replicate-again", true, false, &args);
}

fn status(p: &Pair) {
    let args = [
        "replication",
        "status",
        "--stack-name",
        STACK,
        "--regions",
        REGIONS,
    ];
    p.step("replication-status", false, false, &args);
    let r = p.step("replication-status", true, false, &args);
    assert_eq!(r.json()[0]["records_behind"], 0);
}

fn failover(p: &Pair) {
    let to_b = [
        "failover",
        "--stack-name",
        STACK,
        "--regions",
        REGIONS,
        "--to",
        "us-west-2",
        "--yes",
        "--no-wait",
    ];
    p.step("failover", false, false, &to_b);
    let back = [
        "failover",
        "--stack-name",
        STACK,
        "--regions",
        REGIONS,
        "--to",
        "us-east-1",
        "--yes",
        "--no-wait",
    ];
    let r = p.step("failover-back", true, false, &back);
    assert_eq!(r.json()[0]["to"], "us-east-1");
}

#[test]
fn cross_region_commands_text_and_json() {
    let p = Pair {
        emu: Emulator::start(),
        dir: tmp(),
    };
    deploy_both_regions(&p);
    // The commands run their own runtime; the test's SDK calls get another.
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        // The local runner replicates here: the deployed one is paused.
        for region in REGIONS.split(',') {
            let c = crate::support::Clients::new(&p.emu, region).await;
            crate::support::xr::pause_replicator(&c, STACK).await;
        }
        produce(&p.emu).await
    });
    replicate(&p);
    status(&p);
    failover(&p);
}
