//! Applying a shard's records, exactly once, and writing what they join.
//!
//! Records at or before the shard's checkpoint are skipped (a retried,
//! bisected or re-read batch). The rest are taken in chunks that fit one
//! commit. For each chunk: the states of its orderIds are read; each record
//! is classified in shard order (rejected, late, or applied to its order's
//! state: joined rows, or an item waiting in its bucket); the rows are
//! written (only over older versions); then one conditional commit stores
//! the changed state, the waiting entries, the records for S3 (an outbox
//! item) and the new checkpoint and watermark. A refused commit (an emitter
//! closed buckets, or another invocation moved the shard) reloads and
//! recomputes: the rows it wrote are rewritten only if newer. After the
//! commit the outbox is written to S3 and removed (the emitter writes any a
//! crash left behind).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::future::Future;
use std::time::Duration;
use streamkit_core::kpl;
use streamkit_core::progress::store::MAX_ITEMS_PER_COMMIT;
use streamkit_core::progress::{watermark, Commit, Counts, ShardProgress, StateItem, StateStore};
use streamkit_core::StreamRecord;

use crate::join::{item_bucket, order_bucket, ItemOutcome, OrderState, Position, Stamped};
use crate::lines::{object_key, to_line, RecordLine};
use crate::metrics::JoinCounts;
use crate::products::Products;
use crate::record::{self, Input, Reject};
use crate::sink::Sink;
use crate::state::{self, Outbox, OUTBOX_PK};
use crate::{JoinsConfig, JoinsError};

/// Attempts to commit against a moving progress before giving up.
const MAX_ATTEMPTS: u32 = 12;
/// Outbox bytes per commit (a DynamoDB item holds 400 KB).
const MAX_OUTBOX_BYTES: usize = 256 * 1024;

/// Where a shard's parents come from (ListShards in Lambda, the poller locally).
pub trait Topology: Sync {
    fn parents(
        &self,
        shard_id: &str,
    ) -> impl Future<Output = Result<Vec<String>, JoinsError>> + Send;
}

/// A fixed shard graph (shard → parents).
impl Topology for BTreeMap<String, Vec<String>> {
    async fn parents(&self, shard_id: &str) -> Result<Vec<String>, JoinsError> {
        Ok(self.get(shard_id).cloned().unwrap_or_default())
    }
}

/// What one call applied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ingested {
    pub counts: JoinCounts,
    /// Kinesis records skipped as already applied.
    pub skipped: u64,
    pub commits: u64,
}

/// A failure with how far the batch got: records before `first_unapplied`
/// are committed (Lambda may resume the batch there).
#[derive(Debug)]
pub struct IngestFailure {
    pub error: JoinsError,
    pub first_unapplied: usize,
    pub ingested: Ingested,
}

/// One user record, parsed.
struct User {
    seq: usize,
    sub: u64,
    partition_key: String,
    data: Vec<u8>,
    parsed: Result<Input, Reject>,
}

