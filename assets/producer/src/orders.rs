//! `--kind orders`: the streaming-joins demo data (spec `joins.md`), with the
//! original record schemas and field names: orders, two order items per order
//! and a `products.json` of 1,000 products (one JSON object per line).
//!
//! The whole run is planned up front ([`plan`]) as a replay schedule: record
//! `k` is sent `k / rate` seconds after the start and every record of order
//! `i` carries the order's event time (`orderDateTime`), so event time follows
//! the send schedule. On top of that, optional disorder: items sent before
//! their order, records moved a few positions later (out of order), orders
//! never sent (their items stay unmatched), orders sent `late_by` after their
//! event time (late), duplicated records, and items of unknown products.
//! Amounts are exact decimals with two places, written as JSON numbers.

use chrono::{DateTime, Utc};
use std::time::Duration;
use streamkit_core::events::format_time;

use crate::replay::ReplayRecord;

/// Number of products in the reference file.
pub const PRODUCTS: u64 = 1000;
/// Items of unknown products use ids above the catalogue.
const UNKNOWN_PRODUCT_IDS: std::ops::RangeInclusive<u64> = 1001..=1100;

const ORDER_STATUS: [&str; 4] = ["PENDING", "PAID", "SHIPPED", "CANCELED"];
const ITEM_STATUS: [&str; 3] = ["NEW", "PICKED", "SHIPPED"];
const NAMES: [&str; 8] = [
    "Ana Lima",
    "Ben Okafor",
    "Chen Wei",
    "Dana Cruz",
    "Eli Novak",
    "Fay Adams",
    "Gus Moreau",
    "Hana Sato",
];
const STREETS: [&str; 6] = [
    "Main St", "Oak Ave", "Pine Rd", "Lake Dr", "Hill Ln", "Elm Ct",
];
const CITIES: [(&str, &str); 6] = [
    ("Seattle", "WA"),
    ("Austin", "TX"),
    ("Denver", "CO"),
    ("Boston", "MA"),
    ("Miami", "FL"),
    ("Chicago", "IL"),
];
const ADJECTIVES: [&str; 8] = [
    "Small", "Large", "Red", "Blue", "Smart", "Classic", "Eco", "Pro",
];
const NOUNS: [&str; 8] = [
    "Widget", "Lamp", "Chair", "Kettle", "Backpack", "Speaker", "Mug", "Router",
];

/// What to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct OrdersOptions {
    /// Orders (each with two items).
    pub count: u64,
    /// Records per second of the send schedule.
    pub rate: u64,
    pub seed: Option<u64>,
    /// Id of the first order (later ones count up).
    pub first_order_id: u64,
    /// Fraction of orders whose two items are sent before the order.
    pub items_first: f64,
    /// Fraction of records sent up to 20 positions later than planned.
    pub out_of_order: f64,
    /// Fraction of orders never sent (their items are).
    pub missing_orders: f64,
    /// Fraction of orders sent `late_by` after their event time.
    pub late_orders: f64,
    pub late_by: Duration,
    /// Fraction of records sent twice.
    pub duplicates: f64,
    /// Fraction of items whose product is not in the products file.
    pub unknown_products: f64,
}

impl OrdersOptions {
    pub fn new(count: u64, rate: u64) -> Self {
        OrdersOptions {
            count,
            rate,
            seed: None,
            first_order_id: 1,
            items_first: 0.1,
            out_of_order: 0.0,
            missing_orders: 0.0,
            late_orders: 0.0,
            late_by: Duration::from_secs(300),
            duplicates: 0.0,
            unknown_products: 0.0,
        }
    }
}

/// One product of the reference file.
#[derive(Clone, Debug, PartialEq)]
pub struct Product {
    pub id: u64,
    pub name: String,
    pub price_cents: u64,
}

impl Product {
    /// `{"productId":..,"productName":..,"productPrice":..}`
    pub fn to_json(&self) -> String {
        format!(
            "{{\"productId\":{},\"productName\":{},\"productPrice\":{}}}",
            self.id,
            quote(&self.name),
            cents(self.price_cents)
        )
    }
}

