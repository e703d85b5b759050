//! Where a shard's parents and siblings come from: ListShards of the event's
//! stream in Lambda ([`KinesisTopology`]), the poller's view locally (a
//! fixed map, [`Topology`] for `BTreeMap`). Asked at a shard's first commit.

use std::collections::BTreeMap;
use std::future::Future;

use crate::error::sdk_message;
use crate::poller::{list_shards, ShardInfo};
use crate::record::cmp_sequence;
use crate::CoreError;

/// The stream's shards with their parents.
pub trait Topology: Sync {
    /// Every shard of the stream with its parents.
    fn shards(&self) -> impl Future<Output = Result<Vec<ShardInfo>, CoreError>> + Send;

    /// How many records the shard holds before `sequence_number` (asked at
    /// a shard's first commit, with the first record the processor got: a
    /// mapping that started at LATEST skipped them). None known by default.
    fn records_before(
        &self,
        _shard_id: &str,
        _sequence_number: &str,
    ) -> impl Future<Output = Result<u64, CoreError>> + Send {
        async { Ok(0) }
    }
}

/// A fixed shard graph (shard → parents; every shard of the stream listed).
impl Topology for BTreeMap<String, Vec<String>> {
    async fn shards(&self) -> Result<Vec<ShardInfo>, CoreError> {
        Ok(self
            .iter()
            .map(|(id, parents)| ShardInfo {
                shard_id: id.clone(),
                parents: parents.clone(),
            })
            .collect())
    }
}

/// Parents from ListShards of the event's stream.
pub struct KinesisTopology<'a> {
    pub client: &'a aws_sdk_kinesis::Client,
    pub stream: String,
}

/// GetRecords pages read at most looking for records before a shard's first
/// delivered one (AWS may return empty pages before the tip).
const MAX_PAGES_BEFORE_START: usize = 20;

impl Topology for KinesisTopology<'_> {
    async fn shards(&self) -> Result<Vec<ShardInfo>, CoreError> {
        list_shards(self.client, &self.stream).await
    }

    /// Reads the shard from TRIM_HORIZON up to `sequence_number` (at most
    /// [`MAX_PAGES_BEFORE_START`] pages) and counts the records before it.
    async fn records_before(
        &self,
        shard_id: &str,
        sequence_number: &str,
    ) -> Result<u64, CoreError> {
        use aws_sdk_kinesis::types::ShardIteratorType;
        let call = |operation: &'static str, message: String| CoreError::Kinesis {
            operation,
            stream: self.stream.clone(),
            message,
        };
        let mut iterator = self
            .client
            .get_shard_iterator()
            .stream_name(&self.stream)
            .shard_id(shard_id)
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .map_err(|e| call("GetShardIterator", sdk_message(&e)))?
            .shard_iterator;
        let mut before = 0u64;
        for _ in 0..MAX_PAGES_BEFORE_START {
            let Some(it) = iterator.take() else { break };
            let page = self
                .client
                .get_records()
                .shard_iterator(it)
                .limit(10_000)
                .send()
                .await
                .map_err(|e| call("GetRecords", sdk_message(&e)))?;
            for r in page.records() {
                if cmp_sequence(r.sequence_number(), sequence_number).is_lt() {
                    before += 1;
                } else {
                    return Ok(before);
                }
            }
            if page.millis_behind_latest() == Some(0) && page.records().is_empty() {
                break;
            }
            iterator = page.next_shard_iterator().map(String::from);
        }
        Ok(before)
    }
}

/// The stream name in an event source ARN (`arn:aws:kinesis:r:a:stream/NAME`).
pub fn stream_name(arn: &str) -> &str {
    arn.rsplit_once("stream/").map_or(arn, |(_, name)| name)
}
