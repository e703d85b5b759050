//! The CloudFormation event stream: polling that starts fast and backs off,
//! terminal-state detection, and the root cause of a failure.

use std::collections::HashSet;
use std::time::Duration;

use aws_sdk_cloudformation::Client;

use crate::aws::Aws;
use crate::cfn::event::StackEvent;
use crate::cfn::status::Status;
use crate::error::{Error, Result};
use crate::io::Progress;
use crate::progress::Event;

use super::ctrl_c::CtrlC;

/// Poll delays: the first poll is immediate, then `initial`, growing by half
/// each time up to `max`.
#[derive(Debug, Clone, Copy)]
pub struct Poll {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for Poll {
    fn default() -> Self {
        Poll {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(10),
        }
    }
}

impl Poll {
    /// The delays in order (infinite).
    pub fn delays(self) -> impl Iterator<Item = Duration> {
        std::iter::once(Duration::ZERO).chain(std::iter::successors(Some(self.initial), move |d| {
            Some((*d * 3 / 2).min(self.max))
        }))
    }
}

/// The events of `stack` newer than `after` (an event id), oldest first.
pub async fn new_events(
    cfn: &Client,
    aws: &Aws,
    stack: &str,
    after: Option<&str>,
) -> Result<Vec<StackEvent>> {
    let mut out = Vec::new();
    let mut pages = cfn
        .describe_stack_events()
        .stack_name(stack)
        .into_paginator()
        .send();
    'pages: while let Some(page) = pages.next().await {
        let page = page.map_err(|e| aws.error("cloudformation", "DescribeStackEvents", e))?;
        for ev in page.stack_events() {
            let id = ev.event_id().unwrap_or_default();
            if Some(id) == after {
                break 'pages;
            }
            out.push(StackEvent {
                id: id.to_string(),
                stack: ev.stack_name().unwrap_or(stack).to_string(),
                time: ev.timestamp().map(|t| t.to_string()).unwrap_or_default(),
                logical_id: ev.logical_resource_id().unwrap_or_default().to_string(),
                resource_type: ev.resource_type().unwrap_or_default().to_string(),
                status: Status::from(ev.resource_status().map_or("", |s| s.as_str())),
                reason: ev.resource_status_reason().map(str::to_string),
            });
        }
        if after.is_none() {
            break; // only the newest page is needed to find the latest event
        }
    }
    out.reverse();
    Ok(out)
}

/// The id of the newest event, used as the starting marker of an operation.
pub async fn latest_event_id(cfn: &Client, aws: &Aws, stack: &str) -> Result<Option<String>> {
    let page = cfn
        .describe_stack_events()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| aws.error("cloudformation", "DescribeStackEvents", e))?;
    Ok(page
        .stack_events()
        .first()
        .and_then(|e| e.event_id())
        .map(str::to_string))
}

/// How a watched operation ended.
#[derive(Debug, Clone)]
pub struct Watched {
    pub status: Status,
    pub events: Vec<StackEvent>,
}

impl Watched {
    pub fn failed(&self) -> bool {
        self.status.is_failure()
    }
}

/// Follows the events of `stack` after `marker` until the stack itself
/// reaches a terminal status. `stack` should be the stack id so a finished
/// delete can still be read.
pub async fn watch(
    cfn: &Client,
    aws: &Aws,
    stack: &str,
    marker: Option<String>,
    poll: Poll,
    progress: &Progress<'_>,
) -> Result<Watched> {
    let mut seen: Vec<StackEvent> = Vec::new();
    let mut last = marker;
    let mut done: HashSet<String> = HashSet::new();
    let mut active: HashSet<String> = HashSet::new();
    for delay in poll.delays() {
        tokio::time::sleep(delay).await;
        let fresh = new_events(cfn, aws, stack, last.as_deref()).await?;
        let count = fresh.len();
        // A terminal stack event ends the operation only when it is the newest:
        // older ones (seen when attaching without a marker) closed earlier operations.
        for (i, ev) in fresh.into_iter().enumerate() {
            last = Some(ev.id.clone());
            if !ev.is_stack() {
                if ev.status.is_terminal() {
                    active.remove(&ev.logical_id);
                    done.insert(ev.logical_id.clone());
                } else {
                    active.insert(ev.logical_id.clone());
                }
            }
            progress.emit(Event::Resource {
                stack: ev.stack.clone(),
                time: ev.time.clone(),
                logical_id: ev.logical_id.clone(),
                resource_type: ev.resource_type.clone(),
                status: ev.status.clone(),
                reason: ev.reason.clone(),
                counts: (done.len(), active.len()),
            });
            let finished = (i + 1 == count && ev.is_stack() && ev.status.is_terminal())
                .then(|| ev.status.clone());
            seen.push(ev);
            if let Some(status) = finished {
                return Ok(Watched {
                    status,
                    events: seen,
                });
            }
        }
    }
    Err(Error::Deploy("the event stream ended unexpectedly".into()))
}

