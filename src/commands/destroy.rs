//! `streamkit destroy [--delete-data] [--yes]`: delete a stack; data buckets
//! stay unless `--delete-data`.

use std::io::Write;

use clap::Args;
use serde_json::json;

use crate::aws::{self, Aws};
use crate::cli::{GlobalArgs, OutputFormat};
use crate::commands::emit;
use crate::config::{self, StackRef};
use crate::deploy::destroy;
use crate::deploy::events::Poll;
use crate::deploy::stack;
use crate::deploy::ui::Ui;
use crate::error::{Error, Result};

#[derive(Debug, Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    pub stack: StackRef,
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Also empty (all versions) and delete the data buckets the stack retains.
    #[arg(long)]
    pub delete_data: bool,
}

pub fn run(global: &GlobalArgs, args: &DestroyArgs, out: &mut dyn Write) -> Result<()> {
    let resolved = config::resolve(global, &args.stack.to_args())?;
    let name = resolved.stack.stack_name()?;
    let json = global.output == OutputFormat::Json;
    aws::block_on(async {
        let aws = Aws::load(&resolved.aws).await?;
        let info = stack::require(&aws.cloudformation(), &aws, &name).await?;
        let buckets = destroy::buckets(&aws, &info).await?;
        let retained: Vec<&str> = buckets
            .iter()
            .filter(|b| b.retained)
            .map(|b| b.name.as_str())
            .collect();
        let data = match (args.delete_data, retained.is_empty()) {
            (_, true) => String::new(),
            (true, false) => format!(" and DELETE the data in {}", retained.join(", ")),
            (false, false) => format!("; data buckets {} are kept", retained.join(", ")),
        };
        let result = {
            let mut ui = Ui::new(&mut *out, json, args.yes);
            if !ui.confirm(&format!("Delete stack {name} in {}{data}?", aws.region))? {
                return Err(Error::BadInput(format!(
                    "destroy of {name} cancelled; nothing was changed"
                )));
            }
            destroy::destroy(&aws, &info, args.delete_data, Poll::default(), &mut ui).await?
        };
        let line = if json {
            json!({ "event": "result", "result": "deleted", "stack": result.stack, "region": result.region, "kept": result.kept, "deleted": result.deleted }).to_string()
        } else {
            let mut line = format!("{} ({}): deleted", result.stack, result.region);
            for b in &result.kept {
                line.push_str(&format!("\n  kept bucket {b} with its data (retained; `destroy --delete-data` removes data buckets too)"));
            }
            for b in &result.deleted {
                line.push_str(&format!("\n  deleted bucket {b}"));
            }
            line
        };
        emit(out, &line)
    })
}
