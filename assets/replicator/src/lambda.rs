//! The Lambda handler: one Kinesis batch in, partial batch failures out.

use aws_lambda_events::event::streams::KinesisEventResponse;
use streamkit_core::runtime::item_failure;
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
        let done = already_replicated(replicator, shard_id, records).await;
        let records = &records[done..];
        let report = replicator.replicate_shard(shard_id, records).await?;
        if let Some(i) = report.first_unconfirmed {
            response
                .batch_item_failures
                .push(item_failure(&records[i].sequence_number));
        }
    }
    Ok(response)
}

/// How many of `records` (in shard order) are at or before the shard's
/// checkpoint: sent already, by this function or by `streamkit local
/// replicate` while the mapping was paused (the mapping resumes from its own
/// position, which may be behind). They are not sent again. A checkpoint
/// that cannot be read skips nothing (a duplicate rather than a loss).
async fn already_replicated(
    replicator: &Replicator,
    shard_id: &str,
    records: &[StreamRecord],
) -> usize {
    let cfg = replicator.config();
    let last = crate::checkpoint::last_sequence(
        replicator.dynamodb(),
        &cfg.checkpoint_table,
        &cfg.stream_name,
        &cfg.local_region,
        shard_id,
    )
    .await;
    let last = match last {
        Ok(Some(last)) => last,
        Ok(None) => return 0,
        Err(e) => {
            tracing::warn!(shard_id, error = %e, "checkpoint not read: the batch is sent as is");
            return 0;
        }
    };
    let done = records
        .iter()
        .take_while(|r| streamkit_core::record::cmp_sequence(&r.sequence_number, &last).is_le())
        .count();
    if done > 0 {
        tracing::info!(
            shard_id,
            records = done,
            checkpoint = %last,
            "records at or before the checkpoint were replicated already: not sent again"
        );
    }
    done
}
