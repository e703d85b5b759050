//! `streamkit replication status`: how much of each region's data the other holds.

use std::io::Write;

use clap::{Args, Subcommand};

use crate::aws;
use crate::cli::{GlobalArgs, OutputFormat};
use crate::commands::emit;
use crate::config::{self, StackArgs};
use crate::error::{Error, Result};
use crate::replication::{status, XrStack};

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

pub fn run(global: &GlobalArgs, args: &ReplicationArgs, out: &mut dyn Write) -> Result<()> {
    let ReplicationCommand::Status(args) = &args.command;
    let resolved = config::resolve(global, &StackArgs::default())?;
    aws::block_on(async {
        let xr = XrStack::resolve(&resolved.aws, &args.stack_name, &args.regions).await?;
        let s = status::status(&xr).await?;
        let healthy = args.max_lag.is_none_or(|m| s.lag_seconds <= m);
        if global.output == OutputFormat::Json {
            let mut v = serde_json::to_value(&s).expect("status serializes");
            v["healthy"] = healthy.into();
            v["max_lag_seconds"] = args.max_lag.into();
            emit(out, &v.to_string())?;
        } else {
            emit(out, &status::render(&s))?;
        }
        if healthy {
            Ok(())
        } else {
            Err(Error::Aws(format!(
                "replication lag {:.1}s in {} exceeds --max-lag {}s",
                s.lag_seconds,
                s.active_region,
                args.max_lag.unwrap_or_default()
            )))
        }
    })
}
