//! How the join state sits in the state store's table (through
//! [`streamkit_core::progress`]), beside the store's own progress items:
//!
//! | pk | sk | body |
//! |---|---|---|
//! | `p#{orderId / 16}` | `s#{shardId}` | a [`page`]: the states ([`OrderState`]) of the page's orders this shard wrote, compressed |
//! | `b#{bucket}` | `{shardId}#{sequence}` | JSON `[[orderId, itemId], ...]`: items a commit left waiting in this bucket |
//! | `out` | `{shard}#{sequence}` | records to write to S3 after the commit ([`Outbox`]) |
//! | `h` | `{shard}#{sequence}` | JSON `[[orderId, itemId], ...]`: rows a commit joined while no products table had loaded, held until one has |
//!
//! Both the pages and the waiting lists are written once per commit (a run
//! of up to a whole batch of records), not once per record: see [`page`] for
//! why. Records of one order share a shard when the stream is partitioned by
//! orderId; when they do not, reading merges every shard's page item and
//! the emitter re-checks waiting items, so two shards never both miss a join.

use futures::stream::{self, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use streamkit_core::progress::{StateItem, StateStore};

use crate::join::OrderState;
use crate::page::{self, page_of, page_pk, shard_sk};
use crate::JoinsError;

/// Partition key of the outbox items.
pub const OUTBOX_PK: &str = "out";
/// Partition key of the rows held until a products table has loaded.
pub const HELD_PK: &str = "h";
/// Pages read at once.
const READ_CONCURRENCY: usize = 16;

pub fn bucket_pk(bucket: i64) -> String {
    format!("b#{bucket:020}")
}

/// S3 objects (JSON lines) to write once the commit holding them succeeded.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Outbox {
    /// Object key → lines.
    pub files: BTreeMap<String, Vec<String>>,
}

fn bad(item: &StateItem, e: impl ToString) -> JoinsError {
    JoinsError::BadState(format!("{}/{}", item.pk, item.sk), e.to_string())
}

/// The pages read for a shard: every order's state (all shards' items
/// merged) and which orders the shard's own item of each page holds.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    pub states: BTreeMap<u64, OrderState>,
    /// Page → orderIds in this shard's item of it.
    pub own: BTreeMap<u64, BTreeSet<u64>>,
    pub pages: BTreeSet<u64>,
}

impl Loaded {
    pub fn extend(&mut self, other: Loaded) {
        self.states.extend(other.states);
        self.own.extend(other.own);
        self.pages.extend(other.pages);
    }
}

/// Reads `pages` (strongly consistent, a few at once), `own` for `shard_id`.
pub async fn load_pages<S: StateStore>(
    store: &S,
    pages: &BTreeSet<u64>,
    shard_id: &str,
) -> Result<Loaded, JoinsError> {
    let sk = shard_sk(shard_id);
    let read: Vec<(u64, Vec<StateItem>)> = stream::iter(pages.iter().copied())
        .map(|p| async move { Ok::<_, JoinsError>((p, store.items(&page_pk(p)).await?)) })
        .buffer_unordered(READ_CONCURRENCY)
        .try_collect()
        .await?;
    let mut out = Loaded {
        pages: pages.clone(),
        ..Loaded::default()
    };
    for (p, items) in read {
        for item in items {
            let states = page::decode(&item.body).map_err(|e| bad(&item, e))?;
            if item.sk == sk {
                out.own.insert(p, states.keys().copied().collect());
            }
            for (id, s) in states {
                out.states.entry(id).or_default().merge(s);
            }
        }
    }
    Ok(out)
}

/// The states of `order_ids` (absent ones empty).
pub async fn load<S: StateStore>(
    store: &S,
    order_ids: &BTreeSet<u64>,
) -> Result<BTreeMap<u64, OrderState>, JoinsError> {
    let pages = order_ids.iter().map(|id| page_of(*id)).collect();
    let mut loaded = load_pages(store, &pages, "").await?;
    Ok(order_ids
        .iter()
        .map(|id| (*id, loaded.states.remove(id).unwrap_or_default()))
        .collect())
}

/// The page item `shard_id` writes: the states of `orders` from `states`.
pub fn page_item(
    shard_id: &str,
    page: u64,
    orders: &BTreeSet<u64>,
    states: &BTreeMap<u64, OrderState>,
    expires_at: i64,
) -> StateItem {
    StateItem {
        pk: page_pk(page),
        sk: shard_sk(shard_id),
        body: page::encode(
            orders
                .iter()
                .filter_map(|id| states.get(id).map(|s| (*id, s))),
        ),
        expires_at,
    }
}

/// The waiting list a commit (`{shard}#{first sequence}`) adds to `bucket`.
pub fn waiting_item(
    bucket: i64,
    commit_key: &str,
    entries: &BTreeSet<(u64, u64)>,
    expires_at: i64,
) -> StateItem {
    StateItem {
        pk: bucket_pk(bucket),
        sk: commit_key.to_string(),
        // Plain data: serializing cannot fail.
        body: serde_json::to_string(entries).unwrap_or_default(),
        expires_at,
    }
}

/// The rows a commit (`{shard}#{first sequence}`) holds back until a
/// products table has loaded: (orderId, itemId), read with [`parse_waiting`].
pub fn held_item(commit_key: &str, entries: &BTreeSet<(u64, u64)>, expires_at: i64) -> StateItem {
    StateItem {
        pk: HELD_PK.to_string(),
        ..waiting_item(0, commit_key, entries, expires_at)
    }
}

/// The waiting entries of a bucket, each once: (orderId, itemId). An entry
/// of the earlier layout (sk `{orderId}#{itemId}`, empty body) is read too.
pub fn parse_waiting(items: &[StateItem]) -> Result<BTreeSet<(u64, u64)>, JoinsError> {
    let mut out = BTreeSet::new();
    for i in items {
        if i.body.is_empty() {
            let entry =
                i.sk.split_once('#')
                    .and_then(|(o, it)| Some((o.parse().ok()?, it.parse().ok()?)));
            out.extend(entry);
            continue;
        }
        let entries: Vec<(u64, u64)> = serde_json::from_str(&i.body).map_err(|e| bad(i, e))?;
        out.extend(entries);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_lists_merge_with_entries_of_the_earlier_layout() {
        let list = waiting_item(5, "shardId-1#42", &BTreeSet::from([(1, 2), (3, 4)]), 9);
        assert_eq!(list.pk, "b#00000000000000000005");
        let legacy = StateItem {
            pk: list.pk.clone(),
            sk: "3#4".into(),
            body: String::new(),
            expires_at: 9,
        };
        let again = waiting_item(5, "shardId-2#7", &BTreeSet::from([(6, 1)]), 9);
        let all = parse_waiting(&[list, legacy, again]).unwrap();
        assert_eq!(all, BTreeSet::from([(1, 2), (3, 4), (6, 1)]));
        let junk = StateItem {
            pk: "b#1".into(),
            sk: "s#x".into(),
            body: "{".into(),
            expires_at: 0,
        };
        assert!(parse_waiting(&[junk]).is_err());
    }
}
