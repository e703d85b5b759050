//! Shared helpers of the live tests: the code built once per test binary
//! (`streamkit build-dist --cargo-profile dev --arch <host>`), a strict
//! emulator with the stack deployed by the real `streamkit` binary, and
//! polling with deadlines (never a fixed sleep waiting for data).

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use streamkit_testkit::Emulator;

#[path = "../support/mod.rs"]
pub mod common;

pub use common::Clients;

mod http;
pub mod least_privilege;
mod streams;

pub use http::{http, signed_post};
pub use streams::{json_lines, put_every, put_one, read_stream};

/// The region single-region stacks are deployed to.
pub const REGION: &str = "us-east-1";

/// Artifact bucket base, solution and version the dist is built for.
pub const BASE: &str = "sk-live";
pub const SOLUTION: &str = "streamkit";
pub const VERSION: &str = "live";

/// The host's Lambda architecture (the emulator runs functions natively).
pub fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "arm64",
        _ => "x86_64",
    }
}

/// `deployment/` of one `build-dist` run, shared by every test of the binary.
pub fn dist_dir() -> &'static Path {
    // Under cargo's per-target temporary directory, one per test process; the
    // dists of processes that have ended are removed first (a temporary
    // directory held by a static would never be removed: statics are not
    // dropped, so every run would leak one).
    static DIST: OnceLock<PathBuf> = OnceLock::new();
    DIST.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        for entry in std::fs::read_dir(&root).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            let ended = name
                .strip_prefix("live-dist-")
                .is_some_and(|pid| !Path::new("/proc").join(pid).exists());
            if ended {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        let dir = root.join(format!("live-dist-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("the live dist directory");
        let out = dir.join("deployment");
        // The checkout under test (cargo sets it when it runs the test;
        // a build directory shared between checkouts may hold this binary
        // compiled from another one, with another compile-time path).
        let source = std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
        let result = common::cli::streamkit_process(&[], &dir)
            .args([
                "build-dist",
                "--bucket-base",
                BASE,
                "--solution",
                SOLUTION,
                "--solution-version",
                VERSION,
            ])
            .args([
                "--cargo-profile",
                "dev",
                "--arch",
                host_arch(),
                "--source",
                &source,
            ])
            .arg("--out")
            .arg(&out)
            .output()
            .expect("run streamkit build-dist");
        assert!(
            result.status.success(),
            "build-dist failed:\n{}\n{}",
            String::from_utf8_lossy(&result.stdout),
            String::from_utf8_lossy(&result.stderr)
        );
        out
    })
}

/// The zip `build-dist` wrote for `asset` (e.g. `producer`).
pub fn asset_zip(asset: &str) -> PathBuf {
    let regional = dist_dir().join("regional-s3-assets");
    std::fs::read_dir(&regional)
        .expect("regional-s3-assets")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{asset}-")) && n.ends_with(".zip"))
        })
        .unwrap_or_else(|| panic!("no {asset} zip in {}", regional.display()))
}

/// A strict emulator and a working directory for the CLI.
pub struct Live {
    pub emu: Emulator,
    pub dir: tempfile::TempDir,
}

