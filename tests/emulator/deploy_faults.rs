//! The deployer when things go wrong, through the real binary: the emulator
//! dies in the middle of a deploy (exit 3 naming the endpoint; a re-run after
//! a restart recovers), no credentials at all (exit 3, nothing created), and
//! Ctrl-C while following a stack (exit 130, the stack is left alone and the
//! message says how to re-attach), and throttling on every service the
//! deployer calls (retried with backoff: the deploy succeeds).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use streamkit_testkit::proxy::{FaultProxy, Throttle};
use streamkit_testkit::Emulator;

use crate::support::cli::{run, streamkit, streamkit_process};

/// Generous bound for a line to show up; only guards against a hang.
const HANG: Duration = Duration::from_secs(120);

/// Starts the binary with stderr piped; its lines arrive on the receiver.
fn spawn(args: &[&str], env: &[(&str, String)]) -> (Child, Receiver<String>) {
    let mut cmd = streamkit_process(env, Path::new("."));
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start streamkit");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    (child, rx)
}

/// Reads lines until one satisfies `pred`; returns everything read.
fn until(rx: &Receiver<String>, pred: impl Fn(&str) -> bool) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        match rx.recv_timeout(HANG) {
            Ok(line) => {
                let hit = pred(&line);
                seen.push(line);
                if hit {
                    return seen;
                }
            }
            Err(_) => panic!("expected line never came; got: {seen:#?}"),
        }
    }
}

fn finish(mut child: Child, rx: Receiver<String>) -> (i32, String, String) {
    let status = child.wait().expect("wait");
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let err: Vec<String> = rx.iter().collect();
    (status.code().unwrap_or(-1), out, err.join("\n"))
}

#[test]
fn a_deploy_cut_off_by_the_emulator_dying_exits_3_and_recovers_after_a_restart() {
    let mut emu = Emulator::start();
    let port = emu.port();
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "deploy",
        "--pattern",
        "3",
        "--yes",
        "--stack-name",
        "sk-cut",
    ];
    let (child, rx) = spawn(&args, &emu.env());
    // The change table is printed right before the change set is executed.
    let before = until(&rx, |l| l.contains("AWS::Kinesis::Stream"));
    emu.kill();
    let (code, out, err) = finish(child, rx);
    assert_eq!(code, 3, "{before:#?}\n{out}\n{err}");
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.contains(&format!("cannot reach http://127.0.0.1:{port}")),
        "one line naming the endpoint: {err}"
    );
    assert!(last.contains("run the command again"), "{last}");

    // Same endpoint again (a restarted emulator has no state): the re-run deploys.
    let emu = Emulator::start_on(port, true);
    let (code, out, err) = run(streamkit(&emu, dir.path()).args(args));
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("sk-cut (us-east-1): created"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_credentials_is_one_line_exit_3_and_nothing_is_created() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let mut cmd = streamkit(&emu, home.path());
    cmd.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env("HOME", home.path())
        .env("AWS_SHARED_CREDENTIALS_FILE", home.path().join("none"))
        .env("AWS_CONFIG_FILE", home.path().join("none"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(["deploy", "--pattern", "3", "--yes"]);
    let (code, out, err) = run(&mut cmd);
    assert_eq!(code, 3, "{out}\n{err}");
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| !l.starts_with("estimated cost:"))
        .collect();
    assert_eq!(lines.len(), 1, "one line besides the estimate: {err}");
    assert!(err.contains("no AWS credentials found"), "{err}");
    assert!(err.contains("aws configure"), "says what to do: {err}");
    let cfn = aws_sdk_cloudformation::Client::new(&emu.sdk_config("us-east-1").await);
    let stacks = cfn.list_stacks().send().await.expect("ListStacks");
    assert!(stacks.stack_summaries().is_empty(), "nothing created");
}

/// A CloudFormation endpoint with one stack that stays CREATE_IN_PROGRESS
/// for ever (what the emulator, which completes stacks at once, cannot
/// show). Records the actions called.
struct BusyCfn {
    port: u16,
    actions: Arc<Mutex<Vec<String>>>,
}

const STACK_ID: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/sk-busy/6a1f7c20-aaaa-11ef-9c3b-0a1b2c3d4e5f";

impl BusyCfn {
    fn start() -> BusyCfn {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let actions: Arc<Mutex<Vec<String>>> = Arc::default();
        let log = actions.clone();
        std::thread::spawn(move || {
            for sock in listener.incoming().map_while(Result::ok) {
                let log = log.clone();
                std::thread::spawn(move || serve(sock, &log));
            }
        });
        BusyCfn { port, actions }
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "AWS_ENDPOINT_URL",
                format!("http://127.0.0.1:{}", self.port),
            ),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }

    fn count(&self, action: &str) -> usize {
        let actions = self.actions.lock().unwrap();
        actions.iter().filter(|a| *a == action).count()
    }
}

fn serve(mut sock: TcpStream, log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(sock.try_clone().unwrap());
    loop {
        let mut len = 0;
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            line.clear();
            reader.read_line(&mut line).unwrap();
            if line.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0u8; len];
        reader.read_exact(&mut body).unwrap();
        let body = String::from_utf8_lossy(&body);
        let action = body
            .split('&')
            .find_map(|kv| kv.strip_prefix("Action="))
            .unwrap_or("")
            .to_string();
        log.lock().unwrap().push(action.clone());
        let (status, xml) = match action.as_str() {
            "DescribeStacks" => ("200 OK", describe_stacks()),
            "DescribeStackEvents" => ("200 OK", describe_events()),
            _ => ("400 Bad Request", format!("<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>{action} is not expected while the stack is busy</Message></Error><RequestId>r</RequestId></ErrorResponse>")),
        };
        let resp = format!(
            "HTTP/1.1 {status}\r\ncontent-type: text/xml\r\ncontent-length: {}\r\n\r\n{xml}",
            xml.len()
        );
        if sock.write_all(resp.as_bytes()).is_err() {
            return;
        }
    }
}

