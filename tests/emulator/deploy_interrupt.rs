//! Ctrl-C during `deploy` before it follows the stack (issue 26, item 11),
//! through the real binary against the emulator: at the confirmation prompt
//! (stdin a pseudo-terminal, as a user's) the change set is deleted (with the
//! REVIEW_IN_PROGRESS stack of a first create) and one line says so, exit 130;
//! while ExecuteChangeSet is in flight (held by the test proxy) the call
//! completes, and one line gives the stack's state and the command to
//! re-attach, exit 130. Before, SIGINT ended the process silently in both.

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_cloudformation::Client;
use streamkit_testkit::proxy::FaultProxy;
use streamkit_testkit::Emulator;

use crate::support::cli::{run, streamkit, streamkit_process};

/// Generous bound for the binary to reach a point; only guards against a hang.
const HANG: Duration = Duration::from_secs(180);

/// A pseudo-terminal: (the test's side, the side given to the child as stdin).
fn pty() -> (OwnedFd, OwnedFd) {
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two new descriptors; the null arguments are optional.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty");
    // SAFETY: both descriptors were just opened and are owned here only.
    unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

/// Everything the child wrote to stderr so far (the prompt has no newline).
fn collect(child: &mut Child) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let mut stderr = child.stderr.take().unwrap();
    let sink = text.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 {
                return;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    text
}

fn wait_until(child: &mut Child, what: &str, done: impl Fn() -> bool, seen: &Mutex<String>) {
    let deadline = Instant::now() + HANG;
    while !done() {
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!(
                "streamkit ended ({status}) before {what}: {}",
                seen.lock().unwrap()
            );
        }
        assert!(
            Instant::now() < deadline,
            "never {what}: {}",
            seen.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn interrupt(child: &Child) {
    // SAFETY: kill sends a signal to the child this test started.
    let rc = unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    assert_eq!(rc, 0, "SIGINT sent");
}

/// Whether a SIGINT sent to `pid` is still pending (not yet taken by a handler).
fn sigint_pending(pid: u32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .filter(|l| l.starts_with("SigPnd:") || l.starts_with("ShdPnd:"))
        .filter_map(|l| u64::from_str_radix(l.split_whitespace().nth(1)?, 16).ok())
        .any(|mask| mask & (1 << (libc::SIGINT - 1)) != 0)
}

/// Exit code and the last stderr line, once the child has ended.
fn ended(mut child: Child, seen: &Mutex<String>) -> (i32, String) {
    let deadline = Instant::now() + HANG;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "still running after SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    };
    // The reader thread drains what is left.
    std::thread::sleep(Duration::from_millis(200));
    let err = seen.lock().unwrap().clone();
    let last = err.lines().last().unwrap_or_default().to_string();
    (
        status.code().unwrap_or(-1),
        format!("{last}\n--- stderr:\n{err}"),
    )
}

async fn cfn(emu: &Emulator) -> Client {
    Client::new(&emu.sdk_config("us-east-1").await)
}

/// The change sets of `stack` that could still be executed (none when the
/// stack does not exist).
async fn change_sets(cfn: &Client, stack: &str) -> Vec<String> {
    match cfn.list_change_sets().stack_name(stack).send().await {
        Ok(r) => r
            .summaries()
            .iter()
            .filter(|s| {
                s.execution_status()
                    .is_some_and(|e| e.as_str() == "AVAILABLE")
            })
            .map(|s| format!("{:?}", s.change_set_name()))
            .collect(),
        Err(_) => Vec::new(),
    }
}

async fn status_of(cfn: &Client, stack: &str) -> Option<String> {
    let r = cfn.describe_stacks().stack_name(stack).send().await.ok()?;
    let status = r.stacks().first()?.stack_status()?.as_str().to_string();
    Some(status).filter(|s| s != "DELETE_COMPLETE")
}

/// Runs `deploy` with a terminal on stdin, presses Ctrl-C at its prompt.
fn ctrl_c_at_the_prompt(emu: &Emulator, dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let (_terminal, stdin) = pty();
    let mut child = streamkit_process(&emu.env(), dir)
        .args(args)
        .stdin(Stdio::from(stdin))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start streamkit");
    let seen = collect(&mut child);
    wait_until(
        &mut child,
        "asking for confirmation",
        || seen.lock().unwrap().contains("[y/N]"),
        &seen,
    );
    interrupt(&child);
    ended(child, &seen)
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_at_the_prompt_of_a_first_deploy_deletes_its_change_set_and_stack() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let args = ["deploy", "--pattern", "3", "--stack-name", "sk-prompt"];
    let (code, last) = ctrl_c_at_the_prompt(&emu, dir.path(), &args);
    assert_eq!(code, 130, "{last}");
    assert!(
        last.starts_with("error: interrupted: deploy of sk-prompt cancelled before its change set ran; nothing was deployed, its change set was deleted; stack sk-prompt was not created; check with `streamkit status --stack-name sk-prompt --region us-east-1`"),
        "one line: state and what to run: {last}"
    );
    let cfn = cfn(&emu).await;
    assert_eq!(
        status_of(&cfn, "sk-prompt").await,
        None,
        "no REVIEW_IN_PROGRESS stack left"
    );
    assert_eq!(change_sets(&cfn, "sk-prompt").await, Vec::<String>::new());
    // A press per prompt leaves nothing behind: a second run is the same.
    let (code, last) = ctrl_c_at_the_prompt(&emu, dir.path(), &args);
    assert_eq!(code, 130, "{last}");
    assert_eq!(status_of(&cfn, "sk-prompt").await, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_at_the_prompt_of_an_update_leaves_the_stack_unchanged_without_a_change_set() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let deploy = ["deploy", "--pattern", "3", "--stack-name", "sk-prompt-up"];
    let (code, out, err) = run(streamkit(&emu, dir.path()).args(deploy).arg("--yes"));
    assert_eq!(code, 0, "{out}{err}");
    let update: Vec<&str> = deploy
        .iter()
        .copied()
        .chain(["--parameter", "ShardCount=3"])
        .collect();
    let (code, last) = ctrl_c_at_the_prompt(&emu, dir.path(), &update);
    assert_eq!(code, 130, "{last}");
    assert!(
        last.starts_with("error: interrupted: deploy of sk-prompt-up cancelled before its change set ran; nothing was deployed, its change set was deleted; stack sk-prompt-up is unchanged (CREATE_COMPLETE); check with `streamkit status --stack-name sk-prompt-up --region us-east-1`"),
        "{last}"
    );
    let cfn = cfn(&emu).await;
    assert_eq!(
        change_sets(&cfn, "sk-prompt-up").await,
        Vec::<String>::new(),
        "no AVAILABLE change set left"
    );
    assert_eq!(
        status_of(&cfn, "sk-prompt-up").await.as_deref(),
        Some("CREATE_COMPLETE")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_while_execute_change_set_is_in_flight_says_the_state_and_how_to_reattach() {
    let emu = Emulator::start();
    let proxy = FaultProxy::start(emu.port());
    proxy.hold("ExecuteChangeSet");
    let dir = tempfile::tempdir().unwrap();
    let mut env = emu.env();
    env.retain(|(k, _)| *k != "AWS_ENDPOINT_URL");
    env.push(("AWS_ENDPOINT_URL", proxy.endpoint()));
    let mut child = streamkit_process(&env, dir.path())
        .args([
            "deploy",
            "--pattern",
            "3",
            "--stack-name",
            "sk-exec",
            "--yes",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start streamkit");
    let child_pid = child.id();
    let seen = collect(&mut child);
    wait_until(
        &mut child,
        "calling ExecuteChangeSet",
        || proxy.held() == 1,
        &seen,
    );
    interrupt(&child);
    // The press is taken by streamkit's handler while the call is held (the
    // process lives on), then the call goes through: the stack is created
    // whatever streamkit does.
    wait_until(
        &mut child,
        "taking the SIGINT",
        || !sigint_pending(child_pid),
        &seen,
    );
    proxy.release();
    let (code, last) = ended(child, &seen);
    assert_eq!(code, 130, "{last}");
    let cfn = cfn(&emu).await;
    let status = status_of(&cfn, "sk-exec").await.expect("the stack exists");
    assert!(
        last.starts_with(&format!("error: interrupted: stack sk-exec is {status} and keeps going in CloudFormation (us-east-1); re-attach with `streamkit status --watch --stack-name sk-exec --region us-east-1`")),
        "one line with the state and the re-attach command: {last}"
    );
    // The command it names works.
    let (code, out, err) = run(streamkit(&emu, dir.path()).args([
        "status",
        "--watch",
        "--stack-name",
        "sk-exec",
        "--region",
        "us-east-1",
    ]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("CREATE_COMPLETE"), "{out}");
}
