//! Re-sending one shard batch until every record is confirmed, for the local
//! runners (the crate's and the CLI's), which poll instead of being invoked
//! by Lambda. Like an event source mapping, a batch is retried from its first
//! unconfirmed record (the checkpoint stays right before it) with backoff,
//! until it is through or the [`DrainPolicy`] gives up.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use streamkit_core::StreamRecord;

use crate::{Replicator, ReplicatorError};

/// When [`Replicator::replicate_until_confirmed`] gives up on a batch.
#[derive(Clone, Debug)]
pub struct DrainPolicy {
    /// At most this many rounds (`None`: no round limit).
    pub max_rounds: Option<u32>,
    /// Give up once no record was confirmed for this long (`None`: no limit).
    pub max_stall: Option<Duration>,
    /// Wait before the first retry; doubles up to `max_delay`.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// Retry a round that failed as a whole (e.g. the active-region lookup
    /// could not be made) instead of returning its error.
    pub retry_errors: bool,
    /// Set by the caller to stop (e.g. on Ctrl-C): no new round starts and a
    /// wait between rounds ends at once; what is unconfirmed stays so (the
    /// checkpoint is before it) and is reported as such.
    pub stop: Option<Arc<AtomicBool>>,
}

impl DrainPolicy {
    /// `n` rounds back to back; errors are returned.
    pub fn rounds(n: u32) -> DrainPolicy {
        DrainPolicy {
            max_rounds: Some(n),
            max_stall: None,
            base_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
            retry_errors: false,
            stop: None,
        }
    }

    /// Retries everything with backoff (0.5 s doubling to 10 s) until no
    /// record was confirmed for `limit`.
    pub fn stall_limit(limit: Duration) -> DrainPolicy {
        DrainPolicy {
            max_rounds: None,
            max_stall: Some(limit),
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(10),
            retry_errors: true,
            stop: None,
        }
    }

    /// The same policy, stopped early once `stop` is set.
    pub fn stopped_by(mut self, stop: Arc<AtomicBool>) -> DrainPolicy {
        self.stop = Some(stop);
        self
    }

    fn stopping(&self) -> bool {
        self.stop.as_ref().is_some_and(|s| s.load(Ordering::SeqCst))
    }

    /// Sleeps `wait`, ended early by a stop.
    async fn pause(&self, wait: Duration) {
        match &self.stop {
            Some(stop) => pause(wait, stop).await,
            None => tokio::time::sleep(wait).await,
        }
    }
}

/// Sleeps `wait` in steps of at most 100 ms, ending early once `stop` is set
/// (the local runner's waits use it too).
pub async fn pause(wait: Duration, stop: &AtomicBool) {
    let end = Instant::now() + wait;
    while !stop.load(Ordering::SeqCst) {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        tokio::time::sleep(left.min(Duration::from_millis(100))).await;
    }
}

/// A retry about to happen, for progress output.
#[derive(Debug)]
pub struct Retry<'a> {
    pub shard_id: &'a str,
    /// Records of the batch not confirmed yet.
    pub unconfirmed: usize,
    /// Time since a record of the batch was last confirmed (or the batch began).
    pub stalled: Duration,
    /// The wait before the next round.
    pub wait: Duration,
    pub error: &'a str,
}

/// What [`Replicator::replicate_until_confirmed`] did with one shard batch.
#[derive(Debug, Default)]
pub struct Drained {
    pub replicated: u64,
    /// Extra copies written to the destination (see `BatchReport::duplicates`).
    pub duplicates: u64,
    /// Entries sent in calls whose outcome is unknown: at most this many more copies.
    pub possible_duplicates: u64,
    /// Entries the core re-sent within its PutRecords retries.
    pub retried_entries: u64,
    /// Records not sent because this region is passive.
    pub skipped_passive: u64,
    /// Records not sent back: they arrived before this region became active.
    pub skipped_before_activation: u64,
    /// Records still unconfirmed when the policy gave up or the caller
    /// stopped it (0 when all went through).
    pub unconfirmed: usize,
    /// The caller's stop flag ended the batch before it was through.
    pub stopped: bool,
    pub rounds: u32,
    /// Rounds started again after a wait.
    pub retries: u32,
    pub last_error: Option<String>,
}

impl Replicator {
    /// Replicates `records` of one shard, re-sending the unconfirmed tail until
    /// it is confirmed or `policy` gives up; `on_retry` hears of every wait.
    pub async fn replicate_until_confirmed(
        &self,
        shard_id: &str,
        records: &[StreamRecord],
        policy: &DrainPolicy,
        mut on_retry: impl FnMut(&Retry<'_>),
    ) -> Result<Drained, ReplicatorError> {
        let mut out = Drained::default();
        let mut rest = records;
        let mut progress_at = Instant::now();
        let mut delay = policy.base_delay;
        while !rest.is_empty() {
            out.rounds += 1;
            match self.replicate_shard(shard_id, rest).await {
                Ok(report) if !report.active => {
                    out.skipped_passive += rest.len() as u64;
                    break;
                }
                Ok(report) => {
                    out.replicated += report.replicated as u64;
                    out.skipped_before_activation += report.skipped_before_activation as u64;
                    out.duplicates += report.duplicates as u64;
                    out.possible_duplicates += report.possible_duplicates as u64;
                    out.retried_entries += report.retried_entries as u64;
                    let handled = report.skipped_before_activation + report.replicated;
                    if handled > 0 {
                        progress_at = Instant::now();
                        delay = policy.base_delay;
                    }
                    rest = &rest[handled..];
                    out.last_error = report.last_error.or_else(|| {
                        (report.failed_entries > 0)
                            .then(|| format!("{} entries rejected", report.failed_entries))
                    });
                }
                Err(e) if policy.retry_errors => out.last_error = Some(e.to_string()),
                Err(e) => return Err(e),
            }
            if rest.is_empty() {
                break;
            }
            let stalled = progress_at.elapsed();
            let no_rounds_left = policy.max_rounds.is_some_and(|n| out.rounds >= n);
            let no_time_left = policy.max_stall.is_some_and(|l| stalled >= l);
            if no_rounds_left || no_time_left || policy.stopping() {
                out.unconfirmed = rest.len();
                out.stopped = policy.stopping();
                break;
            }
            let wait = match policy.max_stall {
                Some(limit) => delay.min(limit - stalled),
                None => delay,
            };
            on_retry(&Retry {
                shard_id,
                unconfirmed: rest.len(),
                stalled,
                wait,
                error: out.last_error.as_deref().unwrap_or("entries kept failing"),
            });
            out.retries += 1;
            policy.pause(wait).await;
            if policy.stopping() {
                out.unconfirmed = rest.len();
                out.stopped = true;
                break;
            }
            delay = (delay * 2).min(policy.max_delay);
        }
        Ok(out)
    }
}