fn describe_stacks() -> String {
    format!(
        r#"<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackId>{STACK_ID}</StackId><StackName>sk-busy</StackName><CreationTime>2026-11-23T10:00:00.000Z</CreationTime><StackStatus>CREATE_IN_PROGRESS</StackStatus><Parameters/><Tags/><Outputs/></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeStacksResponse>"#
    )
}

fn describe_events() -> String {
    format!(
        r#"<DescribeStackEventsResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStackEventsResult><StackEvents><member><EventId>e-1</EventId><StackName>sk-busy</StackName><StackId>{STACK_ID}</StackId><LogicalResourceId>sk-busy</LogicalResourceId><PhysicalResourceId>{STACK_ID}</PhysicalResourceId><ResourceType>AWS::CloudFormation::Stack</ResourceType><Timestamp>2026-11-23T10:00:00.000Z</Timestamp><ResourceStatus>CREATE_IN_PROGRESS</ResourceStatus><ResourceStatusReason>User Initiated</ResourceStatusReason></member></StackEvents></DescribeStackEventsResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeStackEventsResponse>"#
    )
}

/// Ctrl-C (SIGINT) once the command is following the stack.
fn interrupt_while_following(args: &[&str], waiting_line: &str) {
    let cfn = BusyCfn::start();
    let (mut child, rx) = spawn(args, &cfn.env());
    until(&rx, |l| l.contains(waiting_line));
    // Two polls seen: the watch loop (and its Ctrl-C handler) is running.
    while cfn.count("DescribeStackEvents") < 2 {
        if let Some(status) = child.try_wait().expect("try_wait") {
            let err: Vec<String> = rx.try_iter().collect();
            panic!("streamkit ended before it was interrupted ({status}): {err:#?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let (code, out, err) = finish(child, rx);
    assert_eq!(code, 130, "{out}\n{err}");
    let last = err.lines().last().unwrap_or_default();
    assert!(last.contains("keeps going in CloudFormation"), "{err}");
    assert!(
        last.contains("streamkit status --watch --stack-name sk-busy --region us-east-1"),
        "says how to re-attach: {last}"
    );
    let actions = cfn.actions.lock().unwrap().clone();
    assert!(
        actions.iter().all(|a| a.starts_with("Describe")),
        "Ctrl-C only stops watching; nothing was changed: {actions:?}"
    );
}

#[test]
fn ctrl_c_while_watching_leaves_the_stack_alone_and_says_how_to_reattach() {
    interrupt_while_following(
        &["status", "--watch", "--stack-name", "sk-busy"],
        "following it",
    );
}

#[test]
fn deploy_attaches_to_a_stack_in_progress_and_ctrl_c_leaves_it_alone() {
    interrupt_while_following(
        &[
            "deploy",
            "--pattern",
            "3",
            "--stack-name",
            "sk-busy",
            "--yes",
            "--config",
            "/dev/null",
        ],
        "waiting for that operation to finish",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn throttled_requests_are_retried_and_bootstrap_deploy_and_outputs_succeed() {
    let emu = Emulator::start();
    let proxy = FaultProxy::start(emu.port());
    // Every third request, of any service (S3, CloudFormation), is throttled.
    proxy.set_throttle(Some(Throttle::every(3, 60)));
    let dir = tempfile::tempdir().unwrap();
    let sk = |args: &[&str]| {
        let mut cmd = streamkit(&emu, dir.path());
        cmd.env("AWS_ENDPOINT_URL", proxy.endpoint());
        run(cmd.args(args))
    };
    let (code, out, err) = sk(&["bootstrap", "--bucket-base", "sk-throttled"]);
    assert_eq!(code, 0, "bootstrap: {out}\n{err}");
    let deploy = [
        "deploy",
        "--pattern",
        "3",
        "--yes",
        "--stack-name",
        "sk-thr",
    ];
    let (code, out, err) = sk(&deploy);
    assert_eq!(code, 0, "deploy: {out}\n{err}");
    assert!(out.contains("sk-thr (us-east-1): created"), "{out}");
    let (code, out, err) = sk(&deploy);
    assert_eq!(code, 0, "no-op deploy: {out}\n{err}");
    assert!(out.contains("no changes"), "{out}");
    let (code, out, err) = sk(&["outputs", "--stack-name", "sk-thr", "--output", "json"]);
    assert_eq!(code, 0, "outputs: {err}");
    serde_json::from_str::<serde_json::Value>(out.trim()).expect("outputs JSON");
    let injected = proxy.injected();
    assert!(
        injected.throttled_requests >= 10,
        "the proxy really throttled: {injected:?}"
    );
    // The stack is there, as seen past the proxy.
    let cfn = aws_sdk_cloudformation::Client::new(&emu.sdk_config("us-east-1").await);
    let stacks = cfn
        .describe_stacks()
        .stack_name("sk-thr")
        .send()
        .await
        .expect("DescribeStacks");
    assert_eq!(
        stacks.stacks()[0].stack_status().map(|s| s.as_str()),
        Some("CREATE_COMPLETE")
    );
}
