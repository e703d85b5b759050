//! The input records, with the original schemas and field names (spec
//! `joins.md`): an `Order` or an `OrderItem` per Kinesis (sub-)record, told
//! apart by `recordType`. Ids must be non-negative integers (a JSON integer or
//! a string of digits); amounts are exact decimals ([`Decimal`]); strings may
//! be null or absent (the attribute is then left out of the output). Anything
//! else is a [`Reject`] with a reason, never silently dropped.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::HashMap;

use crate::decimal::Decimal;

/// An order record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub order_id: u64,
    pub amount: Option<Decimal>,
    pub status: Option<String>,
    /// `orderDateTime` as received.
    pub date_time: String,
    /// The event time (ms since the epoch) of `orderDateTime`.
    pub time_ms: i64,
    pub ship_to_name: Option<String>,
    pub ship_to_address: Option<String>,
    pub ship_to_city: Option<String>,
    pub ship_to_state: Option<String>,
    pub ship_to_zip: Option<String>,
}

/// An order item record (`itemId` is the product id).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub order_id: u64,
    pub item_id: u64,
    pub amount: Option<Decimal>,
    pub quantity: Option<i64>,
    pub status: Option<String>,
    /// `orderDateTime` as the item carries it.
    pub date_time: String,
    pub time_ms: i64,
}

/// One parsed input record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Order(Order),
    Item(Item),
}

impl Input {
    pub fn order_id(&self) -> u64 {
        match self {
            Input::Order(o) => o.order_id,
            Input::Item(i) => i.order_id,
        }
    }

    pub fn time_ms(&self) -> i64 {
        match self {
            Input::Order(o) => o.time_ms,
            Input::Item(i) => i.time_ms,
        }
    }
}

/// Why a record could not be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reject {
    /// Not a JSON object (or not UTF-8 JSON at all).
    Malformed,
    /// `recordType` absent or neither `Order` nor `OrderItem`.
    UnknownRecordType,
    /// `orderId` or `itemId` absent or not a non-negative integer.
    NonNumericId,
    /// `orderDateTime` absent or not an ISO-8601 time.
    BadTime,
    /// An amount that is not a decimal, or a quantity that is not an integer.
    BadNumber,
}

impl Reject {
    pub fn as_str(self) -> &'static str {
        match self {
            Reject::Malformed => "malformed",
            Reject::UnknownRecordType => "unknown_record_type",
            Reject::NonNumericId => "non_numeric_id",
            Reject::BadTime => "bad_time",
            Reject::BadNumber => "bad_number",
        }
    }
}

type Fields<'a> = HashMap<String, &'a RawValue>;

/// Parses one record.
pub fn parse(data: &[u8]) -> Result<Input, Reject> {
    let fields: Fields = serde_json::from_slice(data).map_err(|_| Reject::Malformed)?;
    let kind = fields.get("recordType").and_then(|v| string(v));
    match kind.as_deref() {
        Some("Order") => {
            let order_id = id(&fields, "orderId")?;
            let date_time = string_field(&fields, "orderDateTime").ok_or(Reject::BadTime)?;
            Ok(Input::Order(Order {
                order_id,
                amount: decimal(&fields, "orderAmount")?,
                status: string_field(&fields, "orderStatus"),
                time_ms: time_ms(&date_time).ok_or(Reject::BadTime)?,
                date_time,
                ship_to_name: string_field(&fields, "shipToName"),
                ship_to_address: string_field(&fields, "shipToAddress"),
                ship_to_city: string_field(&fields, "shipToCity"),
                ship_to_state: string_field(&fields, "shipToState"),
                ship_to_zip: string_field(&fields, "shipToZip"),
            }))
        }
        Some("OrderItem") => {
            let (order_id, item_id) = (id(&fields, "orderId")?, id(&fields, "itemId")?);
            let date_time = string_field(&fields, "orderDateTime").ok_or(Reject::BadTime)?;
            let quantity = match fields.get("itemQuantity").map(|v| v.get()) {
                None | Some("null") => None,
                Some(text) => Some(text.parse::<i64>().map_err(|_| Reject::BadNumber)?),
            };
            Ok(Input::Item(Item {
                order_id,
                item_id,
                amount: decimal(&fields, "itemAmount")?,
                quantity,
                status: string_field(&fields, "itemStatus"),
                time_ms: time_ms(&date_time).ok_or(Reject::BadTime)?,
                date_time,
            }))
        }
        _ => Err(Reject::UnknownRecordType),
    }
}

