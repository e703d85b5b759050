//! The JSON-lines outputs a user inspects: where each object goes (a
//! deterministic key under its prefix, partitioned by hour) and what each
//! line says. Records keep their original schema in `data`.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::Serialize;

use crate::record::Item;

/// One rejected or late record, with where it came from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecordLine<'a> {
    /// e.g. `malformed`, `unknown_record_type`, `non_numeric_id`, `late_order`, `late_item`.
    pub reason: &'a str,
    pub shard_id: &'a str,
    pub sequence_number: &'a str,
    pub sub_sequence_number: u64,
    pub partition_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_time_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard_watermark_ms: Option<i64>,
    /// The record as received (lossy for bytes that are not UTF-8).
    pub data: String,
}

/// One item that stayed unmatched when its bucket closed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UnmatchedLine {
    pub reason: &'static str,
    pub order_id: u64,
    pub item_id: u64,
    /// The watermark at which it was decided (ms of event time).
    pub bucket_ms: i64,
    pub window_seconds: i64,
    /// The order's `orderDateTime` when an order arrived outside the window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_date_time: Option<String>,
    /// The item in its original schema.
    pub data: String,
}

/// `{prefix}year=YYYY/month=MM/day=DD/hour=HH/{name}.jsonl` for `time_ms`.
pub fn object_key(prefix: &str, time_ms: i64, name: &str) -> String {
    let t = DateTime::<Utc>::from_timestamp_millis(time_ms).unwrap_or_default();
    format!(
        "{prefix}year={:04}/month={:02}/day={:02}/hour={:02}/{name}.jsonl",
        t.year(),
        t.month(),
        t.day(),
        t.hour()
    )
}

/// An item in the original `OrderItem` schema (amounts as exact JSON numbers).
pub fn item_json(i: &Item) -> String {
    let mut out = format!("{{\"orderId\":{},\"itemId\":{}", i.order_id, i.item_id);
    if let Some(a) = &i.amount {
        out.push_str(&format!(",\"itemAmount\":{a}"));
    }
    if let Some(q) = i.quantity {
        out.push_str(&format!(",\"itemQuantity\":{q}"));
    }
    if let Some(s) = &i.status {
        out.push_str(&format!(",\"itemStatus\":{}", quote(s)));
    }
    out.push_str(&format!(
        ",\"orderDateTime\":{},\"recordType\":\"OrderItem\"}}",
        quote(&i.date_time)
    ));
    out
}

pub fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// Serializes a line (plain data: cannot fail).
pub fn to_line<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_hourly_and_deterministic() {
        assert_eq!(
            object_key("late/", 1_795_428_000_123, "shardId-0-42"),
            "late/year=2026/month=11/day=23/hour=10/shardId-0-42.jsonl"
        );
    }

    #[test]
    fn items_keep_the_original_schema() {
        let text = r#"{"orderId":7,"itemId":42,"itemAmount":19.99,"itemQuantity":2,"itemStatus":"NEW","orderDateTime":"2026-11-23T10:00:00.123Z","recordType":"OrderItem"}"#;
        let Ok(crate::record::Input::Item(i)) = crate::record::parse(text.as_bytes()) else {
            panic!("item")
        };
        assert_eq!(item_json(&i), text);
    }
}
