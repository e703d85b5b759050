//! `streamkit status [--watch]`: a stack's status; `--watch` follows an
//! operation in progress to its end (how to re-attach after Ctrl-C).

use std::fmt;

use clap::Args;
use serde::Serialize;

use super::Context;
use crate::aws::{self, Aws};
use crate::cfn::status::Status;
use crate::config::StackRef;
use crate::deploy::events::{self, Poll};
use crate::deploy::stack;
use crate::error::{Error, Result};
use crate::io::Report;

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub stack: StackRef,
    /// Follow the operation in progress until it ends (exit 1 if it failed).
    #[arg(long)]
    pub watch: bool,
}

/// The stack's status now.
#[derive(Debug, Serialize)]
pub struct StatusReport {
    pub stack: String,
    pub region: String,
    pub status: Status,
    pub reason: Option<String>,
    pub id: String,
}

pub fn run(ctx: &Context<'_>, args: &StatusArgs) -> Result<StatusReport> {
    let resolved = ctx.resolve(&args.stack.to_args())?;
    let name = resolved.stack.stack_name()?;
    aws::block_on(async {
        let aws = Aws::load(&resolved.aws).await?;
        let cfn = aws.cloudformation();
        let mut info = stack::require(&cfn, &aws, &name).await?;
        if args.watch && info.status.in_progress() {
            let progress = ctx.io.progress();
            progress.message(format!(
                "{name} is {}; following it (Ctrl-C stops watching only)",
                info.status
            ));
            let watched = crate::deploy::follow(
                &cfn,
                &aws,
                &info.id,
                &name,
                None,
                Poll::default(),
                &progress,
            )
            .await?;
            if watched.failed() {
                return Err(Error::Deploy(events::failure_message(&name, &watched)));
            }
            info = stack::require(&cfn, &aws, &info.id).await?;
        }
        Ok(StatusReport {
            stack: info.name,
            region: aws.region,
            status: info.status,
            reason: info.reason,
            id: info.id,
        })
    })
}

impl fmt::Display for StatusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = self
            .reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        write!(
            f,
            "{} ({}): {}{reason}",
            self.stack, self.region, self.status
        )
    }
}

impl Report for StatusReport {}
