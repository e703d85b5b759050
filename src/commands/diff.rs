//! `streamkit diff`: the plan of a deploy (issue 26, item 7). The change set
//! a deploy would run is made, read and deleted again; its changes, the
//! parameter and tag changes, and each change the replacement guard would
//! refuse (in the guard's words) go to stdout. `--exit-code` exits 1 when
//! there are changes, as `git diff --exit-code` and `cdk diff --fail` do.

use std::fmt;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::deploy::{run_with, DeployArgs};
use super::Context;
use crate::cfn::change::{Change, ChangeTable};
use crate::cfn::setting::{SettingChange, SettingsTable};
use crate::config::StackArgs;
use crate::deploy::{guard, DeployResult, Outcome};
use crate::error::{Error, Result};
use crate::io::{write_lines, JsonForm, Report};

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub stack: StackArgs,
    /// `build-dist` output with the code of stacks that have code.
    #[arg(long, default_value = "deployment", value_name = "DIR")]
    pub dist_dir: PathBuf,
    /// Exit 1 when there are changes (0 when there are none), as `git diff --exit-code`.
    #[arg(long)]
    pub exit_code: bool,
}

/// One plan per region.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct DiffReport {
    pub plans: Vec<Plan>,
    #[serde(skip)]
    pub exit_code: bool,
    /// The first region that failed (the others were `error` events).
    #[serde(skip)]
    pub failure: Option<Error>,
}

/// What a deploy would do to one stack in one region.
#[derive(Debug, Serialize)]
#[serde(tag = "event", rename = "result")]
pub struct Plan {
    pub stack: String,
    pub region: String,
    /// `changes` or `no changes`.
    #[serde(rename = "outcome")]
    pub result: &'static str,
    pub changes: Vec<PlannedChange>,
    pub parameters: Vec<SettingChange>,
    pub tags: Vec<SettingChange>,
}

/// A change, and why `deploy` would refuse it (without `--allow-replacement`).
#[derive(Debug, Serialize)]
pub struct PlannedChange {
    #[serde(flatten)]
    pub change: Change,
    pub refused: Option<String>,
}

pub fn run(ctx: &Context<'_>, args: &DiffArgs) -> Result<DiffReport> {
    let deploy = DeployArgs {
        stack: args.stack.clone(),
        yes: true,
        allow_replacement: true,
        skip_resources: Vec::new(),
        dist_dir: args.dist_dir.clone(),
        role_arn: None,
        skip_preflight: true,
        preflight_only: false,
        no_execute: false,
        termination_protection: false,
    };
    let report = run_with(ctx, &deploy, true)?;
    Ok(DiffReport {
        plans: report.results.iter().map(plan).collect(),
        exit_code: args.exit_code,
        failure: report.failure,
    })
}

fn plan(r: &DeployResult) -> Plan {
    let refused = guard::refused(&r.changes);
    let changes: Vec<PlannedChange> = r
        .changes
        .iter()
        .map(|c| PlannedChange {
            change: c.clone(),
            refused: refused
                .iter()
                .find(|(x, _)| x.logical_id == c.logical_id)
                .map(|(_, why)| why.clone()),
        })
        .collect();
    let any = !changes.is_empty() || !r.parameter_changes.is_empty() || !r.tag_changes.is_empty();
    Plan {
        stack: r.stack.clone(),
        region: r.region.clone(),
        result: if any && r.result == Outcome::Planned {
            "changes"
        } else {
            "no changes"
        },
        changes,
        parameters: r.parameter_changes.clone(),
        tags: r.tag_changes.clone(),
    }
}

impl Plan {
    fn has_changes(&self) -> bool {
        self.result == "changes"
    }
}

impl fmt::Display for DiffReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_lines(f, &self.plans, |f, p| {
            if !p.has_changes() {
                return write!(f, "{} ({}): no changes", p.stack, p.region);
            }
            write!(
                f,
                "{} ({}): {} resource change(s)",
                p.stack,
                p.region,
                p.changes.len()
            )?;
            if !p.changes.is_empty() {
                let changes: Vec<Change> = p.changes.iter().map(|c| c.change.clone()).collect();
                write!(f, "\n{}", ChangeTable(&changes))?;
            }
            if !p.parameters.is_empty() || !p.tags.is_empty() {
                let settings = SettingsTable {
                    parameters: &p.parameters,
                    tags: &p.tags,
                };
                write!(f, "\n{settings}")?;
            }
            for c in p.changes.iter().filter(|c| c.refused.is_some()) {
                write!(
                    f,
                    "\nrefused: {} ({}) {}; `deploy` refuses this without --allow-replacement",
                    c.change.logical_id,
                    c.change.resource_type,
                    c.refused.as_deref().unwrap_or_default()
                )?;
            }
            Ok(())
        })
    }
}

impl Report for DiffReport {
    fn json_form(&self) -> JsonForm {
        JsonForm::Lines
    }

    fn outcome(self) -> Result<()> {
        if let Some(e) = self.failure {
            return Err(e);
        }
        let changed = self.plans.iter().filter(|p| p.has_changes()).count();
        if self.exit_code && changed > 0 {
            return Err(Error::Changes(changed));
        }
        Ok(())
    }
}
