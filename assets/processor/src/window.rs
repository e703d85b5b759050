//! Per-ticker aggregates of event-time tumbling windows, and the partial
//! aggregates the ingest stores (one state item per window per commit).

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Count, min, max, sum and last price of one ticker in one window (or of
/// part of it). "Last" is the price of the latest event time; among records
/// with the same latest event time, the highest price (independent of the
/// order records arrive in).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Aggregate {
    pub count: u64,
    pub min: f64,
    pub max: f64,
    pub sum: f64,
    pub last_time_ms: i64,
    pub last_price: f64,
}

impl Aggregate {
    pub fn of(t: i64, price: f64) -> Aggregate {
        Aggregate {
            count: 1,
            min: price,
            max: price,
            sum: price,
            last_time_ms: t,
            last_price: price,
        }
    }

    pub fn add(&mut self, t: i64, price: f64) {
        self.merge(&Aggregate::of(t, price));
    }

    pub fn merge(&mut self, other: &Aggregate) {
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.sum += other.sum;
        if (other.last_time_ms, other.last_price) > (self.last_time_ms, self.last_price) {
            self.last_time_ms = other.last_time_ms;
            self.last_price = other.last_price;
        }
    }

    pub fn avg(&self) -> f64 {
        self.sum / self.count as f64
    }
}

/// The state item body: one window's aggregates per ticker from one commit.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Partial {
    pub start_ms: i64,
    pub end_ms: i64,
    pub tickers: BTreeMap<String, Aggregate>,
}

/// One output row: a ticker's final aggregate over a window.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowRow {
    pub ticker: String,
    pub start_ms: i64,
    pub end_ms: i64,
    pub agg: Aggregate,
}

/// Merges a window's partials into its rows, sorted by ticker.
pub fn rows(partials: &[Partial]) -> Vec<WindowRow> {
    let mut by_ticker: BTreeMap<&str, (i64, i64, Aggregate)> = BTreeMap::new();
    for p in partials {
        for (ticker, agg) in &p.tickers {
            by_ticker
                .entry(ticker)
                .and_modify(|(_, _, a)| a.merge(agg))
                .or_insert((p.start_ms, p.end_ms, agg.clone()));
        }
    }
    by_ticker
        .into_iter()
        .map(|(ticker, (start_ms, end_ms, agg))| WindowRow {
            ticker: ticker.to_string(),
            start_ms,
            end_ms,
            agg,
        })
        .collect()
}

/// Start of the window holding event time `t`.
pub fn window_start(t: i64, window_ms: i64) -> i64 {
    t.div_euclid(window_ms) * window_ms
}

/// A stock tick's ticker and price, borrowed from the record's bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct Tick<'a> {
    pub ticker: Cow<'a, str>,
    pub price: f64,
}

/// The fields of `streamkit_core::events::StockTick` as the record holds
/// them (the same names and rules: serde's derive for both), the strings
/// borrowed unless they hold escapes.
#[derive(Deserialize)]
struct TickText<'a> {
    #[serde(rename = "EVENT_TIME", borrow)]
    event_time: Cow<'a, str>,
    #[serde(rename = "TICKER", borrow)]
    ticker: Cow<'a, str>,
    #[serde(rename = "PRICE")]
    price: f64,
}

