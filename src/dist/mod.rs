//! `build-dist`: build every asset the stacks use, package it deterministically
//! under a content-addressed name, render one template per stack pointing at
//! those names, and write the lot (plus [`DistManifest`]) into the output
//! directory in one rename.
//!
//! Layout of the output directory (what `publish` uploads):
//! `global-s3-assets/<stack>.template`, `regional-s3-assets/<asset>-<hash>.zip`,
//! `manifest.json`.

pub mod archive;
pub mod cargo;
pub mod elf;
pub mod input;
mod output;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::catalog::{self, Manifest};
use crate::error::{Error, Result};
use crate::render::{self, AssetBinding, RenderOptions};

/// Directory of the templates inside the output (uploaded to `s3://BASE/NAME/V/`).
pub const GLOBAL_DIR: &str = "global-s3-assets";
/// Directory of the zips inside the output (uploaded to `s3://BASE-<region>/NAME/V/`).
pub const REGIONAL_DIR: &str = "regional-s3-assets";
/// The manifest inside the output.
pub const MANIFEST_FILE: &str = "manifest.json";

/// Architecture of the Lambda functions and the producer instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum Arch {
    #[serde(rename = "arm64")]
    #[value(name = "arm64")]
    Arm64,
    #[serde(rename = "x86_64")]
    #[value(name = "x86_64")]
    X86_64,
}

impl Arch {
    /// Name as Lambda spells it (`arm64`, `x86_64`).
    pub fn name(self) -> &'static str {
        match self {
            Arch::Arm64 => "arm64",
            Arch::X86_64 => "x86_64",
        }
    }

    /// Rust target triple for Amazon Linux 2023 (glibc).
    pub fn triple(self) -> &'static str {
        match self {
            Arch::Arm64 => "aarch64-unknown-linux-gnu",
            Arch::X86_64 => "x86_64-unknown-linux-gnu",
        }
    }

    /// Cross linker binary (Debian's cross gcc).
    pub fn cross_gcc(self) -> &'static str {
        match self {
            Arch::Arm64 => "aarch64-linux-gnu-gcc",
            Arch::X86_64 => "x86_64-linux-gnu-gcc",
        }
    }

    /// Debian package of the cross linker.
    pub fn cross_gcc_package(self) -> &'static str {
        match self {
            Arch::Arm64 => "gcc-aarch64-linux-gnu",
            Arch::X86_64 => "gcc-x86-64-linux-gnu",
        }
    }
}

/// Cargo profile the assets are built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CargoProfile {
    /// Optimised binaries: what gets deployed.
    Release,
    /// Unoptimised, reusing the test build, zips stored uncompressed: for local testing only.
    Dev,
}

impl CargoProfile {
    pub fn name(self) -> &'static str {
        match self {
            CargoProfile::Release => "release",
            CargoProfile::Dev => "dev",
        }
    }
}

/// Everything `build` needs.
#[derive(Debug, Clone)]
pub struct DistOptions {
    pub bucket_base: String,
    pub solution: String,
    pub version: String,
    pub arch: Arch,
    pub out: PathBuf,
    /// Package the binaries already in the cargo target directory.
    pub skip_build: bool,
    pub profile: CargoProfile,
    /// Pattern ids or names to include; empty means every stack.
    pub patterns: Vec<String>,
    /// Root of the cargo workspace holding `assets/`.
    pub workspace: PathBuf,
    /// Keep cargo's output and show it only on failure (when a progress bar is drawn).
    pub quiet_cargo: bool,
}

