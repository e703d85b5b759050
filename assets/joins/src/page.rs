//! A **state page**: the join state of up to [`PAGE_ORDERS`] consecutive
//! orderIds as one shard last wrote them, in one state item
//! (pk `p#{orderId / PAGE_ORDERS}`, sk `s#{shardId}`), its body the JSON of
//! orderId → [`OrderState`], deflated and base64-encoded.
//!
//! Why pages: DynamoDB bills a write per item and per started KB (twice inside
//! a transaction, which the commit with the checkpoint is). A state item per
//! record cost about two write units per record; an order's records
//! (its order and items, ~200 bytes each) arrive together, and orderIds
//! from a database sequence arrive roughly in order, so the orders of a
//! page are written in one or two commits. A page of 16 orders and their
//! items compresses to a few KB: a fraction of a write unit per record.
//! The price is paid when orderIds arrive scattered (each commit rewrites
//! whole pages): see the README's joins section.
//!
//! Each shard writes only its own item of a page, so two shards never
//! overwrite each other's records; reading merges every shard's item of the
//! page ([`OrderState::merge`]: the newest version of each order and item), so
//! a copy of another shard's data in an item is harmless.

use base64::Engine;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use flate2::Compression;
use std::collections::BTreeMap;
use std::io::{Read, Write};

use crate::join::OrderState;

/// Consecutive orderIds per page.
pub const PAGE_ORDERS: u64 = 16;
/// Largest body written (DynamoDB items hold 400 KB with their keys).
pub const MAX_BODY_BYTES: usize = 390 * 1024;
/// Body prefix of this encoding (deflate + base64 of the JSON map).
const FORMAT: &str = "z1:";

/// The page holding `order_id`.
pub fn page_of(order_id: u64) -> u64 {
    order_id / PAGE_ORDERS
}

pub fn page_pk(page: u64) -> String {
    format!("p#{page}")
}

/// The sort key of the page item `shard_id` writes.
pub fn shard_sk(shard_id: &str) -> String {
    format!("s#{shard_id}")
}

/// The body of a page item holding `states`.
pub fn encode<'a>(states: impl IntoIterator<Item = (u64, &'a OrderState)>) -> String {
    let map: BTreeMap<u64, &OrderState> = states.into_iter().collect();
    // Plain data into a Vec: neither serializing nor deflating can fail.
    let json = serde_json::to_vec(&map).unwrap_or_default();
    let mut z = DeflateEncoder::new(Vec::new(), Compression::fast());
    let _ = z.write_all(&json);
    let bytes = z.finish().unwrap_or_default();
    let mut body = String::from(FORMAT);
    base64::engine::general_purpose::STANDARD_NO_PAD.encode_string(bytes, &mut body);
    body
}

/// The states in a page item's body.
pub fn decode(body: &str) -> Result<BTreeMap<u64, OrderState>, String> {
    let b64 = body
        .strip_prefix(FORMAT)
        .ok_or_else(|| format!("body does not start with `{FORMAT}`"))?;
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(b64)
        .map_err(|e| e.to_string())?;
    let mut json = Vec::new();
    DeflateDecoder::new(bytes.as_slice())
        .read_to_end(&mut json)
        .map_err(|e| e.to_string())?;
    serde_json::from_slice(&json).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::join::{Position, Stamped};
    use crate::record::Item;

    fn state(order_id: u64, items: u64) -> OrderState {
        let mut s = OrderState::default();
        for item_id in 0..items {
            let item = Item {
                order_id,
                item_id,
                amount: crate::decimal::Decimal::parse("9.99"),
                quantity: Some(2),
                status: Some("NEW".into()),
                date_time: "2026-11-23T10:00:00.000Z".into(),
                time_ms: 1_795_946_400_000,
            };
            let at = Position {
                sequence_number: format!("4954511524{order_id:020}{item_id}"),
                sub: 0,
            };
            s.items.insert(
                item_id,
                Stamped {
                    at,
                    arrival_ms: 1,
                    value: item,
                },
            );
        }
        s
    }

    #[test]
    fn a_page_round_trips_and_compresses() {
        let states: Vec<(u64, OrderState)> = (32..48).map(|id| (id, state(id, 2))).collect();
        let body = encode(states.iter().map(|(id, s)| (*id, s)));
        let back = decode(&body).unwrap();
        assert_eq!(back.len(), 16);
        assert_eq!(back[&40], states[8].1);
        let json = serde_json::to_string(&back).unwrap();
        assert!(
            body.len() * 3 < json.len(),
            "{} vs {}",
            body.len(),
            json.len()
        );
        assert_eq!(page_of(47), 2);
        assert_eq!(page_of(48), 3);
    }

    #[test]
    fn a_body_in_another_format_is_an_error() {
        assert!(decode("{}").unwrap_err().contains("z1:"));
        assert!(decode("z1:@@").is_err());
    }
}
