//! One commit's worth of a shard's records: how many fit ([`chunk_len`]),
//! and what they do ([`apply`]): each user record is classified in shard
//! order against the shard's watermark and the emitter's `closed_through`
//! (rejected, late, or applied to its order's state), giving the rows to
//! write, the state items to commit (one [`crate::page`] item per page of
//! orders it changed, one waiting list per bucket it left items in, the
//! outbox), and the new checkpoint and watermark.

use std::collections::{BTreeMap, BTreeSet};
use streamkit_core::kpl;
use streamkit_core::progress::store::MAX_ITEMS_PER_COMMIT;
use streamkit_core::progress::{Commit, Counts, ShardProgress, StateItem};
use streamkit_core::StreamRecord;

use crate::join::{
    item_bucket, order_bucket, ItemOutcome, JoinConfig, OrderState, Position, Stamped,
};
use crate::lines::{object_key, to_line, RecordLine};
use crate::metrics::JoinCounts;
use crate::page::page_of;
use crate::products::Products;
use crate::record::{self, Input, Reject};
use crate::state::{self, Outbox, OUTBOX_PK};
use crate::JoinsConfig;

/// Outbox bytes per commit (a DynamoDB item holds 400 KB).
const MAX_OUTBOX_BYTES: usize = 256 * 1024;

/// One user record, parsed.
pub struct User {
    pub seq: usize,
    pub sub: u64,
    pub partition_key: String,
    pub data: Vec<u8>,
    pub parsed: Result<Input, Reject>,
}

pub fn users(seq: usize, r: &StreamRecord) -> Vec<User> {
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

/// How many Kinesis records (at least one) fit one commit: a page item per
/// page of orders they may change, a waiting list per bucket their items
/// may wait in, and the outbox.
pub fn chunk_len(users: &[Vec<User>], join: &JoinConfig) -> usize {
    let mut pages: BTreeSet<u64> = BTreeSet::new();
    let mut buckets: BTreeSet<i64> = BTreeSet::new();
    let mut bytes = 0usize;
    for (len, record) in users.iter().enumerate() {
        let (mut new_pages, mut new_buckets) = (pages.clone(), buckets.clone());
        for u in record {
            match &u.parsed {
                Ok(Input::Order(o)) => {
                    new_pages.insert(page_of(o.order_id));
                }
                Ok(Input::Item(i)) => {
                    new_pages.insert(page_of(i.order_id));
                    new_buckets.insert(item_bucket(i.time_ms, join));
                }
                Err(_) => {}
            }
        }
        let new_bytes: usize = record.iter().map(|u| u.data.len() + 300).sum();
        let total = new_pages.len() + new_buckets.len() + 1;
        if len > 0 && (total > MAX_ITEMS_PER_COMMIT || bytes + new_bytes > MAX_OUTBOX_BYTES) {
            return len;
        }
        (pages, buckets) = (new_pages, new_buckets);
        bytes += new_bytes;
    }
    users.len()
}

/// One chunk's effects.
pub struct Step {
    pub rows: Vec<crate::join::EnrichedRow>,
    /// Page → the orders this shard's item of it holds after the commit.
    pub pages: BTreeMap<u64, BTreeSet<u64>>,
    pub commit: Commit,
    pub outbox: Option<(String, Outbox)>,
    pub counts: JoinCounts,
}

/// Applies a chunk to the cached states (pure but for the cache, which
/// holds the states of every order on the chunk's pages; `own` is what the
/// shard's items of those pages hold).
#[allow(clippy::too_many_arguments)]
pub fn apply(
    cfg: &JoinsConfig,
    products: &Products,
    cache: &mut BTreeMap<u64, OrderState>,
    own: &BTreeMap<u64, BTreeSet<u64>>,
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
    let mut dirty: BTreeSet<u64> = BTreeSet::new();
    let mut waiting: BTreeMap<(u64, u64), i64> = BTreeMap::new();
    // No products table yet: the rows wait in the state (see crate::emit).
    let mut held: BTreeSet<(u64, u64)> = BTreeSet::new();
    let mut joined = |rows: &mut Vec<crate::join::EnrichedRow>, row: crate::join::EnrichedRow| {
        if products.is_loaded() {
            rows.push(row);
        } else {
            held.insert((row.order.order_id, row.item.item_id));
        }
    };
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
                    Some(rows_of_order) => {
                        dirty.insert(o.order_id);
                        for row in rows_of_order {
                            joined(&mut rows, row);
                        }
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
                        dirty.insert(i.order_id);
                        joined(&mut rows, *row);
                    }
                    ItemOutcome::Waiting { bucket } => {
                        dirty.insert(i.order_id);
                        waiting.insert((i.order_id, i.item_id), bucket);
                        counts.items_waiting += 1;
                    }
                }
            }
        }
    }
    let expires_at = now_ms / 1000 + cfg.state_retention.as_secs() as i64;
    let mut pages: BTreeMap<u64, BTreeSet<u64>> = BTreeMap::new();
    for id in &dirty {
        let page = page_of(*id);
        pages
            .entry(page)
            .or_insert_with(|| own.get(&page).cloned().unwrap_or_default())
            .insert(*id);
    }
    let shard_id = &progress.shard_id;
    let mut items: Vec<StateItem> = pages
        .iter()
        .map(|(page, ids)| state::page_item(shard_id, *page, ids, cache, expires_at))
        .collect();
    let commit_key = format!("{shard_id}#{}", first.sequence_number);
    let mut lists: BTreeMap<i64, BTreeSet<(u64, u64)>> = BTreeMap::new();
    for (key, bucket) in &waiting {
        lists.entry(*bucket).or_default().insert(*key);
    }
    for (bucket, entries) in &lists {
        items.push(state::waiting_item(
            *bucket,
            &commit_key,
            entries,
            expires_at,
        ));
    }
    if !held.is_empty() {
        counts.items_awaiting_products = held.len() as u64;
        items.push(state::held_item(&commit_key, &held, expires_at));
    }
    let outbox = (!files.is_empty()).then(|| {
        let sk = commit_key.clone();
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
        pages,
        commit,
        outbox,
        counts,
    }
}
