//! Reading a shard's records back with GetShardIterator and GetRecords: a
//! discarded batch by its sequence range (AT_SEQUENCE_NUMBER), or a time
//! window (AT_TIMESTAMP), in shard order.

use std::cmp::Ordering;

use aws_sdk_kinesis::primitives::DateTime;
use aws_sdk_kinesis::types::{Record, ShardIteratorType};

use super::mappings::{seq_cmp, stream_name};
use crate::aws::Aws;
use crate::error::Result;

/// GetRecords pages with nothing new before a read counts as caught up.
const EMPTY_PAGES: usize = 3;

fn client(aws: &Aws) -> aws_sdk_kinesis::Client {
    aws_sdk_kinesis::Client::new(&aws.config)
}

/// The records `start..=end` of a shard, or `None` when some are no longer
/// in the stream (past its retention period, or the shard is gone).
pub async fn batch(
    aws: &Aws,
    stream_arn: &str,
    shard_id: &str,
    start: &str,
    end: &str,
) -> Result<Option<Vec<Record>>> {
    let kinesis = client(aws);
    let iterator = match kinesis
        .get_shard_iterator()
        // Name and ARN: AWS accepts either or both (moto 5.2.1 needed the name).
        .stream_name(stream_name(stream_arn)?)
        .stream_arn(stream_arn)
        .shard_id(shard_id)
        .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
        .starting_sequence_number(start)
        .send()
        .await
    {
        Ok(r) => r.shard_iterator,
        Err(e) => {
            let code = e.as_service_error().and_then(|s| {
                aws_sdk_kinesis::error::ProvideErrorMetadata::code(s).map(str::to_string)
            });
            if matches!(
                code.as_deref(),
                Some("ResourceNotFoundException" | "InvalidArgumentException")
            ) {
                return Ok(None);
            }
            return Err(aws.error("kinesis", "GetShardIterator", e));
        }
    };
    let records = read(aws, iterator, |r| {
        seq_cmp(r.sequence_number(), end) != Ordering::Greater
    })
    .await?;
    let complete = records
        .first()
        .is_some_and(|r| seq_cmp(r.sequence_number(), start) == Ordering::Equal)
        && records
            .last()
            .is_some_and(|r| seq_cmp(r.sequence_number(), end) == Ordering::Equal);
    Ok(complete.then_some(records))
}

/// The records of a shard that arrived in `[from, to)`.
pub async fn window(
    aws: &Aws,
    stream_arn: &str,
    shard_id: &str,
    from: DateTime,
    to: DateTime,
) -> Result<Vec<Record>> {
    let iterator = client(aws)
        .get_shard_iterator()
        .stream_name(stream_name(stream_arn)?)
        .stream_arn(stream_arn)
        .shard_id(shard_id)
        .shard_iterator_type(ShardIteratorType::AtTimestamp)
        .timestamp(from)
        .send()
        .await
        .map_err(|e| aws.error("kinesis", "GetShardIterator", e))?
        .shard_iterator;
    let to_millis = to.to_millis().unwrap_or(i64::MAX);
    read(aws, iterator, |r| {
        r.approximate_arrival_timestamp()
            .and_then(|t| t.to_millis().ok())
            .is_some_and(|t| t < to_millis)
    })
    .await
}

/// Reads from `iterator` while `keep` accepts the records (stops at the
/// first it refuses, the shard's end, or when caught up).
async fn read(
    aws: &Aws,
    mut iterator: Option<String>,
    keep: impl Fn(&Record) -> bool,
) -> Result<Vec<Record>> {
    let kinesis = client(aws);
    let mut out = Vec::new();
    let mut empty = 0;
    while let Some(it) = iterator {
        let page = kinesis
            .get_records()
            .shard_iterator(&it)
            .limit(10_000)
            .send()
            .await
            .map_err(|e| aws.error("kinesis", "GetRecords", e))?;
        for r in page.records() {
            if !keep(r) {
                return Ok(out);
            }
            out.push(r.clone());
        }
        if page.records().is_empty() {
            empty += 1;
            if empty >= EMPTY_PAGES || page.millis_behind_latest() == Some(0) {
                return Ok(out);
            }
        } else {
            empty = 0;
        }
        iterator = page.next_shard_iterator().map(str::to_string);
    }
    Ok(out)
}

/// Every shard of the stream (closed ones too), parents before children.
pub async fn shards(aws: &Aws, stream_arn: &str) -> Result<Vec<String>> {
    let kinesis = client(aws);
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut req = kinesis.list_shards();
        req = match &token {
            Some(t) => req.next_token(t),
            None => req.stream_arn(stream_arn),
        };
        let page = req
            .send()
            .await
            .map_err(|e| aws.error("kinesis", "ListShards", e))?;
        out.extend(page.shards().iter().map(|s| s.shard_id().to_string()));
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    // Shard ids grow with each split or merge: a child's id is above its parents'.
    out.sort();
    Ok(out)
}
