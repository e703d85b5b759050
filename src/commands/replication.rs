//! `streamkit replication status`: how much of each region's data the other holds.

use std::fmt;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::Context;
use crate::aws;
use crate::error::{Error, Result};
use crate::io::Report;
use crate::replication::status::{self, Status};

#[derive(Debug, Args)]
pub struct ReplicationArgs {
    #[command(subcommand)]
    pub command: ReplicationCommand,
}

#[derive(Debug, Subcommand)]
pub enum ReplicationCommand {
    /// Active region, per-shard checkpoints, lag and records behind, in both regions.
    #[command(
        after_help = "Examples:\n  streamkit replication status --stack-name orders-xr --regions us-east-1,us-west-2\n  streamkit replication status --stack-name orders-xr --max-lag 60 --output json\n\nExit codes: 0 healthy, 1 lag above --max-lag or AWS failure, 2 bad input, 3 AWS access problem."
    )]
    Status(StatusArgs),
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The cross-region stack (same name in both regions).
    #[arg(long)]
    pub stack_name: String,
    /// The stack's two regions, A,B (default: --region and the stack's PeerRegion).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub regions: Vec<String>,
    /// Exit 1 when the active region's replication lag exceeds this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub max_lag: Option<f64>,
}

/// The replication status, and whether the lag is within `--max-lag`.
#[derive(Debug, Serialize)]
pub struct ReplicationReport {
    #[serde(flatten)]
    pub status: Status,
    /// JSON `outcome`: `healthy` or `unhealthy` (lag over `--max-lag`).
    #[serde(rename = "outcome", serialize_with = "crate::io::outcome::healthy")]
    pub healthy: bool,
    pub max_lag_seconds: Option<f64>,
}

pub fn run(ctx: &Context<'_>, args: &ReplicationArgs) -> Result<ReplicationReport> {
    let ReplicationCommand::Status(args) = &args.command;
    aws::block_on(async {
        let xr = super::region_pair(ctx, &args.stack_name, &args.regions).await?;
        let s = status::status(&xr).await?;
        Ok(ReplicationReport {
            healthy: args.max_lag.is_none_or(|m| s.lag_seconds <= m),
            max_lag_seconds: args.max_lag,
            status: s,
        })
    })
}

impl fmt::Display for ReplicationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&status::render(&self.status))
    }
}

impl Report for ReplicationReport {
    /// Unhealthy (lag over `--max-lag`): exit 1 after the status is shown.
    fn outcome(self) -> Result<()> {
        if self.healthy {
            return Ok(());
        }
        Err(Error::Aws(format!(
            "replication lag {:.1}s in {} exceeds --max-lag {}s",
            self.status.lag_seconds,
            self.status.active_region,
            self.max_lag_seconds.unwrap_or_default()
        )))
    }
}
