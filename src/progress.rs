//! Progress as a typed event stream: every step a long command reports, one
//! enum. Commands and the deployer emit events through [`crate::io::Progress`];
//! the I/O object draws them (a live view on a terminal, one plain line each
//! otherwise) or writes them as NDJSON (`--output json`, the `event` key names
//! the variant).
//!
//! JSON form of each event (one line each; `stack` is the stack name):
//!
//! | `event` | fields |
//! |---|---|
//! | `message` | `message` |
//! | `warning` | `message` |
//! | `error` | `message` (a failure beside the command's own, e.g. one region of several) |
//! | `preflight` | `report` (as `streamkit preflight --output json`'s line) |
//! | `cost_estimate` | `estimate` (see `cost::estimate::Comparison`) |
//! | `object` | `object`: `bucket`, `key`, `state` (`uploaded`/`unchanged`), `bytes` |
//! | `changeset` | `stack`, `changes`: [`action`, `logical_id`, `resource_type`, `replacement`] |
//! | `settings` | `stack`, `parameters`, `tags`: [`key`, `old`, `new`] (changed values; `null` = absent) |
//! | `resource` | `stack`, `time`, `logical_id`, `type`, `status`, `reason` |
//! | `building` | `packages`, `profile`, `target` |
//! | `compiled` | `krate` |
//! | `packaging` | `total` |
//! | `packaged` | `asset`, `file`, `size` |
//! | `rendered` | `stack` |
//! | `retry` | `message` |
//! | `replication_progress` | `progress`: `seconds`, `regions` (per region as in `local replicate`'s result) |
//! | `local_emulator` | `endpoint`, `pid`, `log` (`local up` started the emulator) |
//! | `local_place` | `what` (`output`, `api`, `bucket`, `log group`, `env`, `send`: a ready `aws kinesis put-record` line per stream), `name`, `value` |
//! | `local_summary` | `summary`: `seconds`, `streams`/`buckets` [`name`, `count`], `functions` [`name`, `invocations`, `errors`, `iterator_age_ms`], `alarms` |
//!
//! `operation` and `operation_end` (a stack operation starts and ends: the live
//! view's spinner) are drawn but never written as JSON.

use serde::Serialize;

use crate::cfn::change::{Change, ChangeTable};
use crate::cfn::setting::{SettingChange, SettingsTable};
use crate::cfn::status::Status;
use crate::cost::estimate::Comparison;
use crate::deploy::assets::Published;
use crate::local::summary::Summary;
use crate::replication::tally::ReplicationProgress;

/// One step of a long command.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A status line, e.g. `orders: no changes`.
    Message { message: String },
    /// Something to know that does not stop the command.
    Warning { message: String },
    /// A failure beside the command's own error (one region of several).
    Error { message: String },
    /// `deploy`'s IAM preflight, before any change.
    Preflight {
        report: Box<crate::preflight::PreflightReport>,
    },
    /// `deploy`'s cost estimate, before any AWS call.
    CostEstimate { estimate: Comparison },
    /// One object `publish` handled.
    Object { object: Published },
    /// The changes a change set makes.
    Changeset { stack: String, changes: Vec<Change> },
    /// Parameters and tags a deploy changes (old -> new).
    Settings {
        stack: String,
        parameters: Vec<SettingChange>,
        tags: Vec<SettingChange>,
    },
    /// A stack operation starts (`deploying orders in us-east-1`).
    Operation { what: String },
    /// One CloudFormation event of the stack being followed.
    Resource {
        stack: String,
        time: String,
        logical_id: String,
        #[serde(rename = "type")]
        resource_type: String,
        status: Status,
        reason: Option<String>,
        /// Resources finished and still in progress so far (live view only).
        #[serde(skip)]
        counts: (usize, usize),
    },
    /// The stack operation ended (or watching it stopped).
    OperationEnd,
    /// `build-dist`: cargo is about to build these packages.
    Building {
        packages: usize,
        profile: String,
        target: String,
    },
    /// `build-dist`: cargo finished one crate.
    Compiled { krate: String },
    /// `build-dist`: this many zips and templates are about to be written.
    Packaging { total: usize },
    /// `build-dist`: one zip was written.
    Packaged {
        asset: String,
        file: String,
        size: u64,
    },
    /// `build-dist`: one template was written.
    Rendered { stack: String },
    /// A call is tried again after a wait (`local replicate`).
    Retry { message: String },
    /// `local replicate`: the totals so far, every `--interval` seconds.
    ReplicationProgress { progress: ReplicationProgress },
    /// `local up`: the emulator answers.
    LocalEmulator {
        endpoint: String,
        pid: u32,
        log: String,
    },
    /// `local up`: where to look at the deployed stack.
    LocalPlace {
        what: String,
        name: String,
        value: String,
    },
    /// `local up`: the live summary, every few seconds.
    LocalSummary { summary: Summary },
}

