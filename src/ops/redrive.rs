//! Redriving discarded batches: for each on-failure record of the stack's
//! event source mappings, the batch's records are read back from the stream
//! by shard and sequence range and the mapping's function is invoked with
//! them, one batch at a time in sequence order per shard; the record is
//! deleted only after its batch succeeded. A batch whose records are past
//! the stream's retention is reported and its record kept; after a failed
//! batch the shard's later batches wait for the next run (order per shard).

use std::collections::BTreeMap;

use serde::Serialize;

use super::failures::{Destination, FailedBatch};
use super::mappings::{self, seq_cmp, Mapping, Outcome};
use super::reading;
use crate::aws::Aws;
use crate::error::Result;
use crate::io::Progress;

/// What happened to one discarded batch.
#[derive(Debug, Clone, Serialize)]
pub struct BatchResult {
    pub function: String,
    pub shard_id: String,
    pub start: String,
    pub end: String,
    pub records: usize,
    /// `redriven`, `would_redrive` (dry run), `beyond_retention`, `failed`
    /// or `waiting` (an earlier batch of the shard failed).
    pub result: &'static str,
    pub reason: Option<String>,
}

/// Redrives every discarded batch of `mapping` (or shows them with `dry_run`).
pub async fn redrive(
    aws: &Aws,
    mapping: &Mapping,
    destination: &str,
    dry_run: bool,
    progress: &Progress<'_>,
) -> Result<(Vec<BatchResult>, usize)> {
    let dest = Destination::new(aws, destination)?;
    let (batches, foreign) = dest.receive(&mapping.uuid).await?;
    // Per shard, in sequence order.
    let mut by_shard: BTreeMap<String, Vec<FailedBatch>> = BTreeMap::new();
    for b in batches {
        by_shard.entry(b.shard_id.clone()).or_default().push(b);
    }
    let role = if dry_run || by_shard.is_empty() {
        String::new()
    } else {
        mappings::role_of(aws, &mapping.function_arn).await?
    };
    let total: usize = by_shard.values().map(Vec::len).sum();
    let mut out = Vec::new();
    let mut keep = Vec::new();
    let foreign_count = foreign.len();
    keep.extend(foreign);
    for (shard, mut list) in by_shard {
        list.sort_by(|a, b| seq_cmp(&a.start, &b.start));
        let mut blocked = false;
        for b in list {
            let result = |result, records, reason: Option<String>| BatchResult {
                function: mapping.function_name().to_string(),
                shard_id: shard.clone(),
                start: b.start.clone(),
                end: b.end.clone(),
                records,
                result,
                reason,
            };
            if blocked {
                out.push(result("waiting", b.size, None));
                keep.push(b.handle);
                continue;
            }
            let records = reading::batch(aws, &b.stream_arn, &shard, &b.start, &b.end).await?;
            let Some(records) = records else {
                out.push(result(
                    "beyond_retention",
                    b.size,
                    Some(
                        "the records are no longer in the stream (retention period passed)".into(),
                    ),
                ));
                keep.push(b.handle);
                continue;
            };
            if dry_run {
                out.push(result("would_redrive", records.len(), None));
                keep.push(b.handle);
                continue;
            }
            let event = mappings::event(&records, &shard, &b.stream_arn, &aws.region, &role);
            match mappings::invoke(aws, &mapping.function_arn, &event).await? {
                Outcome::Ok => {
                    dest.delete(&b.handle).await?;
                    out.push(result("redriven", records.len(), None));
                }
                Outcome::Failed(reason) => {
                    blocked = true;
                    out.push(result("failed", records.len(), Some(reason)));
                    keep.push(b.handle);
                }
            }
            progress.message(format!(
                "{}/{total} batches: {shard} {}..{} {}",
                out.len(),
                b.start,
                b.end,
                out.last().map_or("", |r| r.result)
            ));
        }
    }
    for handle in &keep {
        dest.release(handle).await?;
    }
    Ok((out, foreign_count))
}
