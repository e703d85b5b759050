//! One validation pass before any AWS call (issue 14, item 2), through the
//! real binary with the fault proxy counting requests: a bad stack name,
//! every bad region form, reserved or overlong tags and parameters of the
//! wrong type are all reported at once (one `error:` line each, exit 2, one
//! JSON object listing them with `--output json`) and no request reaches
//! AWS. Missing required parameters are all named by a read-only check
//! before any bucket is created or file uploaded.

use std::path::Path;

use streamkit_testkit::proxy::FaultProxy;
use streamkit_testkit::Emulator;

use crate::support::cli::{fake_dist, streamkit_process};

/// Runs the binary through `proxy`; (exit code, stdout, stderr).
fn through(proxy: &FaultProxy, emu: &Emulator, dir: &Path, args: &[&str]) -> (i32, String, String) {
    let mut env = emu.env();
    env.retain(|(k, _)| *k != "AWS_ENDPOINT_URL");
    env.push(("AWS_ENDPOINT_URL", proxy.endpoint()));
    let out = streamkit_process(&env, dir)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn error_lines(err: &str) -> Vec<&str> {
    err.lines().filter(|l| l.starts_with("error: ")).collect()
}

#[test]
fn every_bad_input_is_reported_at_once_and_no_request_is_made() {
    let emu = Emulator::start();
    let proxy = FaultProxy::start(emu.port());
    let dir = tempfile::tempdir().unwrap();
    let long_value = "v".repeat(257);
    let tag_value = format!("team={long_value}");
    let args = [
        "deploy",
        "--pattern",
        "3",
        "--stack-name",
        "1st_stack",
        "--regions",
        "mars-1,US-EAST-1, us-west-2,us-east-1,us-east-1,",
        "--tag",
        "aws:owner=me",
        "--tag",
        &tag_value,
        "--parameter",
        "ShardCount=lots",
        "--parameter",
        "StreamMode=SOMETIMES",
        "--yes",
    ];
    let (code, out, err) = through(&proxy, &emu, dir.path(), &args);
    assert_eq!(code, 2, "{out}{err}");
    let lines = error_lines(&err);
    let expect = [
        "stack name '1st_stack': must start with a letter",
        "unknown region 'mars-1'",
        "did you mean us-east-1?",
        "' us-west-2' has spaces",
        "region us-east-1 is given twice",
        "an empty region (a trailing or doubled comma?)",
        "--tag aws:owner: the aws: prefix is reserved",
        "--tag team: a value must have at most 256 characters (it has 257)",
        "--parameter ShardCount=lots: 'lots' is not a number",
        "--parameter StreamMode=SOMETIMES: 'SOMETIMES' is not one of PROVISIONED, ON_DEMAND",
    ];
    for want in expect {
        assert!(
            lines.iter().any(|l| l.contains(want)),
            "missing '{want}' in:\n{err}"
        );
    }
    assert_eq!(lines.len(), expect.len(), "one line per problem:\n{err}");
    assert_eq!(proxy.injected().forwarded_requests, 0, "no AWS request");

    // JSON: one error object listing every problem.
    let (code, _, err) = through(
        &proxy,
        &emu,
        dir.path(),
        &[&args[..], &["--output", "json"]].concat(),
    );
    assert_eq!(code, 2);
    let object: serde_json::Value = serde_json::from_str(err.trim()).expect("one JSON object");
    assert_eq!(object["error"]["kind"], "bad_input");
    assert_eq!(
        object["error"]["problems"].as_array().map(Vec::len),
        Some(expect.len()),
        "{object}"
    );

    // Other commands check the same inputs before any call.
    for cmd in [
        &["destroy", "--stack-name", "stäck", "--yes"][..],
        &["status", "--stack-name", "a.b"][..],
        &["publish", "--regions", "us-east-1,,eu-west-1"][..],
        &["bootstrap", "--region", "mars-1"][..],
        &["bootstrap", "--bucket-base", "My_Assets"][..],
        &["deploy", "--pattern", "3", "--bucket-base", "ab", "--yes"][..],
        &[
            "destroy",
            "--pattern",
            "3",
            "--regions",
            "us-east-1,mars-1",
            "--yes",
        ][..],
    ] {
        let (code, _, err) = through(&proxy, &emu, dir.path(), cmd);
        assert_eq!(code, 2, "{cmd:?}: {err}");
        assert_eq!(error_lines(&err).len(), 1, "{cmd:?}: {err}");
    }
    assert_eq!(proxy.injected().forwarded_requests, 0, "no AWS request");
}

#[tokio::test(flavor = "multi_thread")]
async fn id_types_and_missing_parameters_are_found_before_any_upload() {
    let emu = Emulator::start();
    let proxy = FaultProxy::start(emu.port());
    let dir = tempfile::tempdir().unwrap();
    fake_dist(dir.path(), "sk-validation-assets");
    let (code, _, err) = through(
        &proxy,
        &emu,
        dir.path(),
        &[
            "deploy",
            "--pattern",
            "2",
            "--parameter",
            "ProducerVpcId=vpc-xyz",
            "--parameter",
            "ProducerSubnetId=subnet-1",
            "--yes",
        ],
    );
    assert_eq!(code, 2, "{err}");
    let lines = error_lines(&err);
    assert_eq!(lines.len(), 2, "{err}");
    assert!(lines[0].contains("'vpc-xyz' is not a AWS::EC2::VPC::Id: expected vpc- followed by"));
    assert!(lines[1].contains("'subnet-1' is not a AWS::EC2::Subnet::Id"));
    assert_eq!(proxy.injected().forwarded_requests, 0, "no AWS request");

    // Both missing parameters named in one run, before any bucket or upload.
    let (code, _, err) = through(
        &proxy,
        &emu,
        dir.path(),
        &["deploy", "--pattern", "2", "--yes"],
    );
    assert_eq!(code, 2, "{err}");
    let lines = error_lines(&err);
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].contains("parameter ProducerVpcId has no default"),
        "{err}"
    );
    assert!(
        lines[1].contains("parameter ProducerSubnetId has no default"),
        "{err}"
    );
    let s3 = aws_sdk_s3::Client::new(&emu.sdk_config("us-east-1").await);
    let buckets = s3.list_buckets().send().await.unwrap();
    assert!(buckets.buckets().is_empty(), "no bucket was created");
}

