//! `streamkit status [--watch]`: a stack's status; `--watch` follows an
//! operation in progress to its end (how to re-attach after Ctrl-C).

use std::io::Write;

use clap::Args;
use serde_json::json;

use crate::aws::{self, Aws};
use crate::cli::{GlobalArgs, OutputFormat};
use crate::commands::emit;
use crate::config::{self, StackRef};
use crate::deploy::events::{self, Poll};
use crate::deploy::stack;
use crate::deploy::ui::Ui;
use crate::error::{Error, Result};

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub stack: StackRef,
    /// Follow the operation in progress until it ends (exit 1 if it failed).
    #[arg(long)]
    pub watch: bool,
}

pub fn run(global: &GlobalArgs, args: &StatusArgs, out: &mut dyn Write) -> Result<()> {
    let resolved = config::resolve(global, &args.stack.to_args())?;
    let name = resolved.stack.stack_name()?;
    let json = global.output == OutputFormat::Json;
    aws::block_on(async {
        let aws = Aws::load(&resolved.aws).await?;
        let cfn = aws.cloudformation();
        let mut info = stack::require(&cfn, &aws, &name).await?;
        if args.watch && !events::is_terminal(&info.status) {
            let mut ui = Ui::new(&mut *out, json, true);
            ui.info(&format!(
                "{name} is {}; following it (Ctrl-C stops watching only)",
                info.status
            ));
            let watched =
                crate::deploy::follow(&cfn, &aws, &info.id, &name, None, Poll::default(), &mut ui)
                    .await?;
            if watched.failed() {
                return Err(Error::Deploy(events::failure_message(&name, &watched)));
            }
            info = stack::require(&cfn, &aws, &info.id).await?;
        }
        let line = if json {
            json!({ "stack": info.name, "region": aws.region, "status": info.status, "reason": info.reason, "id": info.id })
                .to_string()
        } else {
            let reason = info
                .reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            format!("{} ({}): {}{reason}", info.name, aws.region, info.status)
        };
        emit(out, &line)
    })
}
