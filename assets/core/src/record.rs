//! One record as read from a stream, whichever way it was read (a Lambda
//! event or a GetRecords call).

use crate::lambda_event::KinesisEventRecord;

/// A Kinesis record with its bytes untouched.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamRecord {
    pub shard_id: String,
    pub sequence_number: String,
    pub partition_key: String,
    pub data: Vec<u8>,
    /// Approximate arrival time in the stream, seconds since the epoch.
    pub approximate_arrival: Option<f64>,
}

impl StreamRecord {
    /// From a Lambda Kinesis event record; the shard comes from `eventID`
    /// (`shardId-000000000000:4954...`).
    pub fn from_lambda(record: &KinesisEventRecord) -> StreamRecord {
        let shard_id = record
            .event_id
            .as_deref()
            .and_then(|id| id.split_once(':').map(|(shard, _)| shard.to_string()))
            .unwrap_or_default();
        StreamRecord {
            shard_id,
            sequence_number: record.kinesis.sequence_number.clone(),
            partition_key: record.kinesis.partition_key.clone(),
            data: record.kinesis.data.clone(),
            approximate_arrival: record.kinesis.approximate_arrival_timestamp,
        }
    }

    /// From a GetRecords result.
    pub fn from_sdk(shard_id: &str, record: aws_sdk_kinesis::types::Record) -> StreamRecord {
        let approximate_arrival = record
            .approximate_arrival_timestamp()
            .map(|t| t.as_secs_f64());
        StreamRecord {
            shard_id: shard_id.to_string(),
            sequence_number: record.sequence_number,
            partition_key: record.partition_key.unwrap_or_default(),
            data: record.data.into_inner(),
            approximate_arrival,
        }
    }
}

/// Sequence numbers are decimal strings of varying length: compare them as numbers.
pub fn cmp_sequence(a: &str, b: &str) -> std::cmp::Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}