/// Applies `records` (one shard's, in order) at wall-clock `now_ms`.
#[allow(clippy::too_many_arguments)]
pub async fn ingest<S: StateStore, K: Sink, T: Topology>(
    store: &S,
    sink: &K,
    topology: &T,
    cfg: &JoinsConfig,
    products: &Products,
    shard_id: &str,
    records: &[StreamRecord],
    now_ms: i64,
) -> Result<Ingested, IngestFailure> {
    let mut out = Ingested::default();
    let mut next = 0usize;
    let mut attempts = 0;
    let users: Vec<Vec<User>> = records
        .iter()
        .enumerate()
        .map(|(i, r)| users(i, r))
        .collect();
    loop {
        let fail = |error: JoinsError, next: usize, out: &Ingested| IngestFailure {
            error,
            first_unapplied: next,
            ingested: out.clone(),
        };
        let (mut expected, mut progress) = match load(store, topology, shard_id).await {
            Ok(x) => x,
            Err(e) => return Err(fail(e, next, &out)),
        };
        while next < records.len() && progress.applied(&records[next].sequence_number) {
            next += 1;
            out.skipped += 1;
        }
        let mut cache: BTreeMap<u64, OrderState> = BTreeMap::new();
        let mut refused = false;
        while next < records.len() {
            let len = chunk_len(&users[next..]);
            let ids: BTreeSet<u64> = users[next..next + len]
                .iter()
                .flatten()
                .filter_map(|u| u.parsed.as_ref().ok().map(Input::order_id))
                .filter(|id| !cache.contains_key(id))
                .collect();
            match state::load(store, &ids).await {
                Ok(loaded) => cache.extend(loaded),
                Err(e) => return Err(fail(e, next, &out)),
            }
            let step = apply(
                cfg,
                products,
                &mut cache,
                &progress,
                expected.clone(),
                &records[next..next + len],
                &users[next..next + len],
                now_ms,
            );
            let written = match sink.rows(&step.rows).await {
                Ok(w) => w,
                Err(e) => return Err(fail(e, next, &out)),
            };
            match store.commit(&step.commit).await {
                Ok(true) => {}
                Ok(false) => {
                    refused = true;
                    break;
                }
                Err(e) => return Err(fail(e.into(), next, &out)),
            }
            let c = &step.commit;
            progress.sequence_number = c.sequence_number.clone();
            progress.watermark_ms = c.watermark_ms;
            progress.active_ms = c.active_ms;
            progress.open.extend(&c.open);
            expected = Some(progress.clone());
            let mut counts = step.counts;
            counts.items_enriched = written.written;
            counts.rows_unchanged = written.unchanged;
            counts.missing_product = written.missing_product;
            out.counts.add(&counts);
            out.commits += 1;
            next += len;
            if let Some((sk, outbox)) = step.outbox {
                // Committed: a failure here leaves the outbox for the emitter.
                if let Err(e) = flush_outbox(store, sink, &sk, &outbox).await {
                    tracing::warn!(error = %e, "outbox left for the emitter");
                }
            }
        }
        if !refused {
            return Ok(out);
        }
        attempts += 1;
        if attempts >= MAX_ATTEMPTS {
            let error = JoinsError::Contended {
                shard: shard_id.to_string(),
                attempts,
            };
            return Err(fail(error, next, &out));
        }
        let ms = (10u64 << attempts.min(8)).min(2000);
        tokio::time::sleep(Duration::from_millis(ms / 2 + fastrand::u64(0..=ms / 2))).await;
    }
}

/// Writes an outbox's files and removes it.
pub async fn flush_outbox<S: StateStore, K: Sink>(
    store: &S,
    sink: &K,
    sk: &str,
    outbox: &Outbox,
) -> Result<(), JoinsError> {
    for (key, lines) in &outbox.files {
        sink.file(key, lines).await?;
    }
    store.remove(OUTBOX_PK, sk).await?;
    Ok(())
}

fn users(seq: usize, r: &StreamRecord) -> Vec<User> {
    kpl::deaggregate(&r.partition_key, None, &r.data)
        .into_iter()
        .map(|u| User {
            seq,
            sub: u.sub_sequence_number,
            parsed: record::parse(&u.data),
            partition_key: u.partition_key,
            data: u.data,
        })
        .collect()
}

