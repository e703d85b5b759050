//! The join itself, pure (no I/O): the state of one `orderId` and what each
//! record or closing bucket does to it.
//!
//! - **Interval join**: item `i` joins order `o` of the same `orderId` when
//!   `|i.time − o.time| ≤ W` (event time, `orderDateTime`).
//! - **Left join with products** on `itemId = productId`: a missing product
//!   gives a row without product fields ([`EnrichedRow::product`] `None`).
//! - **Versions**: every record carries its stream position ([`Position`]).
//!   A record at or before the stored version of the same order or item is a
//!   duplicate delivery and changes nothing; a later one (a DMS update)
//!   replaces it and rewrites the affected rows. A row's version is
//!   (order position, item position), so writes conditioned on a higher
//!   version are idempotent and never lose an update.
//! - **Buckets**: an item that finds no order waits in the bucket that closes
//!   at [`item_bucket`]; once the watermark passes it, [`OrderState::resolve`]
//!   joins it (its order came meanwhile) or declares it unmatched with a
//!   reason. An order can still join items only while [`order_bucket`] is
//!   open, which is what makes a record either joined or late, never both.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::products::{Product, Products};
use crate::record::{Item, Order};

/// Window and lateness of the join, in ms of event time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JoinConfig {
    /// W: the largest |item time − order time| that joins.
    pub window_ms: i64,
    /// L: how far behind its shard's watermark a record may arrive.
    pub lateness_ms: i64,
}

/// Buckets close on whole seconds of event time.
pub const BUCKET_MS: i64 = 1000;

fn ceil_bucket(t: i64) -> i64 {
    t.div_euclid(BUCKET_MS) * BUCKET_MS
        + if t.rem_euclid(BUCKET_MS) == 0 {
            0
        } else {
            BUCKET_MS
        }
}

/// The watermark at which an item at `t` with no order is final: every order
/// within W of it has arrived or is late.
pub fn item_bucket(t: i64, cfg: &JoinConfig) -> i64 {
    ceil_bucket(t + cfg.window_ms + cfg.lateness_ms + 1)
}

/// The lowest bucket an order at `t` can affect (that of items at `t − W`):
/// while it is open, the order may join.
pub fn order_bucket(t: i64, cfg: &JoinConfig) -> i64 {
    ceil_bucket(t + cfg.lateness_ms + 1)
}

/// A record's place in its shard: sequence number and KPL sub-record index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub sequence_number: String,
    pub sub: u32,
}

impl Position {
    /// Sortable text: length-prefixed sequence number, then the sub index.
    pub fn key(&self) -> String {
        let seq = self.sequence_number.trim_start_matches('0');
        format!("{:03}{seq}:{:06}", seq.len(), self.sub)
    }
}

impl Ord for Position {
    fn cmp(&self, other: &Self) -> Ordering {
        streamkit_core::record::cmp_sequence(&self.sequence_number, &other.sequence_number)
            .then(self.sub.cmp(&other.sub))
    }
}

impl PartialOrd for Position {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A record with where and when it arrived.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamped<T> {
    pub at: Position,
    /// Approximate arrival in the stream (ms since the epoch).
    pub arrival_ms: i64,
    pub value: T,
}

/// One output row: the order's fields, the item's, and the product's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnrichedRow {
    pub order: Order,
    pub item: Item,
    pub product: Option<Product>,
    /// (order position, item position): higher means newer.
    pub version: String,
    /// Arrival of the later of the two records (the original's `event_ts`).
    pub event_ts_ms: i64,
}

/// Why an item ended unmatched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unmatched {
    /// No order with this orderId arrived before the watermark passed the item's window.
    OrderNotFound,
    /// The order arrived, but its time is more than W from the item's.
    OrderOutsideInterval,
    /// The item itself arrived after its window had closed (late).
    LateItem,
}

impl Unmatched {
    pub fn as_str(self) -> &'static str {
        match self {
            Unmatched::OrderNotFound => "order_not_found",
            Unmatched::OrderOutsideInterval => "order_outside_interval",
            Unmatched::LateItem => "late_item",
        }
    }
}

/// What adding an item did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemOutcome {
    Joined(Box<EnrichedRow>),
    /// No order (within W) yet: wait in this bucket.
    Waiting {
        bucket: i64,
    },
    /// A duplicate delivery (this version or a newer one is stored).
    Duplicate,
}

