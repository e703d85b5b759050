//! `local up` does not waste the user's time (issue 26, item 10), through the
//! real binary: a bad `--parameter` and `--until-output` for a stack that
//! writes no output objects (pattern 1: its consumer only logs) are refused
//! (as is `--port 0`) before anything starts (exit 2; no state directory, so no emulator and no
//! build), instead of after the emulator started or the whole timeout.

use assert_cmd::Command;

#[test]
fn bad_local_up_input_is_refused_before_anything_starts() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let run = |args: &[&str]| {
        let out = Command::cargo_bin("streamkit")
            .unwrap()
            .current_dir(dir.path())
            .env("XDG_STATE_HOME", &state)
            .env("NO_COLOR", "1")
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_PROFILE")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, err) = run(&[
        "local",
        "up",
        "--pattern",
        "1",
        "--until-output",
        "--port",
        "45991",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--until-output: pattern 1 writes no output objects"),
        "{err}"
    );
    let (code, err) = run(&[
        "local",
        "up",
        "--pattern",
        "3",
        "--parameter",
        "ShardCount=2.5",
        "--parameter",
        "Nope=1",
        "--port",
        "45991",
    ]);
    assert_eq!(code, 2, "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(lines.len(), 2, "all problems at once: {err}");
    assert!(
        lines[0].contains("--parameter ShardCount=2.5: '2.5' is not a whole number"),
        "{err}"
    );
    assert!(
        lines[1].contains("--parameter Nope: unknown parameter"),
        "{err}"
    );
    assert!(!state.exists(), "nothing was started");
    // --port 0 is refused at once (it failed after 90 s), naming the range.
    let (code, err) = run(&["local", "up", "--pattern", "3", "--port", "0"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("invalid value '0' for '--port <PORT>'") && err.contains("1..=65535"),
        "{err}"
    );
    assert!(!state.exists(), "nothing was started");
}
