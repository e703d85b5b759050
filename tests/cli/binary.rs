//! The CLI as a user runs it: the real binary, its stdout, stderr and exit codes.

use assert_cmd::Command;
use predicates::prelude::*;

fn streamkit() -> Command {
    let mut cmd = Command::cargo_bin("streamkit").unwrap();
    cmd.env_remove("AWS_ENDPOINT_URL").env_remove("AWS_PROFILE");
    cmd
}

#[test]
fn patterns_lists_every_stack() {
    let out = streamkit()
        .arg("patterns")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    for id in ["1 ", "2 ", "3 ", "4 ", "cross-region "] {
        assert!(
            text.lines().any(|l| l.starts_with(id)),
            "{id} missing:\n{text}"
        );
    }
}

#[test]
fn patterns_json_is_one_object_per_line() {
    let out = streamkit()
        .args(["patterns", "--output", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 6);
    assert!(lines
        .iter()
        .any(|p| p["id"] == "2" && p["settings"]["engine"]["allowed"].is_array()));
}

#[test]
fn synth_prints_a_parseable_template() {
    let out = streamkit()
        .args(["synth", "--pattern", "3"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let template: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        template["Resources"]["Stream"]["Type"],
        "AWS::Kinesis::Stream"
    );
    let out = streamkit()
        .args(["synth", "--pattern", "3", "--format", "yaml"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let yaml: serde_json::Value = serde_yaml_ng::from_slice(&out).unwrap();
    assert_eq!(yaml, template);
}

#[test]
fn synth_all_writes_every_stack() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    streamkit()
        .args(["synth", "--all", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("wrote"));
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "cross-region.template.json",
            "joins.template.json",
            "pattern-1.template.json",
            "pattern-2.template.json",
            "pattern-3.template.json",
            "pattern-4.template.json"
        ]
    );
}

#[test]
fn unknown_pattern_is_one_line_exit_2() {
    streamkit()
        .args(["synth", "--pattern", "7"])
        .assert()
        .code(2)
        .stdout("")
        .stderr("error: unknown pattern '7'; allowed: 1, 2, 3, 4, cross-region, joins\n");
}

#[test]
fn unknown_format_names_the_allowed_ones() {
    streamkit()
        .args(["synth", "--pattern", "1", "--format", "toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid value 'toml' for '--format <FORMAT>'",
        ))
        .stderr(predicate::str::contains("[possible values: json, yaml]"));
}

#[test]
fn unknown_setting_and_value_are_rejected() {
    streamkit()
        .args(["synth", "--pattern", "2", "--set", "engine=spark"])
        .assert()
        .code(2)
        .stderr("error: unknown value for setting 'engine=spark'; allowed: lambda, flink\n");
    streamkit()
        .args(["synth", "--pattern", "3", "--set", "engine=flink"])
        .assert()
        .code(2)
        .stderr("error: unknown setting 'engine (pattern 3)'; allowed: (none for this pattern)\n");
}

#[test]
fn unwritable_out_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "not a directory").unwrap();
    let out = blocker.join("out");
    streamkit()
        .args(["synth", "--all", "--out"])
        .arg(&out)
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::starts_with("error: cannot write to "))
        .stderr(predicate::str::contains(
            "choose a writable --out directory",
        ));
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_to_string(&blocker).unwrap(),
        "not a directory"
    );
}

#[test]
fn validate_checks_every_setting_variant() {
    let out = streamkit()
        .arg("validate")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("engine=flink"), "{text}");
    assert_eq!(
        text.lines().filter(|l| l.starts_with("ok")).count(),
        9,
        "{text}"
    );
}

#[test]
fn every_command_help_shows_an_example() {
    for cmd in [
        &["--help"][..],
        &["patterns", "--help"],
        &["synth", "--help"],
        &["validate", "--help"],
    ] {
        streamkit()
            .args(cmd)
            .assert()
            .success()
            .stdout(predicate::str::contains("streamkit "));
        streamkit()
            .args(cmd)
            .assert()
            .stdout(predicate::str::contains("Example"));
    }
}

/// `streamkit ARGS` with its stdout closed before it writes (as `| head`
/// does once it has its line): nothing on stderr, the exit code of the work.
fn with_stdout_closed(args: &[&str]) -> std::process::Output {
    use std::process::Stdio;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("streamkit"))
        .args(args)
        .env_remove("AWS_ENDPOINT_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    for args in [
        &["patterns"][..],
        &["synth", "--pattern", "4"],
        &["validate", "--output", "json"],
    ] {
        let out = with_stdout_closed(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "",
            "{args:?}: quietly"
        );
    }
    // A failing command still fails, and says so on stderr.
    let out = with_stdout_closed(&["synth", "--pattern", "7"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: unknown pattern"));
}

#[test]
fn patterns_piped_into_head_exits_0() {
    let bash = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -o pipefail; '{}' patterns | head -1",
            assert_cmd::cargo::cargo_bin("streamkit").display()
        ))
        .output()
        .unwrap();
    assert_eq!(
        bash.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&bash.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&bash.stdout).lines().count(), 1);
}

#[test]
fn json_errors_are_one_object_on_stderr() {
    for args in [
        &["synth", "--pattern", "7", "--output", "json"][..],
        &["synth", "--patern", "7", "--output", "json"],
        &[
            "--output=json",
            "deploy",
            "--pattern",
            "3",
            "--parameter",
            "ShardCount=0",
        ],
    ] {
        let out = streamkit().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "", "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let v: serde_json::Value = serde_json::from_str(stderr.trim()).unwrap();
        assert_eq!(v["error"]["kind"], "bad_input", "{v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.contains('\n')),
            "{v}"
        );
    }
}

#[test]
fn local_up_refuses_an_unknown_iam_mode_before_doing_anything() {
    let state = tempfile::tempdir().unwrap();
    streamkit()
        .env("XDG_STATE_HOME", state.path())
        .args(["local", "up", "--iam", "maybe", "--port", "4599"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid value 'maybe' for '--iam <IAM>'",
        ))
        .stderr(predicate::str::contains("[possible values: on, off]"));
    // Nothing half-made: no state directory, no emulator.
    assert_eq!(std::fs::read_dir(state.path()).unwrap().count(), 0);
}
