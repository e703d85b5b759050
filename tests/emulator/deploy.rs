//! End to end through the real binary against the local emulator (strict
//! mode): bootstrap, deploy, no-op deploy, update, the stateful-resource
//! guard, outputs, destroy, and the bad-input and access failures.
//!
//! Needs `python3` with `tests/requirements.txt` (or STREAMKIT_PYTHON).

use std::time::Instant;

use assert_cmd::Command;
use serde_json::Value;
use streamkit_testkit::Emulator;

use crate::support::cli::{fake_dist, run, streamkit};

const BASE: &str = "sk-e2e-assets";

async fn change_sets(emu: &Emulator, stack: &str) -> usize {
    let cfn = aws_sdk_cloudformation::Client::new(&emu.sdk_config("us-east-1").await);
    let resp = cfn
        .list_change_sets()
        .stack_name(stack)
        .send()
        .await
        .expect("ListChangeSets");
    // Not executed = left behind; the emulator also lists executed ones.
    resp.summaries()
        .iter()
        .filter(|s| s.execution_status().map(|e| e.as_str()) != Some("EXECUTE_COMPLETE"))
        .count()
}

/// Physical id of a stack resource (the emulator reports no stack outputs for
/// stacks made through change sets, so tests look resources up directly).
async fn physical_id(emu: &Emulator, stack: &str, logical: &str) -> String {
    let cfn = aws_sdk_cloudformation::Client::new(&emu.sdk_config("us-east-1").await);
    let resp = cfn
        .describe_stack_resource()
        .stack_name(stack)
        .logical_resource_id(logical)
        .send()
        .await
        .expect("DescribeStackResource");
    resp.stack_resource_detail()
        .and_then(|d| d.physical_resource_id())
        .expect("physical id")
        .to_string()
}