/// The products file: one JSON object per line.
pub fn products_file(products: &[Product]) -> String {
    products.iter().map(|p| p.to_json() + "\n").collect()
}

/// The 1,000 products (deterministic: the same file for every seed).
pub fn products() -> Vec<Product> {
    (1..=PRODUCTS)
        .map(|id| {
            let i = id as usize;
            Product {
                id,
                name: format!(
                    "{} {} {id:04}",
                    ADJECTIVES[i % ADJECTIVES.len()],
                    NOUNS[(i / ADJECTIVES.len()) % NOUNS.len()]
                ),
                price_cents: 99 + (id * 7919) % 49_900,
            }
        })
        .collect()
}

/// A planned run: the records in send order (offsets in seconds from the
/// start) and how many orders were deliberately left out or sent late.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub records: Vec<ReplayRecord>,
    /// Order ids never sent.
    pub missing: Vec<u64>,
    /// Order ids sent `late_by` after their event time.
    pub late: Vec<u64>,
}

/// Plans the run starting at `start`.
pub fn plan(opts: &OrdersOptions, start: DateTime<Utc>) -> Plan {
    let mut rng = opts
        .seed
        .map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed);
    let catalogue = products();
    let rate = opts.rate.max(1) as f64;
    let mut out = Plan::default();
    // (send offset, tie-break position, record)
    let mut planned: Vec<(f64, usize, ReplayRecord)> = Vec::new();
    let mut pos = 0usize;
    let mut push = |offset: f64, key: u64, data: String, planned: &mut Vec<_>| {
        let r = ReplayRecord {
            partition_key: key.to_string(),
            data: data.into_bytes(),
            offset: None,
        };
        planned.push((offset, pos, r));
        pos += 1;
    };
    for i in 0..opts.count {
        let order_id = opts.first_order_id + i;
        let base = (3 * i) as f64 / rate;
        let time = start + chrono::Duration::milliseconds((base * 1000.0) as i64);
        let when = format_time(time);
        let mut items = Vec::with_capacity(2);
        let mut total = 0u64;
        let mut first_item = 0u64;
        for _ in 0..2 {
            let item_id = loop {
                let id = if rng.f64() < opts.unknown_products {
                    rng.u64(UNKNOWN_PRODUCT_IDS)
                } else {
                    rng.u64(1..=PRODUCTS)
                };
                if id != first_item {
                    break id;
                }
            };
            first_item = item_id;
            let quantity = rng.u64(1..=5);
            let unit = catalogue
                .get(item_id as usize - 1)
                .map_or_else(|| rng.u64(100..=20_000), |p| p.price_cents);
            let amount = unit * quantity;
            total += amount;
            items.push(format!(
                "{{\"orderId\":{order_id},\"itemId\":{item_id},\"itemAmount\":{},\"itemQuantity\":{quantity},\"itemStatus\":{},\"orderDateTime\":{},\"recordType\":\"OrderItem\"}}",
                cents(amount),
                quote(ITEM_STATUS[rng.usize(..ITEM_STATUS.len())]),
                quote(&when),
            ));
        }
        let (city, state) = CITIES[rng.usize(..CITIES.len())];
        let order = format!(
            "{{\"orderId\":{order_id},\"orderAmount\":{},\"orderStatus\":{},\"orderDateTime\":{},\"shipToName\":{},\"shipToAddress\":{},\"shipToCity\":{},\"shipToState\":{},\"shipToZip\":{},\"recordType\":\"Order\"}}",
            cents(total),
            quote(ORDER_STATUS[rng.usize(..ORDER_STATUS.len())]),
            quote(&when),
            quote(NAMES[rng.usize(..NAMES.len())]),
            quote(&format!("{} {}", rng.u32(1..=9999), STREETS[rng.usize(..STREETS.len())])),
            quote(city),
            quote(state),
            quote(&format!("{:05}", rng.u32(1000..=99_999))),
        );
        let offsets = [base, base + 1.0 / rate, base + 2.0 / rate];
        let items_first = rng.f64() < opts.items_first;
        let (order_at, item_at) = if items_first {
            (offsets[2], [offsets[0], offsets[1]])
        } else {
            (offsets[0], [offsets[1], offsets[2]])
        };
        for (item, at) in items.into_iter().zip(item_at) {
            push(at, order_id, item, &mut planned);
        }
        if rng.f64() < opts.missing_orders {
            out.missing.push(order_id);
        } else if rng.f64() < opts.late_orders {
            out.late.push(order_id);
            push(
                base + opts.late_by.as_secs_f64(),
                order_id,
                order,
                &mut planned,
            );
        } else {
            push(order_at, order_id, order, &mut planned);
        }
    }
    let step = 1.0 / rate;
    let mut extra = Vec::new();
    for (offset, p, r) in planned.iter_mut() {
        if rng.f64() < opts.out_of_order {
            *offset += step * rng.u32(1..=20) as f64 + step / 2.0;
        }
        if rng.f64() < opts.duplicates {
            extra.push((*offset + step * rng.u32(1..=50) as f64, *p, r.clone()));
        }
    }
    planned.extend(extra);
    planned.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    out.records = planned
        .into_iter()
        .map(|(offset, _, mut r)| {
            r.offset = Some(offset);
            r
        })
        .collect();
    out
}