/// What was built: written to `manifest.json` and returned by [`build`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistManifest {
    pub solution: String,
    pub version: String,
    /// Regional buckets are `<bucket_base>-<region>`; the global one is `<bucket_base>`.
    pub bucket_base: String,
    /// Key prefix of every object, `<solution>/<version>/`.
    pub key_prefix: String,
    pub architecture: Arch,
    /// Sorted by name; files are in `regional-s3-assets/`.
    pub assets: Vec<DistAsset>,
    /// Sorted by stack; files are in `global-s3-assets/`.
    pub templates: Vec<DistTemplate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistAsset {
    pub name: String,
    /// `<name>-<first 16 hex of sha256>.zip`.
    pub file: String,
    pub sha256: String,
    pub size: u64,
    pub architecture: Arch,
    /// Stacks (template names) whose template references this file.
    pub stacks: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistTemplate {
    pub stack: String,
    /// `<stack>.template` (JSON).
    pub file: String,
    pub sha256: String,
    pub size: u64,
}

impl DistManifest {
    /// Reads `manifest.json` from a build-dist output directory.
    pub fn load(dir: &Path) -> Result<DistManifest> {
        let path = dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Error::BadInput(format!(
                "cannot read {}: {e}; run `streamkit build-dist` first",
                path.display()
            ))
        })?;
        serde_json::from_str(&text).map_err(|e| {
            Error::BadInput(format!(
                "{}: not a build-dist manifest: {e}",
                path.display()
            ))
        })
    }
}

