//! `streamkit validate`: render every pattern under every value of each of its
//! settings and run the structural checks; no AWS calls.

use std::io::Write;

use serde_json::json;

use crate::catalog;
use crate::cli::{GlobalArgs, OutputFormat, ValidateArgs};
use crate::commands::emit;
use crate::error::Result;
use crate::render::{self, RenderOptions};

pub fn run(global: &GlobalArgs, args: &ValidateArgs, out: &mut dyn Write) -> Result<()> {
    let manifests = match &args.pattern {
        Some(id) => vec![catalog::find(id)?],
        None => catalog::all()?,
    };
    for manifest in &manifests {
        for settings in variants(manifest) {
            let opts = RenderOptions {
                settings: settings.clone(),
                ..RenderOptions::default()
            };
            let rendered = render::render(manifest, &opts)?;
            let count = rendered.resources().count();
            let shown: Vec<String> = rendered
                .settings
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            let line = match global.output {
                OutputFormat::Json => json!({
                    "pattern": manifest.id, "settings": rendered.settings, "resources": count, "ok": true,
                })
                .to_string(),
                OutputFormat::Text => format!(
                    "ok  {:<13} {:<14} {count} resources",
                    manifest.id,
                    shown.join(",")
                ),
            };
            emit(out, &line)?;
        }
    }
    Ok(())
}

/// One settings override list per allowed value of each setting (defaults included).
pub fn variants(manifest: &catalog::Manifest) -> Vec<Vec<(String, String)>> {
    let mut out = vec![Vec::new()];
    for (key, setting) in &manifest.settings {
        for value in setting.allowed.iter().filter(|v| **v != setting.default) {
            out.push(vec![(key.clone(), value.clone())]);
        }
    }
    out
}
