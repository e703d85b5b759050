//! `streamkit local up` / `local down` as a newcomer runs them, through the
//! real binary: it starts the emulator itself, builds and deploys, follows the
//! stack, and leaves nothing running unless told to (`--keep`, then `down`).
//! Each test has its own port and state directory (`XDG_STATE_HOME`).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// `streamkit local ...` from the source tree, its state under `state`.
fn streamkit(state: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("streamkit"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("XDG_STATE_HOME", state)
        .env("NO_COLOR", "1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("STREAMKIT_CONFIG")
        .env_remove("STREAMKIT_ENV")
        .args(args);
    cmd
}

fn run(state: &Path, args: &[&str]) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = streamkit(state, args).output().expect("run streamkit");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into(),
        String::from_utf8_lossy(&stderr).into(),
    )
}

/// The last NDJSON line of stdout: the command's report.
fn report(stdout: &str) -> Value {
    let last = stdout.lines().last().expect("a report line");
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{last}: {e}"))
}

/// `local up`'s result against its JSON Schema (tests/cli/schemas/local-up.schema.json).
fn conforms(result: &Value) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/cli/schemas/local-up.schema.json"
    );
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let problems: Vec<String> = validator
        .iter_errors(result)
        .map(|e| e.to_string())
        .collect();
    assert!(problems.is_empty(), "{path}: {problems:#?}\n{result}");
}

fn alive(pid: u64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        !s.rsplit_once(')')
            .is_some_and(|(_, r)| r.trim_start().starts_with('Z'))
    })
}

fn state_file(state: &Path, port: u16) -> std::path::PathBuf {
    state.join(format!("streamkit/local-{port}/state.json"))
}