async fn bucket_exists(emu: &Emulator, bucket: &str) -> bool {
    let conf = aws_sdk_s3::config::Builder::from(&emu.sdk_config("us-east-1").await)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
        .head_bucket()
        .bucket(bucket)
        .send()
        .await
        .is_ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn pattern_3_deploy_noop_update_guard_outputs_destroy() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let sk = |args: &[&str]| run(streamkit(&emu, dir.path()).args(args));

    let (code, out, err) = sk(&["bootstrap", "--bucket-base", BASE]);
    assert_eq!(code, 0, "bootstrap: {out}{err}");
    assert!(out.contains(&format!("s3://{BASE}-us-east-1")), "{out}");
    assert!(
        bucket_exists(&emu, BASE).await && bucket_exists(&emu, &format!("{BASE}-us-east-1")).await
    );

    let t = Instant::now();
    let (code, out, err) = sk(&["deploy", "--pattern", "3", "--yes"]);
    let first = t.elapsed();
    assert_eq!(code, 0, "deploy: {out}{err}");
    assert!(
        out.contains("streamkit-pattern-3 (us-east-1): created"),
        "{out}"
    );
    assert!(
        err.contains("CREATE_COMPLETE"),
        "progress lines on stderr: {err}"
    );

    let t = Instant::now();
    let (code, out, err) = sk(&["deploy", "--pattern", "3", "--yes"]);
    let noop = t.elapsed();
    assert_eq!(code, 0, "no-op deploy: {out}{err}");
    assert!(out.contains("no changes"), "{out}");
    assert_eq!(
        change_sets(&emu, "streamkit-pattern-3").await,
        0,
        "no change set left behind"
    );
    eprintln!("timing: first deploy {first:?}, no-op deploy {noop:?}");

    // Without --yes and with stdin not a terminal: fails naming --yes, changes nothing.
    let (code, _, err) = sk(&[
        "deploy",
        "--pattern",
        "3",
        "--parameter",
        "RetentionHours=48",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--yes"), "{err}");
    assert_eq!(change_sets(&emu, "streamkit-pattern-3").await, 0);

    let (code, out, err) = sk(&[
        "deploy",
        "--pattern",
        "3",
        "--parameter",
        "RetentionHours=48",
        "--yes",
        "--output",
        "json",
    ]);
    assert_eq!(code, 0, "update: {out}{err}");
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("NDJSON"))
        .collect();
    assert_eq!(lines.last().unwrap()["outcome"], "updated", "{out}");
    assert!(lines.iter().any(|l| l["event"] == "changeset"), "{out}");

    // A previous value is kept when the flag is not repeated: still no changes.
    let (code, out, _) = sk(&["deploy", "--pattern", "3", "--yes"]);
    assert_eq!(code, 0);
    assert!(out.contains("no changes"), "{out}");

    // Another pattern on the same stack would delete its buckets: refused.
    fake_dist(dir.path(), BASE);
    let (code, out, err) = sk(&[
        "deploy",
        "--pattern",
        "1",
        "--stack-name",
        "streamkit-pattern-3",
        "--yes",
    ]);
    assert_eq!(code, 2, "guard: {out}{err}");
    assert!(
        err.contains("OutputBucket (AWS::S3::Bucket) would be deleted"),
        "{err}"
    );
    assert!(err.contains("--allow-replacement"), "{err}");
    assert_eq!(change_sets(&emu, "streamkit-pattern-3").await, 0);

    let (code, out, err) = sk(&["outputs", "--pattern", "3", "--output", "json"]);
    assert_eq!(code, 0, "{err}");
    let outputs: Value = serde_json::from_str(out.trim()).expect("outputs JSON");
    assert_eq!(outputs["stack"], "streamkit-pattern-3");
    assert!(outputs["outputs"].is_object(), "{outputs}");
    let bucket = physical_id(&emu, "streamkit-pattern-3", "OutputBucket").await;

    // A first deploy that is not confirmed leaves no REVIEW_IN_PROGRESS stack.
    let (code, _, err) = sk(&["deploy", "--pattern", "3", "--stack-name", "sk-unconfirmed"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = sk(&["status", "--stack-name", "sk-unconfirmed"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("does not exist"), "{err}");

    let (code, out, _) = sk(&["status", "--pattern", "3"]);
    assert_eq!(code, 0);
    assert!(out.contains("UPDATE_COMPLETE"), "{out}");
    let (code, out, _) = sk(&["dashboard", "--pattern", "3"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("https://us-east-1.console.aws.amazon.com/cloudwatch/"),
        "{out}"
    );

    let (code, out, err) = sk(&["destroy", "--pattern", "3", "--yes"]);
    assert_eq!(code, 0, "destroy: {out}{err}");
    assert!(out.contains(&format!("kept bucket {bucket}")), "{out}");
    assert!(
        bucket_exists(&emu, &bucket).await,
        "retained data bucket stays"
    );
    let (code, _, err) = sk(&["status", "--pattern", "3"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("does not exist"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn destroy_with_delete_data_removes_retained_buckets() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let sk = |args: &[&str]| run(streamkit(&emu, dir.path()).args(args));
    let (code, out, err) = sk(&[
        "deploy",
        "--pattern",
        "3",
        "--stack-name",
        "sk-data",
        "--yes",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let bucket = physical_id(&emu, "sk-data", "OutputBucket").await;
    let conf = aws_sdk_s3::config::Builder::from(&emu.sdk_config("us-east-1").await)
        .force_path_style(true)
        .build();
    let s3 = aws_sdk_s3::Client::from_conf(conf);
    // The stacks' TLS-only policies refuse the emulator's plain HTTP to write data
    // (and the emulator enforces it), so lift it from both buckets of the stack.
    let logs = physical_id(&emu, "sk-data", "AccessLogBucket").await;
    for b in [&bucket, &logs] {
        s3.delete_bucket_policy().bucket(b).send().await.unwrap();
    }
    for i in 0..3 {
        s3.put_object()
            .bucket(&bucket)
            .key("data/a.json")
            .body(format!("{i}").into_bytes().into())
            .send()
            .await
            .unwrap();
    }
    let (code, out, err) = sk(&[
        "destroy",
        "--stack-name",
        "sk-data",
        "--delete-data",
        "--yes",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("deleted bucket {bucket}")), "{out}");
    assert!(!bucket_exists(&emu, &bucket).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_fails_before_any_aws_call() {
    // No emulator: a call to AWS would fail with exit 3, not 2.
    let dir = tempfile::tempdir().unwrap();
    let sk = |args: &[&str]| {
        let mut cmd = Command::cargo_bin("streamkit").unwrap();
        cmd.current_dir(dir.path())
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "x")
            .env("AWS_SECRET_ACCESS_KEY", "x");
        run(cmd.args(args))
    };
    let (code, _, err) = sk(&[
        "deploy",
        "--pattern",
        "3",
        "--parameter",
        "ShardCount=500",
        "--yes",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("MaxValue 200"), "{err}");
    let (code, _, err) = sk(&[
        "deploy",
        "--pattern",
        "3",
        "--parameter",
        "Shards=5",
        "--yes",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("ShardCount"), "{err}");
    let (code, _, err) = sk(&["deploy", "--pattern", "9", "--yes"]);
    assert_eq!(code, 2, "{err}");
    std::fs::write(
        dir.path().join("streamkit.toml"),
        "[env.dev]\npattern = \"3\"\nstack_nmae = \"x\"\n",
    )
    .unwrap();
    let (code, _, err) = sk(&["deploy", "--env", "dev", "--yes"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("streamkit.toml line 3") && err.contains("stack_nmae"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    // Valid input, unreachable endpoint: exit 3 naming the endpoint.
    let (code, _, err) = sk(&["deploy", "--pattern", "3", "--yes", "--config", "/dev/null"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("http://127.0.0.1:9"), "{err}");
}

/// `streamkit deploy --output json | head -1`: the reader goes away after the
/// first event; the deploy still runs to its end and exits 0.
#[test]
fn a_deploy_whose_stdout_closes_runs_to_the_end() {
    use std::io::BufRead;
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let mut child = crate::support::cli::streamkit_process(&emu.env(), dir.path())
        .args([
            "deploy",
            "--pattern",
            "3",
            "--stack-name",
            "sk-pipe",
            "--yes",
            "--output",
            "json",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("\"cost_estimate\""), "{first}");
    // The reader is gone now; the change set, execute and watch still happen.
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    let (code, out, err) =
        run(streamkit(&emu, dir.path()).args(["status", "--stack-name", "sk-pipe"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("CREATE_COMPLETE"), "{out}");
}

/// What a deleted stack retained can be removed later (issue 26, item 5):
/// `destroy` keeps the data bucket and says `destroy --delete-data` removes
/// it; run after the stack is gone, exactly that finds the bucket (from
/// CloudFormation's record of the deleted stack), asks, and deletes it with
/// its objects. A stack that does not exist and retained nothing: exit 0,
/// `nothing to delete`.
#[tokio::test(flavor = "multi_thread")]
async fn destroy_after_the_stack_is_gone_deletes_what_it_retained() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let sk = |args: &[&str]| run(streamkit(&emu, dir.path()).args(args).write_stdin(""));
    let (code, out, err) = sk(&[
        "deploy",
        "--pattern",
        "3",
        "--stack-name",
        "sk-gone",
        "--yes",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let bucket = physical_id(&emu, "sk-gone", "OutputBucket").await;
    let conf = aws_sdk_s3::config::Builder::from(&emu.sdk_config("us-east-1").await)
        .force_path_style(true)
        .build();
    let s3 = aws_sdk_s3::Client::from_conf(conf);
    s3.delete_bucket_policy()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket(&bucket)
        .key("data/a.json")
        .body(b"{}".to_vec().into())
        .send()
        .await
        .unwrap();

    let (code, out, err) = sk(&["destroy", "--stack-name", "sk-gone", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("kept bucket {bucket}")), "{out}");

    // Gone, without --delete-data: what it retained is listed, nothing changes.
    let (code, out, err) = sk(&["destroy", "--stack-name", "sk-gone", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with("sk-gone (us-east-1): already deleted"),
        "{out}"
    );
    assert!(out.contains(&format!("kept bucket {bucket}")), "{out}");
    assert!(bucket_exists(&emu, &bucket).await);

    // --delete-data asks first (no terminal: refused naming --yes).
    let (code, _, err) = sk(&["destroy", "--stack-name", "sk-gone", "--delete-data"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--yes"), "{err}");
    assert!(bucket_exists(&emu, &bucket).await);

    let (code, out, err) = sk(&[
        "destroy",
        "--stack-name",
        "sk-gone",
        "--delete-data",
        "--yes",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with("sk-gone (us-east-1): already deleted"),
        "{out}"
    );
    assert!(out.contains(&format!("deleted bucket {bucket}")), "{out}");
    assert!(
        !bucket_exists(&emu, &bucket).await,
        "the retained bucket is gone"
    );

    // Nothing left: not an error.
    for stack in ["sk-gone", "sk-never-deployed"] {
        let (code, out, err) = sk(&["destroy", "--stack-name", stack, "--delete-data", "--yes"]);
        assert_eq!(code, 0, "{stack}: {out}{err}");
        assert_eq!(
            out.trim(),
            format!("{stack} (us-east-1): nothing to delete (no such stack, and nothing retained by one deleted before)")
        );
    }
    let (code, out, err) = sk(&["destroy", "--stack-name", "sk-gone", "--output", "json"]);
    assert_eq!(code, 0, "{err}");
    let line: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(line["event"], "result");
    assert_eq!(line["outcome"], "nothing_to_delete");
}
