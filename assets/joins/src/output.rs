//! The real outputs: enriched rows to the DynamoDB output table (conditional
//! PutItems, a few at once, each with its [`WRITTEN_AT`] time) and, when configured, to the output stream as
//! JSON; record files to S3.

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::AttributeValue;
use futures::stream::{self, StreamExt};
use std::collections::HashMap;
use streamkit_core::error::sdk_message;
use streamkit_core::putrecords::{self, OutRecord, RetryPolicy};

use crate::join::EnrichedRow;
use crate::lines::quote;
use crate::sink::{RowsWritten, Sink};
use crate::JoinsError;

/// The output table's attribute with the time the row was written (ISO, ms):
/// a row is written once per version, so it is when this version was stored
/// (the end of the put-to-table latency the benchmarks measure).
pub const WRITTEN_AT: &str = "writtenAt";

/// PutItem calls in flight.
const WRITE_CONCURRENCY: usize = 32;

/// The function's and the local runner's outputs.
pub struct AwsSink {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub table: String,
    pub s3: aws_sdk_s3::Client,
    pub bucket: String,
    /// The output stream, when enriched items also go to one.
    pub kinesis: Option<(aws_sdk_kinesis::Client, String)>,
}

/// `2026-11-23T10:00:00.123Z` for ms since the epoch.
pub fn iso_ms(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .map(streamkit_core::events::format_time)
        .unwrap_or_default()
}

/// The row as a DynamoDB item: the original field names, amounts as
/// Numbers, absent values left out, plus `event_ts` and `joinVersion`.
pub fn attributes(r: &EnrichedRow) -> HashMap<String, AttributeValue> {
    let mut m = HashMap::new();
    let n = |v: String| AttributeValue::N(v);
    let s = |v: &str| AttributeValue::S(v.to_string());
    m.insert("orderId".into(), n(r.order.order_id.to_string()));
    m.insert("itemId".into(), n(r.item.item_id.to_string()));
    let o = &r.order;
    let strings = [
        ("orderStatus", &o.status),
        ("shipToName", &o.ship_to_name),
        ("shipToAddress", &o.ship_to_address),
        ("shipToCity", &o.ship_to_city),
        ("shipToState", &o.ship_to_state),
        ("shipToZip", &o.ship_to_zip),
        ("itemStatus", &r.item.status),
    ];
    for (k, v) in strings {
        if let Some(v) = v {
            m.insert(k.into(), s(v));
        }
    }
    m.insert("orderDateTime".into(), s(&o.date_time));
    if let Some(a) = &o.amount {
        m.insert("orderAmount".into(), n(a.to_string()));
    }
    if let Some(a) = &r.item.amount {
        m.insert("itemAmount".into(), n(a.to_string()));
    }
    if let Some(q) = r.item.quantity {
        m.insert("itemQuantity".into(), n(q.to_string()));
    }
    if let Some(p) = &r.product {
        if let Some(name) = &p.name {
            m.insert("productName".into(), s(name));
        }
        if let Some(price) = &p.price {
            m.insert("productPrice".into(), n(price.to_string()));
        }
    }
    m.insert("event_ts".into(), s(&iso_ms(r.event_ts_ms)));
    m.insert("joinVersion".into(), s(&r.version));
    m
}

/// The row as JSON for the output stream: the same names, amounts as
/// strings, and `joinVersion` (the stream is at least once: a consumer keeps
/// the highest version per orderId and itemId).
pub fn row_json(r: &EnrichedRow) -> String {
    let mut fields = vec![
        format!("\"orderId\":{}", r.order.order_id),
        format!("\"itemId\":{}", r.item.item_id),
    ];
    for (k, v) in attributes(r) {
        if k == "orderId" || k == "itemId" {
            continue;
        }
        let text = match v {
            AttributeValue::N(x) | AttributeValue::S(x) => quote(&x),
            _ => continue,
        };
        fields.push(format!("{}:{text}", quote(&k)));
    }
    fields[2..].sort();
    format!("{{{}}}", fields.join(","))
}

impl AwsSink {
    /// One conditional PutItem: `Ok(true)` written, `Ok(false)` already as new.
    async fn put(&self, r: &EnrichedRow) -> Result<bool, JoinsError> {
        let mut item = attributes(r);
        let now = chrono::Utc::now().timestamp_millis();
        item.insert(WRITTEN_AT.into(), AttributeValue::S(iso_ms(now)));
        let result = self
            .dynamodb
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(orderId) OR joinVersion < :v")
            .expression_attribute_values(":v", AttributeValue::S(r.version.clone()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(false),
            Err(e) => Err(JoinsError::Output {
                table: self.table.clone(),
                message: sdk_message(&e),
            }),
        }
    }
}

impl Sink for AwsSink {
    async fn rows(&self, rows: &[EnrichedRow]) -> Result<RowsWritten, JoinsError> {
        let puts: Vec<_> = rows.iter().map(|r| self.put(r)).collect();
        let results: Vec<Result<bool, JoinsError>> = stream::iter(puts)
            .buffered(WRITE_CONCURRENCY)
            .collect()
            .await;
        let mut out = RowsWritten::default();
        for (result, row) in results.into_iter().zip(rows) {
            if result? {
                out.written += 1;
                out.missing_product += u64::from(row.product.is_none());
            } else {
                out.unchanged += 1;
            }
        }
        // Every row, also those the table already held: a batch retried after
        // a failed put to the stream must still reach it (at least once).
        if let Some((kinesis, stream)) = self.kinesis.as_ref().filter(|_| !rows.is_empty()) {
            let records: Vec<OutRecord> = rows
                .iter()
                .map(|r| OutRecord {
                    partition_key: r.order.order_id.to_string(),
                    explicit_hash_key: None,
                    data: row_json(r).into_bytes(),
                })
                .collect();
            let policy = RetryPolicy {
                keep_key_order: true,
                ..RetryPolicy::default()
            };
            let outcome = putrecords::put_records(kinesis, stream, &records, &policy).await;
            if !outcome.all_delivered() {
                return Err(JoinsError::OutputStream {
                    stream: stream.clone(),
                    message: outcome
                        .last_error
                        .unwrap_or_else(|| "records not delivered".into()),
                });
            }
        }
        Ok(out)
    }

    async fn file(&self, key: &str, lines: &[String]) -> Result<(), JoinsError> {
        let mut body = lines.join("\n");
        body.push('\n');
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/x-ndjson")
            .body(body.into_bytes().into())
            .send()
            .await
            .map_err(|e| JoinsError::S3 {
                bucket: self.bucket.clone(),
                key: key.to_string(),
                message: sdk_message(&e),
            })?;
        Ok(())
    }
}
