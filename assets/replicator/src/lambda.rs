//! The Lambda handler: one Kinesis batch in, partial batch failures out.

use aws_lambda_events::event::streams::{KinesisBatchItemFailure, KinesisEventResponse};
use streamkit_core::KinesisEvent;
use streamkit_core::StreamRecord;

use crate::{Replicator, ReplicatorError};

/// Replicates the event's records (grouped by shard, order kept) and
/// reports, per shard, the first record not confirmed.
pub async fn handle(
    event: KinesisEvent,
    replicator: &Replicator,
) -> Result<KinesisEventResponse, ReplicatorError> {
    let mut shards: Vec<(String, Vec<StreamRecord>)> = Vec::new();
    for record in &event.records {
        let r = StreamRecord::from_lambda(record);
        match shards.iter_mut().find(|(id, _)| *id == r.shard_id) {
            Some((_, list)) => list.push(r),
            None => shards.push((r.shard_id.clone(), vec![r])),
        }
    }
    let mut response = KinesisEventResponse::default();
    for (shard_id, records) in &shards {
        let report = replicator.replicate_shard(shard_id, records).await?;
        if let Some(i) = report.first_unconfirmed {
            let mut failure = KinesisBatchItemFailure::default();
            failure.item_identifier = Some(records[i].sequence_number.clone());
            response.batch_item_failures.push(failure);
        }
    }
    Ok(response)
}
