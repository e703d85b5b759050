//! Commands that need no AWS: patterns, synth, validate, build-dist, docs,
//! and errors as text and as a JSON object.

use std::path::{Path, PathBuf};

use super::{expect, run, tmp, Setup};

fn text() -> Setup {
    Setup::default()
}

fn json() -> Setup {
    Setup::default().json()
}

#[test]
fn patterns() {
    expect("patterns.txt", &run(&text(), &["patterns"]), None);
    let r = run(&json(), &["patterns"]);
    assert_eq!(
        r.json().len(),
        streamkit::catalog::ids().unwrap().len(),
        "one object per pattern"
    );
    expect("patterns.json", &r, None);
}

/// `estimate` (no AWS without `--deployed`): its JSON has the prices' region
/// and dollars in cents (tests/cli/schemas/estimate.schema.json).
#[test]
fn estimate() {
    let args = ["estimate", "--pattern", "3", "--parameter", "ShardCount=3"];
    expect("estimate.txt", &run(&text(), &args), None);
    expect("estimate.json", &run(&json(), &args), None);
}

#[test]
fn validate() {
    expect("validate.txt", &run(&text(), &["validate"]), None);
    expect(
        "validate.json",
        &run(&json(), &["validate", "--pattern", "2"]),
        None,
    );
}

#[test]
fn synth_prints_the_rendered_template_in_either_mode() {
    let manifest = streamkit::catalog::find("3").unwrap();
    let rendered = streamkit::render::render(&manifest, &Default::default()).unwrap();
    for setup in [text(), json()] {
        let r = run(&setup, &["synth", "--pattern", "3"]);
        assert_eq!((r.code, r.stderr.as_str()), (0, ""));
        assert_eq!(r.stdout, rendered.to_json());
    }
    let r = run(&text(), &["synth", "--pattern", "3", "--format", "yaml"]);
    assert_eq!(r.stdout, rendered.to_yaml());
}

#[test]
fn synth_all_writes_one_file_per_stack() {
    let dir = tmp();
    let out = dir.path().join("out");
    let out_arg = out.display().to_string();
    let r = run(&text(), &["synth", "--all", "--out", &out_arg]);
    expect("synth-out.txt", &r, Some(dir.path()));
    let r = run(
        &json(),
        &["synth", "--all", "--format", "yaml", "--out", &out_arg],
    );
    expect("synth-out.json", &r, Some(dir.path()));
    let stacks = streamkit::catalog::ids().unwrap().len();
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        2 * stacks,
        "json and yaml of every stack"
    );
}

#[test]
fn errors_are_one_line_or_one_json_object() {
    expect(
        "error.txt",
        &run(&text(), &["synth", "--pattern", "7"]),
        None,
    );
    let r = run(&json(), &["synth", "--pattern", "7"]);
    let error: serde_json::Value = serde_json::from_str(r.stderr.trim()).unwrap();
    let error = &error["error"];
    assert_eq!(error["kind"], "bad_input");
    expect("error.json", &r, None);
    // An unwritable --out: the hint is the second line (and "hint" in JSON).
    let dir = tmp();
    std::fs::write(dir.path().join("file"), "x").unwrap();
    let bad = dir.path().join("file/out").display().to_string();
    expect(
        "error-hint.txt",
        &run(&text(), &["synth", "--all", "--out", &bad]),
        Some(dir.path()),
    );
    expect(
        "error-hint.json",
        &run(&json(), &["synth", "--all", "--out", &bad]),
        Some(dir.path()),
    );
}

/// A copy of docs/ to regenerate.
fn docs_copy(dir: &Path) -> PathBuf {
    let docs = dir.join("docs");
    std::fs::create_dir(&docs).unwrap();
    let costs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/costs.md")).unwrap();
    std::fs::write(docs.join("costs.md"), costs).unwrap();
    docs
}

#[test]
fn docs_check_fails_on_a_drifted_price_and_docs_rewrites_it() {
    let dir = tmp();
    let docs = docs_copy(dir.path());
    let arg = docs.display().to_string();
    expect(
        "docs-current.txt",
        &run(&text(), &["docs", "--check", "--dir", &arg]),
        Some(dir.path()),
    );
    let costs = docs.join("costs.md");
    let page = std::fs::read_to_string(&costs).unwrap();
    let drifted = page.replace(
        "| Kinesis shard-hour (provisioned) | $0.015 |",
        "| Kinesis shard-hour (provisioned) | $0.014 |",
    );
    assert_ne!(drifted, page, "the table has the shard-hour row");
    std::fs::write(&costs, &drifted).unwrap();
    expect(
        "docs-drifted.json",
        &run(&json(), &["docs", "--check", "--dir", &arg]),
        Some(dir.path()),
    );
    assert_eq!(
        std::fs::read_to_string(&costs).unwrap(),
        drifted,
        "--check changes nothing"
    );
    expect(
        "docs-updated.txt",
        &run(&text(), &["docs", "--dir", &arg]),
        Some(dir.path()),
    );
    assert_eq!(std::fs::read_to_string(&costs).unwrap(), page);
}

