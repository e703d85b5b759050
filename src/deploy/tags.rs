//! A tag-only change: CloudFormation may answer it with an empty change set
//! (nothing to execute), which must not read as "no changes" while the
//! stack's tags still differ. The tags are applied by an update of the same
//! template with every parameter kept (UpdateStack propagates stack tags to
//! the resources), confirmed and followed like any other deploy.

use aws_sdk_cloudformation::types::{Capability, Parameter, Tag};
use aws_sdk_cloudformation::Client;

use super::ctrl_c::CtrlC;
use super::events::{self, follow};
use super::request::DeployRequest;
use crate::aws::Aws;
use crate::error::{Error, Result};
use crate::io::Progress;
use crate::progress::Event;

/// Applies `req.tags` to the deployed stack `stack_id`, keeping its template
/// and parameter values.
pub(super) async fn apply(
    cfn: &Client,
    aws: &Aws,
    stack_id: &str,
    req: &DeployRequest,
    parameters: &[(String, Option<String>)],
    progress: &Progress<'_>,
    ctrl_c: &CtrlC,
) -> Result<()> {
    let question = format!("Change the tags of {} in {}?", req.stack, aws.region);
    let answer = match req.yes {
        true => Some(true),
        false => progress.confirm_or(&question, ctrl_c.wait()).await?,
    };
    if answer.is_none() || ctrl_c.pressed() {
        return Err(Error::Interrupted(format!(
            "interrupted: the tags of {} were not changed; nothing was deployed; check with `streamkit status --stack-name {} --region {}`",
            req.stack, req.stack, aws.region
        )));
    }
    if answer == Some(false) {
        return Err(Error::BadInput(format!(
            "deploy of {} cancelled; nothing was changed",
            req.stack
        )));
    }
    let marker = events::latest_event_id(cfn, aws, stack_id).await?;
    let mut call = cfn
        .update_stack()
        .stack_name(stack_id)
        .use_previous_template(true)
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam);
    for (key, value) in parameters {
        let p = Parameter::builder().parameter_key(key);
        let p = match value {
            Some(v) => p.parameter_value(v),
            None => p.use_previous_value(true),
        };
        call = call.parameters(p.build());
    }
    for (k, v) in &req.tags {
        call = call.tags(Tag::builder().key(k).value(v).build());
    }
    call.send()
        .await
        .map_err(|e| aws.error("cloudformation", "UpdateStack", e))?;
    progress.emit(Event::Operation {
        what: format!("updating the tags of {} in {}", req.stack, aws.region),
    });
    let watched = follow(
        cfn, aws, stack_id, &req.stack, marker, req.poll, progress, ctrl_c,
    )
    .await?;
    if watched.failed() {
        return Err(Error::Deploy(events::failure_message(&req.stack, &watched)));
    }
    Ok(())
}
