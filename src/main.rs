use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = streamkit::cli::Cli::parse();
    let mut stdout = std::io::stdout().lock();
    match streamkit::commands::run(&cli, &mut stdout) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}
