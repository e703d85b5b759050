//! A state store in memory with exactly the conditional semantics of
//! [`super::DynamoStore`], for property tests with many cases and for
//! benchmarks. It also counts the capacity units DynamoDB on-demand would
//! bill for the same calls (reads: 4 KB units, strongly consistent;
//! writes: 1 KB units, doubled inside transactions).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use super::{Commit, EmitState, ShardProgress, StateItem, StateStore, StoreError};

/// Request units the same calls would use on DynamoDB on-demand.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub read_units: u64,
    pub write_units: u64,
    pub calls: u64,
}

#[derive(Default)]
struct Inner {
    shards: BTreeMap<String, ShardProgress>,
    emit: EmitState,
    items: BTreeMap<(String, String), StateItem>,
    usage: Usage,
}

/// See the module docs.
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

/// Approximate stored size of a progress item (bytes).
fn progress_size(p: &ShardProgress) -> usize {
    120 + p.shard_id.len() * 2
        + p.sequence_number.len() * 2
        + p.parents.iter().map(String::len).sum::<usize>()
        + p.open.len() * 21
}

fn item_size(i: &StateItem) -> usize {
    40 + i.pk.len() + i.sk.len() + i.body.len()
}

fn units(bytes: usize, unit: usize) -> u64 {
    bytes.div_ceil(unit).max(1) as u64
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// Capacity units used so far.
    pub fn usage(&self) -> Usage {
        self.lock().usage
    }

    /// Number of state items held.
    pub fn item_count(&self) -> usize {
        self.lock().items.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent data (every
        // operation validates before it writes).
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl StateStore for MemoryStore {
    async fn shard(&self, shard_id: &str) -> Result<Option<ShardProgress>, StoreError> {
        let mut g = self.lock();
        let found = g.shards.get(shard_id).cloned();
        g.usage.calls += 1;
        g.usage.read_units += found.as_ref().map_or(1, |p| units(progress_size(p), 4096));
        Ok(found)
    }

    async fn shards(&self) -> Result<Vec<ShardProgress>, StoreError> {
        let mut g = self.lock();
        let all: Vec<ShardProgress> = g.shards.values().cloned().collect();
        g.usage.calls += 1;
        g.usage.read_units += units(all.iter().map(progress_size).sum(), 4096);
        Ok(all)
    }

    async fn emit_state(&self) -> Result<EmitState, StoreError> {
        let mut g = self.lock();
        g.usage.calls += 1;
        g.usage.read_units += 1;
        Ok(g.emit.clone())
    }

    async fn commit(&self, c: &Commit) -> Result<bool, StoreError> {
        let mut g = self.lock();
        g.usage.calls += 1;
        let first = c.expected.as_ref().is_none_or(|e| !e.started());
        let current = g.shards.get(&c.shard_id);
        let ok = if first {
            current.is_none_or(|p| !p.started())
                && g.emit.closed_through == c.expected_closed_through
        } else {
            current.zip(c.expected.as_ref()).is_some_and(|(cur, exp)| {
                cur.sequence_number == exp.sequence_number
                    && cur.closed_through == exp.closed_through
            })
        };
        if !ok {
            g.usage.write_units += 2;
            return Ok(false);
        }
        let mut p = g.shards.get(&c.shard_id).cloned().unwrap_or_default();
        if first {
            p.shard_id = c.shard_id.clone();
            p.parents = c.parents.clone();
            p.closed_through = c.expected_closed_through;
        }
        p.sequence_number = c.sequence_number.clone();
        if c.watermark_ms.is_some() {
            p.watermark_ms = c.watermark_ms;
        }
        p.active_ms = c.active_ms;
        p.open.extend(&c.open);
        p.counts.records += c.added.records;
        p.counts.late += c.added.late;
        p.counts.malformed += c.added.malformed;
        let mut written = units(progress_size(&p), 1024);
        if first {
            written += 1; // the condition check on the emitter's record
        }
        for item in &c.items {
            written += units(item_size(item), 1024);
            g.items
                .insert((item.pk.clone(), item.sk.clone()), item.clone());
        }
        g.usage.write_units += 2 * written;
        g.shards.insert(c.shard_id.clone(), p);
        Ok(true)
    }

    async fn register(
        &self,
        shard_id: &str,
        parents: &[String],
        active_ms: i64,
    ) -> Result<(), StoreError> {
        let mut g = self.lock();
        g.usage.calls += 1;
        g.usage.write_units += 1;
        g.shards
            .entry(shard_id.to_string())
            .or_insert_with(|| ShardProgress {
                shard_id: shard_id.to_string(),
                parents: parents.to_vec(),
                active_ms,
                ..ShardProgress::default()
            });
        Ok(())
    }

    async fn begin_close(
        &self,
        expected: Option<i64>,
        through: i64,
        buckets: &BTreeSet<i64>,
    ) -> Result<bool, StoreError> {
        let mut g = self.lock();
        g.usage.calls += 1;
        g.usage.write_units += 1;
        if g.emit.closed_through != expected {
            return Ok(false);
        }
        g.emit.closed_through = Some(through);
        g.emit.closing.extend(buckets);
        Ok(true)
    }

    async fn mark_closed(
        &self,
        shard_id: &str,
        through: i64,
        buckets: &BTreeSet<i64>,
    ) -> Result<(), StoreError> {
        let mut g = self.lock();
        g.usage.calls += 1;
        g.usage.write_units += 1;
        if let Some(p) = g.shards.get_mut(shard_id) {
            if p.closed_through.is_none_or(|c| c < through) {
                p.closed_through = Some(through);
            }
            p.open.retain(|b| !buckets.contains(b));
        }
        Ok(())
    }

    async fn promote(&self, buckets: &BTreeSet<i64>) -> Result<(), StoreError> {
        let mut g = self.lock();
        g.usage.calls += 1;
        g.usage.write_units += 1;
        g.emit.ready.extend(buckets);
        g.emit.closing.retain(|b| !buckets.contains(b));
        Ok(())
    }

    async fn finish(&self, bucket: i64) -> Result<(), StoreError> {
        let mut g = self.lock();
        g.usage.calls += 1;
        g.usage.write_units += 1;
        g.emit.ready.remove(&bucket);
        Ok(())
    }

    async fn remove(&self, pk: &str, sk: &str) -> Result<(), StoreError> {
        let mut g = self.lock();
        g.usage.calls += 1;
        g.usage.write_units += 1;
        g.items.remove(&(pk.to_string(), sk.to_string()));
        Ok(())
    }

    async fn items(&self, pk: &str) -> Result<Vec<StateItem>, StoreError> {
        let mut g = self.lock();
        let found: Vec<StateItem> = g
            .items
            .range((pk.to_string(), String::new())..)
            .take_while(|((p, _), _)| p == pk)
            .map(|(_, v)| v.clone())
            .collect();
        g.usage.calls += 1;
        g.usage.read_units += units(found.iter().map(item_size).sum(), 4096);
        Ok(found)
    }
}
