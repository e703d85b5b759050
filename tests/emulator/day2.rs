//! Day-2 commands through the real binary on the strict emulator (pattern 3:
//! no function code needed): `drift` after a change made through the
//! Kinesis API, and after the deploy that matches it.

use aws_sdk_kinesis::Client as Kinesis;
use serde_json::Value;
use streamkit_testkit::Emulator;

use crate::support::cli::{ndjson, run, streamkit};

const BASE: &str = "sk-day2-assets";

#[tokio::test(flavor = "multi_thread")]
async fn drift_names_a_retention_changed_through_the_api_and_is_clean_after_deploy() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let sk = |args: &[&str]| run(streamkit(&emu, dir.path()).args(args));
    let (code, out, err) = sk(&["bootstrap", "--bucket-base", BASE]);
    assert_eq!(code, 0, "bootstrap: {out}{err}");
    let (code, out, err) = sk(&["deploy", "--pattern", "3", "--yes"]);
    assert_eq!(code, 0, "deploy: {out}{err}");

    let (code, out, err) = sk(&["drift", "--pattern", "3"]);
    assert_eq!(code, 0, "in sync after deploy: {out}{err}");
    assert!(
        out.contains("streamkit-pattern-3 (us-east-1): IN_SYNC"),
        "{out}"
    );

    let config = emu.sdk_config("us-east-1").await;
    let stream = aws_sdk_cloudformation::Client::new(&config)
        .describe_stack_resource()
        .stack_name("streamkit-pattern-3")
        .logical_resource_id("Stream")
        .send()
        .await
        .expect("DescribeStackResource")
        .stack_resource_detail()
        .and_then(|d| d.physical_resource_id())
        .expect("the stream's name")
        .to_string();
    let kinesis = Kinesis::new(&config);
    kinesis
        .increase_stream_retention_period()
        .stream_name(&stream)
        .retention_period_hours(48)
        .send()
        .await
        .expect("IncreaseStreamRetentionPeriod");

    let (code, out, err) = sk(&["drift", "--pattern", "3"]);
    assert_eq!(code, 1, "drifted: {out}{err}");
    assert!(
        out.lines()
            .any(|l| l == "Stream (AWS::Kinesis::Stream) RetentionPeriodHours: 24 → 48"),
        "{out}"
    );
    assert_eq!(
        out.lines().filter(|l| l.contains(" → ")).count(),
        1,
        "only the retention drifted: {out}"
    );
    assert!(err.contains("drifted (1 differences)"), "{err}");
    let (code, out, _) = sk(&["drift", "--pattern", "3", "--output", "json"]);
    assert_eq!(code, 1);
    let report: &Value = &ndjson(&out)[0];
    assert_eq!(report["outcome"], "DRIFTED", "{report}");
    assert_eq!(report["drifted"][0]["property"], "RetentionPeriodHours");
    assert_eq!(report["drifted"][0]["expected"], "24");
    assert_eq!(report["drifted"][0]["actual"], "48");

    // A deploy with the live value in the template: in sync again.
    let (code, out, err) = sk(&[
        "deploy",
        "--pattern",
        "3",
        "--yes",
        "--parameter",
        "RetentionHours=48",
    ]);
    assert_eq!(code, 0, "deploy: {out}{err}");
    let (code, out, err) = sk(&["drift", "--pattern", "3"]);
    assert_eq!(code, 0, "in sync after deploy: {out}{err}");
    assert!(!out.contains(" → "), "{out}");
}

/// `scale --mode on-demand` then `--mode provisioned --shards 2` through the
/// binary (UpdateStreamMode, then UpdateShardCount), each with the estimate
/// before and after; the stream's mode read back through the Kinesis API.
/// `list --regions` over two regions lists the stack of each.
#[tokio::test(flavor = "multi_thread")]
async fn scale_switches_the_capacity_mode_and_list_covers_two_regions() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let sk = |args: &[&str]| run(streamkit(&emu, dir.path()).args(args));
    let (code, out, err) = sk(&["deploy", "--pattern", "3", "--yes"]);
    assert_eq!(code, 0, "deploy: {out}{err}");
    let (code, out, err) = sk(&["deploy", "--pattern", "3", "--yes", "--region", "us-west-2"]);
    assert_eq!(code, 0, "deploy in us-west-2: {out}{err}");

    let config = emu.sdk_config("us-east-1").await;
    let stream = aws_sdk_cloudformation::Client::new(&config)
        .describe_stack_resource()
        .stack_name("streamkit-pattern-3")
        .logical_resource_id("Stream")
        .send()
        .await
        .expect("DescribeStackResource")
        .stack_resource_detail()
        .and_then(|d| d.physical_resource_id())
        .expect("the stream's name")
        .to_string();
    let kinesis = Kinesis::new(&config);
    let mode = |k: Kinesis, s: String| async move {
        k.describe_stream_summary()
            .stream_name(s)
            .send()
            .await
            .expect("DescribeStreamSummary")
            .stream_description_summary()
            .and_then(|d| d.stream_mode_details())
            .map(|m| m.stream_mode().as_str().to_string())
            .unwrap_or_default()
    };
    assert_eq!(mode(kinesis.clone(), stream.clone()).await, "PROVISIONED");

    let (code, out, err) = sk(&["scale", "--pattern", "3", "--mode", "on-demand", "--yes"]);
    assert_eq!(code, 0, "scale --mode on-demand: {out}{err}");
    assert_eq!(mode(kinesis.clone(), stream.clone()).await, "ON_DEMAND");
    let (code, out, err) = sk(&[
        "scale",
        "--pattern",
        "3",
        "--mode",
        "provisioned",
        "--yes",
        "--output",
        "json",
    ]);
    assert_eq!(code, 0, "scale --mode provisioned: {out}{err}");
    assert_eq!(mode(kinesis.clone(), stream.clone()).await, "PROVISIONED");
    let lines = ndjson(&out);
    let report = lines
        .iter()
        .find(|l| !l["after"].is_null())
        .unwrap_or_else(|| panic!("a scale result: {out}"));
    assert!(
        report["after"].to_string().contains("provisioned"),
        "{report}"
    );
    assert!(report["before"].to_string().contains("on"), "{report}");

    let (code, out, err) = sk(&[
        "list",
        "--regions",
        "us-east-1,us-west-2",
        "--output",
        "json",
    ]);
    assert_eq!(code, 0, "list: {out}{err}");
    let regions: std::collections::BTreeSet<String> = ndjson(&out)
        .iter()
        .filter(|l| l["stack"] == "streamkit-pattern-3" || l["name"] == "streamkit-pattern-3")
        .filter_map(|l| l["region"].as_str().map(str::to_string))
        .collect();
    assert_eq!(
        regions,
        ["us-east-1", "us-west-2"].map(String::from).into(),
        "{out}"
    );
}
