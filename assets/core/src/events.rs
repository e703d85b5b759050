//! The demo event schemas and their synthetic generators.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

use crate::CoreError;

/// The tickers the stock demo draws from.
pub const TICKERS: [&str; 5] = ["AAPL", "AMZN", "MSFT", "INTC", "TBV"];

/// A stock tick (patterns 1-3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StockTick {
    #[serde(rename = "EVENT_TIME")]
    pub event_time: String,
    #[serde(rename = "TICKER")]
    pub ticker: String,
    #[serde(rename = "PRICE")]
    pub price: f64,
}

impl StockTick {
    /// The event time, if it is RFC 3339.
    pub fn event_time(&self) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(&self.event_time)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }
}

/// A ride request (pattern 4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RideRequest {
    pub trip_id: u64,
    pub ride_request_id: u64,
    pub vehicle_id: u64,
    pub pickup_datetime: String,
    pub pickup_latitude: f64,
    pub pickup_longitude: f64,
    pub passenger_count: u32,
}

/// A change-data-capture record (cross-region demo).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CdcRecord {
    pub key: u64,
    #[serde(rename = "commitTimestamp")]
    pub commit_timestamp: String,
}

/// Which demo events to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Ticks,
    Rides,
    Cdc,
}

impl FromStr for EventKind {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ticks" => Ok(EventKind::Ticks),
            "rides" => Ok(EventKind::Rides),
            "cdc" => Ok(EventKind::Cdc),
            other => Err(CoreError::Invalid {
                what: "--kind",
                value: other.to_string(),
                expected: "one of ticks, rides, cdc",
            }),
        }
    }
}

/// One generated event: its partition key and JSON bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub partition_key: String,
    pub data: Vec<u8>,
}

/// RFC 3339 with milliseconds and `Z`, as in the demos.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Synthetic event source; deterministic for a given seed.
pub struct Generator {
    kind: EventKind,
    seq: u64,
    rng: fastrand::Rng,
}

impl Generator {
    pub fn new(kind: EventKind, seed: Option<u64>) -> Generator {
        let rng = seed.map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed);
        Generator { kind, seq: 0, rng }
    }

    /// The next event, stamped with `now`.
    pub fn next_event(&mut self, now: DateTime<Utc>) -> Event {
        self.seq += 1;
        let (partition_key, data) = match self.kind {
            EventKind::Ticks => {
                let tick = StockTick {
                    event_time: format_time(now),
                    ticker: TICKERS[self.rng.usize(..TICKERS.len())].to_string(),
                    price: (self.rng.f64() * 10_000.0).round() / 100.0,
                };
                (tick.ticker.clone(), to_json(&tick))
            }
            EventKind::Rides => {
                let ride = RideRequest {
                    trip_id: self.seq,
                    ride_request_id: self.seq,
                    vehicle_id: self.rng.u64(1..=500),
                    pickup_datetime: format_time(now),
                    pickup_latitude: 40.60 + self.rng.f64() * 0.25,
                    pickup_longitude: -74.05 + self.rng.f64() * 0.30,
                    passenger_count: self.rng.u32(1..=6),
                };
                (ride.ride_request_id.to_string(), to_json(&ride))
            }
            EventKind::Cdc => {
                let cdc = CdcRecord {
                    key: self.rng.u64(1..=4_000_000_000),
                    commit_timestamp: now.to_rfc3339_opts(SecondsFormat::Secs, true),
                };
                (cdc.key.to_string(), to_json(&cdc))
            }
        };
        Event {
            partition_key,
            data,
        }
    }
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("event types always serialize")
}
