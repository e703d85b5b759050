//! Reading a stream back with GetRecords, every shard from the trim horizon.

use std::time::{Duration, SystemTime};

/// One record read back with GetRecords.
#[derive(Debug, Clone)]
pub struct Got {
    pub data: Vec<u8>,
    pub partition_key: String,
    pub arrival: SystemTime,
}

/// Every record of every shard, from the trim horizon, in shard order.
pub async fn read_stream(kinesis: &aws_sdk_kinesis::Client, stream: &str) -> Vec<Got> {
    use aws_sdk_kinesis::types::ShardIteratorType;
    let shards = kinesis
        .list_shards()
        .stream_name(stream)
        .send()
        .await
        .expect("ListShards");
    let mut out = Vec::new();
    for shard in shards.shards() {
        let mut iterator = kinesis
            .get_shard_iterator()
            .stream_name(stream)
            .shard_id(shard.shard_id())
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .expect("GetShardIterator")
            .shard_iterator
            .expect("iterator");
        loop {
            let page = kinesis
                .get_records()
                .shard_iterator(&iterator)
                .limit(10_000)
                .send()
                .await
                .expect("GetRecords");
            if page.records().is_empty() {
                break;
            }
            for r in page.records() {
                let arrival = r.approximate_arrival_timestamp().expect("arrival");
                out.push(Got {
                    data: r.data().as_ref().to_vec(),
                    partition_key: r.partition_key().unwrap_or_default().to_string(),
                    arrival: SystemTime::UNIX_EPOCH
                        + Duration::from_millis(arrival.to_millis().expect("millis") as u64),
                });
            }
            match page.next_shard_iterator() {
                Some(next) => iterator = next.to_string(),
                None => break,
            }
        }
    }
    out
}
