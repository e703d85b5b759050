//! `streamkit build-dist` through the real binary.
//!
//! Most tests package small stand-in executables with `--skip-build` from a
//! private cargo target directory (fast, and independent of the asset crates'
//! state); `real_build_of_one_stack` runs cargo for real on one stack.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;
use streamkit::dist::manifest::DistManifest;
use streamkit::dist::{cargo::ASSETS, GLOBAL_DIR, MANIFEST_FILE, REGIONAL_DIR};

const FLAGS: [&str; 6] = [
    "--bucket-base",
    "sk-test-assets",
    "--solution",
    "streamkit",
    "--solution-version",
    "v0.0.1-test",
];

fn streamkit() -> Command {
    let mut cmd = Command::cargo_bin("streamkit").unwrap();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// A host executable small enough to zip quickly, needing glibc <= 2.34.
fn stand_in() -> Vec<u8> {
    std::fs::read("/bin/true")
        .or_else(|_| std::fs::read("/usr/bin/true"))
        .expect("/bin/true exists")
}

/// A fake cargo target dir with a dev build of every asset binary.
fn fake_target(dir: &Path, tweak: Option<&str>) -> PathBuf {
    let target = dir.join("target");
    let bin_dir = target.join("debug");
    std::fs::create_dir_all(&bin_dir).unwrap();
    for spec in ASSETS {
        let mut data = stand_in();
        if tweak == Some(spec.name) {
            data.extend_from_slice(b"changed"); // trailing bytes: still a valid ELF
        }
        let path = bin_dir.join(spec.bin);
        std::fs::write(&path, data).unwrap();
    }
    target
}

/// Runs `build-dist --skip-build` against `target`, writing `out`.
fn packaged(target: &Path, out: &Path, extra: &[&str]) -> Output {
    streamkit()
        .env("CARGO_TARGET_DIR", target)
        .arg("build-dist")
        .args(FLAGS)
        .args(["--arch", "x86_64", "--cargo-profile", "dev", "--skip-build"])
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

fn ok(output: Output) -> Output {
    assert!(
        output.status.success(),
        "build-dist failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// sha256 of every file under `dir`, by relative path.
fn hashes(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for sub in [GLOBAL_DIR, REGIONAL_DIR] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let name = format!("{sub}/{}", path.file_name().unwrap().to_string_lossy());
            out.push((name, streamkit::dist::archive::sha256_hex(&data)));
        }
    }
    let manifest = std::fs::read(dir.join(MANIFEST_FILE)).unwrap();
    out.push((
        MANIFEST_FILE.into(),
        streamkit::dist::archive::sha256_hex(&manifest),
    ));
    out.sort();
    out
}

fn file_names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// Every `<asset>-<16 hex>.zip` a template mentions.
fn referenced_zips(template: &str) -> BTreeSet<String> {
    let re = regex::Regex::new(r"[a-z][a-z-]*-[0-9a-f]{16}\.zip").unwrap();
    re.find_iter(template)
        .map(|m| m.as_str().to_string())
        .collect()
}

/// Asserts each zip holds one 0755 ELF executable for `machine`, named as packaged.
fn check_zips(out: &Path, manifest: &DistManifest, machine: u16) {
    for asset in &manifest.assets {
        let data = std::fs::read(out.join(REGIONAL_DIR).join(&asset.file)).unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(data)).unwrap();
        assert_eq!(zip.len(), 1, "{}: one entry", asset.name);
        let mut entry = zip.by_index(0).unwrap();
        let want = if asset.name == "producer" {
            "streamkit-producer"
        } else {
            "bootstrap"
        };
        assert_eq!(entry.name().unwrap(), want, "{}", asset.name);
        assert_eq!(entry.unix_mode().map(|m| m & 0o777), Some(0o755));
        let mut header = [0u8; 20];
        entry.read_exact(&mut header).unwrap();
        assert_eq!(&header[..4], b"\x7fELF", "{}: ELF magic", asset.name);
        assert_eq!(header[4], 2, "{}: 64-bit", asset.name);
        assert_eq!(
            u16::from_le_bytes([header[18], header[19]]),
            machine,
            "{}: e_machine",
            asset.name
        );
    }
}

#[test]
fn two_builds_are_byte_identical_and_a_change_moves_only_its_key() {
    let tmp = tempfile::tempdir().unwrap();
    let target = fake_target(tmp.path(), None);
    let out = tmp.path().join("deployment");
    ok(packaged(&target, &out, &[]));
    let first = hashes(&out);
    ok(packaged(&target, &out, &[]));
    assert_eq!(first, hashes(&out), "second build differs");

    // A changed function gets a new key; templates that don't use it stay identical.
    let changed = tmp.path().join("changed");
    let target2 = fake_target(&changed, Some("fare-api"));
    let out2 = changed.join("deployment");
    ok(packaged(&target2, &out2, &[]));
    let before = DistManifest::load(&out).unwrap();
    let after = DistManifest::load(&out2).unwrap();
    for (a, b) in before.assets.iter().zip(&after.assets) {
        assert_eq!(a.file == b.file, a.name != "fare-api", "{}", a.name);
    }
    for (a, b) in before.templates.iter().zip(&after.templates) {
        assert_eq!(a.sha256 == b.sha256, a.stack != "pattern-4", "{}", a.stack);
    }
}

#[test]
fn templates_and_zips_match_and_zips_hold_executables() {
    let tmp = tempfile::tempdir().unwrap();
    let target = fake_target(tmp.path(), None);
    let out = tmp.path().join("deployment");
    let stdout = ok(packaged(&target, &out, &["--output", "json"])).stdout;
    let manifest: DistManifest = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(manifest, DistManifest::load(&out).unwrap());
    assert_eq!(manifest.key_prefix, "streamkit/v0.0.1-test/");

    let zips = file_names(&out.join(REGIONAL_DIR));
    let mut referenced = BTreeSet::new();
    let templates = file_names(&out.join(GLOBAL_DIR));
    assert_eq!(templates.len(), manifest.templates.len());
    for t in &manifest.templates {
        let text = std::fs::read_to_string(out.join(GLOBAL_DIR).join(&t.file)).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        let params = &doc["Parameters"];
        if !params["AssetBucketBase"].is_null() {
            assert_eq!(params["AssetBucketBase"]["Default"], "sk-test-assets");
            assert_eq!(
                params["AssetKeyPrefix"]["Default"],
                "streamkit/v0.0.1-test/"
            );
        }
        let refs = referenced_zips(&text);
        for r in &refs {
            assert!(zips.contains(r), "{} references missing {r}", t.file);
        }
        referenced.extend(refs);
        if text.contains("\"Architectures\"") {
            assert!(text.contains("\"x86_64\""), "{}: architecture", t.file);
            assert!(!text.contains("\"arm64\""), "{}: architecture", t.file);
        }
    }
    assert_eq!(referenced, zips, "every zip is referenced by some template");
    let listed: BTreeSet<String> = manifest.assets.iter().map(|a| a.file.clone()).collect();
    assert_eq!(listed, zips);
    check_zips(&out, &manifest, 62);
    // Content-addressed names.
    for a in &manifest.assets {
        assert_eq!(a.file, format!("{}-{}.zip", a.name, &a.sha256[..16]));
        assert!(!a.stacks.is_empty());
    }
}

#[test]
fn summary_table_lists_each_asset() {
    let tmp = tempfile::tempdir().unwrap();
    let target = fake_target(tmp.path(), None);
    let out = tmp.path().join("deployment");
    let output = ok(packaged(
        &target,
        &out,
        &["--pattern", "1", "--pattern", "3"],
    ));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("asset"), "{stdout}");
    assert!(
        lines[1].starts_with("consumer") && lines[1].ends_with("pattern-1"),
        "{stdout}"
    );
    assert!(stdout.contains("pattern-3.template"), "{stdout}");
    assert_eq!(file_names(&out.join(REGIONAL_DIR)).len(), 1);
}