/// `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` (any RFC 3339 time) as ms since the epoch.
pub fn time_ms(text: &str) -> Option<i64> {
    streamkit_core::time::rfc3339_millis(text)
}

fn string(raw: &RawValue) -> Option<String> {
    serde_json::from_str::<Option<String>>(raw.get())
        .ok()
        .flatten()
}

fn string_field(fields: &Fields, name: &str) -> Option<String> {
    fields.get(name).and_then(|v| string(v))
}

/// A non-negative integer, as a JSON integer or a string of digits.
fn id(fields: &Fields, name: &str) -> Result<u64, Reject> {
    let raw = fields.get(name).ok_or(Reject::NonNumericId)?;
    let text = match string(raw) {
        Some(s) => s,
        None => raw.get().to_string(),
    };
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Reject::NonNumericId);
    }
    text.parse().map_err(|_| Reject::NonNumericId)
}

/// An exact decimal from a JSON number's text or a string; null or absent is `None`.
fn decimal(fields: &Fields, name: &str) -> Result<Option<Decimal>, Reject> {
    let Some(raw) = fields.get(name) else {
        return Ok(None);
    };
    let text = raw.get();
    if text == "null" {
        return Ok(None);
    }
    let text = string(raw).unwrap_or_else(|| text.to_string());
    Decimal::parse(&text).map(Some).ok_or(Reject::BadNumber)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORDER: &str = r#"{"orderId":7,"orderAmount":1234.50,"orderStatus":"PAID","orderDateTime":"2026-11-23T10:00:00.123Z","shipToName":"Ana","shipToAddress":"1 Main St","shipToCity":"Austin","shipToState":"TX","shipToZip":"78701","recordType":"Order"}"#;
    const ITEM: &str = r#"{"orderId":"7","itemId":42,"itemAmount":19.99,"itemQuantity":2,"itemStatus":"NEW","orderDateTime":"2026-11-23T10:00:00.123Z","recordType":"OrderItem"}"#;

    #[test]
    fn parses_both_record_types_exactly() {
        let Ok(Input::Order(o)) = parse(ORDER.as_bytes()) else {
            panic!("order")
        };
        assert_eq!(o.order_id, 7);
        assert_eq!(o.amount.unwrap().as_str(), "1234.5");
        assert_eq!(o.time_ms, 1_795_428_000_123);
        assert_eq!(o.ship_to_zip.as_deref(), Some("78701"));
        let Ok(Input::Item(i)) = parse(ITEM.as_bytes()) else {
            panic!("item")
        };
        assert_eq!((i.order_id, i.item_id, i.quantity), (7, 42, Some(2)));
        assert_eq!(i.amount.unwrap().as_str(), "19.99");
    }

    #[test]
    fn bad_records_are_rejected_with_a_reason() {
        let cases = [
            ("not json", Reject::Malformed),
            ("[1,2]", Reject::Malformed),
            (r#"{"orderId":1}"#, Reject::UnknownRecordType),
            (
                r#"{"orderId":1,"recordType":"Refund"}"#,
                Reject::UnknownRecordType,
            ),
            (
                &ORDER.replace("\"orderId\":7", "\"orderId\":\"abc\""),
                Reject::NonNumericId,
            ),
            (
                &ORDER.replace("\"orderId\":7", "\"orderId\":-7"),
                Reject::NonNumericId,
            ),
            (
                &ITEM.replace("\"itemId\":42", "\"itemId\":4.2"),
                Reject::NonNumericId,
            ),
            (
                &ORDER.replace("2026-11-23T10:00:00.123Z", "yesterday"),
                Reject::BadTime,
            ),
            (&ORDER.replace("1234.50", "\"lots\""), Reject::BadNumber),
            (
                &ITEM.replace("\"itemQuantity\":2", "\"itemQuantity\":2.5"),
                Reject::BadNumber,
            ),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text.as_bytes()), Err(want), "{text}");
        }
    }

    #[test]
    fn nulls_leave_attributes_out() {
        let text = ORDER.replace("\"PAID\"", "null").replace("1234.50", "null");
        let Ok(Input::Order(o)) = parse(text.as_bytes()) else {
            panic!("order")
        };
        assert_eq!((o.status, o.amount), (None, None));
    }
}
