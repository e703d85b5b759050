//! `streamkit dashboard`: the console URL of the stack's CloudWatch dashboard.

use std::fmt;

use clap::Args;
use serde::Serialize;

use super::Context;
use crate::aws;
use crate::config::StackRef;
use crate::deploy::stack;
use crate::error::{Error, Result};
use crate::io::Report;

#[derive(Debug, Args)]
pub struct DashboardArgs {
    #[command(flatten)]
    pub stack: StackRef,
}

/// The dashboard's name and console URL; text: the URL.
#[derive(Debug, Serialize)]
pub struct DashboardReport {
    pub stack: String,
    pub dashboard: String,
    pub url: String,
}

pub fn run(ctx: &Context<'_>, args: &DashboardArgs) -> Result<DashboardReport> {
    aws::block_on(async {
        let (aws, info) = super::deployed(ctx, &args.stack).await?;
        let name = info.name.clone();
        let from_output = info
            .outputs
            .iter()
            .find(|o| o.key == "DashboardName")
            .map(|o| o.value.clone());
        let dashboard = match from_output {
            Some(d) => d,
            None => stack::resources(&aws.cloudformation(), &aws, &info.id)
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
        Ok(DashboardReport {
            url: url(&aws.region, &dashboard),
            stack: name,
            dashboard,
        })
    })
}

/// Console URL of a CloudWatch dashboard.
pub fn url(region: &str, dashboard: &str) -> String {
    format!("https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards/dashboard/{dashboard}")
}

impl fmt::Display for DashboardReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

impl Report for DashboardReport {}