impl Live {
    pub fn start() -> Live {
        let dist = dist_dir();
        assert!(dist.is_dir());
        Live {
            emu: Emulator::start(),
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    /// Runs `streamkit ARGS` in the working directory against the emulator;
    /// panics with its output unless it exits 0; returns stdout.
    pub fn streamkit(&self, args: &[&str]) -> String {
        let mut cmd = common::cli::streamkit(&self.emu, self.dir.path());
        let (code, out, err) = common::cli::run(cmd.args(args));
        assert_eq!(code, 0, "streamkit {args:?} exited {code}:\n{out}\n{err}");
        out
    }

    /// `streamkit bootstrap` for `regions`, then `deploy --pattern P --yes`
    /// with the shared dist and `extra` arguments.
    pub fn deploy(&self, pattern: &str, regions: &[&str], extra: &[&str]) {
        self.deploy_expecting(pattern, regions, extra, "created");
    }

    /// `deploy` as [`Live::deploy`], its result (`created`, `updated`, ...)
    /// expected to be `outcome`.
    pub fn deploy_expecting(&self, pattern: &str, regions: &[&str], extra: &[&str], outcome: &str) {
        let regions = regions.join(",");
        self.streamkit(&["bootstrap", "--bucket-base", BASE, "--regions", &regions]);
        let dist = dist_dir().to_str().expect("a UTF-8 path").to_string();
        let mut args = vec!["deploy", "--pattern", pattern, "--yes", "--dist-dir", &dist];
        args.extend([
            "--bucket-base",
            BASE,
            "--solution",
            SOLUTION,
            "--solution-version",
            VERSION,
        ]);
        args.extend(extra);
        let out = self.streamkit(&args);
        assert!(out.contains(&format!(": {outcome} in ")), "{out}");
    }

    /// `deploy` to [`REGION`] with `--parameter` for each of `params`, then
    /// the stack's outputs as `streamkit outputs --output json` prints them.
    pub fn deploy_with(&self, pattern: &str, params: &[String]) -> serde_json::Value {
        let mut extra = Vec::new();
        for p in params {
            extra.extend(["--parameter", p.as_str()]);
        }
        self.deploy(pattern, &[REGION], &extra);
        let out = self.streamkit(&["outputs", "--pattern", pattern, "--output", "json"]);
        serde_json::from_str::<serde_json::Value>(out.trim()).expect("outputs JSON")["outputs"]
            .clone()
    }

    /// Kinesis and S3 (path-style) clients on the emulator in [`REGION`].
    pub async fn kinesis_s3(&self) -> (aws_sdk_kinesis::Client, aws_sdk_s3::Client) {
        let cfg = self.emu.sdk_config(REGION).await;
        let s3 = aws_sdk_s3::config::Builder::from(&cfg)
            .force_path_style(true)
            .build();
        (
            aws_sdk_kinesis::Client::new(&cfg),
            aws_sdk_s3::Client::from_conf(s3),
        )
    }
}

/// The output `key` of a deployed stack.
pub fn output(outputs: &serde_json::Value, key: &str) -> String {
    outputs[key]
        .as_str()
        .unwrap_or_else(|| panic!("output {key}: {outputs}"))
        .to_string()
}

/// Polls `probe` every 250 ms until it yields a value; panics naming `what`
/// after `timeout`.
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Polls `probe` until it returns `expected`; on timeout panics showing
/// both (the last value seen) and `explain()` (e.g. the function's logs).
pub async fn wait_for_eq<T, F, Fut, E, EFut>(
    what: &str,
    timeout: Duration,
    expected: &T,
    mut probe: F,
    explain: E,
) where
    T: PartialEq + std::fmt::Debug,
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
    E: FnOnce() -> EFut,
    EFut: Future<Output = String>,
{
    let start = Instant::now();
    loop {
        let got = probe().await;
        if &got == expected {
            return;
        }
        if start.elapsed() >= timeout {
            let context = explain().await;
            panic!("timed out after {timeout:?} waiting for {what}:\nexpected {expected:?}\n     got {got:?}\n{context}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The outputs of a stack.
pub async fn stack_outputs(c: &Clients, stack: &str) -> BTreeMap<String, String> {
    common::describe_stack(c, stack)
        .await
        .outputs()
        .iter()
        .map(|o| {
            (
                o.output_key().unwrap_or_default().to_string(),
                o.output_value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The log group a function writes to (its `LoggingConfig.LogGroup`).
pub async fn log_group_of(c: &Clients, function: &str) -> String {
    let config = c
        .lambda
        .get_function_configuration()
        .function_name(function)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetFunctionConfiguration {function}: {e:?}"));
    config
        .logging_config()
        .and_then(|l| l.log_group())
        .map(str::to_string)
        .unwrap_or_else(|| format!("/aws/lambda/{function}"))
}

/// Every message of a log group, oldest first (none while it is missing).
pub async fn log_messages(c: &Clients, group: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let Ok(page) = c
            .logs
            .filter_log_events()
            .log_group_name(group)
            .set_next_token(token)
            .send()
            .await
        else {
            return out;
        };
        let mut events = page.events().to_vec();
        events.sort_by_key(|e| e.timestamp());
        out.extend(
            events
                .iter()
                .filter_map(|e| e.message().map(str::to_string)),
        );
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return out;
        }
    }
}

/// The last `n` lines a function logged, for failure messages.
pub async fn log_tail(c: &Clients, function: &str, n: usize) -> String {
    let group = log_group_of(c, function).await;
    let lines = log_messages(c, &group).await;
    let tail = &lines[lines.len().saturating_sub(n)..];
    format!("last lines of {group} ({}):\n{}", c.region, tail.join("\n"))
}

/// The `fields` of the function's JSON log lines whose message is `message`.
pub async fn log_fields(c: &Clients, group: &str, message: &str) -> Vec<serde_json::Value> {
    log_messages(c, group)
        .await
        .iter()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|v| v["fields"]["message"] == message)
        .map(|v| v["fields"].clone())
        .collect()
}

/// `streamkit-producer` unpacked from the producer zip `build-dist` made, into `dir`.
pub fn producer_binary(dir: &Path) -> PathBuf {
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;
    let file = std::fs::File::open(asset_zip("producer")).expect("the producer zip");
    let mut archive = zip::ZipArchive::new(file).expect("a zip");
    let mut entry = archive
        .by_name("streamkit-producer")
        .expect("streamkit-producer in the zip");
    let mut bytes = Vec::new();
    entry.read_to_end(&mut bytes).expect("read the producer");
    let path = dir.join("streamkit-producer");
    std::fs::write(&path, bytes).expect("write the producer");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

/// Runs `tests/live/<script>` (an independent batch computation, DuckDB) with
/// the venv's Python and returns its stdout; panics with its stderr on failure.
pub fn python_script(script: &str, args: &[&std::ffi::OsStr]) -> Vec<u8> {
    let python = std::env::var("STREAMKIT_PYTHON").unwrap_or_else(|_| "python3".into());
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/live")
        .join(script);
    let out = std::process::Command::new(python)
        .arg(path)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {script} (needs duckdb: tests/requirements.txt): {e}"));
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
