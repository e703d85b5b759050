//! Reading a deployed stack: status, parameters, tags, outputs, template;
//! deleting one and waiting for it.

use std::collections::BTreeMap;

use aws_sdk_cloudformation::types::TemplateStage;
use aws_sdk_cloudformation::Client;
use serde::Serialize;
use serde_json::Value;

use crate::aws::Aws;
use crate::cfn::status::Status;
use crate::error::{Error, Result};
use crate::io::Progress;
use crate::progress::Event;

use super::events::{self, Poll, Watched};

/// A deployed stack as streamkit needs it.
#[derive(Debug, Clone, Serialize)]
pub struct StackInfo {
    pub id: String,
    pub name: String,
    pub status: Status,
    pub reason: Option<String>,
    pub parameters: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    pub outputs: Vec<Output>,
    /// Termination protection is on (DeleteStack fails).
    pub termination_protection: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Output {
    pub key: String,
    pub value: String,
    pub description: Option<String>,
}

/// Turns termination protection on (UpdateTerminationProtection).
pub async fn protect(cfn: &Client, aws: &Aws, stack_id: &str) -> Result<()> {
    cfn.update_termination_protection()
        .stack_name(stack_id)
        .enable_termination_protection(true)
        .send()
        .await
        .map_err(|e| aws.error("cloudformation", "UpdateTerminationProtection", e))?;
    Ok(())
}

/// Outputs in JSON as every result carries them: an object of key to value.
pub fn outputs_as_map<S: serde::Serializer>(
    outputs: &[Output],
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.collect_map(outputs.iter().map(|o| (&o.key, &o.value)))
}

/// DescribeStacks; `None` when the stack does not exist.
pub async fn describe(cfn: &Client, aws: &Aws, name: &str) -> Result<Option<StackInfo>> {
    let resp = match cfn.describe_stacks().stack_name(name).send().await {
        Ok(r) => r,
        Err(e) => {
            let text = aws_sdk_cloudformation::error::DisplayErrorContext(&e).to_string();
            if text.contains("does not exist") {
                return Ok(None);
            }
            return Err(aws.error("cloudformation", "DescribeStacks", e));
        }
    };
    let Some(s) = resp.stacks().first() else {
        return Ok(None);
    };
    let status = Status::from(s.stack_status().map_or("", |x| x.as_str()));
    if status == Status::DeleteComplete {
        return Ok(None);
    }
    Ok(Some(StackInfo {
        id: s.stack_id().unwrap_or(name).to_string(),
        name: s.stack_name().unwrap_or(name).to_string(),
        status,
        reason: s.stack_status_reason().map(str::to_string),
        termination_protection: s.enable_termination_protection().unwrap_or(false),
        parameters: s
            .parameters()
            .iter()
            .map(|p| {
                let key = p.parameter_key().unwrap_or_default().to_string();
                (key, p.parameter_value().unwrap_or_default().to_string())
            })
            .collect(),
        tags: s
            .tags()
            .iter()
            .map(|t| {
                (
                    t.key().unwrap_or_default().to_string(),
                    t.value().unwrap_or_default().to_string(),
                )
            })
            .collect(),
        outputs: s
            .outputs()
            .iter()
            .map(|o| Output {
                key: o.output_key().unwrap_or_default().to_string(),
                value: o.output_value().unwrap_or_default().to_string(),
                description: o.description().map(str::to_string),
            })
            .collect(),
    }))
}

/// Like [`describe`], but a missing stack is an error naming how to create it.
pub async fn require(cfn: &Client, aws: &Aws, name: &str) -> Result<StackInfo> {
    describe(cfn, aws, name).await?.ok_or_else(|| {
        Error::BadInput(format!(
            "stack {name} does not exist in {}; deploy it with `streamkit deploy --pattern ID --stack-name {name}`",
            aws.region
        ))
    })
}

/// The deployed template as submitted, parsed (JSON or YAML).
pub async fn template(cfn: &Client, aws: &Aws, name: &str) -> Result<Value> {
    let resp = cfn
        .get_template()
        .stack_name(name)
        .template_stage(TemplateStage::Original)
        .send()
        .await
        .map_err(|e| aws.error("cloudformation", "GetTemplate", e))?;
    let body = resp.template_body().unwrap_or_default();
    Ok(serde_json::from_str(body)
        .or_else(|_| serde_yaml_ng::from_str(body))
        .unwrap_or(Value::Null))
}

/// `(logical id, type, physical id)` of every resource of the stack.
pub async fn resources(
    cfn: &Client,
    aws: &Aws,
    stack: &str,
) -> Result<Vec<(String, String, String)>> {
    let mut out = Vec::new();
    let mut pages = cfn
        .list_stack_resources()
        .stack_name(stack)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| aws.error("cloudformation", "ListStackResources", e))?;
        for r in page.stack_resource_summaries() {
            out.push((
                r.logical_resource_id().unwrap_or_default().to_string(),
                r.resource_type().unwrap_or_default().to_string(),
                r.physical_resource_id().unwrap_or_default().to_string(),
            ));
        }
    }
    Ok(out)
}

/// Deletes a stack and follows it to DELETE_COMPLETE (or a failure).
pub async fn delete(
    cfn: &Client,
    aws: &Aws,
    stack: &StackInfo,
    retain: &[String],
    poll: Poll,
    progress: &Progress<'_>,
) -> Result<Watched> {
    let marker = events::latest_event_id(cfn, aws, &stack.id).await?;
    let mut req = cfn.delete_stack().stack_name(&stack.id);
    for id in retain {
        req = req.retain_resources(id);
    }
    req.send()
        .await
        .map_err(|e| aws.error("cloudformation", "DeleteStack", e))?;
    progress.emit(Event::Operation {
        what: format!("deleting {}", stack.name),
    });
    let watched = events::watch(cfn, aws, &stack.id, marker, poll, progress).await;
    progress.emit(Event::OperationEnd);
    watched
}