/// What a closing bucket decides for one waiting item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    Joined(Box<EnrichedRow>),
    Unmatched(Unmatched),
    /// The item moved to another bucket (a newer version) or is gone.
    Elsewhere,
}

/// Everything known about one orderId.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderState {
    pub order: Option<Stamped<Order>>,
    pub items: BTreeMap<u64, Stamped<Item>>,
}

impl OrderState {
    /// Adds what `other` knows, keeping the newest version (highest
    /// position) of the order and of each item: merging is idempotent,
    /// commutative and associative, so the items several shards wrote of one
    /// page (or copies of each other's data) combine in any order to the same state.
    pub fn merge(&mut self, other: OrderState) {
        if let Some(o) = other.order {
            if self.order.as_ref().is_none_or(|mine| mine.at < o.at) {
                self.order = Some(o);
            }
        }
        for (id, i) in other.items {
            if self.items.get(&id).is_none_or(|mine| mine.at < i.at) {
                self.items.insert(id, i);
            }
        }
    }

    /// Adds an order version; returns the rows to (re)write, or `None` for a
    /// duplicate delivery.
    pub fn add_order(
        &mut self,
        order: Stamped<Order>,
        cfg: &JoinConfig,
        products: &Products,
    ) -> Option<Vec<EnrichedRow>> {
        if self.order.as_ref().is_some_and(|o| o.at >= order.at) {
            return None;
        }
        self.order = Some(order);
        let order = self.order.as_ref()?;
        Some(
            self.items
                .values()
                .filter(|i| within(order, i, cfg))
                .map(|i| row(order, i, products))
                .collect(),
        )
    }

    /// Adds an item version.
    pub fn add_item(
        &mut self,
        item: Stamped<Item>,
        cfg: &JoinConfig,
        products: &Products,
    ) -> ItemOutcome {
        let id = item.value.item_id;
        if self.items.get(&id).is_some_and(|i| i.at >= item.at) {
            return ItemOutcome::Duplicate;
        }
        let bucket = item_bucket(item.value.time_ms, cfg);
        self.items.insert(id, item);
        let item = &self.items[&id];
        match &self.order {
            Some(order) if within(order, item, cfg) => {
                ItemOutcome::Joined(Box::new(row(order, item, products)))
            }
            _ => ItemOutcome::Waiting { bucket },
        }
    }

    /// Decides a waiting item once its bucket closes.
    pub fn resolve(
        &self,
        item_id: u64,
        bucket: i64,
        cfg: &JoinConfig,
        products: &Products,
    ) -> Resolution {
        let Some(item) = self.items.get(&item_id) else {
            return Resolution::Elsewhere;
        };
        if item_bucket(item.value.time_ms, cfg) != bucket {
            return Resolution::Elsewhere;
        }
        match &self.order {
            Some(order) if within(order, item, cfg) => {
                Resolution::Joined(Box::new(row(order, item, products)))
            }
            Some(_) => Resolution::Unmatched(Unmatched::OrderOutsideInterval),
            None => Resolution::Unmatched(Unmatched::OrderNotFound),
        }
    }
}

impl OrderState {
    /// The row of `item_id` as the state now joins it (its order within W),
    /// with `products`: what a row held back while no products table had
    /// loaded becomes once one has.
    pub fn row_of(
        &self,
        item_id: u64,
        cfg: &JoinConfig,
        products: &Products,
    ) -> Option<EnrichedRow> {
        let item = self.items.get(&item_id)?;
        let order = self.order.as_ref()?;
        within(order, item, cfg).then(|| row(order, item, products))
    }
}

fn within(order: &Stamped<Order>, item: &Stamped<Item>, cfg: &JoinConfig) -> bool {
    (item.value.time_ms - order.value.time_ms).abs() <= cfg.window_ms
}

fn row(order: &Stamped<Order>, item: &Stamped<Item>, products: &Products) -> EnrichedRow {
    EnrichedRow {
        order: order.value.clone(),
        item: item.value.clone(),
        product: products.get(item.value.item_id).cloned(),
        version: format!("{}/{}", order.at.key(), item.at.key()),
        event_ts_ms: order.arrival_ms.max(item.arrival_ms),
    }
}

#[cfg(test)]
mod tests;
