//! `streamkit diff`: the change set a deploy would run, then deleted again.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::cli::GlobalArgs;
use crate::commands::deploy::{run_with, DeployArgs};
use crate::config::StackArgs;
use crate::error::Result;

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub stack: StackArgs,
    /// `build-dist` output with the code of stacks that have code.
    #[arg(long, default_value = "deployment", value_name = "DIR")]
    pub dist_dir: PathBuf,
}

pub fn run(global: &GlobalArgs, args: &DiffArgs, out: &mut dyn Write) -> Result<()> {
    let deploy = DeployArgs {
        stack: args.stack.clone(),
        yes: true,
        allow_replacement: true,
        skip_resources: Vec::new(),
        dist_dir: args.dist_dir.clone(),
    };
    run_with(global, &deploy, true, out)
}
