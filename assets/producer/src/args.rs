//! Command-line arguments.

use clap::{Parser, ValueEnum};
use std::time::Duration;
use streamkit_core::events::EventKind;

/// Writes demo events (or replays a JSON-lines file) to a Kinesis data stream.
#[derive(Clone, Debug, Parser)]
#[command(name = "streamkit-producer", version)]
pub struct ProducerArgs {
    /// Stream to write to.
    #[arg(long, env = "STREAM_NAME")]
    pub stream: String,
    /// Region of the stream (default: from the AWS environment).
    #[arg(long)]
    pub region: Option<String>,
    /// Target records per second (user records, before aggregation).
    #[arg(long, default_value_t = 100)]
    pub rate: u64,
    /// How long to produce, e.g. 60s, 5m, 1h.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Stop after this many records instead (overrides --duration).
    #[arg(long)]
    pub count: Option<u64>,
    /// Pack records into KPL aggregated records of up to 1 MiB.
    #[arg(long)]
    pub aggregate: bool,
    /// Which events to generate.
    #[arg(long, value_enum, default_value_t = Kind::Ticks)]
    pub kind: Kind,
    /// Shard choice: a random explicit hash key per Kinesis record (spreads
    /// load, no order per key) or the partition key's hash (order per key).
    #[arg(long, value_enum, default_value_t = HashKeys::Random)]
    pub hash_keys: HashKeys,
    /// Replay a JSON-lines file (local path or s3://bucket/key) instead of generating.
    #[arg(long)]
    pub replay: Option<String>,
    /// Replay this many times faster than the original timestamps.
    #[arg(long, default_value_t = 1.0)]
    pub speedup: f64,
    /// Field with each replayed record's timestamp (RFC 3339 or epoch seconds);
    /// without it, replayed records are sent at --rate.
    #[arg(long)]
    pub timestamp_field: Option<String>,
    /// Field used as partition key for replayed records (default: TICKER,
    /// ride_request_id or key when present, else the line number).
    #[arg(long)]
    pub partition_key_field: Option<String>,
    /// Seed for the synthetic generator (reproducible runs).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Attempts per failed entry before it counts as not delivered.
    #[arg(long, default_value_t = 8)]
    pub max_attempts: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Ticks,
    Rides,
    Cdc,
}

impl From<Kind> for EventKind {
    fn from(k: Kind) -> EventKind {
        match k {
            Kind::Ticks => EventKind::Ticks,
            Kind::Rides => EventKind::Rides,
            Kind::Cdc => EventKind::Cdc,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum HashKeys {
    Random,
    PartitionKey,
}

/// `90`, `90s`, `5m`, `2h`, `500ms`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration like 60s, 5m or 1h"))?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("unknown unit `{unit}` in `{s}`: use ms, s, m or h")),
    };
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("60s").unwrap(), Duration::from_secs(60));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("7").unwrap(), Duration::from_secs(7));
        assert!(parse_duration("5 parsecs").is_err());
    }
}
