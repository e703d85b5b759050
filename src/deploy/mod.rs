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
pub mod ui;

use std::collections::BTreeMap;
use std::fmt;
use std::time::Instant;

use aws_sdk_cloudformation::Client;
use serde::Serialize;
use serde_json::{json, Value};

use crate::aws::Aws;
use crate::error::{Error, Result};
use changeset::{Change, ChangeSetRequest, TemplateSource};
use events::{Poll, Watched};
use stack::{Output, StackInfo};
use ui::Ui;

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
    /// `created`, `updated`, `no changes` or `planned` (diff).
    pub result: String,
    pub changes: Vec<Change>,
    pub outputs: Vec<Output>,
    pub seconds: f64,
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
pub async fn deploy(aws: &Aws, req: &DeployRequest, ui: &mut Ui<'_>) -> Result<DeployResult> {
    let started = Instant::now();
    let cfn = aws.cloudformation();
    let existing = settle(&cfn, aws, req, ui).await?;
    let body = serde_json::to_string(&req.template).map_err(|e| Error::Aws(e.to_string()))?;
    let previous = existing.as_ref().map(|s| &s.parameters);
    let done = |result: &str, changes: Vec<Change>, outputs: Vec<Output>| DeployResult {
        stack: req.stack.clone(),
        region: aws.region.clone(),
        result: result.to_string(),
        changes,
        outputs,
        seconds: started.elapsed().as_secs_f64(),
    };

    let old_template = match &existing {
        Some(s) if s.status != "REVIEW_IN_PROGRESS" => {
            Some(stack::template(&cfn, aws, &s.id).await?)
        }
        _ => None,
    };
    if let (Some(s), Some(old)) = (&existing, &old_template) {
        if unchanged(old, s, req) {
            ui.info(&format!("{}: no changes", req.stack));
            return Ok(done("no changes", Vec::new(), s.outputs.clone()));
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
        .is_none_or(|s| s.status == "REVIEW_IN_PROGRESS");
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
        ui.info(&format!("{}: no changes", req.stack));
        let outputs = existing.map(|s| s.outputs).unwrap_or_default();
        return Ok(done("no changes", Vec::new(), outputs));
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
    show_changes(ui, &req.stack, &cs.changes)?;
    if req.plan_only {
        abandon(&cfn, aws, &cs, create).await?;
        let outputs = existing.map(|s| s.outputs).unwrap_or_default();
        return Ok(done("planned", cs.changes, outputs));
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
    match ui.confirm(&question) {
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
    ui.start_progress(&format!("deploying {} in {}", req.stack, aws.region));
    let watched = follow(&cfn, aws, &cs.stack_id, &req.stack, marker, req.poll, ui).await?;
    if watched.failed() {
        return Err(Error::Deploy(events::failure_message(&req.stack, &watched)));
    }
    let info = stack::require(&cfn, aws, &cs.stack_id).await?;
    let result = if create { "created" } else { "updated" };
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
    ui: &mut Ui<'_>,
) -> Result<Watched> {
    let result = tokio::select! {
        r = events::watch(cfn, aws, stack_id, marker, poll, ui) => r,
        _ = tokio::signal::ctrl_c() => Err(Error::Interrupted(format!(
            "interrupted: stack {name} keeps going in CloudFormation ({}); re-attach with `streamkit status --watch --stack-name {name} --region {}`",
            aws.region, aws.region
        ))),
    };
    ui.finish_progress();
    result
}

/// Brings an existing stack into a state a change set can be made against:
/// waits for an operation in progress, recreates after a failed create,
/// continues a failed update rollback.
async fn settle(
    cfn: &Client,
    aws: &Aws,
    req: &DeployRequest,
    ui: &mut Ui<'_>,
) -> Result<Option<StackInfo>> {
    let Some(mut s) = stack::describe(cfn, aws, &req.stack).await? else {
        return Ok(None);
    };
    if !events::is_terminal(&s.status) && s.status != "REVIEW_IN_PROGRESS" {
        ui.info(&format!(
            "{} is {}; waiting for that operation to finish",
            s.name, s.status
        ));
        follow(cfn, aws, &s.id, &s.name, None, req.poll, ui).await?;
        s = stack::require(cfn, aws, &s.id).await?;
    }
    let stuck = [
        "ROLLBACK_COMPLETE",
        "ROLLBACK_FAILED",
        "UPDATE_ROLLBACK_FAILED",
    ];
    if req.plan_only && stuck.contains(&s.status.as_str()) {
        return Err(Error::Deploy(format!(
            "{} is {}; nothing to compare against. next: {}",
            s.name,
            s.status,
            events::next_step(&s.status, &s.name, None)
        )));
    }
    match s.status.as_str() {
        "ROLLBACK_COMPLETE" | "ROLLBACK_FAILED" => {
            let q = format!("{} is {} after a failed create and cannot be updated; delete it and create it again?", s.name, s.status);
            if !ui.confirm(&q)? {
                return Err(Error::BadInput(format!(
                    "{} left as {}; nothing was changed",
                    s.name, s.status
                )));
            }
            let watched = stack::delete(cfn, aws, &s, &[], req.poll, ui).await?;
            if watched.status != "DELETE_COMPLETE" {
                return Err(Error::Deploy(events::failure_message(&s.name, &watched)));
            }
            Ok(None)
        }
        "UPDATE_ROLLBACK_FAILED" => {
            ui.info(&format!(
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
            let watched = follow(cfn, aws, &s.id, &s.name, marker, req.poll, ui).await?;
            if watched.status != "UPDATE_ROLLBACK_COMPLETE" {
                return Err(Error::Deploy(events::failure_message(&s.name, &watched)));
            }
            stack::describe(cfn, aws, &s.id).await
        }
        "DELETE_FAILED" => Err(Error::Deploy(format!(
            "{} is DELETE_FAILED ({}); next: {}",
            s.name,
            s.reason.clone().unwrap_or_default(),
            events::next_step("DELETE_FAILED", &s.name, None)
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

fn show_changes(ui: &mut Ui<'_>, stack: &str, changes: &[Change]) -> Result<()> {
    if ui.json {
        ui.json_line(&json!({ "event": "changeset", "stack": stack, "changes": changes }))
    } else {
        ui.info(&changeset::table(changes));
        Ok(())
    }
}
