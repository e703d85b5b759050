//! `streamkit local down`: stops the emulator a `local up --keep` left on a
//! port (its process group, by the pid in the state file) and removes the
//! state file; a stale state file (its pid gone) is reported and removed.

use std::fmt;

use clap::Args;
use serde::Serialize;

use crate::commands::Context;
use crate::error::{Error, Result};
use crate::local::process;
use crate::local::state::{is_emulator, StateDir};

#[derive(Debug, Args)]
pub struct DownArgs {
    /// The port `local up` ran the emulator on (1-65535).
    #[arg(long, default_value_t = 4566, value_parser = clap::value_parser!(u16).range(1..))]
    pub port: u16,
}

/// What was found and done.
#[derive(Debug, Serialize)]
pub struct DownReport {
    pub port: u16,
    /// `stopped`, `stale` (the state file named a process that is gone) or
    /// `not_running` (no state file).
    #[serde(rename = "outcome")]
    pub result: DownResult,
    pub pid: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DownResult {
    Stopped,
    Stale,
    NotRunning,
}

pub fn run(_ctx: &Context<'_>, args: &DownArgs) -> Result<DownReport> {
    let dir = StateDir::for_port(args.port)?;
    let report = |result, pid| DownReport {
        port: args.port,
        result,
        pid,
    };
    if !dir.exists() {
        return Ok(report(DownResult::NotRunning, None));
    }
    let Some(state) = dir.read() else {
        dir.remove();
        return Ok(report(DownResult::Stale, None));
    };
    if !is_emulator(state.pid, args.port) {
        dir.remove();
        return Ok(report(DownResult::Stale, Some(state.pid)));
    }
    if !process::stop(state.pid, &mut || {}) {
        return Err(Error::Local(format!(
            "the emulator (pid {}) on port {} did not stop after SIGKILL; check `ps -p {}`",
            state.pid, args.port, state.pid
        )));
    }
    dir.remove();
    Ok(report(DownResult::Stopped, Some(state.pid)))
}

impl fmt::Display for DownReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pid = self
            .pid
            .map(|p| p.to_string())
            .unwrap_or_else(|| "?".into());
        match self.result {
            DownResult::Stopped => {
                write!(f, "stopped the emulator on port {} (pid {pid})", self.port)
            }
            DownResult::Stale => write!(
                f,
                "no emulator on port {} any more (pid {pid} is gone); removed its stale state file",
                self.port
            ),
            DownResult::NotRunning => write!(
                f,
                "nothing to stop: no `local up --keep` state for port {}",
                self.port
            ),
        }
    }
}
