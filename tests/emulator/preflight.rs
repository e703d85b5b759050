//! The IAM preflight through the real binary (issue 24): before any change
//! set, `deploy` simulates every permission the planned change needs with
//! `iam:SimulatePrincipalPolicy` (answered by the emulator's IAM evaluator),
//! refuses a denied action with exit 2 naming it, and creates nothing.

use aws_sdk_iam::Client as Iam;
use serde_json::{json, Value};
use streamkit_testkit::Emulator;

use crate::support::cli::{fake_dist, ndjson, run, streamkit};

/// An IAM user with one inline policy, and its access keys.
async fn user(iam: &Iam, name: &str, policy: Value) -> (String, String) {
    iam.create_user().user_name(name).send().await.unwrap();
    iam.put_user_policy()
        .user_name(name)
        .policy_name("deploy")
        .policy_document(policy.to_string())
        .send()
        .await
        .unwrap();
    let key = iam
        .create_access_key()
        .user_name(name)
        .send()
        .await
        .unwrap();
    let key = key.access_key().unwrap();
    (
        key.access_key_id().to_string(),
        key.secret_access_key().to_string(),
    )
}

fn administrator() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
}

/// `streamkit ARGS` with an IAM user's keys.
fn run_as(
    emu: &Emulator,
    dir: &std::path::Path,
    keys: &(String, String),
    args: &[&str],
) -> (i32, String, String) {
    let mut cmd = streamkit(emu, dir);
    cmd.env("AWS_ACCESS_KEY_ID", &keys.0)
        .env("AWS_SECRET_ACCESS_KEY", &keys.1)
        .env_remove("AWS_SESSION_TOKEN");
    run(cmd.args(args))
}

/// The line of `err` that names `what`.
fn naming<'a>(err: &'a str, what: &str) -> &'a str {
    err.lines()
        .find(|l| l.contains(what))
        .unwrap_or_else(|| panic!("{what} named: {err}"))
}

