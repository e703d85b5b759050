//! `streamkit drift`: CloudFormation drift detection of a deployed stack, one
//! line per drifted property (expected → actual); exit 1 when it drifted.

use std::fmt;

use clap::Args;
use serde::Serialize;

use super::Context;
use crate::aws;
use crate::config::StackRef;
use crate::error::{Error, Result};
use crate::io::Report;
use crate::ops::drift::{self, Detection};
use crate::progress::Event;

#[derive(Debug, Args)]
pub struct DriftArgs {
    #[command(flatten)]
    pub stack: StackRef,
}

/// The stack's drift; JSON: the detection with `stack` and `region`.
#[derive(Debug, Serialize)]
pub struct DriftReport {
    pub stack: String,
    pub region: String,
    #[serde(flatten)]
    pub detection: Detection,
}

pub fn run(ctx: &Context<'_>, args: &DriftArgs) -> Result<DriftReport> {
    aws::block_on(async {
        let (aws, info) = super::deployed(ctx, &args.stack).await?;
        let progress = ctx.io.progress();
        progress.emit(Event::Operation {
            what: format!("detecting drift of {}", info.name),
        });
        let detection = drift::detect(&aws, &info.id).await;
        progress.emit(Event::OperationEnd);
        Ok(DriftReport {
            stack: info.name,
            region: aws.region,
            detection: detection?,
        })
    })
}

impl fmt::Display for DriftReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.detection.drifted {
            match (&d.property, &d.expected, &d.actual) {
                (Some(p), Some(e), Some(a)) => {
                    writeln!(f, "{} ({}) {p}: {e} → {a}", d.resource, d.resource_type)?
                }
                _ => writeln!(
                    f,
                    "{} ({}) {}: {}",
                    d.resource,
                    d.resource_type,
                    d.physical_id,
                    d.status.to_lowercase()
                )?,
            }
        }
        let not_checked = if self.detection.not_checked.is_empty() {
            String::new()
        } else {
            format!(
                ", {} not checked (NOT_CHECKED: a type the drift detection does not check)",
                self.detection.not_checked.len()
            )
        };
        write!(
            f,
            "{} ({}): {}; {} resources in sync{not_checked}",
            self.stack, self.region, self.detection.status, self.detection.in_sync
        )
    }
}

impl Report for DriftReport {
    fn outcome(self) -> Result<()> {
        if self.detection.drifted.is_empty() {
            return Ok(());
        }
        Err(Error::Aws(format!(
            "{} drifted ({} differences); undo the changes, or deploy the values you want (e.g. `--parameter`): a deploy that changes nothing in the template leaves drift as it is",
            self.stack,
            self.detection.drifted.len()
        )))
    }
}
