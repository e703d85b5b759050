//! `streamkit synth`: render, validate, then print or write templates.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;

use super::Context;
use crate::args::{parse_key_value, TemplateFormat};
use crate::catalog::{self, PatternId};
use crate::error::{Error, Result};
use crate::io::{write_lines, JsonForm, Progress, Report};
use crate::render::{self, RenderOptions, Rendered};

#[derive(Debug, Args)]
pub struct SynthArgs {
    #[arg(
        long,
        help = crate::catalog::pattern_help(),
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub pattern: Option<String>,
    /// Render every pattern (needs --out).
    #[arg(long, requires = "out")]
    pub all: bool,
    /// Template format.
    #[arg(long, value_enum, default_value_t = TemplateFormat::Json)]
    pub format: TemplateFormat,
    /// Directory to write `<pattern>.template.<format>` into (default: print to stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Render-time setting, KEY=VALUE (repeatable), e.g. `engine=flink` for patterns 2 and 4.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub settings: Vec<(String, String)>,
}

/// The template itself (printed as it is in both output modes), or the files written.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum SynthReport {
    Printed(String),
    /// JSON: one object per file per line.
    Written(Vec<Written>),
}

#[derive(Debug, Serialize)]
pub struct Written {
    pub pattern: PatternId,
    pub path: PathBuf,
    pub resources: usize,
    pub settings: BTreeMap<String, String>,
}

pub fn run(ctx: &Context<'_>, args: &SynthArgs) -> Result<SynthReport> {
    let progress = ctx.io.progress_on_stderr();
    let trace = trace(&progress);
    let render = |m: &catalog::Manifest, settings: Vec<(String, String)>| {
        let opts = RenderOptions {
            settings,
            ..RenderOptions::default()
        };
        render::render_traced(m, &opts, &trace)
    };
    // Render everything first: nothing is written unless every stack renders.
    let rendered: Vec<Rendered> = match &args.pattern {
        Some(id) => vec![render(&catalog::find(id)?, args.settings.clone())?],
        // `--set` applies to the patterns that declare the setting.
        None => catalog::all()?
            .iter()
            .map(|m| {
                let own = args
                    .settings
                    .iter()
                    .filter(|(k, _)| m.settings.contains_key(k));
                render(m, own.cloned().collect())
            })
            .collect::<Result<_>>()?,
    };
    if args.all {
        let unknown = args
            .settings
            .iter()
            .map(|(k, _)| k.as_str())
            .find(|k| !rendered.iter().any(|r| r.settings.contains_key(*k)));
        if let Some(key) = unknown {
            return Err(Error::BadInput(format!(
                "unknown setting '{key}': no pattern declares it (see `streamkit patterns --output json`)"
            )));
        }
    }
    let text = |r: &Rendered| match args.format {
        TemplateFormat::Json => r.to_json(),
        TemplateFormat::Yaml => r.to_yaml(),
    };
    let Some(dir) = &args.out else {
        return Ok(SynthReport::Printed(rendered.iter().map(text).collect()));
    };
    let ext = args.format.extension();
    let files: Vec<(String, String)> = rendered
        .iter()
        .map(|r| (format!("{}.template.{ext}", r.manifest.name), text(r)))
        .collect();
    write_atomically(dir, &files)?;
    Ok(SynthReport::Written(
        rendered
            .into_iter()
            .zip(&files)
            .map(|(r, (name, _))| Written {
                pattern: r.manifest.id.clone(),
                path: dir.join(name),
                resources: r.resources().count(),
                settings: r.settings,
            })
            .collect(),
    ))
}

/// With `STREAMKIT_DEBUG_FRAGMENTS` set: each rendered fragment as a progress
/// message (for fragment authors; see templates/CONVENTIONS.md).
pub fn trace<'a>(progress: &'a Progress<'_>) -> impl Fn(&str, &str) + 'a {
    let on = std::env::var_os("STREAMKIT_DEBUG_FRAGMENTS").is_some();
    move |file, text| {
        if on {
            progress.message(format!("--- {file}\n{text}"));
        }
    }
}

/// Writes all files into a temporary directory inside `dir`, then renames them
/// into place, so a failure leaves no partial set behind.
pub fn write_atomically(dir: &Path, files: &[(String, String)]) -> Result<()> {
    let io = |source| Error::Write {
        path: dir.to_path_buf(),
        source,
    };
    let created = !dir.exists();
    std::fs::create_dir_all(dir).map_err(io)?;
    let result = (|| {
        let staging = tempfile::Builder::new()
            .prefix(".streamkit-")
            .tempdir_in(dir)
            .map_err(io)?;
        for (name, text) in files {
            std::fs::write(staging.path().join(name), text).map_err(io)?;
        }
        for (name, _) in files {
            std::fs::rename(staging.path().join(name), dir.join(name)).map_err(io)?;
        }
        Ok(())
    })();
    if result.is_err() && created {
        let _ = std::fs::remove_dir_all(dir);
    }
    result
}

impl fmt::Display for SynthReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SynthReport::Printed(text) => f.write_str(text),
            SynthReport::Written(files) => write_lines(f, files, |f, w| {
                write!(f, "wrote {} ({} resources)", w.path.display(), w.resources)
            }),
        }
    }
}

impl Report for SynthReport {
    fn json_form(&self) -> JsonForm {
        match self {
            SynthReport::Printed(_) => JsonForm::Verbatim,
            SynthReport::Written(_) => JsonForm::Lines,
        }
    }
}
