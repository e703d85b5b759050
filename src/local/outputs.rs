//! The output objects a stack wrote to its buckets, and their rows: a
//! Parquet object's row count from its footer (the `parquet` crate), JSON
//! lines (plain or gzip) counted line by line; other formats have no count.
//! Optionally saved to a directory as `<dir>/<bucket>/<key>`.

use std::io::Read;
use std::path::Path;

use bytes::Bytes;
use parquet::file::reader::{FileReader, SerializedFileReader};
use serde::Serialize;

use crate::aws::Aws;
use crate::error::{Error, Result};

/// At most this many objects are read for their rows.
pub const MAX_OBJECTS: usize = 200;

/// One object written by the stack.
#[derive(Debug, Clone, Serialize)]
pub struct OutputObject {
    pub bucket: String,
    pub key: String,
    pub bytes: u64,
    /// Rows (Parquet) or records (JSON lines); `None` for other formats.
    pub rows: Option<u64>,
}

/// Every object (up to [`MAX_OBJECTS`]) of `buckets` with its rows; saved
/// under `save` when given.
pub async fn read(aws: &Aws, buckets: &[String], save: Option<&Path>) -> Result<Vec<OutputObject>> {
    let s3 = aws.s3();
    let mut out = Vec::new();
    for bucket in buckets {
        let mut pages = s3.list_objects_v2().bucket(bucket).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| aws.error("s3", "ListObjectsV2", e))?;
            for key in page.contents().iter().filter_map(|o| o.key()) {
                if out.len() >= MAX_OBJECTS {
                    return Ok(out);
                }
                let body = s3
                    .get_object()
                    .bucket(bucket)
                    .key(key)
                    .send()
                    .await
                    .map_err(|e| aws.error("s3", "GetObject", e))?
                    .body
                    .collect()
                    .await
                    .map_err(|e| Error::Aws(format!("GetObject s3://{bucket}/{key}: {e}")))?
                    .into_bytes();
                if let Some(dir) = save {
                    save_object(dir, bucket, key, &body)?;
                }
                out.push(OutputObject {
                    bucket: bucket.clone(),
                    key: key.to_string(),
                    bytes: body.len() as u64,
                    rows: rows(key, body),
                });
            }
        }
    }
    Ok(out)
}

/// Rows of an object by its name: `.parquet` from the footer, `.gz` and
/// JSON files as non-empty lines.
pub fn rows(key: &str, body: Bytes) -> Option<u64> {
    let lines = |text: &[u8]| {
        text.split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .count() as u64
    };
    if key.ends_with(".parquet") {
        let reader = SerializedFileReader::new(body).ok()?;
        let rows = reader.metadata().file_metadata().num_rows();
        u64::try_from(rows).ok()
    } else if key.ends_with(".gz") {
        let mut text = Vec::new();
        flate2::read::MultiGzDecoder::new(&body[..])
            .read_to_end(&mut text)
            .ok()?;
        Some(lines(&text))
    } else if key.ends_with(".json")
        || key.ends_with(".jsonl")
        || !key.rsplit('/').next()?.contains('.')
    {
        Some(lines(&body))
    } else {
        None
    }
}

fn save_object(dir: &Path, bucket: &str, key: &str, body: &[u8]) -> Result<()> {
    if key
        .split('/')
        .any(|part| part == ".." || part.is_empty() && key.starts_with('/'))
    {
        return Ok(());
    }
    let path = dir.join(bucket).join(key);
    let write = || -> std::io::Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, body)
    };
    write().map_err(|source| Error::Write {
        path: path.clone(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn json_lines_are_counted_plain_and_gzipped() {
        let text = b"{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n";
        assert_eq!(rows("x/y.json", Bytes::from_static(text)), Some(3));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(text).unwrap();
        assert_eq!(
            rows("x/stream-1-2026.gz", Bytes::from(gz.finish().unwrap())),
            Some(3)
        );
        assert_eq!(rows("x/y.snappy", Bytes::from_static(text)), None);
        assert_eq!(
            rows("x/y.parquet", Bytes::from_static(b"not parquet")),
            None
        );
    }
}
