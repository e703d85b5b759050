//! Errors a user meets first are one line with the cause and the fix (issue
//! 26, item 8), through the real binary: a malformed `--endpoint-url` (exit
//! 2, before any call), an endpoint that answers 404 (exit 3), no credentials
//! (exit 3, no debug dump); with `--output json` clap's details are kept (the
//! missing arguments named, a hint); very long values are cut.

use std::io::{Read, Write};
use std::net::TcpListener;

use assert_cmd::Command;

/// The binary with no AWS settings from the machine: empty shared files, no
/// credentials, no instance metadata.
fn streamkit(dir: &std::path::Path) -> Command {
    let empty = dir.join("empty");
    std::fs::write(&empty, "").unwrap();
    let mut cmd = Command::cargo_bin("streamkit").unwrap();
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("AWS_CONFIG_FILE", &empty)
        .env("AWS_SHARED_CREDENTIALS_FILE", &empty)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "us-east-1")
        .env("NO_COLOR", "1");
    cmd
}

fn with_keys(cmd: &mut Command) -> &mut Command {
    cmd.env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// A server answering every request with an empty 404 (not an AWS API).
fn not_found_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 65536];
            let _ = conn.read(&mut buf);
            let _ = conn.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    port
}

#[test]
fn a_malformed_endpoint_url_is_one_line_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["--endpoint-url", "notaurl", "status", "--pattern", "3"][..],
        &["--endpoint-url", "notaurl", "bootstrap"][..],
    ] {
        let (code, out, err) = run(with_keys(&mut streamkit(dir.path())).args(args));
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(
            err.starts_with("error: --endpoint-url 'notaurl' (or AWS_ENDPOINT_URL) is not a URL: give http:// or https://"),
            "{err}"
        );
    }
}

#[test]
fn an_endpoint_answering_404_is_one_line_naming_the_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let endpoint = format!("http://127.0.0.1:{}", not_found_server());
    let (code, out, err) = run(with_keys(&mut streamkit(dir.path())).args([
        "--endpoint-url",
        &endpoint,
        "status",
        "--pattern",
        "3",
    ]));
    assert_eq!(code, 3, "{out}{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.contains(&format!(
            "DescribeStacks on {endpoint} answered HTTP 404 without an AWS error"
        )),
        "{err}"
    );
    assert!(
        err.contains("check --endpoint-url / AWS_ENDPOINT_URL"),
        "{err}"
    );
    assert!(!err.contains("XML"), "{err}");
}

#[test]
fn no_credentials_is_one_short_line() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(streamkit(dir.path()).args([
        "--endpoint-url",
        "http://127.0.0.1:9",
        "status",
        "--pattern",
        "3",
    ]));
    assert_eq!(code, 3, "{out}{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("error: no AWS credentials found"), "{err}");
    assert!(err.contains("run `aws configure`"), "{err}");
    assert!(
        !err.contains("ProviderError") && !err.contains('{'),
        "{err}"
    );
    assert!(err.len() < 500, "{} characters: {err}", err.len());
}

#[test]
fn json_usage_errors_keep_clap_details_and_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(streamkit(dir.path()).args(["build-dist", "--output", "json"]));
    assert_eq!(code, 2, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(err.trim()).expect("one JSON object");
    let message = v["error"]["message"].as_str().unwrap();
    for arg in [
        "--bucket-base <BASE>",
        "--solution <NAME>",
        "--solution-version <VERSION>",
    ] {
        assert!(message.contains(arg), "{arg} in {message}");
    }
    let hint = v["error"]["hint"].as_str().expect("a hint");
    assert!(hint.contains("Usage: streamkit build-dist"), "{hint}");

    let (code, _, err) =
        run(streamkit(dir.path()).args(["deploy", "--patern", "3", "--output", "json"]));
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(err.trim()).unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'--patern'"),
        "{v}"
    );
    assert!(
        v["error"]["hint"].as_str().unwrap().contains("--pattern"),
        "{v}"
    );
}

#[test]
fn very_long_values_are_cut() {
    let dir = tempfile::tempdir().unwrap();
    let long = "x".repeat(5000);
    let parameter = format!("ShardCount={long}");
    let stack = format!("9{long}");
    let (code, _, err) = run(with_keys(&mut streamkit(dir.path())).args([
        "deploy",
        "--pattern",
        "3",
        "--stack-name",
        &stack,
        "--parameter",
        &parameter,
        "--yes",
    ]));
    assert_eq!(code, 2, "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    for line in lines {
        assert!(line.len() < 400, "{} characters: {line}", line.len());
        assert!(
            line.contains("...(5000 chars)") || line.contains("...(5001 chars)"),
            "{line}"
        );
    }
}

/// `--region X --regions Y` deployed to Y alone, silently (issue 26, item
/// 12): refused before any AWS call (exit 2, one line naming both). AWS_REGION
/// with `--regions` is not a conflict (the environment is not a choice made
/// for this command): that deploy goes on to its first call.
#[test]
fn deploy_refuses_region_with_regions() {
    let dir = tempfile::tempdir().unwrap();
    let deploy = [
        "--endpoint-url",
        "http://127.0.0.1:1",
        "deploy",
        "--pattern",
        "3",
        "--yes",
        "--regions",
        "us-west-2",
    ];
    let (code, out, err) = run(with_keys(&mut streamkit(dir.path()))
        .args(deploy)
        .args(["--region", "us-east-1"]));
    assert_eq!(code, 2, "{out}{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.starts_with("error: --region us-east-1 with --regions us-west-2: give the regions in --regions alone"),
        "{err}"
    );
    let (code, out, err) = run(with_keys(&mut streamkit(dir.path())).args(deploy));
    assert_eq!(
        code, 3,
        "AWS_REGION is no conflict: it reached the endpoint: {out}{err}"
    );
    assert!(err.contains("http://127.0.0.1:1"), "{err}");
}
