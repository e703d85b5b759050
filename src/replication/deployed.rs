//! The deployed replicators of a cross-region stack: the Lambda function's
//! event source mapping in each region (`ReplicatorEventSourceMapping`).
//! `local replicate` refuses to run while one of them is enabled: two
//! replicators reading the same shards each send every record, so the
//! destination would get duplicates their checkpoints cannot prevent (both
//! read the same record before either checkpoints it).

use serde::Serialize;

use super::XrStack;
use crate::error::{Error, Result};

/// The logical id of the replicator's mapping in the stack template.
pub const MAPPING_ID: &str = "ReplicatorEventSourceMapping";

/// One deployed replicator whose mapping is not disabled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deployed {
    pub region: String,
    pub function: String,
    pub mapping: String,
    /// The mapping's state (`Enabled`, `Enabling`, `Creating`, `Updating`, ...).
    pub state: String,
}

/// The replicators of `xr` whose mapping is anything but `Disabled` (a
/// region whose stack has no such mapping has none), and a warning for each
/// region that could not be asked (unreachable: `local replicate` rides out
/// outages, so an unreachable region does not stop it).
pub async fn active_mappings(xr: &XrStack) -> Result<(Vec<Deployed>, Vec<String>)> {
    let mut out = Vec::new();
    let mut unchecked = Vec::new();
    for region in &xr.regions {
        let aws = xr.aws_of(region)?;
        let found = aws
            .cloudformation()
            .describe_stack_resource()
            .stack_name(&xr.stack_name)
            .logical_resource_id(MAPPING_ID)
            .send()
            .await;
        let uuid = match found {
            Ok(r) => r
                .stack_resource_detail()
                .and_then(|d| d.physical_resource_id())
                .map(str::to_string),
            Err(e) if e.as_service_error().is_some() => None,
            Err(aws_sdk_cloudformation::error::SdkError::DispatchFailure(_))
            | Err(aws_sdk_cloudformation::error::SdkError::TimeoutError(_)) => {
                unchecked.push(format!(
                    "{region}: unreachable, so whether the stack's deployed replicator runs there is unknown; if it does, pause it (see `streamkit local replicate --help`) or records it replicates are sent twice"
                ));
                continue;
            }
            Err(e) => {
                return Err(aws.error("cloudformation", "DescribeStackResource", e));
            }
        };
        let Some(uuid) = uuid else {
            continue;
        };
        let lambda = aws_sdk_lambda::Client::new(&aws.config);
        let mapping = lambda
            .get_event_source_mapping()
            .uuid(&uuid)
            .send()
            .await
            .map_err(|e| aws.error("lambda", "GetEventSourceMapping", e))?;
        let state = mapping.state().unwrap_or_default().to_string();
        if state == "Disabled" || state == "Deleting" {
            continue;
        }
        let function = mapping
            .function_arn()
            .and_then(|a| a.rsplit(':').next())
            .unwrap_or_default()
            .to_string();
        out.push(Deployed {
            region: region.clone(),
            function,
            mapping: uuid,
            state,
        });
    }
    Ok((out, unchecked))
}

/// The refusal: which replicator runs, and how to pause it (and resume it).
pub fn refusal(stack: &str, running: &[Deployed]) -> Error {
    let each: Vec<String> = running
        .iter()
        .map(|d| {
            format!(
                "{} in {} (event source mapping {}, {}): pause it with `aws lambda update-event-source-mapping --region {} --uuid {} --no-enabled`",
                d.function, d.region, d.mapping, d.state, d.region, d.mapping
            )
        })
        .collect();
    Error::Local(format!(
        "stack {stack}'s deployed replicator is running, and two replicators send each record twice: {}; wait until its state is Disabled, run `streamkit local replicate`, then resume it with `--enabled` (both share the checkpoints, so it continues where the local run stopped)",
        each.join("; ")
    ))
}
