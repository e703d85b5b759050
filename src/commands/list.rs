//! `streamkit list [--regions A,B]`: the streamkit stacks deployed in each
//! region (name, pattern, status, last update, monthly estimate, stack id).

use std::fmt;

use clap::Args;
use serde::Serialize;

use super::Context;
use crate::aws::{self, Aws};
use crate::config::StackArgs;
use crate::error::Result;
use crate::io::{write_lines, JsonForm, Report};
use crate::ops::stacks::{self, Deployed};

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Regions to list, comma-separated (default: the current region).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub regions: Vec<String>,
}

/// The stacks found; JSON: one line per stack.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct ListReport {
    pub stacks: Vec<Deployed>,
}

pub fn run(ctx: &Context<'_>, args: &ListArgs) -> Result<ListReport> {
    let resolved = ctx.resolve(&StackArgs {
        regions: args.regions.clone(),
        ..StackArgs::default()
    })?;
    aws::block_on(async {
        let base = Aws::load(&resolved.aws).await?;
        let mut all = Vec::new();
        for region in resolved.regions_or(&base.region) {
            all.extend(stacks::deployed(&base.in_region(&region)).await?);
        }
        Ok(ListReport { stacks: all })
    })
}

fn usd(v: Option<f64>) -> String {
    v.map_or("?".into(), |v| format!("${v:.0}"))
}

impl fmt::Display for ListReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.stacks.is_empty() {
            return write!(f, "no streamkit stacks");
        }
        write_lines(f, &self.stacks, |f, s| {
            write!(
                f,
                "{:<28} {:<13} {:<10} {:<20} {} idle {}/month, 1 MB/s {}/month  {}",
                s.stack,
                s.pattern,
                s.region,
                s.status.to_string(),
                s.last_updated,
                usd(s.idle_usd),
                usd(s.at_1mbps_usd),
                s.id
            )
        })
    }
}

impl Report for ListReport {
    fn json_form(&self) -> JsonForm {
        JsonForm::Lines
    }
}
