//! How the join state sits in the state store's table (through
//! [`streamkit_core::progress`]), beside the store's own progress items:
//!
//! | pk | sk | body |
//! |---|---|---|
//! | `o#{orderId}` | `order` | the order's latest version ([`Stamped`]`<Order>`) |
//! | `o#{orderId}` | `i#{itemId}` | an item's latest version |
//! | `b#{bucket}` | `{orderId}#{itemId}` | empty: the item waits in this bucket |
//! | `out` | `{shard}#{sequence}` | records to write to S3 after the commit ([`Outbox`]) |
//!
//! Each item is written by the shard that received its record (records of
//! one order share a shard when the stream is partitioned by orderId; the
//! emitter re-checks waiting items, so two shards never both miss a join).

use futures::stream::{self, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use streamkit_core::progress::{StateItem, StateStore};

use crate::join::{OrderState, Stamped};
use crate::record::{Item, Order};
use crate::JoinsError;

/// Partition key of the outbox items.
pub const OUTBOX_PK: &str = "out";
/// Order states read at once.
const READ_CONCURRENCY: usize = 16;

pub fn order_pk(order_id: u64) -> String {
    format!("o#{order_id}")
}

pub fn item_sk(item_id: u64) -> String {
    format!("i#{item_id}")
}

pub fn bucket_pk(bucket: i64) -> String {
    format!("b#{bucket:020}")
}

pub fn waiting_sk(order_id: u64, item_id: u64) -> String {
    format!("{order_id}#{item_id}")
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

/// Rebuilds an order's state from its items.
pub fn decode(items: &[StateItem]) -> Result<OrderState, JoinsError> {
    let mut state = OrderState::default();
    for item in items {
        if item.sk == "order" {
            let o: Stamped<Order> = serde_json::from_str(&item.body).map_err(|e| bad(item, e))?;
            state.order = Some(o);
        } else if item.sk.starts_with("i#") {
            let i: Stamped<Item> = serde_json::from_str(&item.body).map_err(|e| bad(item, e))?;
            state.items.insert(i.value.item_id, i);
        }
    }
    Ok(state)
}

/// The state items of an order's order version and one of its items.
pub fn order_item(order: &Stamped<Order>, expires_at: i64) -> StateItem {
    StateItem {
        pk: order_pk(order.value.order_id),
        sk: "order".into(),
        // Plain data: serializing cannot fail.
        body: serde_json::to_string(order).unwrap_or_default(),
        expires_at,
    }
}

pub fn item_item(item: &Stamped<Item>, expires_at: i64) -> StateItem {
    StateItem {
        pk: order_pk(item.value.order_id),
        sk: item_sk(item.value.item_id),
        body: serde_json::to_string(item).unwrap_or_default(),
        expires_at,
    }
}

pub fn waiting_item(bucket: i64, order_id: u64, item_id: u64, expires_at: i64) -> StateItem {
    StateItem {
        pk: bucket_pk(bucket),
        sk: waiting_sk(order_id, item_id),
        body: String::new(),
        expires_at,
    }
}

/// Reads the states of `order_ids` (strongly consistent, a few at once).
pub async fn load<S: StateStore>(
    store: &S,
    order_ids: &BTreeSet<u64>,
) -> Result<BTreeMap<u64, OrderState>, JoinsError> {
    stream::iter(order_ids.iter().copied())
        .map(|id| async move {
            let items = store.items(&order_pk(id)).await?;
            Ok::<_, JoinsError>((id, decode(&items)?))
        })
        .buffer_unordered(READ_CONCURRENCY)
        .try_collect()
        .await
}

/// The waiting entries of a bucket: (orderId, itemId).
pub fn parse_waiting(items: &[StateItem]) -> Vec<(u64, u64)> {
    items
        .iter()
        .filter_map(|i| {
            let (o, it) = i.sk.split_once('#')?;
            Some((o.parse().ok()?, it.parse().ok()?))
        })
        .collect()
}
