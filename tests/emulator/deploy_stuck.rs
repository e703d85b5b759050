//! Stuck states (issue 14, item 3), through the real binary: a stack left in
//! REVIEW_IN_PROGRESS by a first create that never ran (a change set made and
//! not executed, as a failed ExecuteChangeSet or a killed deploy leaves it)
//! is deleted and created again by `deploy`, deleted by `destroy`, and
//! `status --watch` ends on it with a message instead of following it for
//! ever; a deploy piped into `head -c 100` still runs to its end.

use std::path::Path;

use aws_sdk_cloudformation::types::ChangeSetType;
use streamkit_testkit::Emulator;

use crate::support::cli::{fake_dist, run, streamkit};

/// A stack in REVIEW_IN_PROGRESS with no resources: a CREATE change set
/// made and never executed.
async fn abandoned_create(emu: &Emulator, stack: &str) {
    let cfn = aws_sdk_cloudformation::Client::new(&emu.sdk_config("us-east-1").await);
    let template = serde_json::json!({
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}
    });
    cfn.create_change_set()
        .stack_name(stack)
        .change_set_name("abandoned")
        .change_set_type(ChangeSetType::Create)
        .template_body(template.to_string())
        .send()
        .await
        .expect("CreateChangeSet");
    assert_eq!(
        status(emu, stack).await.as_deref(),
        Some("REVIEW_IN_PROGRESS")
    );
}

/// The stack's status, `None` when it does not exist.
async fn status(emu: &Emulator, stack: &str) -> Option<String> {
    let cfn = aws_sdk_cloudformation::Client::new(&emu.sdk_config("us-east-1").await);
    let out = cfn.describe_stacks().stack_name(stack).send().await.ok()?;
    out.stacks()
        .first()
        .and_then(|s| s.stack_status())
        .map(|s| s.as_str().to_string())
}

fn sk(emu: &Emulator, dir: &Path, args: &[&str]) -> (i32, String, String) {
    run(streamkit(emu, dir).args(args))
}

#[tokio::test(flavor = "multi_thread")]
async fn review_in_progress_is_cleared_by_deploy_and_destroy_and_ends_status_watch() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();

    abandoned_create(&emu, "sk-review").await;
    let (code, out, err) = sk(
        &emu,
        dir.path(),
        &["status", "--stack-name", "sk-review", "--watch"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("REVIEW_IN_PROGRESS"), "{out}");
    assert!(
        err.contains("nothing to follow") && err.contains("streamkit deploy"),
        "says what to do: {err}"
    );

    let (code, out, err) = sk(
        &emu,
        dir.path(),
        &[
            "deploy",
            "--pattern",
            "3",
            "--stack-name",
            "sk-review",
            "--yes",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("REVIEW_IN_PROGRESS with no resources"),
        "{err}"
    );
    assert!(out.contains("sk-review (us-east-1): created"), "{out}");
    assert_eq!(
        status(&emu, "sk-review").await.as_deref(),
        Some("CREATE_COMPLETE")
    );

    abandoned_create(&emu, "sk-review-2").await;
    let (code, out, err) = sk(
        &emu,
        dir.path(),
        &["destroy", "--stack-name", "sk-review-2", "--yes"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("sk-review-2 (us-east-1): deleted"), "{out}");
    assert_eq!(status(&emu, "sk-review-2").await, None);
}

/// `streamkit deploy ... | head -c 100`, text and JSON: head exits after 100
/// bytes (JSON) or at the end (text); the deploy completes either way.
#[tokio::test(flavor = "multi_thread")]
async fn a_deploy_piped_into_head_completes() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    fake_dist(dir.path(), "sk-head-assets");
    let bin = assert_cmd::cargo::cargo_bin("streamkit");
    for (stack, format) in [("sk-head-json", "json"), ("sk-head-text", "text")] {
        let script = format!(
            "'{}' deploy --pattern 1 --stack-name {stack} --yes --output {format} | head -c 100 >/dev/null; exit ${{PIPESTATUS[0]}}",
            bin.display()
        );
        let mut cmd = std::process::Command::new("bash");
        cmd.arg("-c").arg(&script).current_dir(dir.path());
        cmd.env_remove("AWS_PROFILE").env("NO_COLOR", "1");
        for (k, v) in emu.env() {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{format}: {err}");
        assert_eq!(
            status(&emu, stack).await.as_deref(),
            Some("CREATE_COMPLETE"),
            "{format}: {err}"
        );
    }
}
