//! The binary's exit codes: 2 for bad arguments, 1 for delivery failure.

use std::process::Command;
use streamkit_testkit::Emulator;

fn producer() -> Command {
    Command::new(env!("CARGO_BIN_EXE_streamkit-producer"))
}

#[test]
fn bad_arguments_exit_2() {
    let out = producer()
        .args(["--stream", "s", "--rate", "fast"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = producer()
        .args(["--stream", "s", "--speedup", "0", "--count", "1"])
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--speedup"));
}

#[test]
fn undeliverable_records_exit_1_with_a_one_line_error() {
    let emu = Emulator::start();
    let out = producer()
        .args(["--stream", "absent", "--count", "5", "--max-attempts", "1"])
        .envs(emu.env())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("error: 5 of 5 records were not delivered to stream `absent`")),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("failed=5"));
}
