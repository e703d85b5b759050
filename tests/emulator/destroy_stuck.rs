//! `destroy` of stacks CloudFormation will not simply delete (issue 26, item
//! 13), through the real binary against the emulator: a stack whose first
//! create failed (ROLLBACK_COMPLETE) is removed (it failed with
//! `ListStackResources failed`; only `aws cloudformation delete-stack` removed it).

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
