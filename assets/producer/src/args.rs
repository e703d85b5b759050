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
    /// Stop after this many records instead (overrides --duration); with
    /// `--kind orders`, this many orders (each with two items).
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
    /// Default: random, except partition-key for `--kind orders` (every
    /// record of an order on its orderId's shard, as the joins stack expects).
    #[arg(long, value_enum)]
    pub hash_keys: Option<HashKeys>,
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
    #[command(flatten)]
    pub orders: OrdersArgs,
}

/// Options of `--kind orders` (ignored by the other kinds).
#[derive(Clone, Debug, clap::Args)]
pub struct OrdersArgs {
    /// Write the 1,000-product reference file (JSON lines) here first: a local
    /// path or s3://bucket/key.
    #[arg(long)]
    pub products_out: Option<String>,
    /// Write every record as sent (JSON lines, send order) to this local file.
    #[arg(long)]
    pub records_out: Option<String>,
    /// Id of the first order; later orders count up from it.
    #[arg(long, default_value_t = 1)]
    pub first_order_id: u64,
    /// Fraction of orders whose items are sent before the order.
    #[arg(long, default_value_t = 0.1, value_parser = fraction)]
    pub items_first: f64,
    /// Fraction of records sent up to 20 records later than planned.
    #[arg(long, default_value_t = 0.0, value_parser = fraction)]
    pub out_of_order: f64,
    /// Fraction of orders never sent (their items are: unmatched items).
    #[arg(long, default_value_t = 0.0, value_parser = fraction)]
    pub missing_orders: f64,
    /// Fraction of orders sent --late-by after their event time (late orders).
    #[arg(long, default_value_t = 0.0, value_parser = fraction)]
    pub late_orders: f64,
    /// How late late orders are sent.
    #[arg(long, default_value = "300s", value_parser = parse_duration)]
    pub late_by: Duration,
    /// Fraction of records sent twice (duplicate deliveries).
    #[arg(long, default_value_t = 0.0, value_parser = fraction)]
    pub duplicates: f64,
    /// Fraction of items whose product is not in the products file.
    #[arg(long, default_value_t = 0.0, value_parser = fraction)]
    pub unknown_products: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Ticks,
    Rides,
    Cdc,
    /// Orders and order items (the joins stack), planned by [`crate::orders`].
    Orders,
}

impl Kind {
    /// The core generator of this kind (`None` for orders, planned up front).
    pub fn event_kind(self) -> Option<EventKind> {
        match self {
            Kind::Ticks => Some(EventKind::Ticks),
            Kind::Rides => Some(EventKind::Rides),
            Kind::Cdc => Some(EventKind::Cdc),
            Kind::Orders => None,
        }
    }
}

impl ProducerArgs {
    /// `--hash-keys`, or the kind's default.
    pub fn hash_keys(&self) -> HashKeys {
        self.hash_keys.unwrap_or(match self.kind {
            Kind::Orders => HashKeys::PartitionKey,
            _ => HashKeys::Random,
        })
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

/// A number from 0 to 1.
pub fn fraction(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err(format!("`{s}` is not a fraction from 0 to 1")),
    }
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
