//! `streamkit estimate` through the real binary: without `--deployed` it
//! needs no AWS at all (an unreachable endpoint is never called); with it,
//! parameters not given take the deployed stack's values, so the figure for
//! a stack deployed with 4 shards and 48 h is the one computed offline with
//! those values given explicitly, not the 2-shard default's; `deploy`'s own
//! estimate on an update is that same figure.

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

    // deploy's own estimate on an update (a tag-only change here) prices the
    // deployed values too, not the defaults.
    let (code, out, err) = run(streamkit(&emu, dir.path()).args([
        "deploy",
        "--pattern",
        "3",
        "--yes",
        "--tag",
        "team=data",
        "--output",
        "json",
    ]));
    assert_eq!(code, 0, "{err}");
    let line = out
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("NDJSON"))
        .find(|l| l["event"] == "cost_estimate")
        .unwrap_or_else(|| panic!("no cost_estimate event: {out}"));
    assert_eq!(line["estimate"], deployed["estimate"], "{out}");
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

/// What `deploy` shows of the estimate: in text one line on stderr (stdout is
/// for results), in JSON the first NDJSON event; before any write, after the
/// read-only look at the deployed stack. It follows the parameters given.
#[test]
fn deploy_prints_one_estimate_before_any_change() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let deploy = |stack: &str, extra: &[&str]| {
        run(streamkit(&emu, dir.path())
            .args(["deploy", "--pattern", "3", "--yes", "--stack-name", stack])
            .args(extra))
    };
    let idle = |err: &str| -> f64 {
        let line = err
            .lines()
            .find(|l| l.starts_with("estimated cost: "))
            .unwrap_or_else(|| panic!("no estimate line in: {err}"));
        assert!(line.contains("at 1 MB/s ~$"), "{line}");
        assert!(line.contains(streamkit::cost::PRICES_AS_OF), "{line}");
        let at = line.find("idle ~$").expect("idle figure") + "idle ~$".len();
        line[at..].split('/').next().unwrap().parse().unwrap()
    };
    let (code, out, two) = deploy("sk-cost-two", &[]);
    assert_eq!(code, 0, "{two}");
    assert!(
        !out.contains("estimated cost"),
        "stdout is for results: {out}"
    );
    assert_eq!(two.matches("estimated cost: ").count(), 1, "{two}");
    let (code, _, four) = deploy("sk-cost-four", &["--parameter", "ShardCount=4"]);
    assert_eq!(code, 0, "{four}");
    // Two more shards: 2 * 730 h * $0.015 = $21.90 (the line rounds to dollars).
    let more = idle(&four) - idle(&two);
    assert!((more - 21.9).abs() <= 1.0, "{two}\n{four}");

    let (code, out, err) = deploy("sk-cost-json", &["--output", "json"]);
    assert_eq!(code, 0, "{err}");
    let first: Value = serde_json::from_str(out.lines().next().expect("an NDJSON line")).unwrap();
    assert_eq!(first["event"], "cost_estimate", "{out}");
    let est = &first["estimate"];
    assert_eq!(est["pattern"], "3");
    assert!(est["design"]["idle_usd"].as_f64().unwrap() > 0.0);
    assert!(est["design"]["lines"].as_array().unwrap().len() >= 2);
    assert!(est["reference"]["at_1mbps_usd"].is_number());
    assert!(
        !err.contains("estimated cost"),
        "no text line in JSON mode: {err}"
    );
}
