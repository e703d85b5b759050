//! `streamkit patterns`: the catalog.

use std::io::Write;

use serde_json::json;

use crate::catalog;
use crate::cli::{GlobalArgs, OutputFormat};
use crate::commands::emit;
use crate::error::Result;

pub fn run(global: &GlobalArgs, out: &mut dyn Write) -> Result<()> {
    for m in catalog::all()? {
        let line = match global.output {
            OutputFormat::Json => json!({
                "id": m.id, "name": m.name, "title": m.title,
                "description": m.description, "stack_name": m.default_stack_name(),
                "settings": m.settings,
            })
            .to_string(),
            OutputFormat::Text => format!("{:<13} {}\n{:<13} {}", m.id, m.title, "", m.description),
        };
        emit(out, &line)?;
    }
    Ok(())
}
