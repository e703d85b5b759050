//! `streamkit estimate` through the real binary: without `--deployed` it
//! needs no AWS at all (an unreachable endpoint is never called); with it,
//! parameters not given take the deployed stack's values, so the figure for
//! a stack deployed with 4 shards and 48 h is the one computed offline with
//! those values given explicitly, not the 2-shard default's.

use serde_json::Value;
use streamkit_testkit::Emulator;

use crate::support::cli::{run, streamkit};

fn estimate_json(emu: &Emulator, dir: &std::path::Path, args: &[&str]) -> Value {
    let (code, out, err) = run(streamkit(emu, dir)
        .args(["estimate", "--pattern", "3", "--output", "json"])
        .args(args));
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(out.trim()).expect("one JSON object")
}

#[test]
fn estimate_uses_deployed_values_for_parameters_not_given() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let explicit = [
        "--parameter",
        "ShardCount=4",
        "--parameter",
        "RetentionHours=48",
    ];
    let (code, _, err) = run(streamkit(&emu, dir.path())
        .args(["deploy", "--pattern", "3", "--yes"])
        .args(explicit));
    assert_eq!(code, 0, "{err}");

    let deployed = estimate_json(&emu, dir.path(), &["--deployed"]);
    assert_eq!(deployed["deployed"], true);
    assert_eq!(deployed["parameters"]["ShardCount"], "4");
    assert_eq!(deployed["parameters"]["RetentionHours"], "48");
    let offline = estimate_json(&emu, dir.path(), &explicit);
    assert_eq!(offline["deployed"], false);
    assert_eq!(deployed["estimate"], offline["estimate"]);
    let default = estimate_json(&emu, dir.path(), &[]);
    assert_eq!(default["parameters"]["ShardCount"], "2");
    let idle = |v: &Value| v["estimate"]["design"]["idle_usd"].as_f64().unwrap();
    // Two more shards at $0.015 per shard-hour, 730 hours a month.
    assert!(
        idle(&deployed) - idle(&default) >= 2.0 * 0.015 * 730.0 - 0.01,
        "{} vs {}",
        idle(&deployed),
        idle(&default)
    );

    // A given value still wins over the deployed one.
    let given = estimate_json(
        &emu,
        dir.path(),
        &["--deployed", "--parameter", "ShardCount=1"],
    );
    assert_eq!(given["parameters"]["ShardCount"], "1");
    assert_eq!(given["parameters"]["RetentionHours"], "48");
}

#[test]
fn estimate_without_deployed_makes_no_aws_call() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = assert_cmd::Command::cargo_bin("streamkit").unwrap();
    cmd.current_dir(dir.path())
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_REGION", "us-east-1")
        .args(["estimate", "--pattern", "3", "--parameter", "ShardCount=4"]);
    let (code, out, err) = run(&mut cmd);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("estimated cost: idle ~$"), "{out}");
    assert!(out.contains("ShardCount=4"), "{out}");
}