impl Event {
    /// A status line.
    pub fn message(text: impl Into<String>) -> Event {
        Event::Message {
            message: text.into(),
        }
    }

    /// Whether the event is written with `--output json`.
    pub fn in_json(&self) -> bool {
        !matches!(self, Event::Operation { .. } | Event::OperationEnd)
    }

    /// The plain line of the event (no line for purely visual steps).
    /// `elapsed` is the age of the current operation in seconds.
    pub fn line(&self, elapsed: u64, warning: &str) -> Option<String> {
        Some(match self {
            Event::Message { message } | Event::Retry { message } => message.clone(),
            Event::Warning { message } => format!("{warning}: {message}"),
            Event::Error { message } => format!("error: {message}"),
            Event::CostEstimate { estimate } => estimate.summary(),
            Event::Preflight { report } => report.to_string(),
            Event::Object { object } => format!(
                "{:<9} s3://{}/{} ({} bytes)",
                object.state, object.bucket, object.key, object.bytes
            ),
            Event::Changeset { changes, .. } => ChangeTable(changes).to_string(),
            Event::Settings {
                parameters, tags, ..
            } => SettingsTable { parameters, tags }.to_string(),
            Event::Operation { what } => what.clone(),
            Event::Resource {
                logical_id,
                resource_type,
                status,
                reason,
                ..
            } => {
                let reason = reason
                    .as_deref()
                    .map(|r| format!("  {r}"))
                    .unwrap_or_default();
                format!("{elapsed:>4}s {status:<28} {resource_type:<36} {logical_id}{reason}")
            }
            Event::Building {
                packages,
                profile,
                target,
            } => format!("building {packages} asset crates (cargo --profile {profile}, {target})"),
            Event::Packaged { asset, file, size } => {
                format!("packaged {asset}: {file} ({})", human_size(*size))
            }
            Event::Rendered { stack } => format!("rendered {stack}.template"),
            Event::LocalEmulator { endpoint, pid, log } => {
                format!("emulator on {endpoint} (pid {pid}, log {log})")
            }
            Event::LocalPlace { what, name, value } if name.is_empty() => {
                format!("{what:<10} {value}")
            }
            Event::LocalPlace { what, name, value } => format!("{what:<10} {name} = {value}"),
            Event::LocalSummary { summary } => summary.to_string(),
            Event::ReplicationProgress { progress } => progress.to_string(),
            Event::OperationEnd | Event::Compiled { .. } | Event::Packaging { .. } => return None,
        })
    }
}

/// `1234567` -> `1.2 MiB`.
pub fn human_size(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if b >= KIB * KIB {
        format!("{:.1} MiB", b / KIB / KIB)
    } else if b >= KIB {
        format!("{:.1} KiB", b / KIB)
    } else {
        format!("{bytes} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_human() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(2048), "2.0 KiB");
        assert_eq!(human_size(5 * 1024 * 1024 + 100_000), "5.1 MiB");
    }

    #[test]
    fn json_names_the_event_and_keeps_counts_out() {
        let e = Event::Resource {
            stack: "s".into(),
            time: "t".into(),
            logical_id: "Stream".into(),
            resource_type: "AWS::Kinesis::Stream".into(),
            status: Status::CreateComplete,
            reason: None,
            counts: (1, 2),
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"event": "resource", "stack": "s", "time": "t", "logical_id": "Stream",
                "type": "AWS::Kinesis::Stream", "status": "CREATE_COMPLETE", "reason": null})
        );
        assert_eq!(
            e.line(7, "warning").unwrap(),
            "   7s CREATE_COMPLETE              AWS::Kinesis::Stream                 Stream"
        );
        assert!(!Event::OperationEnd.in_json());
    }
}