#[test]
fn a_binary_needing_a_newer_glibc_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("new.c");
    // arc4random appeared in glibc 2.36, newer than Amazon Linux 2023's 2.34.
    std::fs::write(
        &src,
        "#include <stdlib.h>\nint main(void) { return (int)(arc4random() & 1); }\n",
    )
    .unwrap();
    let target = fake_target(tmp.path(), None);
    let exe = target.join("debug/streamkit-consumer");
    let cc = std::process::Command::new("cc")
        .arg("-o")
        .arg(&exe)
        .arg(&src)
        .output();
    if !cc.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: no C compiler with a glibc >= 2.36 here");
        return;
    }
    let out = tmp.path().join("deployment");
    let output = packaged(&target, &out, &["--pattern", "1"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("GLIBC_2.36"), "{stderr}");
    assert!(!out.exists());
}

/// Runs build-dist in an empty temp dir; asserts exit 2, one stderr line
/// containing `needle`, and that nothing was written.
fn refused(args: &[&str], needle: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let output = streamkit()
        .args(args)
        .arg("--out")
        .arg(tmp.path().join("deployment"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "{args:?}: one line: {stderr}"
    );
    assert!(stderr.contains(needle), "{args:?}: {stderr}");
    assert_eq!(file_names(tmp.path()).len(), 0, "{args:?}: nothing written");
}

fn with(replace: &str, value: &str) -> Vec<String> {
    let mut args: Vec<String> = vec!["build-dist".into()];
    for pair in FLAGS.chunks(2) {
        args.push(pair[0].into());
        args.push(if pair[0] == replace { value } else { pair[1] }.into());
    }
    args.extend([
        "--arch".into(),
        "x86_64".into(),
        "--cargo-profile".into(),
        "dev".into(),
    ]);
    args
}

#[test]
fn bad_input_exits_2_on_one_line_and_writes_nothing() {
    let long = "a".repeat(43);
    for (flag, value, needle) in [
        ("--bucket-base", long.as_str(), "room for the region"),
        ("--bucket-base", "My_Bucket", "--bucket-base 'My_Bucket'"),
        ("--bucket-base", "ab", "shorter than 3"),
        ("--solution-version", "v1/2", "--solution-version 'v1/2'"),
        ("--solution", "my solution", "--solution"),
    ] {
        let args = with(flag, value);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        refused(&args, needle);
    }
}

/// The flag names of earlier versions (`--bucket`, `--version`) still work,
/// hidden from `--help`, which shows the names every command shares.
#[test]
fn old_flag_names_are_hidden_aliases() {
    let args: Vec<String> = with("", "")
        .into_iter()
        .map(|a| match a.as_str() {
            "--bucket-base" => "--bucket".to_string(),
            "--solution-version" => "--version".to_string(),
            _ => a,
        })
        .collect();
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    // Reaches the value check through the old names: the same one-line error.
    let bad = args.iter().position(|a| *a == "--version").unwrap() + 1;
    args[bad] = "v1/2";
    refused(&args, "--solution-version 'v1/2'");
    let help = streamkit().args(["build-dist", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("--bucket-base <BASE>") && help.contains("--solution-version <VERSION>"),
        "{help}"
    );
    assert!(
        !help.contains("--bucket <") && !help.contains("--version <"),
        "{help}"
    );
}

#[test]
fn unwritable_out_exits_2_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let output = streamkit()
        .args(with("", ""))
        .arg("--out")
        .arg(file.join("deployment"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    // One error line and one hint line.
    let lines: Vec<&str> = stderr.trim_end().lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(lines[0].starts_with("error: cannot write"), "{stderr}");
    assert_eq!(lines[1], "hint: choose a writable --out directory");
    assert_eq!(
        file_names(tmp.path()),
        BTreeSet::from(["a-file".to_string()])
    );
}

#[test]
fn missing_flags_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let output = streamkit()
        .args(["build-dist", "--bucket-base", "sk-test-assets", "--out"])
        .arg(tmp.path().join("deployment"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--solution"));
    assert_eq!(file_names(tmp.path()).len(), 0);
}

fn aarch64_std_installed() -> bool {
    let out = std::process::Command::new("rustc")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "--print",
            "target-libdir",
            "--target",
            "aarch64-unknown-linux-gnu",
        ])
        .output()
        .unwrap();
    let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
    std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some())
}

#[test]
fn arm64_without_the_target_names_what_to_install() {
    if aarch64_std_installed() {
        eprintln!("skipped: aarch64-unknown-linux-gnu is installed here");
        return;
    }
    let mut args: Vec<&str> = vec!["build-dist"];
    args.extend(FLAGS);
    args.extend(["--pattern", "4"]); // default --arch is arm64
    refused(&args, "rustup target add aarch64-unknown-linux-gnu");
}

/// The user path end to end: cargo builds a real asset crate (dev profile, host
/// architecture, reusing the test build), twice, with identical results.
#[test]
fn real_build_of_one_stack() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("deployment");
    let run = || {
        ok(streamkit()
            .arg("build-dist")
            .args(FLAGS)
            .args([
                "--arch",
                "x86_64",
                "--cargo-profile",
                "dev",
                "--pattern",
                "1",
            ])
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap())
    };
    run();
    let first = hashes(&out);
    run();
    assert_eq!(first, hashes(&out));
    let manifest = DistManifest::load(&out).unwrap();
    assert_eq!(manifest.assets.len(), 1);
    check_zips(&out, &manifest, 62);
}

