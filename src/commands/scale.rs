//! `streamkit scale --shards N | --mode on-demand|provisioned`: reshard a
//! stack's stream (UpdateShardCount, uniform scaling, at most double or half
//! per call) or change its capacity mode, showing the monthly estimate before
//! and after and asking first (`--yes` skips the question). The change is
//! made through the Kinesis API, outside CloudFormation: `drift` reports it
//! and the next `deploy` sets the template's values again unless given
//! `--parameter ShardCount=N` / `StreamMode=...`.

use std::fmt;

use clap::Args;
use serde::Serialize;

use super::Context;
use crate::aws;
use crate::config::StackRef;
use crate::error::{Error, Result};
use crate::io::Report;
use crate::ops::stacks::{self, PATTERN_TAG};
use crate::ops::streams::{self, Live, Mode, MAX_SHARDS};

#[derive(Debug, Args)]
pub struct ScaleArgs {
    #[command(flatten)]
    pub stack: StackRef,
    /// Target open shard count (UpdateShardCount, uniform scaling): between half and double the current count.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=MAX_SHARDS as i64))]
    pub shards: Option<u32>,
    /// Capacity mode of the stream.
    #[arg(long, value_enum)]
    pub mode: Option<Mode>,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
}

/// One side of the change.
#[derive(Debug, Clone, Serialize)]
pub struct Capacity {
    pub mode: Mode,
    pub shards: u32,
    pub idle_usd: Option<f64>,
    pub at_1mbps_usd: Option<f64>,
}

/// What changed (`changed: false` when the stream already was so).
#[derive(Debug, Serialize)]
pub struct ScaleReport {
    pub stack: String,
    pub region: String,
    pub stream: String,
    pub before: Capacity,
    pub after: Capacity,
    pub changed: bool,
}

pub fn run(ctx: &Context<'_>, args: &ScaleArgs) -> Result<ScaleReport> {
    if args.shards.is_none() && args.mode.is_none() {
        return Err(Error::BadInput(
            "nothing to change: pass --shards N and/or --mode on-demand|provisioned".into(),
        ));
    }
    if let (Some(_), Some(Mode::OnDemand)) = (args.shards, args.mode) {
        return Err(Error::BadInput(
            "--shards: an on-demand stream has no shard count; pass --mode provisioned with --shards, or --mode on-demand alone".into(),
        ));
    }
    aws::block_on(async {
        let (aws, info) = super::deployed(ctx, &args.stack).await?;
        let name = streams::of_stack(&aws, &info.id, &info.name).await?;
        let (live, _) = streams::describe(&aws, &name).await?;
        let mode = args.mode.unwrap_or(live.mode);
        if let (Some(n), Mode::Provisioned) = (args.shards, live.mode) {
            let (low, high) = streams::allowed(live.open_shards);
            if n < low || n > high {
                return Err(Error::BadInput(format!(
                    "--shards {n}: UpdateShardCount allows {low} to {high} from {} open shards (at most double or half per call, at most {MAX_SHARDS}); scale in steps; nothing was changed",
                    live.open_shards
                )));
            }
        }
        if args.shards.is_some() && live.mode == Mode::OnDemand {
            return Err(Error::BadInput(format!(
                "--shards: stream {name} is on-demand; switch it with `streamkit scale --mode provisioned` first (it keeps its {} shards), then scale within UpdateShardCount's limits; nothing was changed",
                live.open_shards
            )));
        }
        let pattern = info.tags.get(PATTERN_TAG).cloned().unwrap_or_default();
        let price = |mode: Mode, shards: u32| {
            let mut params: Vec<(String, String)> = info
                .parameters
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            params.retain(|(k, _)| k != "ShardCount" && k != "StreamMode");
            params.push(("ShardCount".into(), shards.to_string()));
            params.push(("StreamMode".into(), mode.parameter().into()));
            let (aws, id, pattern) = (&aws, &info.id, &pattern);
            async move {
                let m = stacks::monthly(aws, id, pattern, &params).await?;
                Ok::<_, Error>(Capacity {
                    mode,
                    shards,
                    idle_usd: m.map(|m| m.0),
                    at_1mbps_usd: m.map(|m| m.1),
                })
            }
        };
        let target_shards = args.shards.unwrap_or(live.open_shards);
        let before = price(live.mode, live.open_shards).await?;
        let after = price(mode, target_shards).await?;
        let report = |after: Capacity, changed| ScaleReport {
            stack: info.name.clone(),
            region: aws.region.clone(),
            stream: name.clone(),
            before: before.clone(),
            after,
            changed,
        };
        if mode == live.mode && (mode == Mode::OnDemand || target_shards == live.open_shards) {
            return Ok(report(after, false));
        }
        let progress = ctx.io.progress();
        progress.message(format!(
            "{name}: {} → {}",
            capacity(&before),
            capacity(&after)
        ));
        let question = format!("Scale {name} in {}?", aws.region);
        if !args.yes && !progress.confirm(&question)? {
            return Err(Error::BadInput(format!(
                "scale of {name} cancelled; nothing was changed"
            )));
        }
        let mut now: Live = live.clone();
        if mode != live.mode {
            progress.message(format!("UpdateStreamMode {name} to {}", mode.parameter()));
            now = streams::update_mode(&aws, &now, mode).await?;
        }
        if mode == Mode::Provisioned && target_shards != now.open_shards {
            progress.message(format!(
                "UpdateShardCount {name} {} → {target_shards} (uniform scaling)",
                now.open_shards
            ));
            now = streams::update_shard_count(&aws, &now, target_shards).await?;
        }
        let done = price(now.mode, now.open_shards).await?;
        Ok(report(done, true))
    })
}

fn usd(v: Option<f64>) -> String {
    v.map_or("?".into(), |v| format!("${v:.0}"))
}

fn capacity(c: &Capacity) -> String {
    let what = match c.mode {
        Mode::OnDemand => "on-demand".to_string(),
        Mode::Provisioned => format!("{} shards", c.shards),
    };
    format!(
        "{what}, ~{}/month idle, ~{}/month at 1 MB/s",
        usd(c.idle_usd),
        usd(c.at_1mbps_usd)
    )
}

impl fmt::Display for ScaleReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.changed {
            return write!(
                f,
                "{} ({}): {} already {}; nothing changed",
                self.stack,
                self.region,
                self.stream,
                capacity(&self.after)
            );
        }
        write!(
            f,
            "{} ({}): {} scaled from {} to {}",
            self.stack,
            self.region,
            self.stream,
            capacity(&self.before),
            capacity(&self.after)
        )
    }
}

impl Report for ScaleReport {}
