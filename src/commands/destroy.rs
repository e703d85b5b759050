//! `streamkit destroy [--delete-data] [--yes]`: delete a stack; data buckets
//! stay unless `--delete-data`.

use std::fmt;

use clap::Args;
use serde::Serialize;

use super::Context;
use crate::aws;
use crate::config::StackRef;
use crate::deploy::destroy::{self, Destroyed};
use crate::deploy::events::Poll;
use crate::error::{Error, Result};
use crate::io::Report;

#[derive(Debug, Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    pub stack: StackRef,
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Also empty (all versions) and delete the data buckets the stack retains.
    #[arg(long)]
    pub delete_data: bool,
}

/// The stack is gone; which buckets stayed and which were deleted.
#[derive(Debug, Serialize)]
#[serde(tag = "event", rename = "result")]
pub struct DestroyReport {
    /// Always `deleted`.
    pub result: &'static str,
    #[serde(flatten)]
    pub destroyed: Destroyed,
}

pub fn run(ctx: &Context<'_>, args: &DestroyArgs) -> Result<DestroyReport> {
    aws::block_on(async {
        let (aws, info) = super::deployed(ctx, &args.stack).await?;
        let name = &info.name;
        let buckets = destroy::buckets(&aws, &info).await?;
        let retained: Vec<&str> = buckets
            .iter()
            .filter(|b| b.retained)
            .map(|b| b.name.as_str())
            .collect();
        let data = match (args.delete_data, retained.is_empty()) {
            (_, true) => String::new(),
            (true, false) => format!(" and DELETE the data in {}", retained.join(", ")),
            (false, false) => format!("; data buckets {} are kept", retained.join(", ")),
        };
        let progress = ctx.io.progress();
        let question = format!("Delete stack {name} in {}{data}?", aws.region);
        if !args.yes && !progress.confirm(&question)? {
            return Err(Error::BadInput(format!(
                "destroy of {name} cancelled; nothing was changed"
            )));
        }
        let destroyed =
            destroy::destroy(&aws, &info, args.delete_data, Poll::default(), &progress).await?;
        Ok(DestroyReport {
            result: "deleted",
            destroyed,
        })
    })
}

impl fmt::Display for DestroyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.destroyed;
        write!(f, "{} ({}): deleted", d.stack, d.region)?;
        for b in &d.kept {
            write!(f, "\n  kept bucket {b} with its data (retained; `destroy --delete-data` removes data buckets too)")?;
        }
        for b in &d.deleted {
            write!(f, "\n  deleted bucket {b}")?;
        }
        Ok(())
    }
}

impl Report for DestroyReport {}
