//! Which crate builds which asset, and running cargo for them.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use super::arch::Arch;
use crate::error::{Error, Result};
use crate::progress::Event;

/// How an asset is packaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A Lambda function for `provided.al2023`: the binary zipped as `bootstrap`.
    Lambda,
    /// A program for the EC2 instance: the binary zipped under its own name.
    Program,
}

/// One deployable asset: the name templates use, and the crate that builds it.
#[derive(Debug, Clone, Copy)]
pub struct AssetSpec {
    pub name: &'static str,
    pub package: &'static str,
    pub bin: &'static str,
    pub kind: Kind,
}

impl AssetSpec {
    /// Name of the executable inside the zip.
    pub fn entry_name(&self) -> &'static str {
        match self.kind {
            Kind::Lambda => "bootstrap",
            Kind::Program => self.bin,
        }
    }
}

/// Asset name (as in `patterns/*.yaml` `assets:`) -> crate under `assets/`.
pub const ASSETS: &[AssetSpec] = &[
    lambda("consumer", "streamkit-consumer"),
    lambda("processor", "streamkit-processor"),
    lambda("enrichment", "streamkit-enrichment"),
    lambda("fare-api", "streamkit-fare-api"),
    lambda("replicator", "streamkit-replicator"),
    lambda("joins", "streamkit-joins"),
    AssetSpec {
        name: "producer",
        package: "streamkit-producer",
        bin: "streamkit-producer",
        kind: Kind::Program,
    },
];

const fn lambda(name: &'static str, package: &'static str) -> AssetSpec {
    AssetSpec {
        name,
        package,
        bin: package,
        kind: Kind::Lambda,
    }
}

/// Looks an asset up by name.
pub fn spec(name: &str) -> Option<&'static AssetSpec> {
    ASSETS.iter().find(|a| a.name == name)
}

/// What `cargo metadata` says about the workspace.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
    pub target_dir: PathBuf,
    /// `(package, bin)` pairs of every binary target in the workspace.
    pub bins: Vec<(String, String)>,
}

/// Reads the workspace layout with `cargo metadata` (honours `CARGO_TARGET_DIR`);
/// `target_dir` overrides where the binaries are.
pub fn workspace(root: &Path, target_dir: Option<&Path>) -> Result<Workspace> {
    let output = Command::new(cargo())
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| {
            Error::BadInput(format!(
                "cannot run cargo: {e}; install Rust from https://rustup.rs"
            ))
        })?;
    if !output.status.success() {
        let err = String::from_utf8_lossy(&output.stderr);
        return Err(Error::Build(format!(
            "cargo metadata failed in {}: {}",
            root.display(),
            last_line(&err)
        )));
    }
    let meta: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| Error::Build(format!("cargo metadata printed bad JSON: {e}")))?;
    let mut bins = Vec::new();
    for package in meta["packages"].as_array().into_iter().flatten() {
        let name = package["name"].as_str().unwrap_or_default();
        for target in package["targets"].as_array().into_iter().flatten() {
            let is_bin = target["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "bin"));
            if is_bin {
                let bin = target["name"].as_str().unwrap_or_default();
                bins.push((name.to_string(), bin.to_string()));
            }
        }
    }
    Ok(Workspace {
        root: root.to_path_buf(),
        target_dir: target_dir.map_or_else(
            || PathBuf::from(meta["target_directory"].as_str().unwrap_or("target")),
            Path::to_path_buf,
        ),
        bins,
    })
}

/// How cargo will be invoked for an architecture on this machine.
#[derive(Debug, Clone)]
pub struct Toolchain {
    /// `Some(triple)` when cross-compiling; `None` builds for the host, sharing
    /// the host build's artifacts (so `--cargo-profile dev` reuses test builds).
    pub target: Option<String>,
    /// Environment for cargo (the cross linker).
    pub env: Vec<(String, String)>,
}

/// Target triple of the Rust toolchain that builds in `root`.
pub fn host_triple(root: &Path) -> Result<String> {
    Ok(rustc(root, &["-vV"])?
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .unwrap_or_default())
}

/// Checks that this machine can build for `arch`; the error names what to install.
pub fn toolchain(root: &Path, arch: Arch) -> Result<Toolchain> {
    let triple = arch.triple();
    if host_triple(root)? == triple {
        return Ok(Toolchain {
            target: None,
            env: Vec::new(),
        });
    }
    let libdir = rustc(root, &["--print", "target-libdir", "--target", triple])?;
    let has_std = std::fs::read_dir(libdir.trim())
        .map(|d| {
            d.flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("libstd-"))
        })
        .unwrap_or(false);
    let gcc = arch.cross_gcc();
    if !has_std {
        return Err(Error::BadInput(format!(
            "--arch {} needs the Rust target {triple}, which is not installed: run \
             `rustup target add {triple}` and `apt-get install {gcc}` (cross linker), \
             or pass --arch x86_64",
            arch.name(),
            gcc = arch.cross_gcc_package()
        )));
    }
    let var = format!(
        "CARGO_TARGET_{}_LINKER",
        triple.to_uppercase().replace('-', "_")
    );
    let linker = std::env::var(&var).unwrap_or_else(|_| gcc.to_string());
    if which(&linker).is_none() {
        return Err(Error::BadInput(format!(
            "--arch {} needs a linker for {triple}: `{linker}` is not on PATH; run \
             `apt-get install {}` or set {var}, or pass --arch x86_64",
            arch.name(),
            arch.cross_gcc_package()
        )));
    }
    let mut env = vec![(var, linker.clone())];
    // C code in dependencies (ring, aws-lc) needs the cross compiler too.
    let cc_var = format!("CC_{}", triple.replace('-', "_"));
    if std::env::var_os(&cc_var).is_none() {
        env.push((cc_var, linker));
    }
    Ok(Toolchain {
        target: Some(triple.to_string()),
        env,
    })
}

