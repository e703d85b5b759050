//! Shared helpers of the live tests: the `streamkit` binary pointed at an
//! emulator, one `build-dist` of the dev artifacts per test run, deploys,
//! polling with a deadline, reading a stream back, and a small SigV4-signing
//! HTTP client for the local API Gateway.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use assert_cmd::Command;
use serde_json::Value;
use streamkit_testkit::Emulator;

pub const REGION: &str = "us-east-1";
pub const BASE: &str = "sk-live-assets";

/// `streamkit` as a user runs it, in `dir`, pointed at the emulator.
pub fn streamkit(emu: &Emulator, dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("streamkit").expect("the streamkit binary");
    cmd.current_dir(dir)
        .env_remove("AWS_PROFILE")
        .env_remove("STREAMKIT_CONFIG")
        .env_remove("STREAMKIT_ENV")
        .env("NO_COLOR", "1");
    for (k, v) in emu.env() {
        cmd.env(k, v);
    }
    cmd
}

/// Runs to the end; panics with its output unless it exits 0; returns stdout.
pub fn ok(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().expect("run streamkit");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    );
    assert!(out.status.success(), "{what} failed:\n{stdout}\n{stderr}");
    stdout
}

/// The host architecture, as `build-dist --arch` spells it.
pub fn host_arch() -> &'static str {
    if cfg!(target_arch = "aarch64") {
        "arm64"
    } else {
        "x86_64"
    }
}

/// `build-dist --cargo-profile dev` of patterns 1 and 2 for the host
/// architecture, once per test run; copied into `dir/deployment`.
pub fn dist_into(dir: &Path) {
    static BUILT: Mutex<Option<PathBuf>> = Mutex::new(None);
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if built.is_none() {
        let out = std::env::temp_dir().join(format!("streamkit-live-dist-{}", std::process::id()));
        let root = env!("CARGO_MANIFEST_DIR");
        let mut cmd = Command::cargo_bin("streamkit").expect("the streamkit binary");
        cmd.current_dir(root).args([
            "build-dist",
            "--bucket",
            BASE,
            "--solution",
            "streamkit",
            "--version",
            "live",
            "--cargo-profile",
            "dev",
            "--arch",
            host_arch(),
            "--pattern",
            "1",
            "--pattern",
            "2",
            "--source",
            root,
            "--out",
        ]);
        cmd.arg(&out);
        ok(&mut cmd, "build-dist");
        *built = Some(out);
    }
    copy_dir(built.as_ref().expect("built"), &dir.join("deployment"));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dist") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// `bootstrap`, then `deploy --pattern P --yes` with `params`; the stack's
/// outputs as `streamkit outputs --output json` prints them.
pub fn deploy(emu: &Emulator, dir: &Path, pattern: &str, params: &[String]) -> Value {
    ok(
        streamkit(emu, dir).args(["bootstrap", "--bucket-base", BASE]),
        "bootstrap",
    );
    let mut deploy = streamkit(emu, dir);
    deploy.args(["deploy", "--pattern", pattern, "--yes"]);
    for p in params {
        deploy.args(["--parameter", p]);
    }
    ok(&mut deploy, "deploy");
    let out = ok(
        streamkit(emu, dir).args(["outputs", "--pattern", pattern, "--output", "json"]),
        "outputs",
    );
    serde_json::from_str::<Value>(out.trim()).expect("outputs JSON")["outputs"].clone()
}

/// Polls `check` every 200 ms until it gives a value or `limit` passes.
pub async fn wait_for<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// One record read back with GetRecords.
#[derive(Debug, Clone)]
pub struct Got {
    pub data: Vec<u8>,
    pub partition_key: String,
    pub arrival: SystemTime,
}

/// Every record of every shard, from the trim horizon, in shard order.
pub async fn read_stream(kinesis: &aws_sdk_kinesis::Client, stream: &str) -> Vec<Got> {
    use aws_sdk_kinesis::types::ShardIteratorType;
    let shards = kinesis
        .list_shards()
        .stream_name(stream)
        .send()
        .await
        .expect("ListShards");
    let mut out = Vec::new();
    for shard in shards.shards() {
        let mut iterator = kinesis
            .get_shard_iterator()
            .stream_name(stream)
            .shard_id(shard.shard_id())
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .expect("GetShardIterator")
            .shard_iterator
            .expect("iterator");
        loop {
            let page = kinesis
                .get_records()
                .shard_iterator(&iterator)
                .limit(10_000)
                .send()
                .await
                .expect("GetRecords");
            if page.records().is_empty() {
                break;
            }
            for r in page.records() {
                let arrival = r.approximate_arrival_timestamp().expect("arrival");
                out.push(Got {
                    data: r.data().as_ref().to_vec(),
                    partition_key: r.partition_key().unwrap_or_default().to_string(),
                    arrival: SystemTime::UNIX_EPOCH
                        + Duration::from_millis(arrival.to_millis().expect("millis") as u64),
                });
            }
            match page.next_shard_iterator() {
                Some(next) => iterator = next.to_string(),
                None => break,
            }
        }
    }
    out
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Signs a request for `execute-api` with the emulator's test credentials:
/// the headers to add.
pub fn sigv4(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<(String, String)> {
    use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
    use aws_sigv4::sign::v4;
    let identity =
        aws_credential_types::Credentials::new("testing", "testing", None, None, "live").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name("execute-api")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .expect("signing params")
        .into();
    let signable = SignableRequest::new(
        method,
        url,
        headers.iter().copied(),
        SignableBody::Bytes(body),
    )
    .expect("signable request");
    let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
    instructions
        .headers()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A plain HTTP/1.1 request to a loopback URL (`http://127.0.0.1:PORT/...`).
pub fn http(method: &str, url: &str, headers: &[(String, String)], body: &[u8]) -> Reply {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = TcpStream::connect(authority).expect("connect to the emulator");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("send head");
    stream.write_all(body).expect("send body");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read answer");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer");
    let text = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = text.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

/// A JSON POST signed with SigV4 (as the AWS SDKs and `awscurl` send it).
pub fn signed_post(url: &str, body: &Value) -> Reply {
    let bytes = body.to_string().into_bytes();
    let mut headers = sigv4("POST", url, &[("content-type", "application/json")], &bytes);
    headers.push(("content-type".into(), "application/json".into()));
    http("POST", url, &headers, &bytes)
}

pub async fn clients(emu: &Emulator) -> (aws_sdk_kinesis::Client, aws_sdk_s3::Client) {
    let cfg = emu.sdk_config(REGION).await;
    let s3 = aws_sdk_s3::config::Builder::from(&cfg)
        .force_path_style(true)
        .build();
    (
        aws_sdk_kinesis::Client::new(&cfg),
        aws_sdk_s3::Client::from_conf(s3),
    )
}

/// The output `key` of a deployed stack.
pub fn output(outputs: &Value, key: &str) -> String {
    outputs[key]
        .as_str()
        .unwrap_or_else(|| panic!("output {key}: {outputs}"))
        .to_string()
}