/// Each shared dependency's features as cargo resolves them for building
/// `packages` together (normal and build dependencies, host target).
fn resolved_features(packages: &[&str]) -> std::collections::BTreeMap<String, String> {
    let host = std::process::Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc -vV");
    let host = String::from_utf8_lossy(&host.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .expect("host triple");
    let mut cmd = std::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "tree",
            "--offline",
            "--locked",
            "-e",
            "normal,build,features",
        ])
        .args(["--target", &host, "--prefix", "none", "-f", "{p}|{f}"]);
    for p in packages {
        cmd.args(["-p", p]);
    }
    let out = cmd.output().expect("cargo tree");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut features = std::collections::BTreeMap::new();
    for (p, f) in String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('|'))
    {
        // A package printed again is marked `(*)` after its features.
        let p = p.split(" (").next().unwrap_or(p);
        let f = f.trim().trim_end_matches("(*)").trim();
        features
            .entry(p.to_string())
            .or_insert_with(|| f.to_string());
    }
    features
}

/// The first run (issue 26): `local up` builds the functions in the dev
/// profile in one cargo invocation with the CLI's library
/// (`src/dist/cargo.rs`), so every shared dependency must resolve to exactly
/// the features `cargo run` built it with, or cargo compiles it again (the
/// AWS SDK twice). The CLI's features are therefore a superset of every
/// function's (Cargo.toml, "the first run"): the CLI alone and the CLI with
/// every asset crate resolve every crate they share alike.
#[test]
fn the_functions_dev_build_resolves_shared_crates_as_the_cli_does() {
    let mut all: Vec<&str> = ASSETS.iter().map(|a| a.package).collect();
    all.sort();
    all.dedup();
    let cli = resolved_features(&["streamkit"]);
    let together = resolved_features(&[&["streamkit"], all.as_slice()].concat());
    let differ: Vec<String> = cli
        .iter()
        .filter_map(|(p, f)| {
            let g = together.get(p)?;
            (g != f).then(|| format!("{p}: CLI [{f}], with the functions [{g}]"))
        })
        .collect();
    assert!(
        differ.is_empty(),
        "add the functions' features to the CLI's dependencies: {differ:#?}"
    );
    assert!(cli.keys().any(|p| p.starts_with("aws-sdk-s3 ")), "{cli:?}");
}