/// How many Kinesis records (at least one) fit one commit: every state key
/// they may write, a waiting entry per item, and the outbox.
fn chunk_len(users: &[Vec<User>]) -> usize {
    let mut keys: HashSet<(u64, u64)> = HashSet::new();
    let (mut waiting, mut bytes) = (0usize, 0usize);
    for (len, record) in users.iter().enumerate() {
        let mut new_keys = Vec::new();
        let mut new_waiting = 0;
        let mut new_bytes = 0;
        for u in record {
            match &u.parsed {
                Ok(Input::Order(o)) => new_keys.push((o.order_id, u64::MAX)),
                Ok(Input::Item(i)) => {
                    new_keys.push((i.order_id, i.item_id));
                    new_waiting += 1;
                }
                Err(_) => {}
            }
            new_bytes += u.data.len() + 300;
        }
        new_keys.retain(|k| !keys.contains(k));
        let total = keys.len() + new_keys.len() + waiting + new_waiting + 1;
        if len > 0 && (total > MAX_ITEMS_PER_COMMIT || bytes + new_bytes > MAX_OUTBOX_BYTES) {
            return len;
        }
        keys.extend(new_keys);
        waiting += new_waiting;
        bytes += new_bytes;
    }
    users.len()
}

/// One chunk's effects.
struct Step {
    rows: Vec<crate::join::EnrichedRow>,
    commit: Commit,
    outbox: Option<(String, Outbox)>,
    counts: JoinCounts,
}