/// An unknown profile is bad input even with credentials in the environment
/// (issue 26, item 3): exit 2 naming the profile and both files looked in,
/// with no AWS request; a profile that exists is used.
#[test]
fn an_unknown_profile_is_refused_naming_the_files_looked_in() {
    let emu = Emulator::start();
    let proxy = FaultProxy::start(emu.port());
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("aws-config");
    let credentials = dir.path().join("aws-credentials");
    std::fs::write(
        &config,
        "[default]\nregion = us-east-1\n[profile dev]\nregion = us-east-1\n",
    )
    .unwrap();
    std::fs::write(
        &credentials,
        "[ops]\naws_access_key_id = testing\naws_secret_access_key = testing\n",
    )
    .unwrap();
    let run = |profile_flag: Option<&str>, profile_env: Option<&str>, args: &[&str]| {
        let mut env = emu.env();
        env.retain(|(k, _)| *k != "AWS_ENDPOINT_URL");
        env.push(("AWS_ENDPOINT_URL", proxy.endpoint()));
        env.push(("AWS_CONFIG_FILE", config.display().to_string()));
        env.push((
            "AWS_SHARED_CREDENTIALS_FILE",
            credentials.display().to_string(),
        ));
        if let Some(p) = profile_env {
            env.push(("AWS_PROFILE", p.to_string()));
        }
        let mut cmd = streamkit_process(&env, dir.path());
        if let Some(p) = profile_flag {
            cmd.args(["--profile", p]);
        }
        let out = cmd
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let cases = [
        (
            Some("nosuchprofile"),
            None,
            &["status", "--pattern", "3"][..],
        ),
        (
            None,
            Some("nosuchprofile"),
            &["bootstrap", "--bucket-base", "sk-profile"][..],
        ),
        (
            Some("nosuchprofile"),
            None,
            &["deploy", "--pattern", "3", "--yes"][..],
        ),
    ];
    for (flag, env, args) in cases {
        let (code, err) = run(flag, env, args);
        assert_eq!(code, 2, "{args:?}: {err}");
        let line = format!(
            "error: profile 'nosuchprofile' (--profile or AWS_PROFILE) is not in {} or {} (profiles there: default, dev, ops)",
            config.display(),
            credentials.display()
        );
        assert!(err.lines().any(|l| l.starts_with(&line)), "{args:?}: {err}");
        assert_eq!(error_lines(&err).len(), 1, "{args:?}: {err}");
    }
    assert_eq!(proxy.injected().forwarded_requests, 0, "no AWS request");
    for profile in ["dev", "ops"] {
        let (code, err) = run(
            Some(profile),
            None,
            &["bootstrap", "--bucket-base", "sk-profile"],
        );
        assert_eq!(code, 0, "{profile}: {err}");
    }
}

/// Integer parameters take whole numbers only (issue 26, item 6): `2.5`,
/// `1e2` and `' 3'` are refused by deploy, diff and estimate in the one
/// validation pass, with no AWS request; `3` passes that pass.
#[test]
fn integer_parameters_refuse_fractions_exponents_and_spaces() {
    let emu = Emulator::start();
    let proxy = FaultProxy::start(emu.port());
    let dir = tempfile::tempdir().unwrap();
    for cmd in ["deploy", "diff", "estimate"] {
        let args = [
            cmd,
            "--pattern",
            "3",
            "--parameter",
            "ShardCount=2.5",
            "--parameter",
            "RetentionHours=1e2",
            "--parameter",
            "BufferingSize= 3",
            "--yes",
        ];
        let args: Vec<&str> = args
            .iter()
            .copied()
            .filter(|a| cmd == "deploy" || *a != "--yes")
            .collect();
        let (code, _, err) = through(&proxy, &emu, dir.path(), &args);
        assert_eq!(code, 2, "{cmd}: {err}");
        let lines = error_lines(&err);
        for want in [
            "--parameter ShardCount=2.5: '2.5' is not a whole number",
            "--parameter RetentionHours=1e2: '1e2' is not a whole number",
            "--parameter BufferingSize= 3: ' 3' is not a whole number",
        ] {
            assert!(
                lines.iter().any(|l| l.contains(want)),
                "{cmd}: '{want}' in:\n{err}"
            );
        }
        assert_eq!(lines.len(), 3, "{cmd}: {err}");
        let (code, _, err) = through(
            &proxy,
            &emu,
            dir.path(),
            &[cmd, "--pattern", "3", "--parameter", "ShardCount= 3"],
        );
        assert_eq!(code, 2, "{cmd}: {err}");
        assert!(
            err.contains("--parameter ShardCount= 3: ' 3' is not a whole number"),
            "{cmd}: {err}"
        );
    }
    assert_eq!(proxy.injected().forwarded_requests, 0, "no AWS request");
    let (code, out, err) = through(
        &proxy,
        &emu,
        dir.path(),
        &["estimate", "--pattern", "3", "--parameter", "ShardCount=3"],
    );
    assert_eq!(code, 0, "{out}{err}");
}
