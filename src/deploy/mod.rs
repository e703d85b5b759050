//! `deploy`: plan (change set), show, guard, confirm, execute, watch, summarize.
//!
//! A no-op deploy is detected client-side (same template, parameters and tags
//! as deployed) or through an empty change set that is deleted again; either
//! way it prints "no changes" and succeeds.

pub mod assets;
pub mod bucket_settings;
pub mod changeset;
pub mod ctrl_c;
pub mod destroy;
pub mod events;
pub mod guard;
pub mod params;
mod request;
pub mod retained;
mod settle;
pub mod stack;
pub mod tables;
mod tags;

use std::collections::BTreeMap;
use std::fmt;
use std::time::Instant;

use aws_sdk_cloudformation::Client;
use serde::Serialize;
use serde_json::Value;

use crate::aws::Aws;
use crate::cfn::change::Change;
use crate::cfn::setting;
use crate::cfn::status::Status;
use crate::error::{Error, Result};
use crate::io::Progress;
use crate::progress::Event;
use changeset::{ChangeSetRequest, TemplateSource};
use ctrl_c::CtrlC;
use stack::{Output, StackInfo};

pub use request::{DeployRequest, MAX_BODY};

/// What a deploy did: both `Display` (text) and `Serialize` (`--output json`).
#[derive(Debug, Clone, Serialize)]
pub struct DeployResult {
    pub stack: String,
    pub region: String,
    #[serde(rename = "outcome")]
    pub result: Outcome,
    pub changes: Vec<Change>,
    #[serde(serialize_with = "stack::outputs_as_map")]
    pub outputs: Vec<Output>,
    pub seconds: f64,
    /// `--no-execute`: the change set left for review (its ARN).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_set: Option<String>,
    /// Parameters whose value changes (shown as a progress event by
    /// `deploy`, part of the plan of `diff`).
    #[serde(skip)]
    pub parameter_changes: Vec<setting::SettingChange>,
    /// Stack tags whose value changes.
    #[serde(skip)]
    pub tag_changes: Vec<setting::SettingChange>,
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
    /// `--no-execute`: the change set was made and left for review.
    #[serde(rename = "change set created")]
    ChangeSetCreated,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::NoChanges => "no changes",
            Outcome::Planned => "planned",
            Outcome::ChangeSetCreated => "change set created",
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
        if let Some(cs) = &self.change_set {
            writeln!(
                f,
                "  review it, then execute it: aws cloudformation execute-change-set --region {} --change-set-name {cs}",
                self.region
            )?;
        }
        Ok(())
    }
}

/// Deploys one stack in `aws`'s region; with `--termination-protection`
/// turns it on once the stack is deployed (also when nothing else changed).
pub async fn deploy(
    aws: &Aws,
    req: &DeployRequest,
    progress: &Progress<'_>,
) -> Result<DeployResult> {
    let result = apply(aws, req, progress).await?;
    let deployed = matches!(
        result.result,
        Outcome::Created | Outcome::Updated | Outcome::NoChanges
    );
    if req.termination_protection && deployed {
        let cfn = aws.cloudformation();
        let info = stack::require(&cfn, aws, &req.stack).await?;
        if !info.termination_protection {
            stack::protect(&cfn, aws, &info.id).await?;
            progress.message(format!(
                "{}: termination protection on (destroy refuses the stack until it is turned off)",
                req.stack
            ));
        }
    }
    Ok(result)
}