/// The repository's own docs/costs.md is what the code generates.
#[test]
fn docs_in_the_repository_are_current() {
    let arg = concat!(env!("CARGO_MANIFEST_DIR"), "/docs");
    let r = run(&text(), &["docs", "--check", "--dir", arg]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

/// Stand-in executables for every asset in a private target dir (`build-dist
/// --skip-build` packages them).
pub fn stand_ins(dir: &Path) -> PathBuf {
    let target = dir.join("target");
    let bin_dir = target.join("debug");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let exe = std::fs::read("/bin/true")
        .or_else(|_| std::fs::read("/usr/bin/true"))
        .expect("/bin/true exists");
    for spec in streamkit::dist::cargo::ASSETS {
        std::fs::write(bin_dir.join(spec.bin), &exe).unwrap();
    }
    target
}

pub fn build_dist_args(dir: &Path, out: &str) -> Vec<String> {
    let target = stand_ins(dir);
    [
        "build-dist",
        "--bucket-base",
        "sk-cmd-assets",
        "--solution",
        "streamkit",
        "--solution-version",
        "v1",
        "--arch",
        "x86_64",
        "--cargo-profile",
        "dev",
        "--skip-build",
        "--pattern",
        "1",
        "--pattern",
        "3",
        "--source",
        env!("CARGO_MANIFEST_DIR"),
        "--out",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([
        dir.join(out).display().to_string(),
        "--target-dir".into(),
        target.display().to_string(),
    ])
    .collect()
}

#[test]
fn build_dist() {
    let dir = tmp();
    let args = build_dist_args(dir.path(), "deployment");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    expect("build-dist.txt", &run(&text(), &args), Some(dir.path()));
    let r = run(&json(), &args);
    let manifest: streamkit::dist::manifest::DistManifest =
        serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        manifest,
        streamkit::dist::manifest::DistManifest::load(&dir.path().join("deployment")).unwrap()
    );
    expect("build-dist.json", &r, Some(dir.path()));
}

/// manifest.json's schema: a change to it shows here (and in the file).
#[test]
fn manifest_schema() {
    let schema =
        serde_json::to_string_pretty(&streamkit::dist::manifest::DistManifest::schema()).unwrap();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/cli/expected/manifest.schema.json"
    );
    if std::env::var_os("STREAMKIT_BLESS").is_some() {
        std::fs::write(path, format!("{schema}\n")).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(path).unwrap_or_default(),
        format!("{schema}\n"),
        "STREAMKIT_BLESS=1 rewrites {path}"
    );
}

/// `replay`'s time range is checked before any AWS call: every problem at
/// once, one line each, exit 2.
#[test]
fn replay_refuses_a_future_reversed_or_unreadable_range() {
    let r = run(
        &text(),
        &["replay", "--pattern", "2", "--from", "2999-01-01T00:00:00Z"],
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("--from 2999-01-01T00:00:00Z: in the future"),
        "{r:?}"
    );
    assert!(r.stderr.contains("--from must be before --to"), "{r:?}");
    let r = run(
        &text(),
        &["replay", "--pattern", "2", "--from", "10m", "--to", "20m"],
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(
        r.stderr,
        "error: --from must be before --to (the range is reversed or empty)\n"
    );
    let r = run(
        &text(),
        &["replay", "--pattern", "2", "--from", "yesterday"],
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("--from 'yesterday': not a time"), "{r:?}");
}

/// `scale` with nothing to change, or a shard count for an on-demand stream:
/// one line, exit 2, before any AWS call.
#[test]
fn scale_refuses_nothing_to_do_and_shards_with_on_demand() {
    let r = run(&text(), &["scale", "--pattern", "1"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("nothing to change"), "{r:?}");
    let r = run(
        &text(),
        &[
            "scale",
            "--pattern",
            "1",
            "--shards",
            "2",
            "--mode",
            "on-demand",
        ],
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("an on-demand stream has no shard count"),
        "{r:?}"
    );
}
