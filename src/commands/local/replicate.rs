//! `streamkit local replicate`: the replicator of a cross-region stack run
//! locally (same core as the Lambda), e.g. against the emulator.
//!
//! While it runs it reports the totals of both directions every
//! `--interval` seconds (a `replication_progress` event on stderr). Ctrl-C
//! (SIGINT) or SIGTERM stops it cleanly: the batches already read get one
//! more attempt and are checkpointed, then the summary is the result (exit
//! 0). A second signal stops at once (exit 130; the checkpoints are
//! consistent either way, a rerun resumes after them).

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use serde::Serialize;

use crate::aws;
use crate::commands::Context;
use crate::error::{Error, Result};
use crate::io::{write_lines, Report};
use crate::progress::Event;
use crate::replication::runner::{self, RegionRun, RunOptions};
use crate::replication::tally::{ReplicationProgress, Tally};

#[derive(Debug, Args)]
pub struct ReplicateArgs {
    /// The cross-region stack (same name in both regions).
    #[arg(long)]
    pub stack_name: String,
    /// The stack's two regions, A,B (default: --region and the stack's PeerRegion).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub regions: Vec<String>,
    /// Exit once every shard of both streams has been idle for --idle-seconds.
    #[arg(long)]
    pub until_idle: bool,
    /// Idle time before --until-idle exits.
    #[arg(long, default_value_t = 3.0, value_name = "SECONDS")]
    pub idle_seconds: f64,
    /// Keep retrying a batch the destination does not accept (unreachable,
    /// erroring, entries rejected), or a failing poll, for this long without
    /// progress; then exit 1 (a rerun resumes from the checkpoints).
    #[arg(long, default_value_t = 300.0, value_name = "SECONDS")]
    pub max_retry_seconds: f64,
    /// Seconds between two progress lines (records replicated per direction,
    /// distance to the stream's tip, retries and the last error).
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    pub interval: f64,
}

/// Why the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ended {
    /// `--until-idle`: every shard was idle for `--idle-seconds`.
    Idle,
    /// Every shard of both streams is closed and read to its end.
    Finished,
    /// Ctrl-C (SIGINT) or SIGTERM.
    Interrupted,
}

/// What each region's runner did.
#[derive(Debug, Serialize)]
pub struct ReplicateReport {
    pub stack: String,
    pub stream: String,
    #[serde(rename = "outcome")]
    pub ended: Ended,
    pub seconds: f64,
    pub regions: Vec<RegionRun>,
}

pub fn run(ctx: &Context<'_>, args: &ReplicateArgs) -> Result<ReplicateReport> {
    if !(args.interval.is_finite() && args.interval >= 0.1) {
        return Err(Error::BadInput(format!(
            "--interval {}: give the seconds between progress lines, at least 0.1",
            args.interval
        )));
    }
    // stdout is one JSON document: progress goes to stderr in either mode.
    let progress = ctx.io.progress_on_stderr();
    let retry = |line: &str| {
        progress.emit(Event::Retry {
            message: line.to_string(),
        })
    };
    aws::block_on(async {
        let mut signals = Interrupts::register()?;
        let xr = tokio::select! {
            xr = crate::commands::region_pair(ctx, &args.stack_name, &args.regions) => xr?,
            _ = signals.next() => return Err(Error::Interrupted(
                "interrupted before replication started; nothing was replicated".into(),
            )),
        };
        // Never beside an enabled deployed replicator (duplicates).
        let (running, unchecked) = crate::replication::deployed::active_mappings(&xr).await?;
        for message in unchecked {
            progress.emit(Event::Warning { message });
        }
        if !running.is_empty() {
            return Err(crate::replication::deployed::refusal(
                &xr.stack_name,
                &running,
            ));
        }
        let tally = Tally::default();
        let stop = Arc::new(AtomicBool::new(false));
        let opts = RunOptions {
            until_idle: args
                .until_idle
                .then(|| Duration::from_secs_f64(args.idle_seconds.max(0.0))),
            poll_interval: Duration::from_millis(250),
            batch_limit: 1000,
            max_retry: Duration::from_secs_f64(args.max_retry_seconds.max(0.0)),
            progress: &retry,
            stop: stop.clone(),
            tally: &tally,
        };
        let started = Instant::now();
        let every = Duration::from_secs_f64(args.interval);
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let runs = runner::run(&xr, &opts);
        tokio::pin!(runs);
        let runs = loop {
            tokio::select! {
                runs = &mut runs => break runs?,
                _ = ticker.tick() => progress.emit(Event::ReplicationProgress {
                    progress: ReplicationProgress {
                        seconds: started.elapsed().as_secs_f64(),
                        regions: tally.snapshot(&xr.regions),
                    },
                }),
                _ = signals.next() => {
                    if stop.swap(true, Ordering::SeqCst) {
                        return Err(Error::Interrupted(
                            "stopped at once on a second interrupt; batches in flight are sent again by the next run (the checkpoints stay before them)".into(),
                        ));
                    }
                    progress.message(
                        "stopping: finishing the batches already read (interrupt again to stop at once)",
                    );
                }
            }
        };
        let ended = if stop.load(Ordering::SeqCst) {
            Ended::Interrupted
        } else if args.until_idle {
            Ended::Idle
        } else {
            Ended::Finished
        };
        Ok(ReplicateReport {
            stack: xr.stack_name.clone(),
            stream: xr.stream.clone(),
            ended,
            seconds: started.elapsed().as_secs_f64(),
            regions: runs,
        })
    })
}

/// SIGINT (Ctrl-C) and SIGTERM, registered before the first AWS call so that
/// an interrupt never kills the process half-way through a batch.
struct Interrupts {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

impl Interrupts {
    fn register() -> Result<Interrupts> {
        use tokio::signal::unix::{signal, SignalKind};
        let handler = |kind| {
            signal(kind)
                .map_err(|e| Error::Aws(format!("cannot watch for Ctrl-C (signal handler): {e}")))
        };
        Ok(Interrupts {
            int: handler(SignalKind::interrupt())?,
            term: handler(SignalKind::terminate())?,
        })
    }

    /// The next SIGINT or SIGTERM.
    async fn next(&mut self) {
        tokio::select! {
            _ = self.int.recv() => {}
            _ = self.term.recv() => {}
        }
    }
}

impl fmt::Display for ReplicateReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_lines(f, &self.regions, |f, r| {
            write!(
                f,
                "{}: read {}, replicated {}, duplicates {} (at most {} more possible), retries {} ({} entries re-sent), skipped while passive {}, not sent back (before activation) {}",
                r.region,
                r.records_read,
                r.records_replicated,
                r.duplicates,
                r.possible_duplicates,
                r.retries,
                r.retried_entries,
                r.skipped_passive,
                r.skipped_before_activation
            )?;
            if let Some(e) = &r.last_error {
                write!(f, ", last error: {e}")?;
            }
            Ok(())
        })?;
        let secs = self.seconds;
        match self.ended {
            Ended::Idle => write!(
                f,
                "\nidle after {secs:.1}s: every shard returned nothing for --idle-seconds"
            ),
            Ended::Finished => write!(
                f,
                "\nfinished after {secs:.1}s: every shard is closed and read to its end"
            ),
            Ended::Interrupted => {
                write!(f, "\nstopped on Ctrl-C after {secs:.1}s")?;
                let left: u64 = self.regions.iter().map(|r| r.unconfirmed_at_stop).sum();
                if left > 0 {
                    write!(f, "; {left} records read but not confirmed stay after the checkpoints: the next run sends them")?;
                }
                Ok(())
            }
        }
    }
}

impl Report for ReplicateReport {}
