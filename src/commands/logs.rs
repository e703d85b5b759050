//! `streamkit logs [--since 10m] [--filter TEXT] [--follow]`: every log group
//! of a stack, interleaved by time, each line prefixed by its source;
//! `--follow` prints new lines as they come until Ctrl-C (exit 0).

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Args;
use serde::Serialize;

use super::Context;
use crate::aws;
use crate::config::StackRef;
use crate::error::{Error, Result};
use crate::io::{write_lines, JsonForm, Report};
use crate::ops::logs::{self, LogLine};

/// How often `--follow` reads the groups again.
const FOLLOW_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, Args)]
pub struct LogsArgs {
    #[command(flatten)]
    pub stack: StackRef,
    /// How far back to start: a number and s, m, h or d.
    #[arg(long, default_value = "10m", value_parser = logs::parse_age, value_name = "AGE")]
    pub since: i64,
    /// Only lines containing this text (plain text, case-sensitive).
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
    /// Keep printing new lines until Ctrl-C.
    #[arg(long)]
    pub follow: bool,
}

/// Log lines; JSON: one line per log line (`time`, `source`, `message`).
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct LogsReport {
    pub lines: Vec<LogLine>,
}

pub fn run(ctx: &Context<'_>, args: &LogsArgs) -> Result<LogsReport> {
    aws::block_on(async {
        let (aws, info) = super::deployed(ctx, &args.stack).await?;
        let mut groups = logs::groups(&aws, &info.id).await?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let start = now - args.since;
        let filter = args.filter.as_deref();
        if !args.follow {
            let lines = logs::read(&aws, &mut groups, start, filter).await?;
            return Ok(LogsReport { lines });
        }
        // Registered before the first read: a Ctrl-C from now on ends the
        // command cleanly.
        use tokio::signal::unix::{signal, SignalKind};
        let mut interrupt = signal(SignalKind::interrupt())
            .map_err(|e| Error::Output(format!("cannot handle Ctrl-C: {e}")))?;
        let names: Vec<&str> = groups.iter().map(|g| g.source.as_str()).collect();
        ctx.io.progress().message(format!(
            "following {} log groups of {} ({}); Ctrl-C stops",
            groups.len(),
            info.name,
            names.join(", ")
        ));
        loop {
            let lines = logs::read(&aws, &mut groups, start, filter).await?;
            ctx.io.report(&LogsReport { lines })?;
            tokio::select! {
                _ = interrupt.recv() => return Ok(LogsReport { lines: Vec::new() }),
                _ = tokio::time::sleep(FOLLOW_EVERY) => {}
            }
        }
    })
}

impl fmt::Display for LogsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_lines(f, &self.lines, |f, l| {
            write!(f, "{} {}: {}", l.time, l.source, l.message)
        })
    }
}

impl Report for LogsReport {
    fn json_form(&self) -> JsonForm {
        JsonForm::Lines
    }
}
