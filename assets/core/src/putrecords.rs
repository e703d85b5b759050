//! PutRecords within the service limits, retrying only failed entries.
//!
//! Order per partition key: when an entry fails, that entry *and every later
//! entry with the same key* are sent again, in order. The destination then
//! holds the source order of each key as a subsequence; the re-sent copies
//! of entries that had already succeeded are counted as `duplicates`.
//!
//! Counting is by confirmed writes: an entry the service accepted twice is one
//! duplicate. Entries in a call whose outcome is unknown (connection lost after
//! sending, timeout, 5xx) may have been written too; they are counted apart as
//! `ambiguous` (possible duplicates). Give the client no retries of its own
//! (the SDK's would re-send without telling) and these counts are complete.

use aws_sdk_kinesis::error::SdkError;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use aws_sdk_kinesis::Client;
use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::time::Duration;

use crate::error::sdk_message;

/// Most records in one PutRecords call.
pub const MAX_RECORDS_PER_CALL: usize = 500;
/// Most bytes (data plus partition keys) in one PutRecords call.
pub const MAX_BYTES_PER_CALL: usize = 5 * 1024 * 1024;
/// Most bytes (data plus partition key) in one record.
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;

/// A record to write.
#[derive(Clone, Debug, PartialEq)]
pub struct OutRecord {
    pub partition_key: String,
    pub explicit_hash_key: Option<String>,
    pub data: Vec<u8>,
}

impl OutRecord {
    /// Bytes counted against the service limits.
    pub fn size(&self) -> usize {
        self.data.len() + self.partition_key.len()
    }
}

/// How hard to retry.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Attempts per entry, the first included.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// Re-send later same-key entries after a failure (see module docs).
    pub keep_key_order: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
            keep_key_order: true,
        }
    }
}

/// What happened to a set of records.
#[derive(Clone, Debug, Default)]
pub struct PutOutcome {
    /// Per input record: written, and (with `keep_key_order`) in key order.
    pub confirmed: Vec<bool>,
    /// PutRecords calls made.
    pub calls: u32,
    /// Entries sent again after a failure.
    pub retried: usize,
    /// Extra copies written: entries the service accepted more than once
    /// (re-sent to keep key order).
    pub duplicates: usize,
    /// Per input record: how many times the service accepted it.
    pub written: Vec<u32>,
    /// Entries in calls whose outcome is unknown: possibly written, sent again.
    pub ambiguous: usize,
    /// Entry failures by error code (one entry may count several times).
    pub failures_by_code: BTreeMap<String, usize>,
    /// Records over the 1 MiB limit, never sent.
    pub oversize: usize,
    /// The last whole-call error, if any.
    pub last_error: Option<String>,
}

impl PutOutcome {
    pub fn delivered(&self) -> usize {
        self.confirmed.iter().filter(|c| **c).count()
    }

    pub fn all_delivered(&self) -> bool {
        self.confirmed.iter().all(|c| *c)
    }

    /// Index of the first record not confirmed.
    pub fn first_unconfirmed(&self) -> Option<usize> {
        self.confirmed.iter().position(|c| !*c)
    }

    /// Failures in total.
    pub fn failed_entries(&self) -> usize {
        self.failures_by_code.values().sum()
    }

    /// The extra copies in the stream once the caller re-sends every record
    /// from `resume_at` on (as a replicator does from its first unconfirmed
    /// record): the extra copies of the records before it, and every copy of
    /// the records from it, since the re-send writes each of them once more.
    pub fn duplicates_when_resuming_at(&self, resume_at: usize) -> usize {
        self.written
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let w = *w as usize;
                if i < resume_at {
                    w.saturating_sub(1)
                } else {
                    w
                }
            })
            .sum()
    }
}

