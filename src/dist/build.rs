//! Building, packaging and rendering everything, then moving it into place.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::arch::{Arch, CargoProfile};
use super::manifest::{DistAsset, DistManifest, DistTemplate};
use super::output::Staging;
use super::{archive, cargo, elf, input, GLOBAL_DIR, MANIFEST_FILE, REGIONAL_DIR};
use crate::catalog::{self, Manifest};
use crate::error::{Error, Result};
use crate::progress::Event;
use crate::render::{self, AssetBinding, RenderOptions};

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
    /// Cargo's target directory (default: cargo's own, `CARGO_TARGET_DIR` honoured).
    pub target_dir: Option<PathBuf>,
    /// Keep cargo's output and show it only on failure (when a progress bar is drawn).
    pub quiet_cargo: bool,
}

/// Builds, packages and renders everything, then moves it into `opts.out`.
pub fn build(opts: &DistOptions, progress: &dyn Fn(Event)) -> Result<DistManifest> {
    crate::bucket::check_base("--bucket-base", &opts.bucket_base)?;
    input::key_segment("--solution", &opts.solution)?;
    input::key_segment("--solution-version", &opts.version)?;
    let stacks = select(&opts.patterns)?;
    let uses = asset_uses(&stacks)?;
    let staging = Staging::create(&opts.out)?;

    let ws = cargo::workspace(&opts.workspace, opts.target_dir.as_deref())?;
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
            profile: opts.profile.name().to_string(),
            target: opts.arch.triple().to_string(),
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
            asset: asset.name.clone(),
            file: asset.file.clone(),
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
            stack: template.stack.clone(),
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
    staging.write(MANIFEST_FILE, manifest.to_text().as_bytes())?;
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
    out.sort_by_key(|m| order.iter().position(|id| m.id == **id));
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
    staging: &Staging,
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
    staging: &Staging,
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
