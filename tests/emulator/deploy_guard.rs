//! The data guard through the real binary (issue 14, item 4): changes that
//! CloudFormation applies by replacing a resource holding data or records in
//! flight are refused with `--yes` unless `--allow-replacement`, although the
//! emulator's change set lists no change for a parameter-only update. Each
//! refusal names the resource and what would be lost, and changes nothing.

use std::collections::BTreeMap;

use streamkit_testkit::Emulator;

use crate::support::cli::{fake_dist, run, streamkit};

async fn stack_parameters(emu: &Emulator, region: &str, stack: &str) -> BTreeMap<String, String> {
    let cfn = aws_sdk_cloudformation::Client::new(&emu.sdk_config(region).await);
    let out = cfn
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .unwrap();
    out.stacks()[0]
        .parameters()
        .iter()
        .map(|p| {
            (
                p.parameter_key().unwrap_or_default().to_string(),
                p.parameter_value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn deploy(emu: &Emulator, dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    run(streamkit(emu, dir).args(["deploy", "--yes"]).args(args))
}

#[tokio::test(flavor = "multi_thread")]
async fn enabling_firehose_dynamic_partitioning_is_refused_then_allowed() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = deploy(&emu, dir.path(), &["--pattern", "3"]);
    assert_eq!(code, 0, "{out}{err}");

    // `diff` shows the replacement the guard will refuse.
    let (code, out, err) = run(streamkit(&emu, dir.path()).args([
        "diff",
        "--pattern",
        "3",
        "--parameter",
        "DynamicPartitioningKey=TICKER",
    ]));
    assert_eq!(code, 0, "{out}{err}");
    let both = format!("{out}{err}");
    let row = both
        .lines()
        .find(|l| l.contains("AWS::KinesisFirehose::DeliveryStream"))
        .unwrap_or_else(|| panic!("no DeliveryStream row: {both}"));
    assert!(row.contains("Modify") && row.contains("True"), "{row}");

    let (code, out, err) = deploy(
        &emu,
        dir.path(),
        &[
            "--pattern",
            "3",
            "--parameter",
            "DynamicPartitioningKey=TICKER",
        ],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("DeliveryStream (AWS::KinesisFirehose::DeliveryStream) would be replaced, dropping the records it buffers"),
        "{err}"
    );
    assert!(err.contains("--allow-replacement"), "{err}");
    let params = stack_parameters(&emu, "us-east-1", "streamkit-pattern-3").await;
    assert_eq!(params["DynamicPartitioningKey"], "", "nothing changed");

    // A change that keeps the delivery stream passes the guard.
    let (code, out, err) = deploy(
        &emu,
        dir.path(),
        &["--pattern", "3", "--parameter", "BufferingInterval=120"],
    );
    assert_eq!(code, 0, "{out}{err}");

    let (code, out, err) = deploy(
        &emu,
        dir.path(),
        &[
            "--pattern",
            "3",
            "--parameter",
            "DynamicPartitioningKey=TICKER",
            "--allow-replacement",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let params = stack_parameters(&emu, "us-east-1", "streamkit-pattern-3").await;
    assert_eq!(params["DynamicPartitioningKey"], "TICKER");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_starting_position_replacing_the_event_source_mapping_is_refused() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    fake_dist(dir.path(), "sk-guard-assets");
    let (code, out, err) = deploy(&emu, dir.path(), &["--pattern", "1"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = deploy(
        &emu,
        dir.path(),
        &[
            "--pattern",
            "1",
            "--parameter",
            "StartingPosition=TRIM_HORIZON",
        ],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("ConsumerEventSourceMapping (AWS::Lambda::EventSourceMapping) would be replaced, the new mapping starts reading at its StartingPosition"),
        "{err}"
    );
    let params = stack_parameters(&emu, "us-east-1", "streamkit-pattern-1").await;
    assert_eq!(params["StartingPosition"], "LATEST");
    // Batch size is updated in place: no refusal.
    let (code, out, err) = deploy(
        &emu,
        dir.path(),
        &["--pattern", "1", "--parameter", "BatchSize=50"],
    );
    assert_eq!(code, 0, "{out}{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn renaming_the_cross_region_stream_is_refused_in_both_regions() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    fake_dist(dir.path(), "sk-guard-xr");
    let base = [
        "--pattern",
        "cross-region",
        "--regions",
        "us-east-1,us-west-2",
    ];
    let (code, out, err) = deploy(
        &emu,
        dir.path(),
        &[&base[..], &["--parameter", "StreamName=orders-a"]].concat(),
    );
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = deploy(
        &emu,
        dir.path(),
        &[&base[..], &["--parameter", "StreamName=orders-b"]].concat(),
    );
    assert_eq!(code, 2, "{out}{err}");
    for what in [
        "Stream (AWS::Kinesis::Stream) would be replaced, losing the records it holds",
        "ConfigTable (AWS::DynamoDB::GlobalTable) would be replaced",
        "CheckpointTable (AWS::DynamoDB::GlobalTable) would be replaced",
    ] {
        assert!(err.contains(what), "{what}: {err}");
    }
    for region in ["us-east-1", "us-west-2"] {
        let params = stack_parameters(&emu, region, "streamkit-cross-region").await;
        assert_eq!(params["StreamName"], "orders-a", "{region}");
    }
}

/// `diff` is a plan (issue 26, item 7): the changes go to stdout, a change
/// the guard would refuse is shown as refused in the guard's own words (the
/// ones `deploy` then prints), and `--exit-code` exits 1 with changes and 0
/// without, saying nothing more on stderr.
#[tokio::test(flavor = "multi_thread")]
async fn diff_is_a_plan_on_stdout_with_refusals_and_an_exit_code() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let stack = ["--pattern", "3", "--stack-name", "sk-plan"];
    let (code, out, err) = deploy(&emu, dir.path(), &stack);
    assert_eq!(code, 0, "{out}{err}");
    let diff = |extra: &[&str]| {
        run(streamkit(&emu, dir.path())
            .arg("diff")
            .args(stack)
            .args(extra))
    };

    for extra in [&[][..], &["--exit-code"][..]] {
        let (code, out, err) = diff(extra);
        assert_eq!(code, 0, "{extra:?}: {out}{err}");
        assert_eq!(out.trim(), "sk-plan (us-east-1): no changes", "{extra:?}");
    }

    let change = [
        "--parameter",
        "DynamicPartitioningKey=TICKER",
        "--parameter",
        "RetentionHours=48",
    ];
    let (code, out, err) = diff(&[&change[..], &["--exit-code"]].concat());
    assert_eq!(code, 1, "{out}{err}");
    assert!(!err.contains("error"), "nothing more on stderr: {err}");
    assert!(!err.contains("ACTION"), "the table is on stdout: {err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("sk-plan (us-east-1): "), "{out}");
    let row = lines
        .iter()
        .find(|l| l.contains("AWS::KinesisFirehose::DeliveryStream"))
        .unwrap_or_else(|| panic!("no DeliveryStream row: {out}"));
    assert!(row.starts_with("Modify") && row.ends_with("True"), "{row}");
    assert!(
        lines.contains(&"Parameter DynamicPartitioningKey:  -> TICKER"),
        "{out}"
    );
    assert!(
        lines.contains(&"Parameter RetentionHours: 24 -> 48"),
        "{out}"
    );
    let refused = "refused: DeliveryStream (AWS::KinesisFirehose::DeliveryStream) would be replaced, dropping the records it buffers";
    assert!(lines.iter().any(|l| l.starts_with(refused)), "{out}");

    // JSON: one result line, the refusal on its change.
    let (code, out, err) = diff(&[&change[..], &["--output", "json"]].concat());
    assert_eq!(code, 0, "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{out}");
    assert_eq!(lines[0]["outcome"], "changes");
    let ds = lines[0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["logical_id"] == "DeliveryStream")
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        ds["refused"]
            .as_str()
            .unwrap()
            .starts_with("would be replaced, dropping the records it buffers"),
        "{ds}"
    );
    assert_eq!(
        lines[0]["parameters"].as_array().map(Vec::len),
        Some(2),
        "{out}"
    );

    // What diff said is what deploy does: refused, in the same words.
    let (code, out, err) = deploy(&emu, dir.path(), &[&stack[..], &change[..]].concat());
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("DeliveryStream (AWS::KinesisFirehose::DeliveryStream) would be replaced, dropping the records it buffers"), "{err}");
}
