//! `streamkit local ...`: a stack's data plane on this machine. `up` starts
//! the emulator, deploys a stack on it and follows its data; `down` stops what
//! `up --keep` left running; `replicate` runs the cross-region replicator.

use std::fmt;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::Context;
use crate::error::Result;
use crate::io::{JsonForm, Report};

pub mod down;
mod follow;
pub mod replicate;
mod setup;
pub mod up;

#[derive(Debug, Args)]
pub struct LocalArgs {
    #[command(subcommand)]
    pub command: LocalCommand,
}

#[derive(Debug, Subcommand)]
pub enum LocalCommand {
    /// Start the emulator, build and deploy a stack on it, and follow its data until Ctrl-C.
    #[command(
        after_help = "Examples:\n  streamkit local up --pattern 2 --until-output\n  streamkit local up --pattern 3 --port 4567 --keep\n  streamkit local up --pattern 2 --until-output --save out/\n\nThe emulator's state file and log are under $XDG_STATE_HOME/streamkit/local-<port>/ (default ~/.local/state/...).\nExit codes: 0 done (or stopped with Ctrl-C once up), 1 deployment failed, 2 bad input (port in use, already up), 3 the emulator could not run or no output came within --timeout, 130 Ctrl-C before the stack was up."
    )]
    Up(up::UpArgs),
    /// Stop the emulator a `local up --keep` left running on --port.
    #[command(
        after_help = "Example:\n  streamkit local down --port 4566\n\nExit codes: 0 stopped (or nothing was running), 3 it could not be stopped."
    )]
    Down(down::DownArgs),
    /// Poll both regions' streams and replicate from the active one, as the event source mappings would.
    #[command(
        after_help = "Examples:\n  streamkit local replicate --stack-name orders-xr --regions us-east-1,us-west-2 --until-idle\n  streamkit local replicate --stack-name orders-xr --until-idle --max-retry-seconds 60\n\nExit codes: 0 done, 1 replication failed (e.g. the destination unreachable for --max-retry-seconds; run again to resume), 2 bad input, 3 AWS access problem."
    )]
    Replicate(replicate::ReplicateArgs),
}

/// The report of whichever `local` command ran.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum LocalReport {
    Up(up::UpReport),
    Down(down::DownReport),
    Replicate(replicate::ReplicateReport),
}

pub fn run(ctx: &Context<'_>, args: &LocalArgs) -> Result<LocalReport> {
    Ok(match &args.command {
        LocalCommand::Up(a) => LocalReport::Up(up::run(ctx, a)?),
        LocalCommand::Down(a) => LocalReport::Down(down::run(ctx, a)?),
        LocalCommand::Replicate(a) => LocalReport::Replicate(replicate::run(ctx, a)?),
    })
}

impl fmt::Display for LocalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocalReport::Up(r) => r.fmt(f),
            LocalReport::Down(r) => r.fmt(f),
            LocalReport::Replicate(r) => r.fmt(f),
        }
    }
}

impl Report for LocalReport {
    fn json_form(&self) -> JsonForm {
        JsonForm::Object
    }
}
