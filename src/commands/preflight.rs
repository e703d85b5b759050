//! `streamkit preflight`: the IAM preflight `deploy` runs before any change,
//! alone: which of the actions the planned change needs the caller (or the
//! `--role-arn` service role) may not perform. Read-only.

use std::path::PathBuf;

use clap::Args;

use super::deploy::{run_with, DeployArgs, DeployReport};
use super::Context;
use crate::config::StackArgs;
use crate::error::Result;

#[derive(Debug, Args)]
pub struct PreflightArgs {
    #[command(flatten)]
    pub stack: StackArgs,
    /// `build-dist` output with the code of stacks that have code.
    #[arg(long, default_value = "deployment", value_name = "DIR")]
    pub dist_dir: PathBuf,
    /// The CloudFormation service role the deploy would use.
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,
}

/// Each region's preflight (exit 2 when an action is denied).
pub fn run(ctx: &Context<'_>, args: &PreflightArgs) -> Result<DeployReport> {
    let deploy = DeployArgs {
        stack: args.stack.clone(),
        yes: true,
        allow_replacement: false,
        skip_resources: Vec::new(),
        dist_dir: args.dist_dir.clone(),
        role_arn: args.role_arn.clone(),
        skip_preflight: false,
        preflight_only: true,
        no_execute: false,
        termination_protection: false,
    };
    run_with(ctx, &deploy, false)
}
