//! `streamkit validate`: render every pattern under every value of each of its
//! settings and run the structural checks; no AWS calls.

use std::collections::BTreeMap;
use std::fmt;

use clap::Args;
use serde::Serialize;

use super::Context;
use crate::catalog::{self, PatternId};
use crate::error::Result;
use crate::io::{write_lines, JsonForm, Report};
use crate::render::{self, RenderOptions};

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Only this pattern (default: every pattern).
    #[arg(long)]
    pub pattern: Option<String>,
}

/// One line per rendered variant; JSON: one object per line.
#[derive(Debug, Serialize)]
pub struct ValidateReport(pub Vec<Validated>);

#[derive(Debug, Serialize)]
pub struct Validated {
    pub pattern: PatternId,
    pub settings: BTreeMap<String, String>,
    pub resources: usize,
    /// JSON `outcome`: `valid` or `invalid`.
    #[serde(rename = "outcome", serialize_with = "crate::io::outcome::valid")]
    pub ok: bool,
}

pub fn run(ctx: &Context<'_>, args: &ValidateArgs) -> Result<ValidateReport> {
    let manifests = match &args.pattern {
        Some(id) => vec![catalog::find(id)?],
        None => catalog::all()?,
    };
    let progress = ctx.io.progress_on_stderr();
    let mut out = Vec::new();
    for manifest in &manifests {
        for settings in variants(manifest) {
            let opts = RenderOptions {
                settings,
                ..RenderOptions::default()
            };
            let rendered = render::render_traced(manifest, &opts, &super::synth::trace(&progress))?;
            out.push(Validated {
                pattern: manifest.id.clone(),
                resources: rendered.resources().count(),
                settings: rendered.settings,
                ok: true,
            });
        }
    }
    Ok(ValidateReport(out))
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

impl fmt::Display for ValidateReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_lines(f, &self.0, |f, v| {
            let shown: Vec<String> = v.settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
            write!(
                f,
                "ok  {:<13} {:<14} {} resources",
                v.pattern,
                shown.join(","),
                v.resources
            )
        })
    }
}

impl Report for ValidateReport {
    fn json_form(&self) -> JsonForm {
        JsonForm::Lines
    }
}
