//! One file per subcommand.

pub mod bootstrap;
pub mod build_dist;
pub mod dashboard;
pub mod deploy;
pub mod destroy;
pub mod diff;
pub mod failover;
pub mod local;
pub mod outputs;
pub mod patterns;
pub mod publish;
pub mod replication;
pub mod status;
pub mod synth;
pub mod validate;

use std::io::Write;

use crate::cli::{Cli, Command};
use crate::error::Result;

/// Runs the parsed command, writing results to `out`.
pub fn run(cli: &Cli, out: &mut dyn Write) -> Result<()> {
    match &cli.command {
        Command::Patterns => patterns::run(&cli.global, out),
        Command::Synth(args) => synth::run(&cli.global, args, out),
        Command::Validate(args) => validate::run(&cli.global, args, out),
        Command::Bootstrap(args) => bootstrap::run(&cli.global, args, out),
        Command::Publish(args) => publish::run(&cli.global, args, out),
        Command::Deploy(args) => deploy::run(&cli.global, args, out),
        Command::Diff(args) => diff::run(&cli.global, args, out),
        Command::Status(args) => status::run(&cli.global, args, out),
        Command::Outputs(args) => outputs::run(&cli.global, args, out),
        Command::Destroy(args) => destroy::run(&cli.global, args, out),
        Command::Dashboard(args) => dashboard::run(&cli.global, args, out),
        Command::BuildDist(args) => build_dist::run(&cli.global, args, out),
        Command::Local(args) => local::run(&cli.global, args, out),
        Command::Replication(args) => replication::run(&cli.global, args, out),
        Command::Failover(args) => failover::run(&cli.global, args, out),
    }
}

/// Writes a result line, mapping a closed pipe or other I/O failure to an error.
pub(crate) fn emit(out: &mut dyn Write, text: &str) -> Result<()> {
    writeln!(out, "{text}").map_err(|source| crate::error::Error::Write {
        path: "stdout".into(),
        source,
    })
}
