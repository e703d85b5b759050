//! Parquet encoding and the deterministic S3 layout.

use chrono::{DateTime, Datelike, Timelike, Utc};
use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::window::Aggregate;
use crate::{ProcessorConfig, ProcessorError};

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
  REQUIRED BYTE_ARRAY shard_id (UTF8);
}
";

/// One object to write.
#[derive(Clone, Debug)]
pub struct OutputFile {
    pub key: String,
    pub rows: Vec<Aggregate>,
}

/// Groups aggregates by window; the key is
/// `{prefix}year=YYYY/month=MM/day=DD/hour=HH/{shard}_{window start}_{first sequence}.parquet`,
/// the same for the same input, so a retried batch overwrites.
pub fn plan(cfg: &ProcessorConfig, shard_id: &str, aggregates: Vec<Aggregate>) -> Vec<OutputFile> {
    let mut by_window: BTreeMap<i64, Vec<Aggregate>> = BTreeMap::new();
    for a in aggregates {
        by_window.entry(a.window_start_ms).or_default().push(a);
    }
    by_window
        .into_iter()
        .map(|(start, mut rows)| {
            rows.sort_by(|a, b| a.ticker.cmp(&b.ticker));
            let first = rows
                .iter()
                .map(|r| r.first_sequence.as_str())
                .min_by(|a, b| streamkit_core::record::cmp_sequence(a, b))
                .unwrap_or("0")
                .to_string();
            let t = DateTime::<Utc>::from_timestamp_millis(start).unwrap_or_default();
            let key = format!(
                "{}year={:04}/month={:02}/day={:02}/hour={:02}/{shard_id}_{}_{first}.parquet",
                cfg.prefix,
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.format("%Y%m%dT%H%M%S%3fZ"),
            );
            OutputFile { key, rows }
        })
        .collect()
}

/// Encodes rows as a Parquet file (Snappy; deterministic for the same rows).
pub fn encode(shard_id: &str, rows: &[Aggregate]) -> Result<Vec<u8>, ProcessorError> {
    let schema = Arc::new(parse_message_type(SCHEMA)?);
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build(),
    );
    let mut buf = Vec::new();
    let mut writer = SerializedFileWriter::new(&mut buf, schema, props)?;
    let mut group = writer.next_row_group()?;
    let strings = |f: &dyn Fn(&Aggregate) -> String| {
        rows.iter()
            .map(|r| ByteArray::from(f(r).as_str()))
            .collect::<Vec<_>>()
    };
    let longs = |f: &dyn Fn(&Aggregate) -> i64| rows.iter().map(f).collect::<Vec<_>>();
    let doubles = |f: &dyn Fn(&Aggregate) -> f64| rows.iter().map(f).collect::<Vec<_>>();
    let mut index = 0;
    while let Some(mut column) = group.next_column()? {
        match index {
            0 => column.typed::<ByteArrayType>().write_batch(
                &strings(&|r| r.ticker.clone()),
                None,
                None,
            )?,
            1 => column.typed::<Int64Type>().write_batch(
                &longs(&|r| r.window_start_ms),
                None,
                None,
            )?,
            2 => {
                column
                    .typed::<Int64Type>()
                    .write_batch(&longs(&|r| r.window_end_ms), None, None)?
            }
            3 => {
                column
                    .typed::<Int64Type>()
                    .write_batch(&longs(&|r| r.count as i64), None, None)?
            }
            4 => column
                .typed::<DoubleType>()
                .write_batch(&doubles(&|r| r.min), None, None)?,
            5 => column
                .typed::<DoubleType>()
                .write_batch(&doubles(&|r| r.max), None, None)?,
            6 => column
                .typed::<DoubleType>()
                .write_batch(&doubles(&|r| r.avg()), None, None)?,
            7 => {
                column
                    .typed::<DoubleType>()
                    .write_batch(&doubles(&|r| r.last_price), None, None)?
            }
            _ => column.typed::<ByteArrayType>().write_batch(
                &strings(&|_| shard_id.to_string()),
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

/// One object written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    pub key: String,
    /// Size of the Parquet object.
    pub bytes: u64,
    /// Aggregates (ticker windows) in it.
    pub rows: u64,
}

/// Encodes and uploads the files; returns what was written.
pub async fn write(
    s3: &aws_sdk_s3::Client,
    cfg: &ProcessorConfig,
    shard_id: &str,
    aggregates: Vec<Aggregate>,
) -> Result<Vec<Written>, ProcessorError> {
    let mut written = Vec::new();
    for file in plan(cfg, shard_id, aggregates) {
        let body = encode(shard_id, &file.rows)?;
        let bytes = body.len() as u64;
        s3.put_object()
            .bucket(&cfg.bucket)
            .key(&file.key)
            .content_type("application/vnd.apache.parquet")
            .body(body.into())
            .send()
            .await
            .map_err(|e| ProcessorError::S3 {
                bucket: cfg.bucket.clone(),
                key: file.key.clone(),
                message: streamkit_core::error::sdk_message(&e),
            })?;
        tracing::info!(key = %file.key, rows = file.rows.len(), bytes, "window aggregates written");
        written.push(Written {
            key: file.key,
            bytes,
            rows: file.rows.len() as u64,
        });
    }
    Ok(written)
}
