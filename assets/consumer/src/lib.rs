//! Pattern 1 consumer: every Kinesis record is de-aggregated and each user
//! record validated as a stock tick. A record with any invalid user record is
//! reported as a batch item failure (so bisect-on-error isolates it and it
//! ends in the failure queue); the rest of the batch is processed.

use aws_lambda_events::event::streams::KinesisEventResponse;
use serde::Serialize;
use std::collections::BTreeMap;
use streamkit_core::events::StockTick;
use streamkit_core::runtime::item_failure;
use streamkit_core::KinesisEvent;
use streamkit_core::{kpl, StreamRecord};

/// Why a user record was rejected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Invalid {
    NotUtf8,
    NotJson(String),
    WrongShape(String),
    BadEventTime(String),
}

/// Totals of one batch.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BatchSummary {
    pub records: usize,
    pub user_records: usize,
    pub valid: usize,
    pub invalid: usize,
    /// Valid ticks per ticker.
    pub per_ticker: BTreeMap<String, usize>,
}

/// Validates one user record.
pub fn validate(data: &[u8]) -> Result<StockTick, Invalid> {
    let text = std::str::from_utf8(data).map_err(|_| Invalid::NotUtf8)?;
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| Invalid::NotJson(e.to_string()))?;
    let tick: StockTick =
        serde_json::from_value(value).map_err(|e| Invalid::WrongShape(e.to_string()))?;
    if tick.event_time().is_none() {
        return Err(Invalid::BadEventTime(tick.event_time.clone()));
    }
    Ok(tick)
}

/// Processes a batch; returns the failures to report and the totals.
pub fn process(event: &KinesisEvent) -> (KinesisEventResponse, BatchSummary) {
    let mut response = KinesisEventResponse::default();
    let mut summary = BatchSummary::default();
    for record in &event.records {
        let r = StreamRecord::from_lambda(record);
        summary.records += 1;
        let mut poisoned = false;
        for user in kpl::deaggregate(&r.partition_key, None, &r.data) {
            summary.user_records += 1;
            match validate(&user.data) {
                Ok(tick) => {
                    summary.valid += 1;
                    *summary.per_ticker.entry(tick.ticker).or_default() += 1;
                }
                Err(reason) => {
                    summary.invalid += 1;
                    poisoned = true;
                    tracing::warn!(
                        sequence_number = %r.sequence_number,
                        sub_sequence_number = user.sub_sequence_number,
                        shard_id = %r.shard_id,
                        reason = ?reason,
                        "invalid record"
                    );
                }
            }
        }
        if poisoned {
            response
                .batch_item_failures
                .push(item_failure(&r.sequence_number));
        }
    }
    tracing::info!(
        records = summary.records,
        user_records = summary.user_records,
        valid = summary.valid,
        invalid = summary.invalid,
        per_ticker = ?summary.per_ticker,
        "batch processed"
    );
    (response, summary)
}
