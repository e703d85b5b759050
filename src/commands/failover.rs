//! `streamkit failover`: conditional flip of the active region, report of
//! what was unreplicated at the flip, and the takeover judged on the config
//! item read back and the new active replicator's checkpoints (see
//! [`crate::replication::takeover`]), never on new traffic arriving.

use std::fmt;
use std::time::Duration;

use clap::Args;
use serde::Serialize;

use super::Context;
use crate::aws;
use crate::error::{Error, Result};
use crate::io::Report;
use crate::replication::status::{self, Status};
use crate::replication::takeover::{self, Takeover};
use crate::replication::{now_secs, XrStack};

#[derive(Debug, Args)]
pub struct FailoverArgs {
    /// The cross-region stack (same name in both regions).
    #[arg(long)]
    pub stack_name: String,
    /// The region to make active (one of the stack's two).
    #[arg(long, value_name = "REGION")]
    pub to: String,
    /// The stack's two regions, A,B (default: --region and the stack's PeerRegion).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub regions: Vec<String>,
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Return right after the flip is read back, without waiting for the new
    /// active replicator to catch up.
    #[arg(long)]
    pub no_wait: bool,
    /// How long to wait for the new active replicator's checkpoints to cover
    /// the records that arrived in its stream since the flip.
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    pub wait_timeout: u64,
}

/// The flip, what was unreplicated at that moment, and the takeover.
#[derive(Debug, Serialize)]
pub struct FailoverReport {
    pub stack: String,
    pub stream: String,
    pub from: String,
    pub to: String,
    pub active_since: f64,
    /// Records in `from`'s stream not yet in `to`'s; `None` when `from` was unreachable.
    pub unreplicated_at_flip: Option<u64>,
    pub unreplicated_is_lower_bound: bool,
    pub status_at_flip: Option<Status>,
    /// Regions whose config replica reads back the flip (`to` always; `from`
    /// unless it was unreachable or not updated: see `warnings`).
    pub confirmed_in: Vec<String>,
    /// The new active replicator caught up (`None` with `--no-wait`).
    pub takeover: Option<Takeover>,
    pub warnings: Vec<String>,
}

pub fn run(ctx: &Context<'_>, args: &FailoverArgs) -> Result<FailoverReport> {
    crate::replication::check_region_name(&args.to)?;
    aws::block_on(async {
        let xr = super::region_pair(ctx, &args.stack_name, &args.regions).await?;
        xr.aws_of(&args.to)?;
        let (_, current) = xr.require_config().await?;
        let from = current.active_region.clone();
        if from == args.to {
            return Err(Error::BadInput(format!(
                "{} is already the active region of stream {}; nothing to do",
                args.to, xr.stream
            )));
        }
        let question = format!(
            "Make {} the active region of stream {} (now {from})?",
            args.to, xr.stream
        );
        if !args.yes && !ctx.io.confirm(&question)? {
            return Err(Error::BadInput(
                "failover not confirmed; nothing changed".into(),
            ));
        }
        // What the old active region holds that the new one does not (best effort:
        // the old region may be unreachable, which is why one fails over).
        let before = status::status(&xr).await.ok();
        let since = now_secs();
        // The new active region's replica first: it must take effect there.
        if !xr.flip_in(&args.to, &from, &args.to, since).await? {
            let now = xr.read_config(&args.to).await?;
            return Err(Error::Aws(format!(
                "the config of stream {} changed under the failover (active region is now {}, expected {from}); nothing changed; check `streamkit replication status` and run again",
                xr.stream,
                now.map(|c| c.active_region).unwrap_or_else(|| "missing".into())
            )));
        }
        // The other replica: already replicated (global table) or written here.
        let mut warnings = Vec::new();
        match xr.flip_in(&from, &from, &args.to, since).await {
            Ok(true) => {}
            Ok(false) => match xr.read_config(&from).await {
                Ok(Some(c)) if c.active_region == args.to => {}
                other => warnings.push(format!(
                    "the config replica in {from} was not updated (it holds {other:?}); the global table should replicate the flip"
                )),
            },
            Err(e) => warnings.push(format!("the config replica in {from} was not updated: {e}")),
        }
        let (unreplicated, bound) = before
            .as_ref()
            .map(|s| (Some(s.records_behind), s.behind_is_lower_bound))
            .unwrap_or((None, false));
        let confirmed_in = read_back(&xr, &args.to, &from, since, &mut warnings).await?;
        let mut caught_up = None;
        if !args.no_wait {
            let timeout = Duration::from_secs(args.wait_timeout);
            caught_up = Some(takeover::wait_caught_up(&xr, &args.to, since, timeout).await?);
        }
        Ok(FailoverReport {
            stack: xr.stack_name.clone(),
            stream: xr.stream.clone(),
            from,
            to: args.to.clone(),
            active_since: since,
            unreplicated_at_flip: unreplicated,
            unreplicated_is_lower_bound: bound,
            status_at_flip: before,
            confirmed_in,
            takeover: caught_up,
            warnings,
        })
    })
}