/// The first resource failure that is not a cancellation, else the first failure.
pub fn root_cause(events: &[StackEvent]) -> Option<&StackEvent> {
    let failed = |e: &&StackEvent| e.status.is_failed() && !e.is_stack();
    events
        .iter()
        .filter(failed)
        .find(|e| !e.is_cancellation())
        .or_else(|| events.iter().find(|e| e.status.is_failed()))
}

/// What to run next after an operation ended in `status`.
pub fn next_step(status: &Status, stack: &str, cause: Option<&StackEvent>) -> String {
    match status {
        Status::RollbackComplete | Status::RollbackFailed | Status::CreateFailed => format!(
            "fix the cause, then run `streamkit deploy --stack-name {stack} --yes`: the failed stack is deleted and created again"
        ),
        Status::UpdateRollbackFailed => format!(
            "run `streamkit deploy --stack-name {stack} --skip-resources {}` to finish the rollback, skipping resources that cannot roll back, then deploy again",
            cause.map(|c| c.logical_id.as_str()).unwrap_or("LOGICAL_ID")
        ),
        Status::DeleteFailed => format!(
            "fix the cause (a data bucket that is not empty needs `--delete-data`), then run `streamkit destroy --stack-name {stack}` again"
        ),
        _ => format!(
            "the stack is back to its previous state; fix the cause and run `streamkit deploy --stack-name {stack}` again"
        ),
    }
}

/// The one-paragraph failure message: status, root cause, next step.
pub fn failure_message(stack: &str, watched: &Watched) -> String {
    let cause = root_cause(&watched.events);
    let what = match cause {
        Some(c) => format!(
            "root cause: {} ({}) {}: {}",
            c.logical_id,
            c.resource_type,
            c.status,
            c.reason.as_deref().unwrap_or("no reason given")
        ),
        None => "no resource failure was reported".to_string(),
    };
    format!(
        "stack {stack} ended in {}; {what}; next: {}",
        watched.status,
        next_step(&watched.status, stack, cause)
    )
}

/// Follows an operation; Ctrl-C (`ctrl_c`, also a press before this was
/// called) stops watching (not the stack) and says, in one line, the stack's
/// state and how to re-attach.
#[allow(clippy::too_many_arguments)]
pub async fn follow(
    cfn: &Client,
    aws: &Aws,
    stack_id: &str,
    name: &str,
    marker: Option<String>,
    poll: Poll,
    progress: &Progress<'_>,
    ctrl_c: &CtrlC,
) -> Result<Watched> {
    let result = tokio::select! {
        biased;
        _ = ctrl_c.wait() => Err(interrupted(cfn, aws, stack_id, name).await),
        r = watch(cfn, aws, stack_id, marker, poll, progress) => r,
    };
    progress.emit(Event::OperationEnd);
    result
}

/// Ctrl-C once an operation runs: the stack's state (read now) and the
/// command that re-attaches to it.
pub async fn interrupted(cfn: &Client, aws: &Aws, stack_id: &str, name: &str) -> Error {
    // DescribeStacks here (not `stack::describe`, which imports this module).
    let state = cfn
        .describe_stacks()
        .stack_name(stack_id)
        .send()
        .await
        .ok()
        .and_then(|r| {
            let status = r.stacks().first()?.stack_status()?.as_str().to_string();
            Some(format!(" is {status} and"))
        })
        .unwrap_or_default();
    let region = &aws.region;
    Error::Interrupted(format!(
        "interrupted: stack {name}{state} keeps going in CloudFormation ({region}); re-attach with `streamkit status --watch --stack-name {name} --region {region}`"
    ))
}
