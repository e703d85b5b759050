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

/// Puts every `(partition key, data)` with PutRecords, 500 a call, and puts
/// again the entries a call reports failed (`ProvisionedThroughputExceeded`
/// is per entry: "the caller should retry the failed records", PutRecords in
/// the Kinesis API reference), backing off up to a second between tries, until
/// all are in or two minutes have passed (then it panics naming the error).
pub async fn put_every(
    kinesis: &aws_sdk_kinesis::Client,
    stream: &str,
    entries: Vec<(String, Vec<u8>)>,
) {
    use aws_sdk_kinesis::primitives::Blob;
    use aws_sdk_kinesis::types::PutRecordsRequestEntry;
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    for chunk in entries.chunks(500) {
        let mut pending: Vec<&(String, Vec<u8>)> = chunk.iter().collect();
        let mut backoff = Duration::from_millis(50);
        while !pending.is_empty() {
            let request: Vec<PutRecordsRequestEntry> = pending
                .iter()
                .map(|(key, data)| {
                    PutRecordsRequestEntry::builder()
                        .partition_key(key)
                        .data(Blob::new(data.clone()))
                        .build()
                        .expect("an entry")
                })
                .collect();
            let out = kinesis
                .put_records()
                .stream_name(stream)
                .set_records(Some(request))
                .send()
                .await
                .expect("PutRecords");
            let failed: Vec<_> = pending
                .iter()
                .zip(out.records())
                .filter(|(_, r)| r.error_code().is_some())
                .map(|(e, r)| (*e, r.error_code().unwrap_or_default().to_string()))
                .collect();
            if let Some((_, code)) = failed.first() {
                assert!(
                    std::time::Instant::now() < deadline,
                    "{} entries still failed after two minutes: {code}",
                    failed.len()
                );
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
            }
            pending = failed.into_iter().map(|(e, _)| e).collect();
        }
    }
}

/// Puts one record; returns its sequence number.
pub async fn put_one(
    kinesis: &aws_sdk_kinesis::Client,
    stream: &str,
    key: &str,
    data: &[u8],
) -> String {
    kinesis
        .put_record()
        .stream_name(stream)
        .partition_key(key)
        .data(aws_sdk_kinesis::primitives::Blob::new(data))
        .send()
        .await
        .expect("PutRecord")
        .sequence_number
}

/// Every JSON line of every object under `prefix` of `bucket`, in key order.
pub async fn json_lines(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
) -> Vec<serde_json::Value> {
    let listed = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .send()
        .await
        .expect("ListObjectsV2");
    let mut out = Vec::new();
    for key in listed.contents().iter().filter_map(|o| o.key()) {
        let object = s3.get_object().bucket(bucket).key(key).send().await;
        let bytes = object
            .expect("GetObject")
            .body
            .collect()
            .await
            .expect("body");
        for line in String::from_utf8_lossy(&bytes.into_bytes()).lines() {
            out.push(serde_json::from_str(line).expect("a JSON line"));
        }
    }
    out
}