async fn nothing_created(emu: &Emulator, stack: &str) {
    let cfn = aws_sdk_cloudformation::Client::new(&emu.sdk_config("us-east-1").await);
    let described = cfn.describe_stacks().stack_name(stack).send().await;
    assert!(described.is_err(), "no stack {stack}: {described:?}");
    let listed = cfn.list_stacks().send().await.unwrap();
    assert!(
        listed
            .stack_summaries()
            .iter()
            .all(|s| s.stack_name() != Some(stack)),
        "no stack (nor change set) named {stack}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_denied_create_stream_is_refused_before_any_change() {
    let emu = Emulator::start();
    let iam = Iam::new(&emu.sdk_config("us-east-1").await);
    let keys = user(
        &iam,
        "no-streams",
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Sid": "NoStreams", "Effect": "Deny", "Action": "kinesis:CreateStream", "Resource": "*"}
        ]}),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run_as(
        &emu,
        dir.path(),
        &keys,
        &["deploy", "--pattern", "3", "--yes"],
    );
    assert_eq!(code, 2, "{out}{err}");
    let line = naming(&err, "kinesis:CreateStream");
    assert!(line.contains("Stream (AWS::Kinesis::Stream)"), "{line}");
    assert!(line.contains("explicit deny"), "{line}");
    assert!(line.contains("user/no-streams"), "{line}");
    assert!(err.contains("nothing was changed"), "{err}");
    nothing_created(&emu, "streamkit-pattern-3").await;

    // JSON: the denied actions as an array.
    let (code, out, err) = run_as(
        &emu,
        dir.path(),
        &keys,
        &["preflight", "--pattern", "3", "--output", "json"],
    );
    assert_eq!(code, 2, "{out}{err}");
    let lines = ndjson(&out);
    let report = lines
        .iter()
        .find(|l| l["event"] == "preflight")
        .unwrap_or_else(|| panic!("a preflight line: {out}"));
    assert_eq!(report["outcome"], "denied");
    let denied = report["denied"].as_array().unwrap();
    assert_eq!(denied.len(), 1, "{denied:?}");
    assert_eq!(denied[0]["action"], "kinesis:CreateStream");
    assert_eq!(denied[0]["decision"], "explicit_deny");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_without_pass_role_is_refused_naming_the_role() {
    let emu = Emulator::start();
    let iam = Iam::new(&emu.sdk_config("us-east-1").await);
    let keys = user(
        &iam,
        "no-pass-role",
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "NotAction": "iam:PassRole", "Resource": "*"}
        ]}),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run_as(
        &emu,
        dir.path(),
        &keys,
        &["deploy", "--pattern", "3", "--yes"],
    );
    assert_eq!(code, 2, "{out}{err}");
    let line = naming(&err, "iam:PassRole");
    assert!(
        line.contains("AWS::KinesisFirehose::DeliveryStream"),
        "{line}"
    );
    assert!(line.contains(":role/streamkit-pattern-3-"), "{line}");
    assert!(line.contains("implicit deny"), "{line}");
    nothing_created(&emu, "streamkit-pattern-3").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_role_lacking_an_action_is_named_and_bad_role_arns_are_refused() {
    let emu = Emulator::start();
    let iam = Iam::new(&emu.sdk_config("us-east-1").await);
    let role = iam
        .create_role()
        .role_name("cfn-deploy")
        .assume_role_policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Service": "cloudformation.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    let role_arn = role.role().unwrap().arn().to_string();
    iam.put_role_policy()
        .role_name("cfn-deploy")
        .policy_name("most")
        .policy_document(
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "NotAction": "firehose:CreateDeliveryStream", "Resource": "*"}
            ]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    let admin = user(&iam, "admin", administrator()).await;
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run_as(
        &emu,
        dir.path(),
        &admin,
        &["preflight", "--pattern", "3", "--role-arn", &role_arn],
    );
    assert_eq!(code, 2, "{out}{err}");
    let denied: Vec<&str> = err
        .lines()
        .filter(|l| l.contains(" is denied for "))
        .collect();
    assert_eq!(denied.len(), 1, "{err}");
    assert!(
        denied[0].contains("firehose:CreateDeliveryStream"),
        "{}",
        denied[0]
    );
    assert!(denied[0].contains("role/cfn-deploy"), "{}", denied[0]);

    // Not a role ARN: refused with the other validation problems, before any call.
    let (code, out, err) = run(streamkit(&emu, dir.path()).args([
        "deploy",
        "--pattern",
        "3",
        "--yes",
        "--role-arn",
        "arn:aws:iam::123456789012:user/someone",
    ]));
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("--role-arn") && err.contains("not an IAM role ARN"),
        "{err}"
    );
    // A role that does not exist: one line, exit 2.
    let (code, out, err) = run_as(
        &emu,
        dir.path(),
        &admin,
        &[
            "preflight",
            "--pattern",
            "3",
            "--role-arn",
            "arn:aws:iam::123456789012:role/no-such-role",
        ],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("no-such-role"), "{err}");
    // Credentials STS does not know: one line naming the cause, exit 2.
    let unknown = ("AKIANOSUCHKEY0000000".to_string(), "secret".to_string());
    let (code, out, err) = run_as(
        &emu,
        dir.path(),
        &unknown,
        &["deploy", "--pattern", "3", "--yes"],
    );
    assert_eq!(code, 2, "{out}{err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].contains("GetCallerIdentity") || lines[0].contains("credentials"),
        "{err}"
    );
    nothing_created(&emu, "streamkit-pattern-3").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_allowed_deploy_says_so_and_a_code_update_simulates_only_the_function() {
    let emu = Emulator::start();
    let iam = Iam::new(&emu.sdk_config("us-east-1").await);
    let admin = user(&iam, "admin", administrator()).await;
    let dir = tempfile::tempdir().unwrap();
    fake_dist(dir.path(), "preflight-assets");
    let (code, out, err) = run_as(
        &emu,
        dir.path(),
        &admin,
        &["deploy", "--pattern", "1", "--yes"],
    );
    assert_eq!(code, 0, "{out}{err}");
    let line = err
        .lines()
        .find(|l| l.starts_with("preflight: "))
        .unwrap_or_else(|| panic!("a preflight line: {err}"));
    assert!(line.contains("allowed"), "{line}");

    // New consumer code: only the function changes.
    let manifest_path = dir.path().join("deployment/manifest.json");
    let text = std::fs::read_to_string(&manifest_path).unwrap();
    let renamed = text.replace(
        "consumer-0123456789abcdef.zip",
        "consumer-fedcba9876543210.zip",
    );
    std::fs::write(&manifest_path, renamed).unwrap();
    let regional = dir.path().join("deployment/regional-s3-assets");
    std::fs::copy(
        regional.join("consumer-0123456789abcdef.zip"),
        regional.join("consumer-fedcba9876543210.zip"),
    )
    .unwrap();
    let (code, out, err) = run_as(
        &emu,
        dir.path(),
        &admin,
        &["preflight", "--pattern", "1", "--output", "json"],
    );
    assert_eq!(code, 0, "{out}{err}");
    let lines = ndjson(&out);
    let report = lines.iter().find(|l| l["event"] == "preflight").unwrap();
    assert_eq!(report["outcome"], "allowed", "{report}");
    assert_eq!(
        report["resources"], 1,
        "only the consumer function: {report}"
    );
}

/// The account root (the emulator's default keys) cannot be simulated: one
/// warning, and the deploy goes on; so does a user without
/// iam:SimulatePrincipalPolicy.
#[tokio::test(flavor = "multi_thread")]
async fn callers_iam_cannot_simulate_get_a_warning_and_the_deploy_goes_on() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(streamkit(&emu, dir.path()).args(["preflight", "--pattern", "3"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        format!("{out}{err}")
            .contains("the IAM preflight could not run: the caller is the account's root user"),
        "{out}{err}"
    );
    let iam = Iam::new(&emu.sdk_config("us-east-1").await);
    let keys = user(
        &iam,
        "no-simulation",
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "NotAction": "iam:Simulate*", "Resource": "*"}
        ]}),
    )
    .await;
    let (code, out, err) = run_as(
        &emu,
        dir.path(),
        &keys,
        &["deploy", "--pattern", "3", "--yes"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("could not run: iam:SimulatePrincipalPolicy was denied"),
        "{err}"
    );
}