/// Rows of Parquet files counted by DuckDB (the venv's), independently of streamkit.
fn duckdb_rows(files: &[String]) -> u64 {
    let python = std::env::var("STREAMKIT_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = "import duckdb, json, sys\nfiles = json.loads(sys.argv[1])\nprint(duckdb.sql('select count(*) from read_parquet($files)', params={'files': files}).fetchall()[0][0])";
    let out = Command::new(python)
        .args(["-c", script, &serde_json::to_string(files).unwrap()])
        .output()
        .expect("run python with duckdb");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("a count")
}

#[test]
fn local_up_pattern_2_until_output_prints_parquet_rows_duckdb_agrees_and_stops_everything() {
    let state = tempfile::tempdir().unwrap();
    let save = tempfile::tempdir().unwrap();
    let port = streamkit_testkit::free_port().to_string();
    let save_dir = save.path().to_str().unwrap();
    let (code, stdout, stderr) = run(
        state.path(),
        &[
            "--output",
            "json",
            "local",
            "up",
            "--pattern",
            "2",
            "--until-output",
            "--port",
            &port,
            "--save",
            save_dir,
            "--interval",
            "2",
            "--timeout",
            "300",
        ],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let r = report(&stdout);
    assert_eq!(r["event"], "result", "a result line like every other: {r}");
    conforms(&r);
    assert_eq!(r["outcome"], "output", "{r}");
    assert_eq!(r["kept"], false, "{r}");
    let parquet: Vec<&Value> = r["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["key"].as_str().unwrap().ends_with(".parquet"))
        .collect();
    assert!(!parquet.is_empty(), "no Parquet object: {r}");
    for o in &parquet {
        let file = save
            .path()
            .join(o["bucket"].as_str().unwrap())
            .join(o["key"].as_str().unwrap());
        let rows = o["rows"].as_u64().expect("a row count");
        assert!(rows > 0, "{o}");
        assert_eq!(rows, duckdb_rows(&[file.display().to_string()]), "{o}");
    }
    // Where to look came first, as events.
    assert!(stdout.contains(r#""what":"bucket""#), "{stdout}");
    assert!(stdout.contains(r#""event":"local_summary""#), "{stdout}");
    // The processor logs to its LoggingConfig group: that one is shown, not
    // Lambda's default `/aws/lambda/<name>`, which it never writes to.
    assert!(stdout.contains("ProcessorLogGroup"), "{stdout}");
    assert!(!stdout.contains("/aws/lambda/"), "{stdout}");
    let pid = r["pid"].as_u64().unwrap();
    assert!(!alive(pid), "the emulator (pid {pid}) still runs");
    assert!(!state_file(state.path(), port.parse().unwrap()).exists());
    assert!(std::net::TcpListener::bind(("127.0.0.1", port.parse::<u16>().unwrap())).is_ok());
}

#[test]
fn local_up_keep_then_down_and_a_busy_port_is_refused_in_one_line() {
    let state = tempfile::tempdir().unwrap();
    let port = streamkit_testkit::free_port().to_string();
    // Pattern 3 has no code: nothing is built.
    let (code, stdout, stderr) = run(
        state.path(),
        &[
            "--output",
            "json",
            "local",
            "up",
            "--pattern",
            "3",
            "--keep",
            "--port",
            &port,
        ],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let r = report(&stdout);
    assert_eq!(r["event"], "result", "a result line like every other: {r}");
    conforms(&r);
    assert_eq!(
        (r["kept"].clone(), r["outcome"].clone()),
        (true.into(), "deployed".into()),
        "{r}"
    );
    let pid = r["pid"].as_u64().unwrap();
    assert!(alive(pid));
    assert!(stdout.contains("no code to build"), "{stdout}");

    let (code, _, stderr) = run(
        state.path(),
        &["local", "up", "--pattern", "3", "--port", &port],
    );
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("already runs on port") && stderr.contains("local down"),
        "{stderr}"
    );

    let (code, stdout, stderr) = run(state.path(), &["local", "down", "--port", &port]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(&format!("stopped the emulator on port {port} (pid {pid})")),
        "{stdout}"
    );
    assert!(!alive(pid));
    assert!(!state_file(state.path(), port.parse().unwrap()).exists());
    let (code, stdout, _) = run(state.path(), &["local", "down", "--port", &port]);
    assert_eq!(code, 0);
    assert!(stdout.contains("nothing to stop"), "{stdout}");

    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = held.local_addr().unwrap().port().to_string();
    let (code, _, stderr) = run(
        state.path(),
        &["local", "up", "--pattern", "3", "--port", &busy],
    );
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("port {busy} on 127.0.0.1 is in use")),
        "{stderr}"
    );
}

#[test]
fn local_down_reports_and_removes_a_stale_state_file() {
    let state = tempfile::tempdir().unwrap();
    let port = streamkit_testkit::free_port();
    let file = state_file(state.path(), port);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let stale = serde_json::json!({"pid": 999_999_999u64, "port": port, "endpoint": "http://127.0.0.1:1",
        "log": "/nonexistent", "region": "us-east-1", "stack": null});
    std::fs::write(&file, stale.to_string()).unwrap();
    let (code, stdout, stderr) = run(
        state.path(),
        &["local", "down", "--port", &port.to_string()],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("stale state file"), "{stdout}");
    assert!(!file.exists());
}

#[test]
fn ctrl_c_in_the_live_summary_stops_the_emulator_by_pid() {
    let state = tempfile::tempdir().unwrap();
    let port = streamkit_testkit::free_port();
    let mut child = streamkit(
        state.path(),
        &[
            "local",
            "up",
            "--pattern",
            "3",
            "--port",
            &port.to_string(),
            "--interval",
            "1",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn local up");
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen = String::new();
    for line in stderr.lines() {
        let line = line.expect("a stderr line");
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("| records in:") || Instant::now() > deadline {
            break;
        }
    }
    assert!(seen.contains("| records in:"), "no summary line:\n{seen}");
    let pid: Value =
        serde_json::from_str(&std::fs::read_to_string(state_file(state.path(), port)).unwrap())
            .unwrap();
    let pid = pid["pid"].as_u64().unwrap();
    assert!(alive(pid));
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = child.wait().unwrap();
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    assert_eq!(status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("stopped on Ctrl-C; emulator stopped"),
        "{stdout}"
    );
    assert!(!alive(pid), "the emulator (pid {pid}) still runs");
    assert!(!state_file(state.path(), port).exists());
}

/// A quiet stack's summary line is printed once, not every --interval (issue
/// 26, item 10), and a stack with a stream says how to send it a record: a
/// ready `aws kinesis put-record` line naming the stream and the endpoint.
#[test]
fn local_up_prints_an_unchanged_summary_once_and_a_ready_put_record_line() {
    let state = tempfile::tempdir().unwrap();
    let port = streamkit_testkit::free_port().to_string();
    let (code, stdout, stderr) = run(
        state.path(),
        &[
            "--output",
            "json",
            "local",
            "up",
            "--pattern",
            "3",
            "--port",
            &port,
            "--interval",
            "1",
            "--timeout",
            "8",
        ],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let events: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let summaries = events
        .iter()
        .filter(|e| e["event"] == "local_summary")
        .count();
    assert_eq!(
        summaries, 1,
        "no traffic: one summary line over 8 polls: {stdout}"
    );
    let send: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "local_place" && e["what"] == "send")
        .filter_map(|e| e["value"].as_str())
        .collect();
    let stream = events
        .iter()
        .find(|e| e["event"] == "local_place" && e["name"] == "StreamName")
        .and_then(|e| e["value"].as_str())
        .unwrap_or_else(|| panic!("the StreamName output: {stdout}"));
    assert_eq!(send.len(), 1, "{stdout}");
    assert!(
        send[0].contains("aws kinesis put-record")
            && send[0].contains(&format!("--stream-name {stream} "))
            && send[0].contains(&format!("--endpoint-url http://127.0.0.1:{port} ")),
        "{}",
        send[0]
    );
    let r = report(&stdout);
    conforms(&r);
    assert_eq!(r["outcome"], "timeout");
}
