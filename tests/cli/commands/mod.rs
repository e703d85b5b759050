//! Every command run in process, with the I/O object injected (in-memory
//! streams, terminal flags of our choosing), its text and JSON output
//! compared with expected files under `tests/cli/expected/` (volatile parts
//! such as times, durations, ports, ARNs and temp paths filtered), the way
//! cloudformation-guard's test runner checks its commands.
//!
//! `STREAMKIT_BLESS=1 cargo test -p streamkit --test cli commands` rewrites
//! the expected files from the current output; review the diff.

mod offline;
mod replication;
mod stacks;
mod terminal;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use clap::Parser;
use regex::Regex;
use serde_json::Value;
use streamkit::args::OutputFormat;
use streamkit::cli::Cli;
use streamkit::commands::Context;
use streamkit::io::{Io, Terminal};

/// What one in-process run printed.
#[derive(Debug)]
pub struct Run {
    pub code: u8,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout as NDJSON.
    pub fn json(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
            .collect()
    }
}

/// How to run: output format, which streams are terminals, stdin text,
/// the emulator endpoint (static test credentials with it).
#[derive(Default, Clone)]
pub struct Setup {
    pub json: bool,
    pub terminal: Terminal,
    pub stdin: String,
    pub endpoint: Option<String>,
}

impl Setup {
    pub fn on(endpoint: &str) -> Setup {
        Setup {
            endpoint: Some(endpoint.to_string()),
            ..Setup::default()
        }
    }

    pub fn json(mut self) -> Setup {
        self.json = true;
        self
    }
}

/// Runs `streamkit ARGS` in process (with `--config /dev/null`, and the
/// endpoint and region of `setup` when it has one).
pub fn run(setup: &Setup, args: &[&str]) -> Run {
    let format = if setup.json {
        OutputFormat::Json
    } else {
        OutputFormat::Text
    };
    let mut argv: Vec<String> = vec!["streamkit".into()];
    argv.extend(args.iter().map(|a| a.to_string()));
    argv.extend(["--config".into(), "/dev/null".into()]);
    if let Some(endpoint) = &setup.endpoint {
        argv.extend(["--endpoint-url".into(), endpoint.clone()]);
        // In place of AWS_REGION (which is never a conflict); `deploy` refuses
        // the flag with --regions.
        if !args.contains(&"--region") && !args.contains(&"--regions") {
            argv.extend(["--region".into(), "us-east-1".into()]);
        }
    }
    let cli = Cli::try_parse_from(&argv).unwrap_or_else(|e| panic!("{argv:?}: {e}"));
    let (io, out, err) = Io::memory_with(format, setup.terminal, &setup.stdin);
    let mut ctx = Context::new(&io, &cli.global);
    if setup.endpoint.is_some() {
        ctx.credentials = Some(SharedCredentialsProvider::new(Credentials::new(
            "testing", "testing", None, None, "tests",
        )));
    }
    let result = cli.run_in(&ctx);
    let code = io.finish(result);
    Run {
        code,
        stdout: out.text(),
        stderr: err.text(),
    }
}

/// Compares a run (exit code, stdout, stderr) with `tests/cli/expected/NAME`
/// after filtering volatile parts; `tmp` paths print as `<tmp>`.
pub fn expect(name: &str, run: &Run, tmp: Option<&Path>) {
    if name.ends_with(".json") && run.code == 0 {
        crate::json_schemas::check(name, &run.stdout);
    }
    let actual = format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        run.code,
        normalize(&run.stdout, tmp),
        normalize(&run.stderr, tmp)
    );
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cli/expected")
        .join(name);
    if std::env::var_os("STREAMKIT_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with STREAMKIT_BLESS=1 to create it. Output:\n{actual}",
            path.display()
        )
    });
    if expected != actual {
        panic!(
            "{name} differs from {} (STREAMKIT_BLESS=1 rewrites it)\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        );
    }
}

/// Keys whose JSON values change from run to run.
const VOLATILE_KEYS: [&str; 11] = [
    "sha256",
    "size",
    "seconds",
    "time",
    "active_since",
    "arrival_time",
    "commit_timestamp",
    "lag_seconds",
    "takeover",
    "sequence_number",
    "polls",
];

