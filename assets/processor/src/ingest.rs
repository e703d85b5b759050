//! Applying a shard's records: the domain half of the exactly-once ingest
//! (the core's [`runner::ingest`] is the other: checkpoint skip, commit,
//! reload and retry, partial failures).
//!
//! The records are classified in shard order against the shard's watermark
//! and the emitter's `closed_through`, and committed in chunks ([`chunk`]):
//! each chunk's partial aggregates (one state item per window), its late and
//! malformed records (one state item), its new checkpoint and watermark, in
//! one conditional commit. After a commit the late records are written out
//! and their item removed (the emitter writes any left behind by a crash).

use std::collections::BTreeMap;
use streamkit_core::kpl;
use streamkit_core::progress::store::MAX_ITEMS_PER_COMMIT;
use streamkit_core::progress::{Commit, Counts, ShardProgress, StateItem, StateStore};
use streamkit_core::runner::{self, At, Processor};
use streamkit_core::StreamRecord;

use crate::emit::emit;
use crate::metrics::BatchCounts;
use crate::output::late_key;
use crate::sink::{LateRecord, Sink, BEYOND_ALLOWED_LATENESS, MALFORMED, WINDOW_ALREADY_EMITTED};
use crate::window::{parse, window_start, Aggregate, Partial};
use crate::{ProcessorConfig, ProcessorError};

/// Partition key of the late-record items.
pub const LATE_PK: &str = "late";
/// Late-record bytes per commit (a DynamoDB item holds 400 KB).
const MAX_LATE_BYTES: usize = 256 * 1024;

/// Partition key of a window's partials: its close time, zero-padded.
pub fn window_pk(close_ms: i64) -> String {
    format!("w#{close_ms:020}")
}

/// The late-record item body: where the records go and the records.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct LateItem {
    pub key: String,
    pub records: Vec<LateRecord>,
}

/// The pattern 2 processor as the core's runner drives it: [`chunk`]
/// plans each commit, [`emit`] closes windows.
pub struct Windows<'a, S, K> {
    pub store: &'a S,
    pub sink: &'a K,
    pub cfg: &'a ProcessorConfig,
}

impl<'a, S, K> Windows<'a, S, K> {
    pub fn new(store: &'a S, sink: &'a K, cfg: &'a ProcessorConfig) -> Self {
        Windows { store, sink, cfg }
    }
}

impl<S: StateStore, K: Sink> Processor for Windows<'_, S, K> {
    type Store = S;
    type Error = ProcessorError;
    type Counts = BatchCounts;
    type Batch = ();
    type Cache = ();
    type Then = (Counts, Option<(String, LateItem)>);

    fn store(&self) -> &S {
        self.store
    }

    fn prepare(&self, _records: &[StreamRecord]) {}

    async fn chunk(
        &self,
        _batch: &(),
        _cache: &mut (),
        at: At<'_>,
    ) -> Result<runner::Chunk<Self::Then>, ProcessorError> {
        let c = chunk(
            self.cfg,
            at.expected,
            at.progress,
            &at.records[at.from..],
            at.now_ms,
        );
        Ok(runner::Chunk {
            len: c.len,
            then: (c.commit.added, c.late),
            commit: c.commit,
        })
    }

    async fn committed(&self, _cache: &mut (), (added, late): Self::Then) -> BatchCounts {
        if let Some((sk, item)) = late {
            // Committed: a failure here leaves the item for the emitter.
            match self.sink.late(&item.key, &item.records).await {
                Ok(()) => {
                    if let Err(e) = self.store.remove(LATE_PK, &sk).await {
                        tracing::warn!(error = %e, "late item left for the emitter");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "late records left for the emitter"),
            }
        }
        BatchCounts {
            records_in: added.records,
            late_records: added.late,
            malformed_records: added.malformed,
            ..BatchCounts::default()
        }
    }

    async fn emit(&self, now_ms: i64) -> Result<BatchCounts, ProcessorError> {
        let e = emit(self.store, self.sink, self.cfg, now_ms).await?;
        Ok(BatchCounts {
            windows_emitted: e.rows,
            objects_written: e.objects,
            bytes_written: e.bytes,
            ..BatchCounts::default()
        })
    }

    /// No shard holds an open window and the emitter has nothing pending.
    async fn settled(&self) -> Result<bool, ProcessorError> {
        let e = self.store.emit_state().await?;
        let open = self
            .store
            .shards()
            .await?
            .iter()
            .any(|s| !s.open.is_empty());
        Ok(!open && e.closing.is_empty() && e.ready.is_empty())
    }
}

struct Chunk {
    len: usize,
    commit: Commit,
    late: Option<(String, LateItem)>,
}

/// The next commit: records from the start of `records` while the windows
/// touched and the late bytes fit one commit (at least one record).
fn chunk(
    cfg: &ProcessorConfig,
    expected: Option<&ShardProgress>,
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
            match partial.tickers.get_mut(tick.ticker.as_ref()) {
                Some(a) => a.add(t, tick.price),
                None => {
                    let first = Aggregate::of(t, tick.price);
                    partial.tickers.insert(tick.ticker.into_owned(), first);
                }
            }
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
        expected: expected.cloned(),
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
