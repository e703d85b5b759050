//! Before a change set: an existing stack brought into a state one can be
//! made against (an operation in progress waited for, a failed create
//! deleted after confirmation, a REVIEW_IN_PROGRESS stack without resources
//! deleted, a failed update rollback continued).

use aws_sdk_cloudformation::Client;

use super::ctrl_c::CtrlC;
use super::events::{self, follow};
use super::request::DeployRequest;
use super::stack::{self, StackInfo};
use crate::aws::Aws;
use crate::cfn::status::Status;
use crate::error::{Error, Result};
use crate::io::Progress;

/// Brings an existing stack into a state a change set can be made against:
/// waits for an operation in progress, recreates after a failed create,
/// continues a failed update rollback.
pub(super) async fn settle(
    cfn: &Client,
    aws: &Aws,
    req: &DeployRequest,
    progress: &Progress<'_>,
    ctrl_c: &CtrlC,
) -> Result<Option<StackInfo>> {
    let Some(mut s) = stack::describe(cfn, aws, &req.stack).await? else {
        return Ok(None);
    };
    if s.status.in_progress() && s.status != Status::ReviewInProgress {
        progress.message(format!(
            "{} is {}; waiting for that operation to finish",
            s.name, s.status
        ));
        follow(cfn, aws, &s.id, &s.name, None, req.poll, progress, ctrl_c).await?;
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
        Status::ReviewInProgress if !req.plan_only => {
            if !stack::resources(cfn, aws, &s.id).await?.is_empty() {
                return Err(Error::Deploy(format!(
                    "{} is REVIEW_IN_PROGRESS and has resources (an import?); next: execute or delete its change set in the console",
                    s.name
                )));
            }
            progress.message(format!(
                "{} is REVIEW_IN_PROGRESS with no resources (a first create that failed or was abandoned); deleting it and creating it again",
                s.name
            ));
            let watched = stack::delete(cfn, aws, &s, &[], req.poll, progress).await?;
            if watched.status != Status::DeleteComplete {
                return Err(Error::Deploy(events::failure_message(&s.name, &watched)));
            }
            Ok(None)
        }
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
            let watched =
                follow(cfn, aws, &s.id, &s.name, marker, req.poll, progress, ctrl_c).await?;
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