/// Progress of a build, for the caller to draw.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// cargo is about to build these packages.
    Building {
        packages: usize,
        profile: &'a str,
        target: &'a str,
    },
    /// cargo finished one crate.
    Compiled { krate: &'a str },
    /// Packaging starts: this many zips and templates to write.
    Packaging { total: usize },
    /// One zip was written.
    Packaged {
        asset: &'a str,
        file: &'a str,
        size: u64,
    },
    /// One template was written.
    Rendered { stack: &'a str },
}

/// Builds, packages and renders everything, then moves it into `opts.out`.
pub fn build(opts: &DistOptions, progress: &mut dyn FnMut(Event<'_>)) -> Result<DistManifest> {
    input::bucket_base(&opts.bucket_base)?;
    input::key_segment("--solution", &opts.solution)?;
    input::key_segment("--version", &opts.version)?;
    let stacks = select(&opts.patterns)?;
    let uses = asset_uses(&stacks)?;
    let staging = output::Staging::create(&opts.out)?;

    let ws = cargo::workspace(&opts.workspace)?;
    let specs: Vec<&cargo::AssetSpec> = uses
        .keys()
        .map(|name| cargo::spec(name).expect("checked by asset_uses"))
        .collect();
    for spec in &specs {
        if !ws
            .bins
            .iter()
            .any(|(p, b)| p == spec.package && b == spec.bin)
        {
            return Err(Error::Build(format!(
                "asset '{}' (used by {}) has no crate in {}: expected package {} with binary {} under assets/",
                spec.name,
                uses[spec.name].join(", "),
                ws.root.display(),
                spec.package,
                spec.bin
            )));
        }
    }
    let target = if opts.skip_build || specs.is_empty() {
        (cargo::host_triple(&ws.root)? != opts.arch.triple())
            .then(|| opts.arch.triple().to_string())
    } else {
        let tc = cargo::toolchain(&ws.root, opts.arch)?;
        progress(Event::Building {
            packages: specs.len(),
            profile: opts.profile.name(),
            target: opts.arch.triple(),
        });
        cargo::build(
            &ws,
            &tc,
            opts.profile.name(),
            &specs,
            opts.quiet_cargo,
            progress,
        )?;
        tc.target
    };
    let bin_dir = cargo::bin_dir(&ws, target.as_deref(), opts.profile.name());

    progress(Event::Packaging {
        total: specs.len() + stacks.len(),
    });
    let mut assets = Vec::new();
    for spec in &specs {
        let asset = package(opts, spec, &bin_dir, &uses[spec.name], &staging)?;
        progress(Event::Packaged {
            asset: &asset.name,
            file: &asset.file,
            size: asset.size,
        });
        assets.push(asset);
    }

    let binding = AssetBinding {
        bucket_base: opts.bucket_base.clone(),
        key_prefix: format!("{}/{}/", opts.solution, opts.version),
        files: assets
            .iter()
            .map(|a| (a.name.clone(), a.file.clone()))
            .collect(),
        architecture: opts.arch.name().to_string(),
    };
    let mut templates = Vec::new();
    for manifest in &stacks {
        let template = render_stack(manifest, &binding, &staging)?;
        progress(Event::Rendered {
            stack: &template.stack,
        });
        templates.push(template);
    }

    let manifest = DistManifest {
        solution: opts.solution.clone(),
        version: opts.version.clone(),
        bucket_base: binding.bucket_base,
        key_prefix: binding.key_prefix,
        architecture: opts.arch,
        assets,
        templates,
    };
    let mut text = serde_json::to_string_pretty(&manifest).expect("manifest serializes");
    text.push('\n');
    staging.write(MANIFEST_FILE, text.as_bytes())?;
    staging.commit()?;
    Ok(manifest)
}

/// The stacks to build, in catalog order, without duplicates.
fn select(patterns: &[String]) -> Result<Vec<Manifest>> {
    if patterns.is_empty() {
        return catalog::all();
    }
    let mut out: Vec<Manifest> = Vec::new();
    for id in patterns {
        let m = catalog::find(id)?;
        if !out.iter().any(|o| o.name == m.name) {
            out.push(m);
        }
    }
    let order = catalog::ids()?;
    out.sort_by_key(|m| order.iter().position(|id| *id == m.id));
    Ok(out)
}

/// Asset name -> stacks using it, checked against the asset table.
fn asset_uses(stacks: &[Manifest]) -> Result<BTreeMap<String, Vec<String>>> {
    let mut uses: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in stacks {
        for asset in &m.assets {
            if cargo::spec(asset).is_none() {
                let known: Vec<&str> = cargo::ASSETS.iter().map(|a| a.name).collect();
                return Err(Error::Manifest {
                    file: m.file.clone(),
                    message: format!(
                        "asset '{asset}' is not one build-dist knows how to build ({}); add it to src/dist/cargo.rs",
                        known.join(", ")
                    ),
                });
            }
            uses.entry(asset.clone()).or_default().push(m.name.clone());
        }
    }
    Ok(uses)
}

/// Checks, zips and writes one asset.
fn package(
    opts: &DistOptions,
    spec: &cargo::AssetSpec,
    bin_dir: &Path,
    stacks: &[String],
    staging: &output::Staging,
) -> Result<DistAsset> {
    let path = bin_dir.join(spec.bin);
    let data = std::fs::read(&path).map_err(|e| {
        let why = format!(
            "asset '{}': cannot read the built binary {}: {e}",
            spec.name,
            path.display()
        );
        if opts.skip_build {
            Error::BadInput(format!(
                "{why}; run build-dist without --skip-build (same --arch and --cargo-profile)"
            ))
        } else {
            Error::Build(why)
        }
    })?;
    elf::check(&data, opts.arch)
        .map_err(|why| Error::Build(format!("asset '{}': {}: {why}", spec.name, path.display())))?;
    let zip = archive::deterministic_zip(
        &[archive::Entry {
            name: spec.entry_name().to_string(),
            mode: 0o755,
            data: &data,
        }],
        opts.profile == CargoProfile::Release,
    )?;
    let sha256 = archive::sha256_hex(&zip);
    let file = archive::hashed_name(spec.name, &sha256);
    staging.write(&format!("{REGIONAL_DIR}/{file}"), &zip)?;
    Ok(DistAsset {
        name: spec.name.to_string(),
        file,
        sha256,
        size: zip.len() as u64,
        architecture: opts.arch,
        stacks: stacks.to_vec(),
    })
}

/// Renders one stack against the built assets and writes its template.
fn render_stack(
    manifest: &Manifest,
    binding: &AssetBinding,
    staging: &output::Staging,
) -> Result<DistTemplate> {
    let rendered = render::render(
        manifest,
        &RenderOptions {
            settings: Vec::new(),
            assets: binding.clone(),
        },
    )?;
    let text = rendered.to_json();
    for asset in &manifest.assets {
        let file = &binding.files[asset];
        if !text.contains(file.as_str()) {
            return Err(Error::Manifest {
                file: manifest.file.clone(),
                message: format!(
                    "lists asset '{asset}' but the rendered template never references {file}"
                ),
            });
        }
    }
    let file = format!("{}.template", manifest.name);
    staging.write(&format!("{GLOBAL_DIR}/{file}"), text.as_bytes())?;
    Ok(DistTemplate {
        stack: manifest.name.clone(),
        file,
        sha256: archive::sha256_hex(text.as_bytes()),
        size: text.len() as u64,
    })
}