/// A stock tick with its event time (ms), or `None` when the bytes are not one.
pub fn parse(data: &[u8]) -> Option<(Tick<'_>, i64)> {
    let tick: TickText = serde_json::from_slice(data).ok()?;
    if !tick.price.is_finite() || tick.ticker.is_empty() {
        return None;
    }
    let t = streamkit_core::time::rfc3339_millis(&tick.event_time)?;
    Some((
        Tick {
            ticker: tick.ticker,
            price: tick.price,
        },
        t,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_is_latest_time_then_highest_price_whatever_the_order() {
        let mut a = Aggregate::of(10, 5.0);
        a.add(20, 1.0);
        a.add(20, 3.0);
        a.add(15, 9.0);
        let mut b = Aggregate::of(20, 3.0);
        b.add(15, 9.0);
        b.add(20, 1.0);
        b.add(10, 5.0);
        assert_eq!((a.last_time_ms, a.last_price), (20, 3.0));
        assert_eq!((b.last_time_ms, b.last_price), (20, 3.0));
        assert_eq!((a.count, a.min, a.max, a.sum), (4, 1.0, 9.0, 18.0));
        assert_eq!(window_start(-1, 10), -10);
    }

    #[test]
    fn prices_parse_to_the_f64_nearest_their_text() {
        // 17 significant digits: the default serde_json parser misses some of
        // these by 1 ULP. Rust's `str::parse` is correctly rounded.
        let mut rng = fastrand::Rng::with_seed(11);
        for _ in 0..50_000 {
            let price = rng.f64() * 100.0;
            let text = format!("{price:?}");
            let json = format!(
                r#"{{"EVENT_TIME":"2026-11-23T10:00:00.123Z","TICKER":"AMZN","PRICE":{text}}}"#
            );
            let (tick, _) = parse(json.as_bytes()).expect("a tick");
            assert_eq!(
                tick.price.to_bits(),
                text.parse::<f64>().unwrap().to_bits(),
                "{text}"
            );
            assert_eq!(format!("{:?}", tick.price), text);
        }
    }

    /// The borrowed parse reads every record as the owned `StockTick` and
    /// chrono do: escapes, unknown and duplicate fields, arrays, other
    /// time forms, bad values.
    #[test]
    fn the_borrowed_parse_reads_what_stock_tick_reads() {
        use streamkit_core::events::StockTick;
        let reference = |data: &[u8]| -> Option<(String, u64, i64)> {
            let tick: StockTick = serde_json::from_slice(data).ok()?;
            if !tick.price.is_finite() || tick.ticker.is_empty() {
                return None;
            }
            let t = tick.event_time()?.timestamp_millis();
            Some((tick.ticker, tick.price.to_bits(), t))
        };
        let times = [
            r#""2026-11-23T10:00:00.123Z""#,
            r#""2026-11-23T10:00:00Z""#,
            r#""2026-11-23T10:00:00.123+02:00""#,
            r#""2026-11-23T10:00:00.1234567Z""#,
            r#""2026-02-30T10:00:00.123Z""#,
            r#""2026-11-23T10:00:00.123Z\u0000""#,
            r#""2026\u002d11-23T10:00:00.123Z""#,
            "17",
            "null",
        ];
        let tickers = [
            r#""AMZN""#,
            r#""A\"M""#,
            r#""\u00e9t\u00e9""#,
            r#""""#,
            "1",
            "null",
        ];
        let prices = [
            "12.5",
            "-0.0",
            "1e400",
            "\"3\"",
            "40.656150594195964",
            "null",
        ];
        let mut rng = fastrand::Rng::with_seed(7);
        let mut ticks = 0;
        for _ in 0..20_000 {
            let (t, k, p) = (
                times[rng.usize(..times.len())],
                tickers[rng.usize(..tickers.len())],
                prices[rng.usize(..prices.len())],
            );
            let mut fields = vec![
                format!(r#""EVENT_TIME":{t}"#),
                format!(r#""TICKER":{k}"#),
                format!(r#""PRICE":{p}"#),
            ];
            match rng.usize(..6) {
                0 => fields.push(r#""EXTRA":[1,{"a":2}]"#.into()),
                1 => fields.push(format!(r#""TICKER":{k}"#)),
                2 => {
                    fields.pop();
                }
                _ => {}
            }
            rng.shuffle(&mut fields);
            let data = if rng.usize(..10) == 0 {
                format!("[{t},{k},{p}]")
            } else {
                format!("{{{}}}", fields.join(","))
            };
            let ours = parse(data.as_bytes())
                .map(|(tick, t)| (tick.ticker.into_owned(), tick.price.to_bits(), t));
            ticks += usize::from(ours.is_some());
            assert_eq!(ours, reference(data.as_bytes()), "{data}");
        }
        assert!(ticks > 1_000, "some inputs are ticks: {ticks}");
    }
}
