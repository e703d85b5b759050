//! The `streamkit` binary: parse the command line, make the one I/O object,
//! run the command, map the result to an exit code (see `cli` and `io`).

use std::process::ExitCode;

use clap::Parser;
use streamkit::cli::{parse_error, Cli};
use streamkit::io::Io;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return parse_error(e, Io::stdio),
    };
    let io = Io::stdio(cli.global.output);
    let result = cli.run(&io);
    ExitCode::from(io.finish(result))
}
