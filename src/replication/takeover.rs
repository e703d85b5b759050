//! How `streamkit failover` knows the new active region took over, without
//! waiting for new traffic: the flip is read back from the config item, and
//! the new active region's replicator has caught up when its checkpoints
//! cover every record that arrived in its stream since the flip, as the
//! stream stood [`SETTLE`] after the flip (records in flight at the flip have
//! landed by then): per shard, the last record read with an `AT_TIMESTAMP`
//! iterator at `activeSince`. Records that arrived
//! before the flip are copies from the other region and are never sent, so
//! with no traffic since the flip there is nothing to wait for.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_kinesis::primitives::DateTime;
use aws_sdk_kinesis::types::ShardIteratorType;
use serde::Serialize;
use streamkit_core::poller::list_shards;
use streamkit_replicator::checkpoint::{self, sequence_key};

use super::{core_error, XrStack};
use crate::error::{Error, Result};

/// How long after the flip the new active stream's tip is taken.
pub const SETTLE: Duration = Duration::from_secs(1);

/// GetRecords calls per shard while looking for its tip (AWS may return
/// empty pages before the tip; the emulator never does).
const MAX_PAGES: usize = 100;

/// The new active region's replicator caught up.
#[derive(Debug, Clone, Serialize)]
pub struct Takeover {
    /// Seconds from the read-back of the flip until the checkpoints covered
    /// every record that had arrived since the flip (at least [`SETTLE`]).
    pub seconds: f64,
    /// Records that had arrived in the new active region's stream within
    /// [`SETTLE`] of the flip (its replicator had to send these).
    pub records_since_flip: u64,
    /// Shards holding such records.
    pub shards: usize,
}

/// Per shard of `region`'s stream, the last record that arrived at or after
/// `since` (shard id -> sequence number), and how many there are.
pub async fn arrived_since(
    xr: &XrStack,
    region: &str,
    since: f64,
) -> Result<(BTreeMap<String, String>, u64)> {
    let aws = xr.aws_of(region)?;
    let kinesis = aws_sdk_kinesis::Client::new(&aws.config);
    let mut last = BTreeMap::new();
    let mut count = 0;
    let at = DateTime::from_millis((since * 1000.0) as i64);
    for shard in list_shards(&kinesis, &xr.stream)
        .await
        .map_err(core_error)?
    {
        let it = kinesis
            .get_shard_iterator()
            .stream_name(&xr.stream)
            .shard_id(&shard.shard_id)
            .shard_iterator_type(ShardIteratorType::AtTimestamp)
            .timestamp(at)
            .send()
            .await
            .map_err(|e| aws.error("kinesis", "GetShardIterator", e))?;
        let mut iterator = it.shard_iterator().map(str::to_string);
        for _ in 0..MAX_PAGES {
            let Some(current) = iterator.take() else {
                break;
            };
            let page = kinesis
                .get_records()
                .shard_iterator(current)
                .limit(10_000)
                .send()
                .await
                .map_err(|e| aws.error("kinesis", "GetRecords", e))?;
            count += page.records().len() as u64;
            if let Some(r) = page.records().last() {
                last.insert(shard.shard_id.clone(), r.sequence_number().to_string());
            } else if page.millis_behind_latest().unwrap_or(0) == 0 {
                break;
            }
            iterator = page.next_shard_iterator().map(str::to_string);
        }
    }
    Ok((last, count))
}

/// Waits until `region`'s checkpoints reach, on every shard, the last record
/// that arrived since `since` (see the module docs).
pub async fn wait_caught_up(
    xr: &XrStack,
    region: &str,
    since: f64,
    timeout: Duration,
) -> Result<Takeover> {
    let start = Instant::now();
    let settle = since + SETTLE.as_secs_f64() - super::now_secs();
    if settle > 0.0 {
        tokio::time::sleep(Duration::from_secs_f64(settle)).await;
    }
    let (targets, records) = arrived_since(xr, region, since).await?;
    let aws = xr.aws_of(region)?;
    let ddb = aws_sdk_dynamodb::Client::new(&aws.config);
    loop {
        let cps: BTreeMap<String, String> =
            checkpoint::read_all(&ddb, &xr.checkpoint_table, &xr.stream)
                .await
                .map_err(core_error)?
                .into_iter()
                .filter(|c| c.source_region == region)
                .map(|c| (c.shard_id, c.sequence_number))
                .collect();
        let behind: Vec<&String> = targets
            .iter()
            .filter(|(shard, seq)| {
                cps.get(*shard)
                    .is_none_or(|cp| sequence_key(cp) < sequence_key(seq))
            })
            .map(|(shard, _)| shard)
            .collect();
        if behind.is_empty() {
            return Ok(Takeover {
                seconds: start.elapsed().as_secs_f64(),
                records_since_flip: records,
                shards: targets.len(),
            });
        }
        if start.elapsed() >= timeout {
            return Err(Error::Aws(format!(
                "the flip is done and read back ({region} is active), but {records} records arrived in {region}'s stream since the flip and its replicator's checkpoints did not reach them within {}s (--wait-timeout; shards {}); is the replicator running (`streamkit local replicate`, or the Lambda's event source mapping)? Check `streamkit replication status`",
                timeout.as_secs(),
                behind.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            )));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