/// Applies a chunk to the cached states (pure but for the cache).
#[allow(clippy::too_many_arguments)]
fn apply(
    cfg: &JoinsConfig,
    products: &Products,
    cache: &mut BTreeMap<u64, OrderState>,
    progress: &ShardProgress,
    expected: Option<ShardProgress>,
    records: &[StreamRecord],
    users: &[Vec<User>],
    now_ms: i64,
) -> Step {
    let join = cfg.join();
    let mut shard = progress.clone();
    let mut counts = JoinCounts::default();
    let mut rows = Vec::new();
    let mut dirty_orders: BTreeSet<u64> = BTreeSet::new();
    let mut dirty_items: BTreeSet<(u64, u64)> = BTreeSet::new();
    let mut waiting: BTreeMap<(u64, u64), i64> = BTreeMap::new();
    let mut files: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let first = &records[0];
    let first_arrival = first
        .approximate_arrival
        .map_or(now_ms, |s| (s * 1000.0) as i64);
    let name = format!("{}-{}", progress.shard_id, first.sequence_number);
    let base = users.first().map_or(0, |u| u.first().map_or(0, |u| u.seq));
    for u in users.iter().flatten() {
        let r = &records[u.seq - base];
        counts.records_in += 1;
        let arrival_ms = r
            .approximate_arrival
            .map_or(now_ms, |s| (s * 1000.0) as i64);
        let mut line = |reason: &str, prefix: &str, t: Option<i64>, wm: Option<i64>| {
            let l = RecordLine {
                reason,
                shard_id: &progress.shard_id,
                sequence_number: &r.sequence_number,
                sub_sequence_number: u.sub,
                partition_key: &u.partition_key,
                event_time_ms: t,
                shard_watermark_ms: wm,
                data: String::from_utf8_lossy(&u.data).into_owned(),
            };
            files
                .entry(object_key(prefix, first_arrival, &name))
                .or_default()
                .push(to_line(&l));
        };
        let input = match &u.parsed {
            Ok(input) => input,
            Err(reject) => {
                match reject {
                    Reject::Malformed => counts.malformed += 1,
                    Reject::UnknownRecordType => counts.unknown_record_type += 1,
                    Reject::NonNumericId => counts.non_numeric_id += 1,
                    Reject::BadTime | Reject::BadNumber => counts.bad_fields += 1,
                }
                line(reject.as_str(), &cfg.rejected_prefix, None, None);
                continue;
            }
        };
        let t = input.time_ms();
        let at = Position {
            sequence_number: r.sequence_number.clone(),
            sub: u.sub as u32,
        };
        let late = shard.is_late(t, join.lateness_ms);
        match input {
            Input::Order(o) => {
                counts.orders_in += 1;
                if late || shard.is_closed(order_bucket(t, &join)) {
                    counts.late_orders += 1;
                    line("late_order", &cfg.late_prefix, Some(t), shard.watermark_ms);
                    continue;
                }
                shard.watermark_ms = Some(shard.watermark_ms.map_or(t, |w| w.max(t)));
                let state = cache.entry(o.order_id).or_default();
                let stamped = Stamped {
                    at,
                    arrival_ms,
                    value: o.clone(),
                };
                match state.add_order(stamped, &join, products) {
                    None => counts.duplicates += 1,
                    Some(joined) => {
                        dirty_orders.insert(o.order_id);
                        rows.extend(joined);
                    }
                }
            }
            Input::Item(i) => {
                counts.items_in += 1;
                if late || shard.is_closed(item_bucket(t, &join)) {
                    counts.items_unmatched += 1;
                    line(
                        "late_item",
                        &cfg.unmatched_prefix,
                        Some(t),
                        shard.watermark_ms,
                    );
                    continue;
                }
                shard.watermark_ms = Some(shard.watermark_ms.map_or(t, |w| w.max(t)));
                let state = cache.entry(i.order_id).or_default();
                let stamped = Stamped {
                    at,
                    arrival_ms,
                    value: i.clone(),
                };
                match state.add_item(stamped, &join, products) {
                    ItemOutcome::Duplicate => counts.duplicates += 1,
                    ItemOutcome::Joined(row) => {
                        dirty_items.insert((i.order_id, i.item_id));
                        rows.push(*row);
                    }
                    ItemOutcome::Waiting { bucket } => {
                        dirty_items.insert((i.order_id, i.item_id));
                        waiting.insert((i.order_id, i.item_id), bucket);
                        counts.items_waiting += 1;
                    }
                }
            }
        }
    }
    let expires_at = now_ms / 1000 + cfg.state_retention.as_secs() as i64;
    let mut items: Vec<StateItem> = Vec::new();
    for id in &dirty_orders {
        if let Some(o) = cache.get(id).and_then(|s| s.order.as_ref()) {
            items.push(state::order_item(o, expires_at));
        }
    }
    for (order_id, item_id) in &dirty_items {
        if let Some(i) = cache.get(order_id).and_then(|s| s.items.get(item_id)) {
            items.push(state::item_item(i, expires_at));
        }
    }
    for ((order_id, item_id), bucket) in &waiting {
        items.push(state::waiting_item(
            *bucket, *order_id, *item_id, expires_at,
        ));
    }
    let outbox = (!files.is_empty()).then(|| {
        let sk = format!("{}#{}", progress.shard_id, first.sequence_number);
        let outbox = Outbox { files };
        items.push(StateItem {
            pk: OUTBOX_PK.to_string(),
            sk: sk.clone(),
            body: serde_json::to_string(&outbox).unwrap_or_default(),
            expires_at,
        });
        (sk, outbox)
    });
    let commit = Commit {
        shard_id: progress.shard_id.clone(),
        expected,
        expected_closed_through: progress.closed_through,
        sequence_number: records[records.len() - 1].sequence_number.clone(),
        watermark_ms: shard.watermark_ms,
        active_ms: now_ms,
        parents: progress.parents.clone(),
        open: waiting.values().copied().collect(),
        items,
        added: Counts {
            records: counts.records_in,
            late: counts.late_orders + counts.items_unmatched,
            malformed: counts.rejected(),
        },
        expires_at,
    };
    Step {
        rows,
        commit,
        outbox,
        counts,
    }
}

/// The stored progress, or for a shard's first commit a fresh one that
/// inherits its parents' watermark and the emitter's `closed_through`.
async fn load<S: StateStore, T: Topology>(
    store: &S,
    topology: &T,
    shard_id: &str,
) -> Result<(Option<ShardProgress>, ShardProgress), JoinsError> {
    if let Some(p) = store.shard(shard_id).await? {
        return Ok((Some(p.clone()), p));
    }
    let emit = store.emit_state().await?;
    let parents = topology.parents(shard_id).await?;
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
    Ok((None, fresh))
}
