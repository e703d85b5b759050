//! `deploy`: plan (change set), show, guard, confirm, execute, watch, summarize.
//!
//! A no-op deploy is detected client-side (same template, parameters and tags
//! as deployed) or through an empty change set that is deleted again; either
//! way it prints "no changes" and succeeds.

pub mod assets;
pub mod changeset;
pub mod destroy;
pub mod events;
pub mod guard;
pub mod params;
pub mod stack;

use std::collections::BTreeMap;
use std::fmt;
use std::time::Instant;

use aws_sdk_cloudformation::Client;
use serde::Serialize;
use serde_json::Value;

use crate::aws::Aws;
use crate::cfn::change::Change;
use crate::cfn::status::Status;
use crate::error::{Error, Result};
use crate::io::Progress;
use crate::progress::Event;
use changeset::{ChangeSetRequest, TemplateSource};
use events::{Poll, Watched};
use stack::{Output, StackInfo};

/// Templates larger than this go to CloudFormation through S3.
pub const MAX_BODY: usize = 51_200;

/// One stack deployment.
#[derive(Debug, Clone)]
pub struct DeployRequest {
    pub stack: String,
    pub template: Value,
    pub parameters: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
    pub allow_replacement: bool,
    /// Do not ask before changing the stack (`--yes`).
    pub yes: bool,
    /// Resources to skip when continuing an UPDATE_ROLLBACK_FAILED rollback.
    pub skip_resources: Vec<String>,
    /// Bucket and key prefix for templates over [`MAX_BODY`].
    pub template_bucket: Option<(String, String)>,
    pub poll: Poll,
    /// Only show the change set, then delete it (`streamkit diff`).
    pub plan_only: bool,
}

/// What a deploy did: both `Display` (text) and `Serialize` (`--output json`).
#[derive(Debug, Clone, Serialize)]
pub struct DeployResult {
    pub stack: String,
    pub region: String,
    pub result: Outcome,
    pub changes: Vec<Change>,
    pub outputs: Vec<Output>,
    pub seconds: f64,
}

/// What became of the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Outcome {
    #[serde(rename = "created")]
    Created,
    #[serde(rename = "updated")]
    Updated,
    #[serde(rename = "no changes")]
    NoChanges,
    /// `diff`: the change set was shown, then deleted.
    #[serde(rename = "planned")]
    Planned,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::NoChanges => "no changes",
            Outcome::Planned => "planned",
        })
    }
}

impl fmt::Display for DeployResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} ({}): {} in {:.1}s",
            self.stack, self.region, self.result, self.seconds
        )?;
        for o in &self.outputs {
            writeln!(f, "  {} = {}", o.key, o.value)?;
        }
        Ok(())
    }
}