/// Plan, show, guard, confirm, execute, watch.
async fn apply(aws: &Aws, req: &DeployRequest, progress: &Progress<'_>) -> Result<DeployResult> {
    let started = Instant::now();
    // Listened for from here on: a press at the prompt or while a call is in
    // flight is acted on (see `ctrl_c`), never a silent exit.
    let ctrl_c = CtrlC::listen();
    let cfn = aws.cloudformation();
    let existing = settle::settle(&cfn, aws, req, progress, &ctrl_c).await?;
    let body = serde_json::to_string(&req.template).map_err(|e| Error::Aws(e.to_string()))?;
    // A stack that was never created has no previous values to keep.
    let previous = existing
        .as_ref()
        .filter(|s| s.status != Status::ReviewInProgress)
        .map(|s| &s.parameters);
    // Deployed tags are kept unless removed with --remove-tag (issue 26, item 4).
    let req = &DeployRequest {
        tags: kept_tags(req, existing.as_ref().filter(|_| previous.is_some())),
        ..req.clone()
    };
    let done = |result: Outcome, changes: Vec<Change>, outputs: Vec<Output>| DeployResult {
        stack: req.stack.clone(),
        region: aws.region.clone(),
        result,
        changes,
        outputs,
        seconds: started.elapsed().as_secs_f64(),
        change_set: None,
        parameter_changes: Vec::new(),
        tag_changes: Vec::new(),
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
        role_arn: req.role_arn.clone(),
    };
    let mut cs = changeset::create(&cfn, aws, &cs_req, req.poll).await?;
    if ctrl_c.pressed() {
        return Err(cancelled(
            &cfn,
            aws,
            &cs,
            existing.as_ref(),
            &req.stack,
            "while its change set was made",
        )
        .await);
    }
    let (param_changes, tag_changes) = match (&existing, previous) {
        (Some(s), Some(prev)) => {
            let new_params = params::effective(&req.template, &req.parameters, previous);
            let new_tags: BTreeMap<String, String> = req.tags.iter().cloned().collect();
            (
                setting::diff(prev, &new_params),
                setting::diff(&s.tags, &new_tags),
            )
        }
        _ => (Vec::new(), Vec::new()),
    };
    // `diff` carries the changes in its result (stdout), not as progress.
    if !req.plan_only && (!param_changes.is_empty() || !tag_changes.is_empty()) {
        progress.emit(Event::Settings {
            stack: req.stack.clone(),
            parameters: param_changes.clone(),
            tags: tag_changes.clone(),
        });
    }
    let planned = |changes: Vec<Change>, outputs: Vec<Output>| DeployResult {
        parameter_changes: param_changes.clone(),
        tag_changes: tag_changes.clone(),
        ..done(Outcome::Planned, changes, outputs)
    };
    if cs.empty && !tag_changes.is_empty() {
        if let Some(s) = &existing {
            changeset::delete(&cfn, aws, &cs.id).await?;
            if req.plan_only {
                return Ok(planned(Vec::new(), s.outputs.clone()));
            }
            tags::apply(&cfn, aws, &s.id, req, &cs_req.parameters, progress, &ctrl_c).await?;
            let info = stack::require(&cfn, aws, &s.id).await?;
            return Ok(done(Outcome::Updated, Vec::new(), info.outputs));
        }
    }
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
    if req.plan_only {
        abandon(&cfn, aws, &cs, create).await?;
        let outputs = existing.map(|s| s.outputs).unwrap_or_default();
        return Ok(planned(cs.changes, outputs));
    }
    progress.emit(Event::Changeset {
        stack: req.stack.clone(),
        changes: cs.changes.clone(),
    });

    let refused = guard::refused(&cs.changes);
    if !refused.is_empty() && !req.allow_replacement {
        abandon(&cfn, aws, &cs, create).await?;
        let list: Vec<String> = refused
            .iter()
            .map(|(c, why)| format!("{} ({}) {why}", c.logical_id, c.resource_type))
            .collect();
        return Err(Error::BadInput(format!(
            "refusing to deploy {}: {}; nothing was changed. Pass --allow-replacement to accept that",
            req.stack,
            list.join("; ")
        )));
    }
    if req.no_execute {
        let outputs = existing.map(|s| s.outputs).unwrap_or_default();
        return Ok(DeployResult {
            change_set: Some(cs.id.clone()),
            ..done(Outcome::ChangeSetCreated, cs.changes, outputs)
        });
    }
    let question = format!(
        "Deploy {} change(s) to {} in {}?",
        cs.changes.len(),
        req.stack,
        aws.region
    );
    let confirmed = if req.yes {
        Ok(Some(true))
    } else {
        progress.confirm_or(&question, ctrl_c.wait()).await
    };
    match confirmed {
        Ok(Some(true)) if !ctrl_c.pressed() => {}
        Ok(Some(false)) => {
            abandon(&cfn, aws, &cs, create).await?;
            return Err(Error::BadInput(format!(
                "deploy of {} cancelled; nothing was changed",
                req.stack
            )));
        }
        Ok(_) => {
            return Err(cancelled(
                &cfn,
                aws,
                &cs,
                existing.as_ref(),
                &req.stack,
                "before its change set ran",
            )
            .await)
        }
        Err(e) => {
            abandon(&cfn, aws, &cs, create).await?;
            return Err(e);
        }
    }

    let marker = events::latest_event_id(&cfn, aws, &cs.stack_id).await?;
    if ctrl_c.pressed() {
        return Err(cancelled(
            &cfn,
            aws,
            &cs,
            existing.as_ref(),
            &req.stack,
            "before its change set ran",
        )
        .await);
    }
    // Not cut short by Ctrl-C: once sent, the stack changes whatever this
    // process does; a press now is answered by `follow` (state, re-attach).
    cfn.execute_change_set()
        .change_set_name(&cs.id)
        .send()
        .await
        .map_err(|e| aws.error("cloudformation", "ExecuteChangeSet", e))?;
    progress.emit(Event::Operation {
        what: format!("deploying {} in {}", req.stack, aws.region),
    });
    let watched = events::follow(
        &cfn,
        aws,
        &cs.stack_id,
        &req.stack,
        marker,
        req.poll,
        progress,
        &ctrl_c,
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

/// Before anything is written (buckets, uploads, change sets): fails with
/// every parameter that has no value, given the deployed stack's values (a
/// stack that will be created again has none). Read-only.
///
/// Returns the deployed stack's parameter values (`None` for a first deploy).
pub async fn preflight(aws: &Aws, req: &DeployRequest) -> Result<Option<BTreeMap<String, String>>> {
    let existing = stack::describe(&aws.cloudformation(), aws, &req.stack).await?;
    let previous = existing
        .filter(|s| s.status != Status::ReviewInProgress && !s.status.is_failed_create())
        .map(|s| s.parameters);
    params::require_all(&req.template, &req.parameters, previous.as_ref())?;
    Ok(previous)
}

/// The stack's tags after this deploy: the deployed ones (`deployed`), the
/// given ones over them, less `--remove-tag`; sorted by key.
fn kept_tags(req: &DeployRequest, deployed: Option<&StackInfo>) -> Vec<(String, String)> {
    let mut tags: BTreeMap<String, String> = deployed.map(|s| s.tags.clone()).unwrap_or_default();
    tags.extend(req.tags.iter().cloned());
    tags.retain(|k, _| !req.remove_tags.contains(k));
    tags.into_iter().collect()
}

/// Same template, same effective parameters, same tags.
fn unchanged(old_template: &Value, s: &StackInfo, req: &DeployRequest) -> bool {
    if old_template != &req.template || s.parameters.values().any(|v| v == "****") {
        return false;
    }
    let old = params::effective(&req.template, &[], Some(&s.parameters));
    let new = params::effective(&req.template, &req.parameters, Some(&s.parameters));
    let tags: BTreeMap<String, String> = req.tags.iter().cloned().collect();
    old == new && tags == s.tags
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

/// Ctrl-C before the change set ran: it is deleted (with the stack a first
/// create left in REVIEW_IN_PROGRESS), and one line says so, with the
/// stack's state and how to look at it.
async fn cancelled(
    cfn: &Client,
    aws: &Aws,
    cs: &changeset::ChangeSet,
    existing: Option<&StackInfo>,
    stack: &str,
    when: &str,
) -> Error {
    let region = &aws.region;
    // A stack that was never created (or only reviewed) goes with the change set.
    let create = existing.is_none_or(|s| s.status == Status::ReviewInProgress);
    let cleanup = match abandon(cfn, aws, cs, create).await {
        Ok(()) => "its change set was deleted".to_string(),
        Err(e) => format!("deleting its change set failed ({e}); delete it with `aws cloudformation delete-change-set --change-set-name {}`", cs.id),
    };
    let state = match existing.filter(|_| !create) {
        Some(s) => format!("stack {stack} is unchanged ({})", s.status),
        None => format!("stack {stack} was not created"),
    };
    Error::Interrupted(format!(
        "interrupted: deploy of {stack} cancelled {when}; nothing was deployed, {cleanup}; {state}; check with `streamkit status --stack-name {stack} --region {region}`"
    ))
}
