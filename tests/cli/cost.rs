//! `streamkit deploy` prints the cost estimate of the stack before any AWS
//! call: run as the real binary against a closed port, so it stops (exit 3)
//! right after the estimate. The figures themselves are unit-tested in
//! `src/cost.rs`; here only what the user sees, in text and JSON.

use assert_cmd::Command;

fn deploy(extra: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("streamkit")
        .unwrap()
        .current_dir(dir.path())
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "x")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(["deploy", "--pattern", "3", "--yes", "--config", "/dev/null"])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn text_mode_prints_one_estimate_line_on_stderr_before_any_aws_call() {
    let (code, out, err) = deploy(&[]);
    assert_eq!(
        code, 3,
        "the closed port is reached after the estimate: {err}"
    );
    let line = err
        .lines()
        .find(|l| l.starts_with("estimated cost: "))
        .unwrap_or_else(|| panic!("no estimate line in: {err}"));
    assert!(
        line.contains("idle ~$") && line.contains("at 1 MB/s ~$"),
        "{line}"
    );
    assert!(line.contains(streamkit::cost::PRICES_AS_OF), "{line}");
    assert!(
        !out.contains("estimated cost"),
        "stdout is for results: {out}"
    );
}

#[test]
fn the_estimate_follows_the_parameters_given() {
    let (_, _, two) = deploy(&[]);
    let (_, _, four) = deploy(&["--parameter", "ShardCount=4"]);
    let idle = |err: &str| -> f64 {
        let at = err.find("idle ~$").expect("estimate line") + "idle ~$".len();
        err[at..].split('/').next().unwrap().parse().unwrap()
    };
    // Two more shards: 2 * 730 h * $0.015 = $21.90 (the line rounds to dollars).
    let more = idle(&four) - idle(&two);
    assert!((more - 21.9).abs() <= 1.0, "{two}\n{four}");
}

#[test]
fn json_mode_emits_one_cost_estimate_event_first_on_stdout() {
    let (code, out, err) = deploy(&["--output", "json"]);
    assert_eq!(code, 3, "{err}");
    let first: serde_json::Value =
        serde_json::from_str(out.lines().next().expect("an NDJSON line")).unwrap();
    assert_eq!(first["event"], "cost_estimate");
    let est = &first["estimate"];
    assert_eq!(est["pattern"], "3");
    assert_eq!(est["prices_as_of"], streamkit::cost::PRICES_AS_OF);
    assert!(est["design"]["idle_usd"].as_f64().unwrap() > 0.0);
    assert!(est["design"]["lines"].as_array().unwrap().len() >= 2);
    assert!(est["reference"]["at_1mbps_usd"].is_number());
    assert!(
        !err.contains("estimated cost"),
        "no text line in JSON mode: {err}"
    );
}
