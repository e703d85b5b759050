//! Event-time tumbling windows per ticker, as serializable state.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use streamkit_core::events::StockTick;
use streamkit_core::{kpl, StreamRecord};

/// The aggregate of one ticker over one window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Aggregate {
    pub ticker: String,
    pub window_start_ms: i64,
    pub window_end_ms: i64,
    pub count: u64,
    pub min: f64,
    pub max: f64,
    pub sum: f64,
    pub last_price: f64,
    /// Event time of `last_price` (ties: the later record wins).
    pub last_time_ms: i64,
    /// Sequence number of the first record that contributed (names the output object).
    pub first_sequence: String,
}

impl Aggregate {
    pub fn avg(&self) -> f64 {
        self.sum / self.count as f64
    }
}

/// Open windows plus counters; kept in Lambda's tumbling-window state or by the local runner.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowState {
    /// Key: `{window_start_ms:020}|{ticker}`.
    pub open: BTreeMap<String, Aggregate>,
    /// Highest event time seen.
    pub watermark_ms: Option<i64>,
    /// Records for windows that had already closed.
    pub late: u64,
    /// Records that are not stock ticks (bad JSON, bytes, fields or time).
    pub malformed: u64,
}

/// What one ingest call saw.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IngestStats {
    pub accepted: u64,
    pub late: u64,
    pub malformed: u64,
}

impl WindowState {
    /// Adds records (in shard order; aggregated records are de-aggregated).
    pub fn ingest(&mut self, window_ms: i64, records: &[StreamRecord]) -> IngestStats {
        let mut stats = IngestStats::default();
        for r in records {
            for user in kpl::deaggregate(&r.partition_key, None, &r.data) {
                let Some((tick, t)) = parse(&user.data) else {
                    stats.malformed += 1;
                    tracing::warn!(sequence_number = %r.sequence_number, sub = user.sub_sequence_number, "malformed record skipped");
                    continue;
                };
                let start = t.div_euclid(window_ms) * window_ms;
                if self.watermark_ms.is_some_and(|w| start + window_ms <= w) {
                    stats.late += 1;
                    continue;
                }
                self.watermark_ms = Some(self.watermark_ms.map_or(t, |w| w.max(t)));
                let key = format!("{start:020}|{}", tick.ticker);
                let agg = self.open.entry(key).or_insert_with(|| Aggregate {
                    ticker: tick.ticker.clone(),
                    window_start_ms: start,
                    window_end_ms: start + window_ms,
                    count: 0,
                    min: f64::INFINITY,
                    max: f64::NEG_INFINITY,
                    sum: 0.0,
                    last_price: tick.price,
                    last_time_ms: t,
                    first_sequence: r.sequence_number.clone(),
                });
                agg.count += 1;
                agg.min = agg.min.min(tick.price);
                agg.max = agg.max.max(tick.price);
                agg.sum += tick.price;
                if t >= agg.last_time_ms {
                    agg.last_time_ms = t;
                    agg.last_price = tick.price;
                }
                stats.accepted += 1;
            }
        }
        self.late += stats.late;
        self.malformed += stats.malformed;
        stats
    }

    /// Removes and returns the windows that ended at or before the watermark.
    pub fn take_closed(&mut self) -> Vec<Aggregate> {
        let Some(w) = self.watermark_ms else {
            return Vec::new();
        };
        let closed: Vec<String> = self
            .open
            .iter()
            .filter(|(_, a)| a.window_end_ms <= w)
            .map(|(k, _)| k.clone())
            .collect();
        closed
            .into_iter()
            .filter_map(|k| self.open.remove(&k))
            .collect()
    }

    /// Removes and returns every open window (end of a Lambda window or of a run).
    pub fn take_all(&mut self) -> Vec<Aggregate> {
        std::mem::take(&mut self.open).into_values().collect()
    }
}

fn parse(data: &[u8]) -> Option<(StockTick, i64)> {
    let tick: StockTick = serde_json::from_slice(data).ok()?;
    if !tick.price.is_finite() || tick.ticker.is_empty() {
        return None;
    }
    let t = tick.event_time()?.timestamp_millis();
    Some((tick, t))
}
