//! `streamkit outputs`: a deployed stack's outputs.

use std::fmt;

use clap::Args;
use serde::Serialize;

use super::Context;
use crate::aws;
use crate::cfn::status::Status;
use crate::config::StackRef;
use crate::deploy::stack::Output;
use crate::error::Result;
use crate::io::{write_lines, Report};
use crate::local_url::localize;

#[derive(Debug, Args)]
pub struct OutputsArgs {
    #[command(flatten)]
    pub stack: StackRef,
}

/// The stack's outputs; JSON: `outputs` as an object of key to value.
#[derive(Debug, Serialize)]
pub struct OutputsReport {
    pub stack: String,
    pub region: String,
    pub status: Status,
    #[serde(serialize_with = "crate::deploy::stack::outputs_as_map")]
    pub outputs: Vec<Output>,
}

pub fn run(ctx: &Context<'_>, args: &OutputsArgs) -> Result<OutputsReport> {
    aws::block_on(async {
        let (aws, info) = super::deployed(ctx, &args.stack).await?;
        // On a local endpoint, URLs that only exist on AWS in their local form.
        let outputs = info
            .outputs
            .into_iter()
            .map(|o| Output {
                value: localize(&o.value, aws.endpoint.as_deref()),
                ..o
            })
            .collect();
        Ok(OutputsReport {
            stack: info.name,
            region: aws.region,
            status: info.status,
            outputs,
        })
    })
}

impl fmt::Display for OutputsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_lines(f, &self.outputs, |f, o| {
            write!(f, "{:<24} {}", o.key, o.value)
        })
    }
}

impl Report for OutputsReport {}
