//! `streamkit synth`: render, validate, then print or write templates.

use std::io::Write;
use std::path::Path;

use serde_json::json;

use crate::catalog;
use crate::cli::{GlobalArgs, OutputFormat, SynthArgs, TemplateFormat};
use crate::commands::emit;
use crate::error::{Error, Result};
use crate::render::{self, RenderOptions, Rendered};

pub fn run(global: &GlobalArgs, args: &SynthArgs, out: &mut dyn Write) -> Result<()> {
    let opts = RenderOptions {
        settings: args.settings.clone(),
        ..RenderOptions::default()
    };
    // Render everything first: nothing is written unless every stack renders.
    let rendered: Vec<Rendered> = match &args.pattern {
        Some(id) => vec![render::render(&catalog::find(id)?, &opts)?],
        None => catalog::all()?
            .iter()
            .map(|m| {
                // `--set` applies to the patterns that declare the setting.
                let settings = opts
                    .settings
                    .iter()
                    .filter(|(k, _)| m.settings.contains_key(k))
                    .cloned()
                    .collect();
                render::render(
                    m,
                    &RenderOptions {
                        settings,
                        ..opts.clone()
                    },
                )
            })
            .collect::<Result<_>>()?,
    };
    if args.all {
        let unknown: Vec<&str> = args
            .settings
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| !rendered.iter().any(|r| r.settings.contains_key(*k)))
            .collect();
        if let Some(key) = unknown.first() {
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
        for r in &rendered {
            out.write_all(text(r).as_bytes())
                .map_err(|source| Error::Write {
                    path: "stdout".into(),
                    source,
                })?;
        }
        return Ok(());
    };
    let ext = match args.format {
        TemplateFormat::Json => "json",
        TemplateFormat::Yaml => "yaml",
    };
    let files: Vec<(String, String)> = rendered
        .iter()
        .map(|r| (format!("{}.template.{ext}", r.manifest.name), text(r)))
        .collect();
    write_atomically(dir, &files)?;
    for (r, (name, _)) in rendered.iter().zip(&files) {
        let path = dir.join(name);
        let count = r.resources().count();
        let line = match global.output {
            OutputFormat::Json => json!({
                "pattern": r.manifest.id, "path": path, "resources": count, "settings": r.settings,
            })
            .to_string(),
            OutputFormat::Text => format!("wrote {} ({count} resources)", path.display()),
        };
        emit(out, &line)?;
    }
    Ok(())
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