/// Deploys one stack in `aws`'s region.
pub async fn deploy(
    aws: &Aws,
    req: &DeployRequest,
    progress: &Progress<'_>,
) -> Result<DeployResult> {
    let started = Instant::now();
    let cfn = aws.cloudformation();
    let existing = settle(&cfn, aws, req, progress).await?;
    let body = serde_json::to_string(&req.template).map_err(|e| Error::Aws(e.to_string()))?;
    let previous = existing.as_ref().map(|s| &s.parameters);
    let done = |result: Outcome, changes: Vec<Change>, outputs: Vec<Output>| DeployResult {
        stack: req.stack.clone(),
        region: aws.region.clone(),
        result,
        changes,
        outputs,
        seconds: started.elapsed().as_secs_f64(),
    };

    let old_template = match &existing {
        Some(s) if s.status != Status::ReviewInProgress => {
            Some(stack::template(&cfn, aws, &s.id).await?)
        }
        _ => None,
    };
    if let (Some(s), Some(old)) = (&existing, &old_template) {
        if unchanged(old, s, req) {
            progress.message(format!("{}: no changes", req.stack));
            return Ok(done(Outcome::NoChanges, Vec::new(), s.outputs.clone()));
        }
    }

    params::require_all(&req.template, &req.parameters, previous)?;
    let template = match (&req.template_bucket, body.len() > MAX_BODY) {
        (Some((bucket, prefix)), true) => TemplateSource::Url(
            assets::upload_template(aws, bucket, prefix, &req.stack, &body).await?,
        ),
        _ => TemplateSource::Body(body),
    };
    let create = existing
        .as_ref()
        .is_none_or(|s| s.status == Status::ReviewInProgress);
    let cs_req = ChangeSetRequest {
        stack: req.stack.clone(),
        template,
        parameters: params::to_send(&req.template, &req.parameters, previous),
        tags: req.tags.clone(),
        create,
    };
    let mut cs = changeset::create(&cfn, aws, &cs_req, req.poll).await?;
    if cs.empty {
        changeset::delete(&cfn, aws, &cs.id).await?;
        progress.message(format!("{}: no changes", req.stack));
        let outputs = existing.map(|s| s.outputs).unwrap_or_default();
        return Ok(done(Outcome::NoChanges, Vec::new(), outputs));
    }
    if let (Some(s), Some(old)) = (&existing, &old_template) {
        let new_params = params::effective(&req.template, &req.parameters, previous);
        let sides = guard::Sides {
            old_template: old,
            old_params: &s.parameters,
            new_template: &req.template,
            new_params: &new_params,
        };
        guard::mark_replacements(&mut cs.changes, &sides);
    }
    progress.emit(Event::Changeset {
        stack: req.stack.clone(),
        changes: cs.changes.clone(),
    });
    if req.plan_only {
        abandon(&cfn, aws, &cs, create).await?;
        let outputs = existing.map(|s| s.outputs).unwrap_or_default();
        return Ok(done(Outcome::Planned, cs.changes, outputs));
    }

    let refused = guard::refused(&cs.changes);
    if !refused.is_empty() && !req.allow_replacement {
        abandon(&cfn, aws, &cs, create).await?;
        let list: Vec<String> = refused
            .iter()
            .map(|(c, why)| format!("{} ({}) {why}", c.logical_id, c.resource_type))
            .collect();
        return Err(Error::BadInput(format!(
            "refusing to deploy {}: {}, losing its data; nothing was changed. Pass --allow-replacement to accept that",
            req.stack,
            list.join("; ")
        )));
    }
    let question = format!(
        "Deploy {} change(s) to {} in {}?",
        cs.changes.len(),
        req.stack,
        aws.region
    );
    let confirmed = if req.yes {
        Ok(true)
    } else {
        progress.confirm(&question)
    };
    match confirmed {
        Ok(true) => {}
        Ok(false) => {
            abandon(&cfn, aws, &cs, create).await?;
            return Err(Error::BadInput(format!(
                "deploy of {} cancelled; nothing was changed",
                req.stack
            )));
        }
        Err(e) => {
            abandon(&cfn, aws, &cs, create).await?;
            return Err(e);
        }
    }

    let marker = events::latest_event_id(&cfn, aws, &cs.stack_id).await?;
    cfn.execute_change_set()
        .change_set_name(&cs.id)
        .send()
        .await
        .map_err(|e| aws.error("cloudformation", "ExecuteChangeSet", e))?;
    progress.emit(Event::Operation {
        what: format!("deploying {} in {}", req.stack, aws.region),
    });
    let watched = follow(
        &cfn,
        aws,
        &cs.stack_id,
        &req.stack,
        marker,
        req.poll,
        progress,
    )
    .await?;
    if watched.failed() {
        return Err(Error::Deploy(events::failure_message(&req.stack, &watched)));
    }
    let info = stack::require(&cfn, aws, &cs.stack_id).await?;
    let result = if create {
        Outcome::Created
    } else {
        Outcome::Updated
    };
    Ok(done(result, cs.changes, info.outputs))
}

/// Follows an operation; Ctrl-C stops watching (not the stack) and says how to re-attach.
pub async fn follow(
    cfn: &Client,
    aws: &Aws,
    stack_id: &str,
    name: &str,
    marker: Option<String>,
    poll: Poll,
    progress: &Progress<'_>,
) -> Result<Watched> {
    let result = tokio::select! {
        r = events::watch(cfn, aws, stack_id, marker, poll, progress) => r,
        _ = tokio::signal::ctrl_c() => Err(Error::Interrupted(format!(
            "interrupted: stack {name} keeps going in CloudFormation ({}); re-attach with `streamkit status --watch --stack-name {name} --region {}`",
            aws.region, aws.region
        ))),
    };
    progress.emit(Event::OperationEnd);
    result
}

