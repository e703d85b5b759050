//! `destroy` of stacks CloudFormation will not simply delete (issue 26, item
//! 13), through the real binary against the emulator: a stack whose first
//! create failed (ROLLBACK_COMPLETE) is removed (it failed with
//! `ListStackResources failed`; only `aws cloudformation delete-stack` removed
//! it); a stack deployed with `--termination-protection` is refused before
//! anything is deleted, in one line with the command that turns it off.

use aws_sdk_cloudformation::Client;
use streamkit_testkit::Emulator;

use crate::support::cli::{run, streamkit};

/// A stack whose create failed and rolled back: ROLLBACK_COMPLETE.
async fn failed_create(cfn: &Client, stack: &str) {
    let body = serde_json::json!({"Resources": {
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {}},
        "Consumer": {"Type": "AWS::Kinesis::StreamConsumer", "DependsOn": "Queue", "Properties": {
            "ConsumerName": "c", "StreamARN": "arn:aws:kinesis:us-east-1:123456789012:stream/nope"}}
    }});
    cfn.create_stack()
        .stack_name(stack)
        .template_body(body.to_string())
        .send()
        .await
        .expect("CreateStack is accepted; the stack then fails");
    assert_eq!(
        status(cfn, stack).await.as_deref(),
        Some("ROLLBACK_COMPLETE")
    );
}

async fn status(cfn: &Client, stack: &str) -> Option<String> {
    let r = cfn.describe_stacks().stack_name(stack).send().await.ok()?;
    let s = r.stacks().first()?.stack_status()?.as_str().to_string();
    Some(s).filter(|s| s != "DELETE_COMPLETE")
}

#[tokio::test(flavor = "multi_thread")]
async fn destroy_removes_a_stack_whose_first_create_failed() {
    let emu = Emulator::start();
    let cfn = Client::new(&emu.sdk_config("us-east-1").await);
    failed_create(&cfn, "sk-failed").await;
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) =
        run(streamkit(&emu, dir.path()).args(["destroy", "--stack-name", "sk-failed", "--yes"]));
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("sk-failed"), "{out}");
    assert_eq!(status(&cfn, "sk-failed").await, None, "the stack is gone");
}

#[tokio::test(flavor = "multi_thread")]
async fn termination_protection_is_set_by_deploy_and_destroy_refuses_in_one_line() {
    let emu = Emulator::start();
    let cfn = Client::new(&emu.sdk_config("us-east-1").await);
    let dir = tempfile::tempdir().unwrap();
    let sk = |args: &[&str]| run(streamkit(&emu, dir.path()).args(args));
    let (code, out, err) = sk(&[
        "deploy",
        "--pattern",
        "3",
        "--stack-name",
        "sk-protected",
        "--yes",
        "--termination-protection",
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        err.contains("sk-protected: termination protection on"),
        "{err}"
    );
    let protected = |cfn: Client| async move {
        let r = cfn
            .describe_stacks()
            .stack_name("sk-protected")
            .send()
            .await
            .unwrap();
        r.stacks()[0].enable_termination_protection()
    };
    assert_eq!(protected(cfn.clone()).await, Some(true));

    let destroy = [
        "destroy",
        "--stack-name",
        "sk-protected",
        "--yes",
        "--delete-data",
    ];
    let (code, out, err) = sk(&destroy);
    assert_eq!(code, 2, "{out}\n{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert_eq!(
        err.trim(),
        "error: stack sk-protected in us-east-1 has termination protection; nothing was deleted. Turn it off first: aws cloudformation update-termination-protection --no-enable-termination-protection --stack-name sk-protected --region us-east-1"
    );
    assert_eq!(
        status(&cfn, "sk-protected").await.as_deref(),
        Some("CREATE_COMPLETE")
    );
    // Nothing emptied either: the output bucket is still there.
    let s3 = aws_sdk_s3::Client::new(&emu.sdk_config("us-east-1").await);
    let buckets = s3.list_buckets().send().await.unwrap();
    assert!(
        buckets.buckets().iter().any(|b| b
            .name()
            .is_some_and(|n| n.starts_with("sk-protected-outputbucket"))),
        "{buckets:?}"
    );

    // The fix it names, then destroy deletes it.
    cfn.update_termination_protection()
        .stack_name("sk-protected")
        .enable_termination_protection(false)
        .send()
        .await
        .unwrap();
    let (code, out, err) = sk(&destroy);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(status(&cfn, "sk-protected").await, None);
}