/// Splits `sizes` into consecutive batches within the call limits.
pub fn plan_batches(sizes: &[usize]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, size) in sizes.iter().enumerate() {
        if i > start && (i - start == MAX_RECORDS_PER_CALL || bytes + size > MAX_BYTES_PER_CALL) {
            out.push(start..i);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < sizes.len() {
        out.push(start..sizes.len());
    }
    out
}

/// Writes `records` to `stream` in order, batch by batch, retrying failed
/// entries with exponential backoff and jitter. Never panics on service
/// errors: what was not written shows in the outcome.
pub async fn put_records(
    client: &Client,
    stream: &str,
    records: &[OutRecord],
    policy: &RetryPolicy,
) -> PutOutcome {
    let mut outcome = PutOutcome {
        confirmed: vec![false; records.len()],
        written: vec![0; records.len()],
        ..PutOutcome::default()
    };
    let mut pending: Vec<usize> = Vec::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        if r.size() > MAX_RECORD_BYTES {
            outcome.oversize += 1;
            *outcome
                .failures_by_code
                .entry("RecordTooLarge".into())
                .or_default() += 1;
        } else {
            pending.push(i);
        }
    }
    let mut attempt = 0;
    while !pending.is_empty() && attempt < policy.max_attempts {
        if attempt > 0 {
            tokio::time::sleep(backoff(policy, attempt)).await;
            outcome.retried += pending.len();
        }
        attempt += 1;
        let mut ok = vec![false; pending.len()];
        let sizes: Vec<usize> = pending.iter().map(|i| records[*i].size()).collect();
        let mut fatal = false;
        for range in plan_batches(&sizes) {
            let entries = pending[range.clone()]
                .iter()
                .map(|i| entry(&records[*i]))
                .collect::<Vec<_>>();
            outcome.calls += 1;
            match client
                .put_records()
                .stream_name(stream)
                .set_records(Some(entries))
                .send()
                .await
            {
                Ok(resp) => {
                    for (k, result) in resp.records().iter().enumerate() {
                        match result.error_code() {
                            None => {
                                ok[range.start + k] = true;
                                outcome.written[pending[range.start + k]] += 1;
                            }
                            Some(code) => {
                                *outcome
                                    .failures_by_code
                                    .entry(code.to_string())
                                    .or_default() += 1
                            }
                        }
                    }
                }
                Err(err) => {
                    let code = err
                        .as_service_error()
                        .and_then(|e| aws_sdk_kinesis::error::ProvideErrorMetadata::code(e))
                        .unwrap_or("CallFailed")
                        .to_string();
                    fatal |= matches!(
                        code.as_str(),
                        "ResourceNotFoundException"
                            | "InvalidArgumentException"
                            | "AccessDeniedException"
                    );
                    if outcome_unknown(&err) {
                        outcome.ambiguous += range.len();
                    }
                    outcome.last_error = Some(sdk_message(&err));
                    *outcome.failures_by_code.entry(code).or_default() += range.len();
                }
            }
        }
        pending = next_pending(records, &pending, &ok, policy.keep_key_order, &mut outcome);
        if fatal {
            break;
        }
    }
    outcome.duplicates = outcome.duplicates_when_resuming_at(records.len());
    outcome
}

/// Whether a failed call may still have written its entries: the request
/// went out and no rejection came back (lost connection, timeout, 5xx).
fn outcome_unknown<E>(err: &SdkError<E>) -> bool {
    match err {
        SdkError::ConstructionFailure(_) => false,
        SdkError::ServiceError(e) => e.raw().status().as_u16() >= 500,
        _ => true,
    }
}

/// Marks confirmed entries and returns those to send again.
fn next_pending(
    records: &[OutRecord],
    pending: &[usize],
    ok: &[bool],
    keep_order: bool,
    outcome: &mut PutOutcome,
) -> Vec<usize> {
    let mut failed_keys: HashSet<&str> = HashSet::new();
    let mut next = Vec::new();
    for (k, &i) in pending.iter().enumerate() {
        let key = records[i].partition_key.as_str();
        if !ok[k] {
            if keep_order {
                failed_keys.insert(key);
            }
            next.push(i);
        } else if failed_keys.contains(key) {
            next.push(i);
        } else {
            outcome.confirmed[i] = true;
        }
    }
    next
}

fn backoff(policy: &RetryPolicy, attempt: u32) -> Duration {
    let exp = policy.base_delay.saturating_mul(1 << attempt.min(16));
    let capped = exp.min(policy.max_delay);
    // Full jitter between half and all of the delay.
    capped.mul_f64(0.5 + fastrand::f64() / 2.0)
}

fn entry(r: &OutRecord) -> PutRecordsRequestEntry {
    PutRecordsRequestEntry::builder()
        .partition_key(&r.partition_key)
        .set_explicit_hash_key(r.explicit_hash_key.clone())
        .data(Blob::new(r.data.clone()))
        .build()
        .expect("partition key and data are set")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_respect_count_and_bytes() {
        let sizes = vec![1; 1201];
        let b = plan_batches(&sizes);
        assert_eq!(b, vec![0..500, 500..1000, 1000..1201]);
        let big = vec![MAX_RECORD_BYTES; 12];
        let b = plan_batches(&big);
        assert_eq!(b, vec![0..5, 5..10, 10..12]);
        assert!(plan_batches(&[]).is_empty());
    }

    #[test]
    fn failed_entry_resends_later_same_key_entries() {
        let rec = |k: &str| OutRecord {
            partition_key: k.into(),
            explicit_hash_key: None,
            data: vec![],
        };
        let records = vec![rec("a"), rec("b"), rec("a"), rec("c"), rec("a")];
        let pending = vec![0, 1, 2, 3, 4];
        let mut outcome = PutOutcome {
            confirmed: vec![false; 5],
            ..Default::default()
        };
        let next = next_pending(
            &records,
            &pending,
            &[true, true, false, true, true],
            true,
            &mut outcome,
        );
        assert_eq!(next, vec![2, 4]);
        assert_eq!(outcome.confirmed, vec![true, true, false, true, false]);
        let mut outcome = PutOutcome {
            confirmed: vec![false; 5],
            ..Default::default()
        };
        let next = next_pending(
            &records,
            &pending,
            &[true, true, false, true, true],
            false,
            &mut outcome,
        );
        assert_eq!(next, vec![2]);
    }

    #[test]
    fn duplicates_count_accepted_copies_and_the_resent_tail() {
        let outcome = PutOutcome {
            written: vec![1, 2, 0, 1, 3],
            ..Default::default()
        };
        // Everything confirmed: one extra copy of record 1, two of record 4.
        assert_eq!(outcome.duplicates_when_resuming_at(5), 3);
        // Resuming at record 2: records 3 and 4 are written again once more.
        assert_eq!(outcome.duplicates_when_resuming_at(2), 1 + 1 + 3);
    }
}
