//! Loading a JSON-lines file (local or `s3://bucket/key`) for replay.

use chrono::DateTime;
use serde_json::Value;

use crate::ProducerError;

/// One line to replay.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayRecord {
    pub partition_key: String,
    pub data: Vec<u8>,
    /// Seconds since the first record's timestamp (when a timestamp field is used).
    pub offset: Option<f64>,
}

/// What a replay source holds.
#[derive(Clone, Debug, Default)]
pub struct ReplaySet {
    pub records: Vec<ReplayRecord>,
    /// Lines that were not JSON objects or lacked a usable timestamp (1-based line numbers).
    pub bad_lines: Vec<usize>,
}

/// Reads the source text.
pub async fn load_text(
    source: &str,
    s3: Option<&aws_sdk_s3::Client>,
) -> Result<String, ProducerError> {
    let err = |message: String| ProducerError::Replay {
        source_name: source.to_string(),
        message,
    };
    if let Some(rest) = source.strip_prefix("s3://") {
        let (bucket, key) = rest
            .split_once('/')
            .ok_or_else(|| err("expected s3://bucket/key".into()))?;
        let s3 = s3.ok_or_else(|| err("no S3 client".into()))?;
        let obj = s3
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| err(streamkit_core::error::sdk_message(&e)))?;
        let bytes = obj
            .body
            .collect()
            .await
            .map_err(|e| err(e.to_string()))?
            .into_bytes();
        String::from_utf8(bytes.to_vec()).map_err(|_| err("not UTF-8 text".into()))
    } else {
        tokio::fs::read_to_string(source)
            .await
            .map_err(|e| err(e.to_string()))
    }
}

/// Parses JSON lines; each kept line is sent byte for byte as it was.
pub fn parse(
    text: &str,
    timestamp_field: Option<&str>,
    partition_key_field: Option<&str>,
) -> ReplaySet {
    let mut set = ReplaySet::default();
    let mut first: Option<f64> = None;
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        if line.trim().is_empty() {
            continue;
        }
        let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(line) else {
            set.bad_lines.push(line_no);
            continue;
        };
        let key_field = partition_key_field.map(str::to_string).or_else(|| {
            ["TICKER", "ride_request_id", "key"]
                .iter()
                .find(|f| obj.contains_key(**f))
                .map(|f| f.to_string())
        });
        let partition_key = match key_field.as_deref().and_then(|f| obj.get(f)) {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(v @ Value::Number(_)) => v.to_string(),
            _ => line_no.to_string(),
        };
        let offset = match timestamp_field {
            None => None,
            Some(f) => match obj.get(f).and_then(timestamp_secs) {
                Some(t) => Some(t - *first.get_or_insert(t)),
                None => {
                    set.bad_lines.push(line_no);
                    continue;
                }
            },
        };
        set.records.push(ReplayRecord {
            partition_key,
            data: line.as_bytes().to_vec(),
            offset,
        });
    }
    set
}

fn timestamp_secs(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.timestamp_millis() as f64 / 1000.0)
            .or_else(|| {
                chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
                    .ok()
                    .map(|t| t.and_utc().timestamp() as f64)
            }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys_offsets_and_bad_lines() {
        let text = "{\"TICKER\":\"AMZN\",\"EVENT_TIME\":\"2026-01-01T00:00:00Z\"}\nnot json\n{\"TICKER\":\"AAPL\",\"EVENT_TIME\":\"2026-01-01T00:00:02.500Z\"}\n{\"TICKER\":\"X\"}\n";
        let set = parse(text, Some("EVENT_TIME"), None);
        assert_eq!(set.bad_lines, vec![2, 4]);
        assert_eq!(set.records.len(), 2);
        assert_eq!(set.records[1].partition_key, "AAPL");
        assert_eq!(set.records[1].offset, Some(2.5));
        let set = parse("{\"ride_request_id\": 7}", None, None);
        assert_eq!(set.records[0].partition_key, "7");
    }
}