/// Brings an existing stack into a state a change set can be made against:
/// waits for an operation in progress, recreates after a failed create,
/// continues a failed update rollback.
async fn settle(
    cfn: &Client,
    aws: &Aws,
    req: &DeployRequest,
    progress: &Progress<'_>,
) -> Result<Option<StackInfo>> {
    let Some(mut s) = stack::describe(cfn, aws, &req.stack).await? else {
        return Ok(None);
    };
    if s.status.in_progress() && s.status != Status::ReviewInProgress {
        progress.message(format!(
            "{} is {}; waiting for that operation to finish",
            s.name, s.status
        ));
        follow(cfn, aws, &s.id, &s.name, None, req.poll, progress).await?;
        s = stack::require(cfn, aws, &s.id).await?;
    }
    let stuck = s.status.is_failed_create() || s.status == Status::UpdateRollbackFailed;
    if req.plan_only && stuck {
        return Err(Error::Deploy(format!(
            "{} is {}; nothing to compare against. next: {}",
            s.name,
            s.status,
            events::next_step(&s.status, &s.name, None)
        )));
    }
    match s.status {
        Status::RollbackComplete | Status::RollbackFailed => {
            let q = format!("{} is {} after a failed create and cannot be updated; delete it and create it again?", s.name, s.status);
            if !req.yes && !progress.confirm(&q)? {
                return Err(Error::BadInput(format!(
                    "{} left as {}; nothing was changed",
                    s.name, s.status
                )));
            }
            let watched = stack::delete(cfn, aws, &s, &[], req.poll, progress).await?;
            if watched.status != Status::DeleteComplete {
                return Err(Error::Deploy(events::failure_message(&s.name, &watched)));
            }
            Ok(None)
        }
        Status::UpdateRollbackFailed => {
            progress.message(format!(
                "{} is UPDATE_ROLLBACK_FAILED; continuing the rollback{}",
                s.name,
                if req.skip_resources.is_empty() {
                    String::new()
                } else {
                    format!(" skipping {}", req.skip_resources.join(", "))
                }
            ));
            let marker = events::latest_event_id(cfn, aws, &s.id).await?;
            cfn.continue_update_rollback()
                .stack_name(&s.id)
                .set_resources_to_skip(Some(req.skip_resources.clone()).filter(|v| !v.is_empty()))
                .send()
                .await
                .map_err(|e| aws.error("cloudformation", "ContinueUpdateRollback", e))?;
            let watched = follow(cfn, aws, &s.id, &s.name, marker, req.poll, progress).await?;
            if watched.status != Status::UpdateRollbackComplete {
                return Err(Error::Deploy(events::failure_message(&s.name, &watched)));
            }
            stack::describe(cfn, aws, &s.id).await
        }
        Status::DeleteFailed => Err(Error::Deploy(format!(
            "{} is DELETE_FAILED ({}); next: {}",
            s.name,
            s.reason.clone().unwrap_or_default(),
            events::next_step(&Status::DeleteFailed, &s.name, None)
        ))),
        _ => Ok(Some(s)),
    }
}

/// Same template, same effective parameters, requested tags already set.
fn unchanged(old_template: &Value, s: &StackInfo, req: &DeployRequest) -> bool {
    if old_template != &req.template || s.parameters.values().any(|v| v == "****") {
        return false;
    }
    let old = params::effective(&req.template, &[], Some(&s.parameters));
    let new = params::effective(&req.template, &req.parameters, Some(&s.parameters));
    let tags: BTreeMap<&str, &str> = req
        .tags
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    old == new
        && tags
            .iter()
            .all(|(k, v)| s.tags.get(*k).map(String::as_str) == Some(*v))
}

/// Deletes a change set that will not run; a new stack left in
/// REVIEW_IN_PROGRESS by it is deleted too.
async fn abandon(cfn: &Client, aws: &Aws, cs: &changeset::ChangeSet, create: bool) -> Result<()> {
    changeset::delete(cfn, aws, &cs.id).await?;
    if create {
        cfn.delete_stack()
            .stack_name(&cs.stack_id)
            .send()
            .await
            .map_err(|e| aws.error("cloudformation", "DeleteStack", e))?;
    }
    Ok(())
}
