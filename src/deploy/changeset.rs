//! Change sets: create with an explicit type, wait, list the changes, delete.

use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::types::{
    Capability, ChangeSetStatus, ChangeSetType, Parameter, ResourceChange, Tag,
};
use aws_sdk_cloudformation::Client;

use crate::aws::Aws;
use crate::cfn::change::{Change, ChangeAction, Replacement};
use crate::error::{Error, Result};

use super::events::Poll;

/// Where CloudFormation reads the template from.
#[derive(Debug, Clone)]
pub enum TemplateSource {
    Body(String),
    Url(String),
}

/// What to put in a change set.
#[derive(Debug, Clone)]
pub struct ChangeSetRequest {
    pub stack: String,
    pub template: TemplateSource,
    /// Parameter values; `None` keeps the deployed value.
    pub parameters: Vec<(String, Option<String>)>,
    pub tags: Vec<(String, String)>,
    /// CREATE for a new stack (or one in REVIEW_IN_PROGRESS), else UPDATE.
    pub create: bool,
    /// The service role CloudFormation acts with (`--role-arn`).
    pub role_arn: Option<String>,
}

/// A created change set.
#[derive(Debug, Clone)]
pub struct ChangeSet {
    pub id: String,
    pub stack_id: String,
    /// The change set found nothing to do.
    pub empty: bool,
    pub changes: Vec<Change>,
}

/// Creates the change set and waits until it is ready or has failed.
pub async fn create(
    cfn: &Client,
    aws: &Aws,
    req: &ChangeSetRequest,
    poll: Poll,
) -> Result<ChangeSet> {
    let name = format!(
        "streamkit-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default()
    );
    let mut call = cfn
        .create_change_set()
        .stack_name(&req.stack)
        .change_set_name(&name)
        .change_set_type(if req.create {
            ChangeSetType::Create
        } else {
            ChangeSetType::Update
        })
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam)
        .description("created by streamkit deploy")
        .set_role_arn(req.role_arn.clone());
    call = match &req.template {
        TemplateSource::Body(b) => call.template_body(b),
        TemplateSource::Url(u) => call.template_url(u),
    };
    for (key, value) in &req.parameters {
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
    let resp = match call.send().await {
        Ok(r) => r,
        // Some endpoints refuse an identical update outright instead of
        // creating a FAILED change set: nothing was created, nothing to delete.
        Err(e) if e.message().is_some_and(is_no_change) => {
            return Ok(ChangeSet {
                id: String::new(),
                stack_id: req.stack.clone(),
                empty: true,
                changes: Vec::new(),
            });
        }
        Err(e) => return Err(aws.error("cloudformation", "CreateChangeSet", e)),
    };
    let id = resp.id().unwrap_or(&name).to_string();
    let stack_id = resp.stack_id().unwrap_or(&req.stack).to_string();
    for delay in poll.delays() {
        tokio::time::sleep(delay).await;
        let d = cfn
            .describe_change_set()
            .change_set_name(&id)
            .send()
            .await
            .map_err(|e| aws.error("cloudformation", "DescribeChangeSet", e))?;
        match d.status() {
            Some(ChangeSetStatus::CreateComplete) => {
                let changes = list_changes(cfn, aws, &id).await?;
                return Ok(ChangeSet {
                    id,
                    stack_id,
                    // A ready change set runs even without resource changes (parameter- or
                    // tag-only updates on some endpoints); "nothing to do" is FAILED.
                    empty: false,
                    changes,
                });
            }
            Some(ChangeSetStatus::Failed) => {
                let reason = d.status_reason().unwrap_or_default().to_string();
                if is_no_change(&reason) {
                    return Ok(ChangeSet {
                        id,
                        stack_id,
                        empty: true,
                        changes: Vec::new(),
                    });
                }
                let _ = delete(cfn, aws, &id).await;
                return Err(Error::Deploy(format!(
                    "CloudFormation rejected the change set for {}: {reason}",
                    req.stack
                )));
            }
            _ => continue,
        }
    }
    Err(Error::Deploy(
        "change set polling ended unexpectedly".into(),
    ))
}

/// CloudFormation's ways of saying "nothing to do".
pub fn is_no_change(reason: &str) -> bool {
    reason.contains("didn't contain changes") || reason.contains("No updates are to be performed")
}

async fn list_changes(cfn: &Client, aws: &Aws, id: &str) -> Result<Vec<Change>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let d = cfn
            .describe_change_set()
            .change_set_name(id)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| aws.error("cloudformation", "DescribeChangeSet", e))?;
        out.extend(
            d.changes()
                .iter()
                .filter_map(|c| c.resource_change())
                .map(to_change),
        );
        token = d.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}

fn to_change(rc: &ResourceChange) -> Change {
    Change {
        action: ChangeAction::from(rc.action().map_or("", |a| a.as_str())),
        logical_id: rc.logical_resource_id().unwrap_or_default().to_string(),
        resource_type: rc.resource_type().unwrap_or_default().to_string(),
        replacement: rc
            .replacement()
            .and_then(|r| Replacement::parse(r.as_str())),
    }
}

/// Deletes a change set (by id; an empty id means none was created).
pub async fn delete(cfn: &Client, aws: &Aws, id: &str) -> Result<()> {
    if id.is_empty() {
        return Ok(());
    }
    cfn.delete_change_set()
        .change_set_name(id)
        .send()
        .await
        .map_err(|e| aws.error("cloudformation", "DeleteChangeSet", e))?;
    Ok(())
}
