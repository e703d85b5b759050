//! `streamkit diff`: the change set a deploy would run, then deleted again.

use std::path::PathBuf;

use clap::Args;

use super::deploy::{run_with, DeployArgs, DeployReport};
use super::Context;
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

/// The deploy report with result `planned` (or `no changes`).
pub fn run(ctx: &Context<'_>, args: &DiffArgs) -> Result<DeployReport> {
    let deploy = DeployArgs {
        stack: args.stack.clone(),
        yes: true,
        allow_replacement: true,
        skip_resources: Vec::new(),
        dist_dir: args.dist_dir.clone(),
        role_arn: None,
        skip_preflight: true,
        preflight_only: false,
    };
    run_with(ctx, &deploy, true)
}