/// Directory cargo writes the binaries of `profile` into.
pub fn bin_dir(ws: &Workspace, toolchain_target: Option<&str>, profile: &str) -> PathBuf {
    let profile_dir = if profile == "dev" { "debug" } else { profile };
    match toolchain_target {
        Some(t) => ws.target_dir.join(t).join(profile_dir),
        None => ws.target_dir.join(profile_dir),
    }
}

/// Builds the binaries of `specs` with cargo, reporting each compiled crate.
/// With `capture_stderr` cargo's own output is kept and shown only on failure.
pub fn build(
    ws: &Workspace,
    tc: &Toolchain,
    profile: &str,
    specs: &[&AssetSpec],
    capture_stderr: bool,
    progress: &dyn Fn(Event),
) -> Result<()> {
    let mut cmd = Command::new(cargo());
    cmd.current_dir(&ws.root)
        .args(["build", "--message-format", "json-render-diagnostics"])
        .args(["--profile", profile])
        .arg("--manifest-path")
        .arg(ws.root.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&ws.target_dir);
    if let Some(t) = &tc.target {
        cmd.args(["--target", t]);
    }
    for spec in specs {
        cmd.args(["-p", spec.package, "--bin", spec.bin]);
    }
    if profile == "dev" && tc.target.is_none() {
        // Cargo resolves features over the packages one build selects: with
        // the CLI's library in the selection every shared dependency (the AWS
        // SDK, tokio, serde) gets the CLI's features (a superset of the
        // functions', Cargo.toml) and the artifacts `cargo run` made are
        // reused, so `local up` compiles only the functions' own crates
        // (issue 26, "the first run": each dependency compiles once).
        cmd.args(["-p", env!("CARGO_PKG_NAME"), "--lib"]);
    }
    cmd.envs(tc.env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(if capture_stderr {
            Stdio::piped()
        } else {
            Stdio::inherit()
        });
    let mut child = cmd.spawn().map_err(|e| {
        Error::BadInput(format!(
            "cannot run cargo: {e}; install Rust from https://rustup.rs"
        ))
    })?;
    let stderr_reader = child.stderr.take().map(|mut err| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            text
        })
    });
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
            let Ok(msg) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if msg["reason"] == "compiler-artifact" {
                let name = msg["target"]["name"].as_str().unwrap_or_default();
                progress(Event::Compiled {
                    krate: name.to_string(),
                });
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| Error::Build(format!("cargo did not finish: {e}")))?;
    let captured = stderr_reader
        .and_then(|h| h.join().ok())
        .unwrap_or_default();
    if !status.success() {
        if !captured.is_empty() {
            progress(Event::message(captured.trim_end()));
        }
        let packages: Vec<&str> = specs.iter().map(|s| s.package).collect();
        return Err(Error::Build(format!(
            "cargo build --profile {profile} of {} failed ({status}); see cargo's output above",
            packages.join(", ")
        )));
    }
    Ok(())
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

fn rustc(root: &Path, args: &[&str]) -> Result<String> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let output = Command::new(&rustc)
        .current_dir(root)
        .args(args)
        .output()
        .map_err(|e| {
            Error::BadInput(format!(
                "cannot run {rustc}: {e}; install Rust from https://rustup.rs"
            ))
        })?;
    if !output.status.success() {
        return Err(Error::BadInput(format!(
            "`{rustc} {}` failed: {}",
            args.join(" "),
            last_line(&String::from_utf8_lossy(&output.stderr))
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Full path of `program` if it is an existing path or found on `PATH`.
fn which(program: &str) -> Option<PathBuf> {
    let path = Path::new(program);
    if path.components().count() > 1 {
        return path.is_file().then(|| path.to_path_buf());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

fn last_line(text: &str) -> &str {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_table_is_unique_and_lambdas_ship_bootstrap() {
        for (i, a) in ASSETS.iter().enumerate() {
            assert!(ASSETS[i + 1..].iter().all(|b| b.name != a.name));
        }
        assert_eq!(spec("fare-api").unwrap().entry_name(), "bootstrap");
        assert_eq!(spec("producer").unwrap().entry_name(), "streamkit-producer");
        assert!(spec("nope").is_none());
    }

    #[test]
    fn dev_profile_lives_in_debug() {
        let ws = Workspace {
            root: "/w".into(),
            target_dir: "/t".into(),
            bins: Vec::new(),
        };
        assert_eq!(bin_dir(&ws, None, "dev"), Path::new("/t/debug"));
        assert_eq!(
            bin_dir(&ws, Some("aarch64-unknown-linux-gnu"), "release"),
            Path::new("/t/aarch64-unknown-linux-gnu/release")
        );
    }
}
