//! Parquet encoding, the deterministic S3 layout, and the S3 sink.
//!
//! - Windows: `{OUTPUT_PREFIX}year=YYYY/month=MM/day=DD/hour=HH/{window start}.parquet`
//!   (Hive-style partitions of the window start), one object per window with
//!   one row per ticker.
//! - Late and malformed records: `{LATE_PREFIX}year=/month=/day=/hour=/{shard}_{first sequence}.jsonl`
//!   (partitions of the first record's arrival time), one JSON object per line.

use chrono::{DateTime, Datelike, Timelike, Utc};
use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use std::sync::Arc;

use crate::sink::{LateRecord, Sink};
use crate::window::WindowRow;
use crate::ProcessorError;

/// The Parquet schema of the output (one row per ticker and window).
pub const SCHEMA: &str = "
message window_aggregate {
  REQUIRED BYTE_ARRAY ticker (UTF8);
  REQUIRED INT64 window_start (TIMESTAMP(MILLIS,true));
  REQUIRED INT64 window_end (TIMESTAMP(MILLIS,true));
  REQUIRED INT64 count;
  REQUIRED DOUBLE min_price;
  REQUIRED DOUBLE max_price;
  REQUIRED DOUBLE avg_price;
  REQUIRED DOUBLE last_price;
  REQUIRED INT64 last_price_time (TIMESTAMP(MILLIS,true));
}
";

fn partition(prefix: &str, t_ms: i64) -> String {
    let t = DateTime::<Utc>::from_timestamp_millis(t_ms).unwrap_or_default();
    format!(
        "{prefix}year={:04}/month={:02}/day={:02}/hour={:02}/",
        t.year(),
        t.month(),
        t.day(),
        t.hour()
    )
}

/// The object key of the window starting at `start_ms`.
pub fn window_key(prefix: &str, start_ms: i64) -> String {
    let t = DateTime::<Utc>::from_timestamp_millis(start_ms).unwrap_or_default();
    format!(
        "{}{}.parquet",
        partition(prefix, start_ms),
        t.format("%Y%m%dT%H%M%S%3fZ")
    )
}

/// The object key of late records from `shard_id` starting at `first_sequence`.
pub fn late_key(prefix: &str, arrival_ms: i64, shard_id: &str, first_sequence: &str) -> String {
    format!(
        "{}{shard_id}_{first_sequence}.jsonl",
        partition(prefix, arrival_ms)
    )
}

/// Encodes rows as a Parquet file (Snappy; deterministic for the same rows).
pub fn encode(rows: &[WindowRow]) -> Result<Vec<u8>, ProcessorError> {
    let schema = Arc::new(parse_message_type(SCHEMA)?);
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build(),
    );
    let mut buf = Vec::new();
    let mut writer = SerializedFileWriter::new(&mut buf, schema, props)?;
    let mut group = writer.next_row_group()?;
    let longs = |f: &dyn Fn(&WindowRow) -> i64| rows.iter().map(f).collect::<Vec<_>>();
    let doubles = |f: &dyn Fn(&WindowRow) -> f64| rows.iter().map(f).collect::<Vec<_>>();
    let mut index = 0;
    while let Some(mut column) = group.next_column()? {
        match index {
            0 => {
                let tickers: Vec<ByteArray> = rows
                    .iter()
                    .map(|r| ByteArray::from(r.ticker.as_str()))
                    .collect();
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&tickers, None, None)?
            }
            1 => column
                .typed::<Int64Type>()
                .write_batch(&longs(&|r| r.start_ms), None, None)?,
            2 => column
                .typed::<Int64Type>()
                .write_batch(&longs(&|r| r.end_ms), None, None)?,
            3 => column.typed::<Int64Type>().write_batch(
                &longs(&|r| r.agg.count as i64),
                None,
                None,
            )?,
            4 => column
                .typed::<DoubleType>()
                .write_batch(&doubles(&|r| r.agg.min), None, None)?,
            5 => column
                .typed::<DoubleType>()
                .write_batch(&doubles(&|r| r.agg.max), None, None)?,
            6 => {
                column
                    .typed::<DoubleType>()
                    .write_batch(&doubles(&|r| r.agg.avg()), None, None)?
            }
            7 => column.typed::<DoubleType>().write_batch(
                &doubles(&|r| r.agg.last_price),
                None,
                None,
            )?,
            _ => column.typed::<Int64Type>().write_batch(
                &longs(&|r| r.agg.last_time_ms),
                None,
                None,
            )?,
        };
        column.close()?;
        index += 1;
    }
    group.close()?;
    writer.close()?;
    Ok(buf)
}

/// Writes both outputs to one bucket.
#[derive(Clone, Debug)]
pub struct S3Sink {
    pub s3: aws_sdk_s3::Client,
    pub bucket: String,
}

impl S3Sink {
    async fn put(
        &self,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<(), ProcessorError> {
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(body.into())
            .send()
            .await
            .map_err(|e| ProcessorError::S3 {
                bucket: self.bucket.clone(),
                key: key.to_string(),
                message: streamkit_core::error::sdk_message(&e),
            })?;
        Ok(())
    }
}

impl Sink for S3Sink {
    async fn window(&self, key: &str, rows: &[WindowRow]) -> Result<u64, ProcessorError> {
        let body = encode(rows)?;
        let bytes = body.len() as u64;
        self.put(key, body, "application/vnd.apache.parquet")
            .await?;
        tracing::info!(key, rows = rows.len(), bytes, "window written");
        Ok(bytes)
    }

    async fn late(&self, key: &str, records: &[LateRecord]) -> Result<(), ProcessorError> {
        let mut body = Vec::new();
        for r in records {
            // A LateRecord is plain data: serializing it cannot fail.
            body.extend(serde_json::to_vec(r).unwrap_or_default());
            body.push(b'\n');
        }
        self.put(key, body, "application/x-ndjson").await?;
        tracing::warn!(
            key,
            records = records.len(),
            "late or malformed records written"
        );
        Ok(())
    }
}
