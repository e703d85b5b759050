//! Applying a shard's records to the state store, exactly once.
//!
//! Records at or before the shard's checkpoint are skipped (a retried,
//! bisected or re-read batch). The rest are classified in shard order
//! against the shard's watermark and the emitter's `closed_through`, and
//! committed in chunks: each chunk's partial aggregates (one state item per
//! window), its late and malformed records (one state item), its new
//! checkpoint and watermark, in one conditional commit. A refused commit
//! (the progress moved: an emitter closed windows, or another invocation
//! processed the shard) reloads and recomputes from the stored checkpoint.
//! After a commit the late records are written out and their item removed
//! (the emitter writes any left behind by a crash).

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;
use streamkit_core::kpl;
use streamkit_core::poller::ShardInfo;
use streamkit_core::progress::store::MAX_ITEMS_PER_COMMIT;
use streamkit_core::progress::{watermark, Commit, Counts, ShardProgress, StateItem, StateStore};
use streamkit_core::StreamRecord;

use crate::output::late_key;
use crate::sink::{LateRecord, Sink, BEYOND_ALLOWED_LATENESS, MALFORMED, WINDOW_ALREADY_EMITTED};
use crate::window::{parse, window_start, Aggregate, Partial};
use crate::{ProcessorConfig, ProcessorError};

/// Partition key of the late-record items.
pub const LATE_PK: &str = "late";
/// Attempts to commit against a moving progress before giving up.
const MAX_ATTEMPTS: u32 = 12;
/// Late-record bytes per commit (a DynamoDB item holds 400 KB).
const MAX_LATE_BYTES: usize = 256 * 1024;

/// Partition key of a window's partials: its close time, zero-padded.
pub fn window_pk(close_ms: i64) -> String {
    format!("w#{close_ms:020}")
}

/// The stream's shards with their parents (ListShards in Lambda, the
/// poller locally); asked at a shard's first commit only.
pub trait Topology: Sync {
    fn shards(&self) -> impl Future<Output = Result<Vec<ShardInfo>, ProcessorError>> + Send;

    /// How many records the shard holds before `sequence_number` (asked at
    /// a shard's first commit, with the first record the processor got: a
    /// mapping that started at LATEST skipped them). None known by default.
    fn records_before(
        &self,
        _shard_id: &str,
        _sequence_number: &str,
    ) -> impl Future<Output = Result<u64, ProcessorError>> + Send {
        async { Ok(0) }
    }
}

/// A fixed shard graph (shard → parents; every shard listed).
impl Topology for BTreeMap<String, Vec<String>> {
    async fn shards(&self) -> Result<Vec<ShardInfo>, ProcessorError> {
        Ok(self
            .iter()
            .map(|(id, parents)| ShardInfo {
                shard_id: id.clone(),
                parents: parents.clone(),
            })
            .collect())
    }
}

/// The late-record item body: where the records go and the records.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct LateItem {
    pub key: String,
    pub records: Vec<LateRecord>,
}

/// What one call applied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ingested {
    /// User records applied now (accepted + late + malformed).
    pub counts: Counts,
    /// Kinesis records skipped as already applied.
    pub skipped: u64,
    pub commits: u64,
    /// Records the shard held before the first record the processor ever
    /// got (its mapping started after them, at LATEST): never processed,
    /// reported here and logged at the shard's first commit.
    pub before_start: u64,
}

/// A failure with how far the batch got: records before `first_unapplied`
/// are committed (Lambda may resume the batch there).
#[derive(Debug)]
pub struct IngestFailure {
    pub error: ProcessorError,
    pub first_unapplied: usize,
    pub ingested: Ingested,
}

struct Chunk {
    len: usize,
    commit: Commit,
    late: Option<(String, LateItem)>,
}