/// Text with its volatile parts replaced; NDJSON lines are normalized per key.
pub fn normalize(text: &str, tmp: Option<&Path>) -> String {
    let mut text = text.to_string();
    if let Some(tmp) = tmp {
        text = text.replace(&tmp.display().to_string(), "<tmp>");
    }
    let lines: Vec<String> = text
        .split_inclusive('\n')
        .map(
            |line| match serde_json::from_str::<Value>(line.trim_end()) {
                Ok(mut v) if line.starts_with('{') => {
                    scrub(&mut v);
                    format!("{}\n", filter(&v.to_string()))
                }
                _ => filter(line),
            },
        )
        .collect();
    lines.concat()
}

fn scrub(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                if VOLATILE_KEYS.contains(&k.as_str()) && !val.is_null() {
                    *val = Value::String("<volatile>".into());
                } else {
                    scrub(val);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(scrub),
        _ => {}
    }
}

/// The regex filters, in order: ARNs, times, durations, resource-line ages,
/// ports, change-set names, sequence numbers, random physical-id suffixes.
fn filter(text: &str) -> String {
    static FILTERS: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    let filters = FILTERS.get_or_init(|| {
        [
            (
                r"arn:aws:[a-z0-9-]+:[a-z0-9-]*:\d{12}:[^\s\x22,)]+",
                "<arn>",
            ),
            (
                r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?",
                "<time>",
            ),
            (r"\b\d+\.\d+s\b", "<secs>s"),
            (r"(?m)^((?:\[[a-z0-9-]+\] )?) *\d+s ", "${1}<t>s "),
            (r"127\.0\.0\.1:\d+", "127.0.0.1:<port>"),
            (r"streamkit-\d{13}", "streamkit-<millis>"),
            (r"\b\d{20,}\b", "<seq>"),
            (r"-[A-Z0-9]{12,13}\b", "-<id>"),
            // A bucket's random suffix, digits or not (12 letters happen).
            (r"bucket-[a-z0-9]{12}\b", "bucket-<id>"),
            (r"lag \d+\.\d+s", "lag <secs>s"),
            (r"\b[0-9a-f]{16,64}\b", "<hex>"),
            (r"\b\d+(\.\d+)? (B|KiB|MiB)\b", "<size>"),
        ]
        .into_iter()
        .map(|(re, to)| (Regex::new(re).unwrap(), to))
        .collect()
    });
    let mut out = text.to_string();
    for (re, to) in filters {
        out = re.replace_all(&out, *to).into_owned();
    }
    // The emulator's random suffix of physical bucket names (12 lower-case
    // letters and digits, at least one digit).
    static BUCKET: OnceLock<Regex> = OnceLock::new();
    let bucket = BUCKET.get_or_init(|| Regex::new(r"-([a-z0-9]{12})\b").unwrap());
    bucket
        .replace_all(&out, |c: &regex::Captures<'_>| {
            if c[1].chars().any(|ch| ch.is_ascii_digit()) {
                "-<id>".to_string()
            } else {
                c[0].to_string()
            }
        })
        .into_owned()
}

#[test]
fn the_filters_keep_what_matters() {
    let text = "stack (us-east-1): created in 3.4s\n  12s CREATE_COMPLETE  x\nhttp://127.0.0.1:4567 arn:aws:cloudformation:us-east-1:123456789012:stack/s/abc at 2026-01-02T03:04:05.678Z\n";
    assert_eq!(
        normalize(text, None),
        "stack (us-east-1): created in <secs>s\n<t>s CREATE_COMPLETE  x\nhttp://127.0.0.1:<port> <arn> at <time>\n"
    );
    assert_eq!(
        normalize(
            "streamkit-pattern-3-outputbucket-vqrxexkzcjkq streamkit-pattern-3-outputbucket-1qrxexkzcjkq\n",
            None
        ),
        "streamkit-pattern-3-outputbucket-<id> streamkit-pattern-3-outputbucket-<id>\n"
    );
    let json = "{\"event\":\"result\",\"result\":{\"seconds\":1.5,\"stack\":\"s\"}}\n";
    assert_eq!(
        normalize(json, None),
        "{\"event\":\"result\",\"result\":{\"seconds\":\"<volatile>\",\"stack\":\"s\"}}\n"
    );
}

/// A temp dir that shows as `<tmp>` in expected files.
pub fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}