/// Integer cents as an exact decimal with two places (`1234` → `12.34`).
pub fn cents(c: u64) -> String {
    format!("{}.{:02}", c / 100, c % 100)
}

fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn fields(line: &[u8]) -> Vec<String> {
        let v: serde_json::Map<String, Value> = serde_json::from_slice(line).unwrap();
        v.keys().cloned().collect()
    }

    #[test]
    fn records_have_the_original_schemas() {
        let mut o = OrdersOptions::new(20, 1000);
        o.seed = Some(3);
        let p = plan(&o, Utc::now());
        assert_eq!(p.records.len(), 60);
        let order = p
            .records
            .iter()
            .find(|r| r.data.ends_with(b"\"Order\"}"))
            .unwrap();
        assert_eq!(
            fields(&order.data),
            [
                "orderId",
                "orderAmount",
                "orderStatus",
                "orderDateTime",
                "shipToName",
                "shipToAddress",
                "shipToCity",
                "shipToState",
                "shipToZip",
                "recordType"
            ]
        );
        let item = p
            .records
            .iter()
            .find(|r| r.data.ends_with(b"\"OrderItem\"}"))
            .unwrap();
        assert_eq!(
            fields(&item.data),
            [
                "orderId",
                "itemId",
                "itemAmount",
                "itemQuantity",
                "itemStatus",
                "orderDateTime",
                "recordType"
            ]
        );
        let products = products();
        assert_eq!(products.len(), 1000);
        assert_eq!(
            fields(products[0].to_json().as_bytes()),
            ["productId", "productName", "productPrice"]
        );
        assert!(products.iter().all(|p| p.name.len() <= 32));
    }

    #[test]
    fn disorder_options_are_applied() {
        let mut o = OrdersOptions::new(200, 1000);
        o.seed = Some(9);
        o.missing_orders = 0.1;
        o.late_orders = 0.1;
        o.duplicates = 0.05;
        let p = plan(&o, Utc::now());
        assert!(!p.missing.is_empty() && !p.late.is_empty());
        let orders = p
            .records
            .iter()
            .filter(|r| r.data.ends_with(b"\"Order\"}"))
            .count();
        assert!(orders >= 200 - p.missing.len(), "{orders}");
        assert!(p.records.len() > 600 - p.missing.len(), "duplicates added");
        let offsets: Vec<f64> = p.records.iter().map(|r| r.offset.unwrap()).collect();
        assert!(offsets.windows(2).all(|w| w[0] <= w[1]), "send order");
    }

    #[test]
    fn amounts_are_exact_two_place_decimals() {
        assert_eq!(cents(1234), "12.34");
        assert_eq!(cents(5), "0.05");
    }
}
