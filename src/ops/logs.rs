//! A stack's logs: every `AWS::Logs::LogGroup` of the stack (each function's
//! `<Id>LogGroup`, API access logs, Firehose and Flink groups), read with
//! FilterLogEvents and interleaved by time, each line named by its source
//! (the group's logical id without `LogGroup`).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::aws::Aws;
use crate::deploy::stack;
use crate::error::Result;

/// One log event.
#[derive(Debug, Clone, Serialize)]
pub struct LogLine {
    /// Milliseconds since the epoch (first: lines sort by time).
    #[serde(skip)]
    pub millis: i64,
    /// RFC 3339, UTC, milliseconds.
    pub time: String,
    pub source: String,
    pub message: String,
    #[serde(skip)]
    pub id: String,
}

/// A log group of the stack and where the next read starts.
#[derive(Debug, Clone)]
pub struct Group {
    pub source: String,
    pub name: String,
    /// The newest event time read, and the ids read at that time (a later
    /// read starts there, so nothing is skipped or printed twice).
    after: i64,
    seen: BTreeSet<String>,
}

/// The stack's log groups, by source name.
pub async fn groups(aws: &Aws, stack_id: &str) -> Result<Vec<Group>> {
    let cfn = aws.cloudformation();
    let mut out: Vec<Group> = stack::resources(&cfn, aws, stack_id)
        .await?
        .into_iter()
        .filter(|(_, kind, physical)| kind == "AWS::Logs::LogGroup" && !physical.is_empty())
        .map(|(logical, _, physical)| Group {
            source: logical
                .strip_suffix("LogGroup")
                .filter(|s| !s.is_empty())
                .unwrap_or(&logical)
                .to_string(),
            name: physical,
            after: 0,
            seen: BTreeSet::new(),
        })
        .collect();
    out.sort_by(|a, b| a.source.cmp(&b.source));
    Ok(out)
}

/// The events of every group since `start_millis` (or since the last read
/// of that group), containing `filter` when given, sorted by time.
pub async fn read(
    aws: &Aws,
    groups: &mut [Group],
    start_millis: i64,
    filter: Option<&str>,
) -> Result<Vec<LogLine>> {
    let logs = aws_sdk_cloudwatchlogs::Client::new(&aws.config);
    let mut out = Vec::new();
    for g in groups.iter_mut() {
        let from = g.after.max(start_millis);
        let mut token: Option<String> = None;
        let mut newest: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
        loop {
            let page = match logs
                .filter_log_events()
                .log_group_name(&g.name)
                .start_time(from)
                .set_next_token(token.clone())
                .send()
                .await
            {
                Ok(p) => p,
                // A group with no stream yet (a function never invoked).
                Err(e) if is_missing(&e) => break,
                Err(e) => return Err(aws.error("logs", "FilterLogEvents", e)),
            };
            for e in page.events() {
                let millis = e.timestamp().unwrap_or_default();
                let id = e.event_id().unwrap_or_default().to_string();
                if millis < from || (millis == g.after && g.seen.contains(&id)) {
                    continue;
                }
                newest.entry(millis).or_default().insert(id.clone());
                let message = e.message().unwrap_or_default().trim_end().to_string();
                if filter.is_some_and(|f| !message.contains(f)) {
                    continue;
                }
                out.push(LogLine {
                    millis,
                    time: rfc3339(millis),
                    source: g.source.clone(),
                    message,
                    id,
                });
            }
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        if let Some((&last, ids)) = newest.iter().next_back() {
            if last == g.after {
                g.seen.extend(ids.iter().cloned());
            } else {
                g.after = last;
                g.seen = ids.clone();
            }
        }
    }
    // Stable: lines of one source at the same millisecond keep their order.
    out.sort_by(|a, b| (a.millis, &a.source).cmp(&(b.millis, &b.source)));
    Ok(out)
}

fn is_missing<E, R>(e: &aws_sdk_cloudwatchlogs::error::SdkError<E, R>) -> bool
where
    E: aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata,
{
    e.as_service_error()
        .and_then(|s| s.code())
        .is_some_and(|c| c == "ResourceNotFoundException")
}

fn rfc3339(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

/// Parses a `--since` age: a number and a unit, `s`, `m`, `h` or `d`
/// (e.g. `10m`); milliseconds.
pub fn parse_age(text: &str) -> std::result::Result<i64, String> {
    let bad = || format!("'{text}' is not an age: a number and s, m, h or d (e.g. 10m, 2h)");
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let n: i64 = number.parse().map_err(|_| bad())?;
    let per = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(bad()),
    };
    if n <= 0 {
        return Err(bad());
    }
    Ok(n * per)
}
