//! `streamkit status [--watch]`: a stack's status; `--watch` follows an
//! operation in progress to its end (how to re-attach after Ctrl-C) and ends
//! at once, saying what to do, on a stack in REVIEW_IN_PROGRESS.

use std::fmt;

use clap::Args;
use serde::Serialize;

use super::Context;
use crate::aws;
use crate::cfn::status::Status;
use crate::config::StackRef;
use crate::deploy::ctrl_c::CtrlC;
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
    aws::block_on(async {
        let (aws, mut info) = super::deployed(ctx, &args.stack).await?;
        let cfn = aws.cloudformation();
        let name = info.name.clone();
        if args.watch && info.status == Status::ReviewInProgress {
            // A change set waits to be executed (or a first create was
            // abandoned): no operation runs, so there is nothing to follow.
            ctx.io.progress().message(format!(
                "{name} is REVIEW_IN_PROGRESS: no operation is running, nothing to follow. next: `streamkit deploy --stack-name {name}` deletes it (it has no resources) and creates it again, or `streamkit destroy --stack-name {name}`"
            ));
        } else if args.watch && info.status.in_progress() {
            let progress = ctx.io.progress();
            progress.message(format!(
                "{name} is {}; following it (Ctrl-C stops watching only)",
                info.status
            ));
            let watched = events::follow(
                &cfn,
                &aws,
                &info.id,
                &name,
                None,
                Poll::default(),
                &progress,
                &CtrlC::listen(),
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
