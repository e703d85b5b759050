//! Running the real `streamkit` binary against the emulator.

use std::path::Path;

use assert_cmd::Command;
use serde_json::json;
use streamkit_testkit::Emulator;

/// `streamkit` as a user runs it, in `dir`, pointed at the emulator.
pub fn streamkit(emu: &Emulator, dir: &Path) -> Command {
    Command::from_std(streamkit_process(&emu.env(), dir))
}

/// The same as a plain process (to spawn it and read its output as it runs),
/// with the environment `env` (e.g. `emu.env()`, or a proxy's endpoint); no
/// profile, no streamkit.toml environment, no colour.
pub fn streamkit_process(env: &[(&str, String)], dir: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("streamkit"));
    cmd.current_dir(dir)
        .env_remove("AWS_PROFILE")
        .env_remove("STREAMKIT_CONFIG")
        .env_remove("STREAMKIT_ENV")
        .env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Runs to the end: exit code, stdout, stderr.
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("run streamkit");
    let code = out.status.code().unwrap_or(-1);
    (
        code,
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// Every NDJSON line of `out`, parsed.
pub fn ndjson(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("NDJSON line {l}: {e}")))
        .collect()
}

/// A `build-dist`-shaped output in `dir/deployment` with placeholder code for
/// every asset (an empty zip each), so stacks with code deploy on the emulator.
pub fn fake_dist(dir: &Path, bucket_base: &str) {
    let all = [
        "consumer",
        "enrichment",
        "fare-api",
        "processor",
        "producer",
        "replicator",
    ];
    fake_dist_of(dir, bucket_base, &all, &[]);
}

/// [`fake_dist`] with only `names` built, for the stacks `stacks` (template
/// names, e.g. `pattern-1`), as `build-dist --pattern` leaves it.
pub fn fake_dist_of(dir: &Path, bucket_base: &str, names: &[&str], stacks: &[&str]) {
    let regional = dir.join("deployment/regional-s3-assets");
    std::fs::create_dir_all(&regional).unwrap();
    std::fs::create_dir_all(dir.join("deployment/global-s3-assets")).unwrap();
    let mut assets = Vec::new();
    for name in names {
        let file = format!("{name}-0123456789abcdef.zip");
        std::fs::write(regional.join(&file), super::EMPTY_ZIP).unwrap();
        let sha = streamkit::dist::archive::sha256_hex(&super::EMPTY_ZIP);
        let size = super::EMPTY_ZIP.len();
        assets.push(json!({"name": name, "file": file, "sha256": sha, "size": size, "architecture": "arm64", "stacks": []}));
    }
    let templates: Vec<_> = stacks
        .iter()
        .map(|s| json!({"stack": s, "file": format!("{s}.template"), "sha256": "0", "size": 0}))
        .collect();
    let manifest = json!({"solution": "streamkit", "version": "test", "bucket_base": bucket_base, "key_prefix": "streamkit/test/",
        "architecture": "arm64", "assets": assets, "templates": templates});
    std::fs::write(dir.join("deployment/manifest.json"), manifest.to_string()).unwrap();
}
