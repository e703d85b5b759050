//! `streamkit outputs`: a deployed stack's outputs.

use std::io::Write;

use clap::Args;
use serde_json::{json, Map, Value};

use crate::aws::{self, Aws};
use crate::cli::{GlobalArgs, OutputFormat};
use crate::commands::emit;
use crate::config::{self, StackRef};
use crate::deploy::stack;
use crate::error::Result;
use crate::local_url::localize;

#[derive(Debug, Args)]
pub struct OutputsArgs {
    #[command(flatten)]
    pub stack: StackRef,
}

pub fn run(global: &GlobalArgs, args: &OutputsArgs, out: &mut dyn Write) -> Result<()> {
    let resolved = config::resolve(global, &args.stack.to_args())?;
    let name = resolved.stack.stack_name()?;
    aws::block_on(async {
        let aws = Aws::load(&resolved.aws).await?;
        let info = stack::require(&aws.cloudformation(), &aws, &name).await?;
        if global.output == OutputFormat::Json {
            let outputs: Map<String, Value> = info
                .outputs
                .iter()
                .map(|o| {
                    (
                        o.key.clone(),
                        json!(localize(&o.value, aws.endpoint.as_deref())),
                    )
                })
                .collect();
            let line = json!({ "stack": info.name, "region": aws.region, "status": info.status, "outputs": outputs });
            return emit(out, &line.to_string());
        }
        for o in &info.outputs {
            let value = localize(&o.value, aws.endpoint.as_deref());
            emit(out, &format!("{:<24} {}", o.key, value))?;
        }
        Ok(())
    })
}