/// Applies `records` (one shard's, in order) at wall-clock `now_ms`.
pub async fn ingest<S: StateStore, K: Sink, T: Topology>(
    store: &S,
    sink: &K,
    topology: &T,
    cfg: &ProcessorConfig,
    shard_id: &str,
    records: &[StreamRecord],
    now_ms: i64,
) -> Result<Ingested, IngestFailure> {
    let mut out = Ingested::default();
    let mut next = 0usize;
    let mut attempts = 0;
    loop {
        let fail = |error: ProcessorError, next: usize, out: &Ingested| IngestFailure {
            error,
            first_unapplied: next,
            ingested: out.clone(),
        };
        let (mut expected, mut progress) = match load(store, topology, shard_id, now_ms).await {
            Ok(x) => x,
            Err(e) => return Err(fail(e, next, &out)),
        };
        while next < records.len() && progress.applied(&records[next].sequence_number) {
            next += 1;
            out.skipped += 1;
        }
        if attempts == 0 && next == 0 && !progress.started() && !records.is_empty() {
            let first = &records[0].sequence_number;
            match topology.records_before(shard_id, first).await {
                Ok(0) => {}
                Ok(n) => {
                    out.before_start = n;
                    tracing::warn!(
                        shard_id,
                        records = n,
                        first_sequence_number = %first,
                        "records on the shard before the first one this processor got were not processed: its event source mapping started after them (StartingPosition LATEST); use TRIM_HORIZON to read them"
                    );
                }
                Err(e) => {
                    tracing::warn!(shard_id, error = %e, "cannot tell whether records before the mapping's start were skipped")
                }
            }
        }
        let mut refused = false;
        while next < records.len() {
            let chunk = chunk(cfg, &expected, &progress, &records[next..], now_ms);
            match store.commit(&chunk.commit).await {
                Ok(true) => {}
                Ok(false) => {
                    refused = true;
                    break;
                }
                Err(e) => return Err(fail(e.into(), next, &out)),
            }
            let c = &chunk.commit;
            progress.sequence_number = c.sequence_number.clone();
            progress.watermark_ms = c.watermark_ms;
            progress.active_ms = c.active_ms;
            progress.open.extend(&c.open);
            expected = Some(progress.clone());
            out.counts.records += c.added.records;
            out.counts.late += c.added.late;
            out.counts.malformed += c.added.malformed;
            out.commits += 1;
            next += chunk.len;
            if let Some((sk, item)) = chunk.late {
                // Committed: a failure here leaves the item for the emitter.
                match sink.late(&item.key, &item.records).await {
                    Ok(()) => {
                        if let Err(e) = store.remove(LATE_PK, &sk).await {
                            tracing::warn!(error = %e, "late item left for the emitter");
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "late records left for the emitter"),
                }
            }
        }
        if !refused {
            return Ok(out);
        }
        attempts += 1;
        if attempts >= MAX_ATTEMPTS {
            let error = ProcessorError::Contended {
                shard: shard_id.to_string(),
                attempts,
            };
            return Err(fail(error, next, &out));
        }
        let ms = (10u64 << attempts.min(8)).min(2000);
        tokio::time::sleep(Duration::from_millis(ms / 2 + fastrand::u64(0..=ms / 2))).await;
    }
}

/// The stored progress, or for a shard's first commit a fresh one that
/// inherits its parents' watermark and the emitter's `closed_through`. The
/// first time a shard is seen, every shard of the stream that has no
/// progress yet is registered, so a shard that has not started holds the
/// watermark back (until it starts or the idle-shard timeout passes).
async fn load<S: StateStore, T: Topology>(
    store: &S,
    topology: &T,
    shard_id: &str,
    now_ms: i64,
) -> Result<(Option<ShardProgress>, ShardProgress), ProcessorError> {
    let stored = store.shard(shard_id).await?;
    if let Some(p) = stored.as_ref().filter(|p| p.started()) {
        return Ok((Some(p.clone()), p.clone()));
    }
    let parents = match &stored {
        Some(p) => p.parents.clone(),
        None => {
            let shards = topology.shards().await?;
            for s in &shards {
                if s.shard_id != shard_id {
                    store.register(&s.shard_id, &s.parents, now_ms).await?;
                }
            }
            shards
                .into_iter()
                .find(|s| s.shard_id == shard_id)
                .map(|s| s.parents)
                .unwrap_or_default()
        }
    };
    let emit = store.emit_state().await?;
    let mut found = Vec::new();
    for p in &parents {
        found.push(store.shard(p).await?);
    }
    let fresh = ShardProgress {
        shard_id: shard_id.to_string(),
        watermark_ms: watermark::inherited(&found),
        parents,
        closed_through: emit.closed_through,
        ..ShardProgress::default()
    };
    Ok((stored, fresh))
}

/// The next commit: records from the start of `records` while the windows
/// touched and the late bytes fit one commit (at least one record).
fn chunk(
    cfg: &ProcessorConfig,
    expected: &Option<ShardProgress>,
    progress: &ShardProgress,
    records: &[StreamRecord],
    now_ms: i64,
) -> Chunk {
    let (window_ms, lateness_ms) = (cfg.window_ms(), cfg.lateness_ms());
    let mut state = progress.clone();
    let mut partials: BTreeMap<i64, Partial> = BTreeMap::new();
    let mut late: Vec<LateRecord> = Vec::new();
    let mut late_bytes = 0usize;
    let mut added = Counts::default();
    let mut len = 0;
    for r in records {
        let users = kpl::deaggregate(&r.partition_key, None, &r.data);
        let parsed: Vec<_> = users.iter().map(|u| parse(&u.data)).collect();
        if len > 0 {
            let mut starts: Vec<i64> = parsed
                .iter()
                .flatten()
                .map(|(_, t)| window_start(*t, window_ms))
                .filter(|s| !partials.contains_key(s))
                .collect();
            starts.dedup();
            let r_bytes: usize = users.iter().map(|u| u.data.len() + 200).sum();
            if partials.len() + starts.len() >= MAX_ITEMS_PER_COMMIT
                || late_bytes + r_bytes > MAX_LATE_BYTES
            {
                break;
            }
        }
        len += 1;
        for (user, parsed) in users.iter().zip(parsed) {
            added.records += 1;
            let late_record = |reason: &str, t: Option<i64>| LateRecord {
                reason: reason.to_string(),
                shard_id: progress.shard_id.clone(),
                sequence_number: r.sequence_number.clone(),
                sub_sequence_number: user.sub_sequence_number,
                partition_key: user.partition_key.clone(),
                event_time_ms: t,
                shard_watermark_ms: state.watermark_ms,
                data: String::from_utf8_lossy(&user.data).into_owned(),
            };
            let Some((tick, t)) = parsed else {
                added.malformed += 1;
                late.push(late_record(MALFORMED, None));
                late_bytes += user.data.len() + 200;
                continue;
            };
            let start = window_start(t, window_ms);
            let close = start + window_ms + lateness_ms;
            let reason = if state.is_late(t, lateness_ms) {
                Some(BEYOND_ALLOWED_LATENESS)
            } else if state.is_closed(close) {
                Some(WINDOW_ALREADY_EMITTED)
            } else {
                None
            };
            if let Some(reason) = reason {
                added.late += 1;
                late.push(late_record(reason, Some(t)));
                late_bytes += user.data.len() + 200;
                continue;
            }
            state.watermark_ms = Some(state.watermark_ms.map_or(t, |w| w.max(t)));
            let partial = partials.entry(start).or_insert_with(|| Partial {
                start_ms: start,
                end_ms: start + window_ms,
                ..Partial::default()
            });
            partial
                .tickers
                .entry(tick.ticker)
                .and_modify(|a| a.add(t, tick.price))
                .or_insert_with(|| Aggregate::of(t, tick.price));
        }
    }
    let first = &records[0];
    let expires_at = now_ms / 1000 + crate::config::STATE_TTL.as_secs() as i64;
    let sk = format!("{}#{}", progress.shard_id, first.sequence_number);
    let mut items: Vec<StateItem> = partials
        .iter()
        .map(|(start, p)| StateItem {
            pk: window_pk(start + window_ms + lateness_ms),
            sk: sk.clone(),
            // Plain data: serializing cannot fail.
            body: serde_json::to_string(p).unwrap_or_default(),
            expires_at,
        })
        .collect();
    let late = (!late.is_empty()).then(|| {
        let arrival_ms = first.approximate_arrival.map_or(0, |s| (s * 1000.0) as i64);
        let item = LateItem {
            key: late_key(
                &cfg.late_prefix,
                arrival_ms,
                &progress.shard_id,
                &first.sequence_number,
            ),
            records: late,
        };
        items.push(StateItem {
            pk: LATE_PK.to_string(),
            sk: sk.clone(),
            body: serde_json::to_string(&item).unwrap_or_default(),
            expires_at,
        });
        (sk.clone(), item)
    });
    let commit = Commit {
        shard_id: progress.shard_id.clone(),
        expected: expected.clone(),
        expected_closed_through: progress.closed_through,
        sequence_number: records[len - 1].sequence_number.clone(),
        watermark_ms: state.watermark_ms,
        active_ms: now_ms,
        parents: progress.parents.clone(),
        open: partials
            .keys()
            .map(|s| s + window_ms + lateness_ms)
            .collect(),
        items,
        added,
        expires_at,
    };
    Chunk { len, commit, late }
}
