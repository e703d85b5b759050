//! Replaying a time range: the records of every shard that arrived in
//! `[from, to)` (AT_TIMESTAMP reads) go through the mapping's function again,
//! in batches of the mapping's BatchSize, in order per shard, parents before
//! children. What that does to a stack's output is the function's business:
//! idempotent sinks make it safe (see the README, per stack).

use aws_sdk_kinesis::primitives::DateTime;
use serde::Serialize;

use super::mappings::{self, Mapping, Outcome};
use super::reading;
use crate::aws::Aws;
use crate::error::Result;
use crate::io::Progress;

/// One shard's replay.
#[derive(Debug, Clone, Serialize)]
pub struct ShardReplay {
    pub function: String,
    pub shard_id: String,
    pub records: usize,
    pub invocations: usize,
    /// Why the shard's replay stopped early (a failed invocation).
    pub failed: Option<String>,
}

pub async fn replay(
    aws: &Aws,
    mapping: &Mapping,
    from: DateTime,
    to: DateTime,
    progress: &Progress<'_>,
) -> Result<Vec<ShardReplay>> {
    let role = mappings::role_of(aws, &mapping.function_arn).await?;
    let mut out = Vec::new();
    for shard in reading::shards(aws, &mapping.stream_arn).await? {
        let records = reading::window(aws, &mapping.stream_arn, &shard, from, to).await?;
        let mut done = ShardReplay {
            function: mapping.function_name().to_string(),
            shard_id: shard.clone(),
            records: 0,
            invocations: 0,
            failed: None,
        };
        for chunk in records.chunks(mapping.batch_size) {
            let event = mappings::event(chunk, &shard, &mapping.stream_arn, &aws.region, &role);
            done.invocations += 1;
            match mappings::invoke(aws, &mapping.function_arn, &event).await? {
                Outcome::Ok => done.records += chunk.len(),
                Outcome::Failed(reason) => {
                    done.failed = Some(reason);
                    break;
                }
            }
            progress.message(format!(
                "{} {shard}: {}/{} records replayed",
                done.function,
                done.records,
                records.len()
            ));
        }
        out.push(done);
    }
    Ok(out)
}
