//! `streamkit dashboard`: the console URL of the stack's CloudWatch dashboard.

use std::io::Write;

use clap::Args;
use serde_json::json;

use crate::aws::{self, Aws};
use crate::cli::{GlobalArgs, OutputFormat};
use crate::commands::emit;
use crate::config::{self, StackRef};
use crate::deploy::stack;
use crate::error::{Error, Result};

#[derive(Debug, Args)]
pub struct DashboardArgs {
    #[command(flatten)]
    pub stack: StackRef,
}

pub fn run(global: &GlobalArgs, args: &DashboardArgs, out: &mut dyn Write) -> Result<()> {
    let resolved = config::resolve(global, &args.stack.to_args())?;
    let name = resolved.stack.stack_name()?;
    aws::block_on(async {
        let aws = Aws::load(&resolved.aws).await?;
        let cfn = aws.cloudformation();
        let info = stack::require(&cfn, &aws, &name).await?;
        let from_output = info
            .outputs
            .iter()
            .find(|o| o.key == "DashboardName")
            .map(|o| o.value.clone());
        let dashboard = match from_output {
            Some(d) => d,
            None => stack::resources(&cfn, &aws, &info.id)
                .await?
                .into_iter()
                .find(|(_, ty, _)| ty == "AWS::CloudWatch::Dashboard")
                .map(|(_, _, physical)| physical)
                .ok_or_else(|| {
                    Error::BadInput(format!(
                        "stack {name} has no CloudWatch dashboard; is it a streamkit stack?"
                    ))
                })?,
        };
        let url = url(&aws.region, &dashboard);
        let line = match global.output {
            OutputFormat::Json => {
                json!({ "stack": name, "dashboard": dashboard, "url": url }).to_string()
            }
            OutputFormat::Text => url,
        };
        emit(out, &line)
    })
}

/// Console URL of a CloudWatch dashboard.
pub fn url(region: &str, dashboard: &str) -> String {
    format!("https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards/dashboard/{dashboard}")
}