impl fmt::Display for FailoverReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "active region of stream {}: {} -> {}",
            self.stream, self.from, self.to
        )?;
        match self.unreplicated_at_flip {
            Some(n) => write!(
                f,
                "\nunreplicated at the flip: {}{n} records in {} not in {}",
                if self.unreplicated_is_lower_bound {
                    "at least "
                } else {
                    ""
                },
                self.from,
                self.to
            )?,
            None => write!(
                f,
                "\nunreplicated at the flip: unknown ({} unreachable)",
                self.from
            )?,
        }
        if let Some(before) = &self.status_at_flip {
            write!(f, "\n{}", status::render(before))?;
        }
        for w in &self.warnings {
            write!(f, "\nwarning: {w}")?;
        }
        write!(
            f,
            "\nthe flip reads back in {}",
            self.confirmed_in.join(" and ")
        )?;
        match &self.takeover {
            Some(t) if t.records_since_flip == 0 => write!(
                f,
                "\nno record arrived in {} within {}s of the flip: nothing for its replicator to catch up on",
                self.to,
                takeover::SETTLE.as_secs()
            )?,
            Some(t) => write!(
                f,
                "\nthe replicator in {} has caught up: its checkpoints cover the {} records that arrived in its stream since the flip ({} shards, {:.1}s)",
                self.to, t.records_since_flip, t.shards, t.seconds
            )?,
            None => {}
        }
        Ok(())
    }
}

impl Report for FailoverReport {}

/// Reads the config item back after the flip: `to`'s replica must show `to`
/// active since `since` (else exit 1); `from`'s replica is confirmed or a
/// warning. Returns the regions that read it back.
async fn read_back(
    xr: &XrStack,
    to: &str,
    from: &str,
    since: f64,
    warnings: &mut Vec<String>,
) -> Result<Vec<String>> {
    let flipped = |c: &Option<crate::replication::ActiveConfig>| {
        c.as_ref().is_some_and(|c| {
            c.active_region == to && c.active_since.is_some_and(|s| (s - since).abs() < 0.01)
        })
    };
    let now = xr.read_config(to).await?;
    if !flipped(&now) {
        return Err(Error::Aws(format!(
            "the flip of stream {} was written in {to}, but its config item there reads back {now:?}; another failover may have run at the same time: check `streamkit replication status`",
            xr.stream
        )));
    }
    let mut confirmed = vec![to.to_string()];
    match xr.read_config(from).await {
        Ok(c) if flipped(&c) => confirmed.push(from.to_string()),
        Ok(c) => warnings.push(format!(
            "the config replica in {from} does not read back the flip yet (it holds {c:?}); the global table should replicate it"
        )),
        Err(e) => warnings.push(format!("the config replica in {from} could not be read back: {e}")),
    }
    Ok(confirmed)
}
