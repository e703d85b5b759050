//! `streamkit build-dist`: build the assets, write templates pointing at them;
//! progress on stderr, and a summary (or the manifest as JSON) on stdout.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use serde::Serialize;

use super::Context;
use crate::dist::arch::{Arch, CargoProfile};
use crate::dist::build::{self, DistOptions};
use crate::dist::manifest::DistManifest;
use crate::error::{Error, Result};
use crate::io::Report;
use crate::progress::human_size;

#[derive(Debug, Args)]
pub struct BuildDistArgs {
    /// Base name of the regional asset buckets: code is read from s3://BASE-<region>/NAME/VERSION/ (3-42 characters).
    #[arg(long = "bucket-base", alias = "bucket", value_name = "BASE")]
    pub bucket: String,
    /// Solution name, the first segment of every object key (letters, digits, '.', '_', '-').
    #[arg(long, value_name = "NAME")]
    pub solution: String,
    /// Version, the second segment of every object key, e.g. v1.0.0.
    #[arg(long = "solution-version", alias = "version", value_name = "VERSION")]
    pub version: String,
    /// Architecture of the Lambda functions and the producer instance.
    #[arg(long, value_enum, default_value_t = Arch::Arm64)]
    pub arch: Arch,
    /// Output directory (what --dist-dir of publish and deploy reads); replaced as a whole, through a temporary directory next to it.
    #[arg(
        long = "dist-dir",
        alias = "out",
        default_value = "deployment",
        value_name = "DIR"
    )]
    pub out: PathBuf,
    /// Package the binaries already built (same --arch and --cargo-profile) instead of running cargo.
    #[arg(long)]
    pub skip_build: bool,
    /// Cargo profile: release for anything you deploy; dev reuses the test build and stores zips uncompressed, for local testing only.
    #[arg(long, value_enum, default_value_t = CargoProfile::Release)]
    pub cargo_profile: CargoProfile,
    /// Only this stack (repeatable; default: every stack), by id or name as in `streamkit patterns`.
    #[arg(long)]
    pub pattern: Vec<String>,
    /// Cargo workspace holding assets/ (default: the one enclosing the current directory).
    #[arg(long, value_name = "DIR")]
    pub source: Option<PathBuf>,
    /// Cargo's target directory, as `cargo --target-dir` (default: cargo's, honouring CARGO_TARGET_DIR).
    #[arg(long, value_name = "DIR")]
    pub target_dir: Option<PathBuf>,
}

/// The manifest written (JSON: the manifest itself, one document); text: a
/// table of the files and a summary line.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct BuildDistReport {
    pub manifest: DistManifest,
    #[serde(skip)]
    pub out: PathBuf,
    #[serde(skip)]
    pub seconds: f64,
}

pub fn run(ctx: &Context<'_>, args: &BuildDistArgs) -> Result<BuildDistReport> {
    let workspace = match &args.source {
        Some(dir) => dir.clone(),
        None => find_workspace()?,
    };
    let opts = DistOptions {
        bucket_base: args.bucket.clone(),
        solution: args.solution.clone(),
        version: args.version.clone(),
        arch: args.arch,
        out: args.out.clone(),
        skip_build: args.skip_build,
        profile: args.cargo_profile,
        patterns: args.pattern.clone(),
        workspace,
        target_dir: args.target_dir.clone(),
        quiet_cargo: ctx.io.terminal().stderr || ctx.io.json(),
    };
    let started = Instant::now();
    let progress = ctx.io.progress_on_stderr();
    let result = build::build(&opts, &|event| progress.emit(event));
    progress.emit(crate::progress::Event::OperationEnd);
    Ok(BuildDistReport {
        manifest: result?,
        out: args.out.clone(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The cargo workspace enclosing the current directory that has `assets/`.
pub(crate) fn find_workspace() -> Result<PathBuf> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let is_source = |d: &Path| d.join("Cargo.toml").is_file() && d.join("assets").is_dir();
    if let Some(dir) = cwd.ancestors().find(|d| is_source(d)) {
        return Ok(dir.to_path_buf());
    }
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR"));
    if is_source(built_from) {
        return Ok(built_from.to_path_buf());
    }
    Err(Error::BadInput(
        "no streamkit source tree (Cargo.toml with assets/) here or above; run build-dist inside it or pass --source DIR".into(),
    ))
}

impl fmt::Display for BuildDistReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.manifest;
        let width = m
            .assets
            .iter()
            .map(|a| a.file.len())
            .chain(m.templates.iter().map(|t| t.file.len()))
            .max()
            .unwrap_or(4)
            .max(4);
        let row = |f: &mut fmt::Formatter<'_>,
                   kind: &str,
                   file: &str,
                   size: u64,
                   sha: &str,
                   stacks: &str| {
            let sha = sha.get(..16).unwrap_or(sha);
            writeln!(
                f,
                "{kind:<12} {file:<width$} {:>10}  {sha:<16}  {stacks}",
                human_size(size)
            )
        };
        writeln!(
            f,
            "{:<12} {:<width$} {:>10}  {:<16}  stacks",
            "asset", "file", "size", "sha256"
        )?;
        for a in &m.assets {
            row(f, &a.name, &a.file, a.size, &a.sha256, &a.stacks.join(", "))?;
        }
        for t in &m.templates {
            row(f, "template", &t.file, t.size, &t.sha256, &t.stack)?;
        }
        write!(
            f,
            "wrote {}: {} assets, {} templates for s3://{}-<region>/{} ({}, {:.1}s)",
            self.out.display(),
            m.assets.len(),
            m.templates.len(),
            m.bucket_base,
            m.key_prefix,
            m.architecture.name(),
            self.seconds
        )
    }
}

impl Report for BuildDistReport {}
