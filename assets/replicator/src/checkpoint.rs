//! One checkpoint item per stream *and* shard (and replicating region),
//! written conditionally so it never moves backwards.
//!
//! The table is a global table shared by both regions, and both regions'
//! streams have the same shard ids, so the stored range key is
//! `<source region>#<shard id>`: after a failover the two regions' replicators
//! never overwrite (or compare sequence numbers against) each other's items.

use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;
use streamkit_core::error::sdk_message;

use crate::ReplicatorError;

/// Width of the zero-padded sequence number used for comparisons
/// (Kinesis sequence numbers have at most 129 digits).
const SEQUENCE_KEY_WIDTH: usize = 130;

/// The replication progress of one shard.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    pub stream_name: String,
    pub shard_id: String,
    /// Last replicated sequence number.
    pub sequence_number: String,
    /// Its approximate arrival time (seconds since the epoch).
    pub approximate_arrival: Option<f64>,
    /// Latest `commitTimestamp` seen in the replicated JSON payloads.
    pub commit_timestamp: Option<String>,
    /// Region that replicated it.
    pub source_region: String,
    /// Records replicated so far (over all batches).
    pub records_replicated: u64,
}

/// The zero-padded form compared in the condition expression.
pub fn sequence_key(sequence_number: &str) -> String {
    format!(
        "{:0>width$}",
        sequence_number.trim_start_matches('0'),
        width = SEQUENCE_KEY_WIDTH
    )
}

/// The stored range key of a checkpoint: `<source region>#<shard id>`.
pub fn item_key(source_region: &str, shard_id: &str) -> String {
    format!("{source_region}#{shard_id}")
}

/// Advances the checkpoint of `cp.shard_id` to `cp.sequence_number` unless
/// it is already there or further; adds `batch_records` to the counter.
/// Returns whether it moved.
pub async fn advance(
    ddb: &aws_sdk_dynamodb::Client,
    table: &str,
    cp: &Checkpoint,
    batch_records: u64,
) -> Result<bool, ReplicatorError> {
    let mut set = "SET sequenceNumber = :sn, sequenceKey = :sk, sourceRegion = :r, updatedAt = :u"
        .to_string();
    let mut req = ddb
        .update_item()
        .table_name(table)
        .key("streamName", AttributeValue::S(cp.stream_name.clone()))
        .key(
            "shardId",
            AttributeValue::S(item_key(&cp.source_region, &cp.shard_id)),
        )
        .condition_expression("attribute_not_exists(sequenceKey) OR sequenceKey < :sk")
        .expression_attribute_values(":sn", AttributeValue::S(cp.sequence_number.clone()))
        .expression_attribute_values(":sk", AttributeValue::S(sequence_key(&cp.sequence_number)))
        .expression_attribute_values(":r", AttributeValue::S(cp.source_region.clone()))
        .expression_attribute_values(":u", AttributeValue::S(chrono::Utc::now().to_rfc3339()))
        .expression_attribute_values(":n", AttributeValue::N(batch_records.to_string()));
    if let Some(at) = cp.approximate_arrival {
        set.push_str(", approximateArrivalTimestamp = :at");
        req = req.expression_attribute_values(":at", AttributeValue::N(format!("{at:.3}")));
    }
    if let Some(ts) = &cp.commit_timestamp {
        set.push_str(", commitTimestamp = :ct");
        req = req.expression_attribute_values(":ct", AttributeValue::S(ts.clone()));
    }
    match req
        .update_expression(format!("{set} ADD recordsReplicated :n"))
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
        {
            Ok(false)
        }
        Err(e) => Err(ReplicatorError::DynamoDb {
            operation: "UpdateItem",
            table: table.into(),
            message: sdk_message(&e),
        }),
    }
}

/// The last sequence number `source_region` replicated from `shard_id`
/// (strongly consistent), if any.
pub async fn last_sequence(
    ddb: &aws_sdk_dynamodb::Client,
    table: &str,
    stream: &str,
    source_region: &str,
    shard_id: &str,
) -> Result<Option<String>, ReplicatorError> {
    let resp = ddb
        .get_item()
        .table_name(table)
        .key("streamName", AttributeValue::S(stream.into()))
        .key(
            "shardId",
            AttributeValue::S(item_key(source_region, shard_id)),
        )
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| ReplicatorError::DynamoDb {
            operation: "GetItem",
            table: table.into(),
            message: sdk_message(&e),
        })?;
    Ok(resp
        .item()
        .map(from_item)
        .map(|cp| cp.sequence_number)
        .filter(|s| !s.is_empty()))
}

/// All shard checkpoints of a stream, of every replicating region (callers
/// filter by `source_region`).
pub async fn read_all(
    ddb: &aws_sdk_dynamodb::Client,
    table: &str,
    stream: &str,
) -> Result<Vec<Checkpoint>, ReplicatorError> {
    let mut out = Vec::new();
    let mut start: Option<HashMap<String, AttributeValue>> = None;
    loop {
        let resp = ddb
            .query()
            .table_name(table)
            .key_condition_expression("streamName = :s")
            .expression_attribute_values(":s", AttributeValue::S(stream.into()))
            .consistent_read(true)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(|e| ReplicatorError::DynamoDb {
                operation: "Query",
                table: table.into(),
                message: sdk_message(&e),
            })?;
        out.extend(resp.items().iter().map(from_item));
        match resp.last_evaluated_key() {
            Some(k) if !k.is_empty() => start = Some(k.clone()),
            _ => break,
        }
    }
    Ok(out)
}

fn from_item(item: &HashMap<String, AttributeValue>) -> Checkpoint {
    let s = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
    let n = |k: &str| {
        item.get(k)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse::<f64>().ok())
    };
    let stored = s("shardId").unwrap_or_default();
    let shard_id = match stored.split_once('#') {
        Some((_, shard)) => shard.to_string(),
        None => stored,
    };
    Checkpoint {
        stream_name: s("streamName").unwrap_or_default(),
        shard_id,
        sequence_number: s("sequenceNumber").unwrap_or_default(),
        approximate_arrival: n("approximateArrivalTimestamp"),
        commit_timestamp: s("commitTimestamp"),
        source_region: s("sourceRegion").unwrap_or_default(),
        records_replicated: n("recordsReplicated").unwrap_or(0.0) as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_have_separate_checkpoint_items() {
        assert_eq!(
            item_key("us-east-1", "shardId-000000000000"),
            "us-east-1#shardId-000000000000"
        );
        assert_ne!(
            item_key("us-east-1", "shardId-000000000000"),
            item_key("us-west-2", "shardId-000000000000")
        );
        let item: HashMap<String, AttributeValue> = [
            ("streamName", "s"),
            ("shardId", "us-west-2#shardId-000000000001"),
            ("sourceRegion", "us-west-2"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), AttributeValue::S(v.into())))
        .collect();
        let cp = from_item(&item);
        assert_eq!(cp.shard_id, "shardId-000000000001");
        assert_eq!(cp.source_region, "us-west-2");
    }

    #[test]
    fn sequence_keys_order_like_numbers() {
        assert!(sequence_key("9") < sequence_key("10"));
        assert!(
            sequence_key("49545115243490985018280067714973144582180062593244200961")
                > sequence_key("4954511524349098501828006771497314458218006259324420096")
        );
        assert_eq!(sequence_key("007"), sequence_key("7"));
    }
}
