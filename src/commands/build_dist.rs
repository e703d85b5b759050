//! `streamkit build-dist`: build the assets, write templates pointing at them,
//! show progress on stderr and a summary (or the manifest as JSON) on stdout.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{GlobalArgs, OutputFormat};
use crate::commands::emit;
use crate::dist::{self, Arch, CargoProfile, DistManifest, DistOptions, Event};
use crate::error::{Error, Result};

#[derive(Debug, Args)]
pub struct BuildDistArgs {
    /// Base name of the regional asset buckets: code is read from s3://BASE-<region>/NAME/VERSION/ (3-42 characters).
    #[arg(long = "bucket", value_name = "BASE")]
    pub bucket: String,
    /// Solution name, the first segment of every object key (letters, digits, '.', '_', '-').
    #[arg(long, value_name = "NAME")]
    pub solution: String,
    /// Version, the second segment of every object key, e.g. v1.0.0.
    #[arg(long, value_name = "V")]
    pub version: String,
    /// Architecture of the Lambda functions and the producer instance.
    #[arg(long, value_enum, default_value_t = Arch::Arm64)]
    pub arch: Arch,
    /// Output directory; replaced as a whole, through a temporary directory next to it.
    #[arg(long, default_value = "deployment")]
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
}

pub fn run(global: &GlobalArgs, args: &BuildDistArgs, out: &mut dyn Write) -> Result<()> {
    let workspace = match &args.source {
        Some(dir) => dir.clone(),
        None => find_workspace()?,
    };
    let terminal = std::io::stderr().is_terminal();
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
        quiet_cargo: terminal,
    };
    let started = Instant::now();
    let mut reporter = Reporter::new(terminal);
    let result = dist::build(&opts, &mut |event| reporter.event(event));
    reporter.finish();
    let manifest = result?;
    match global.output {
        OutputFormat::Json => emit(
            out,
            &serde_json::to_string_pretty(&manifest).expect("manifest serializes"),
        ),
        OutputFormat::Text => summary(out, &manifest, &args.out, started.elapsed()),
    }
}

/// The cargo workspace enclosing the current directory that has `assets/`.
fn find_workspace() -> Result<PathBuf> {
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

fn summary(
    out: &mut dyn Write,
    manifest: &DistManifest,
    dir: &Path,
    elapsed: Duration,
) -> Result<()> {
    let width = manifest
        .assets
        .iter()
        .map(|a| a.file.len())
        .chain(manifest.templates.iter().map(|t| t.file.len()))
        .max()
        .unwrap_or(4)
        .max(4);
    emit(
        out,
        &format!(
            "{:<12} {:<width$} {:>10}  {:<16}  stacks",
            "asset", "file", "size", "sha256"
        ),
    )?;
    for a in &manifest.assets {
        emit(
            out,
            &format!(
                "{:<12} {:<width$} {:>10}  {:<16}  {}",
                a.name,
                a.file,
                human(a.size),
                &a.sha256[..16],
                a.stacks.join(", ")
            ),
        )?;
    }
    for t in &manifest.templates {
        emit(
            out,
            &format!(
                "{:<12} {:<width$} {:>10}  {:<16}  {}",
                "template",
                t.file,
                human(t.size),
                &t.sha256[..16],
                t.stack
            ),
        )?;
    }
    emit(
        out,
        &format!(
            "wrote {}: {} assets, {} templates for s3://{}-<region>/{} ({}, {:.1}s)",
            dir.display(),
            manifest.assets.len(),
            manifest.templates.len(),
            manifest.bucket_base,
            manifest.key_prefix,
            manifest.architecture.name(),
            elapsed.as_secs_f64()
        ),
    )
}

/// `1234567` -> `1.2 MiB`.
fn human(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if b >= KIB * KIB {
        format!("{:.1} MiB", b / KIB / KIB)
    } else if b >= KIB {
        format!("{:.1} KiB", b / KIB)
    } else {
        format!("{bytes} B")
    }
}

/// Draws progress: bars on a terminal, one plain line per step otherwise.
struct Reporter {
    bar: Option<ProgressBar>,
    terminal: bool,
    compiled: u64,
}

impl Reporter {
    fn new(terminal: bool) -> Self {
        Reporter {
            bar: None,
            terminal,
            compiled: 0,
        }
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Building {
                packages,
                profile,
                target,
            } => {
                let line = format!(
                    "building {packages} asset crates (cargo --profile {profile}, {target})"
                );
                if self.terminal {
                    let bar = ProgressBar::new_spinner();
                    bar.set_style(
                        ProgressStyle::with_template("{spinner} {prefix} [{elapsed}] {msg}")
                            .expect("valid template"),
                    );
                    bar.set_prefix(line);
                    bar.enable_steady_tick(Duration::from_millis(120));
                    self.bar = Some(bar);
                } else {
                    eprintln!("{line}");
                }
            }
            Event::Compiled { krate } => {
                self.compiled += 1;
                if let Some(bar) = &self.bar {
                    bar.set_message(format!("{} crates, last {krate}", self.compiled));
                }
            }
            Event::Packaging { total } => {
                self.finish();
                if self.terminal {
                    let bar = ProgressBar::new(total as u64);
                    bar.set_style(
                        ProgressStyle::with_template("packaging {bar:30} {pos}/{len} {msg}")
                            .expect("valid template"),
                    );
                    self.bar = Some(bar);
                }
            }
            Event::Packaged { asset, file, size } => {
                self.step(format!("packaged {asset}: {file} ({})", human(size)));
            }
            Event::Rendered { stack } => self.step(format!("rendered {stack}.template")),
        }
    }

    fn step(&mut self, line: String) {
        match &self.bar {
            Some(bar) => {
                bar.set_message(line);
                bar.inc(1);
            }
            None => eprintln!("{line}"),
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::human;

    #[test]
    fn sizes_are_human() {
        assert_eq!(human(512), "512 B");
        assert_eq!(human(2048), "2.0 KiB");
        assert_eq!(human(5 * 1024 * 1024 + 100_000), "5.1 MiB");
    }
}
