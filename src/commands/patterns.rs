//! `streamkit patterns`: the catalog.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::Context;
use crate::catalog::{self, PatternId, Setting};
use crate::error::Result;
use crate::io::{write_lines, JsonForm, Report};

/// The stacks streamkit can deploy; JSON: one object per pattern per line.
#[derive(Debug, Serialize)]
pub struct PatternsReport(pub Vec<PatternInfo>);

#[derive(Debug, Serialize)]
pub struct PatternInfo {
    pub id: PatternId,
    pub name: String,
    pub title: String,
    pub description: String,
    pub stack_name: String,
    pub settings: BTreeMap<String, Setting>,
}

pub fn run(_ctx: &Context<'_>) -> Result<PatternsReport> {
    Ok(PatternsReport(
        catalog::all()?
            .into_iter()
            .map(|m| PatternInfo {
                stack_name: m.default_stack_name(),
                id: m.id,
                name: m.name,
                title: m.title,
                description: m.description,
                settings: m.settings,
            })
            .collect(),
    ))
}

impl fmt::Display for PatternsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_lines(f, &self.0, |f, p| {
            write!(f, "{:<13} {}\n{:<13} {}", p.id, p.title, "", p.description)
        })
    }
}

impl Report for PatternsReport {
    fn json_form(&self) -> JsonForm {
        JsonForm::Lines
    }
}
