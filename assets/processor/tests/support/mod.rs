//! Shared by the processor's tests: random tick streams over several shards
//! with a split and a merge, their batch answer computed independently (plain
//! folds, no processor code), a store wrapper that fails after applying, and
//! a simulated event source mapping (random batches, retries, bisects,
//! duplicate deliveries, parents before children).

#![allow(dead_code)]

pub mod faulty;
pub mod stream;

use std::collections::BTreeMap;

/// A user record as the test made it.
#[derive(Clone, Debug)]
pub struct Tick {
    pub ticker: String,
    pub t: i64,
    pub price: f64,
}

/// The batch answer of one (ticker, window); prices as the input's text.
#[derive(Clone, Debug, PartialEq)]
pub struct Expected {
    pub count: u64,
    pub min: f64,
    pub max: f64,
    pub sum: f64,
    pub last_t: i64,
    pub last_price: f64,
    /// The texts of the records holding the min, max and last price.
    pub min_text: String,
    pub max_text: String,
    pub last_text: String,
}

/// GROUP BY ticker, window over `ticks`, in plain Rust.
pub fn batch_answer(ticks: &[Tick], window_ms: i64) -> BTreeMap<(String, i64), Expected> {
    let mut out: BTreeMap<(String, i64), Expected> = BTreeMap::new();
    for tick in ticks {
        let start = tick.t - tick.t.rem_euclid(window_ms);
        let e = out.entry((tick.ticker.clone(), start)).or_insert(Expected {
            count: 0,
            min: f64::MAX,
            max: f64::MIN,
            sum: 0.0,
            last_t: i64::MIN,
            last_price: f64::MIN,
            min_text: String::new(),
            max_text: String::new(),
            last_text: String::new(),
        });
        e.count += 1;
        if tick.price < e.min {
            e.min = tick.price;
            e.min_text = tick.price_text();
        }
        if tick.price > e.max {
            e.max = tick.price;
            e.max_text = tick.price_text();
        }
        e.sum += tick.price;
        if tick.t > e.last_t || (tick.t == e.last_t && tick.price > e.last_price) {
            e.last_t = tick.t;
            e.last_price = tick.price;
            e.last_text = tick.price_text();
        }
    }
    out
}

impl Tick {
    /// The price's text in the record (the shortest text that reads back
    /// as the same double, up to 17 significant digits).
    pub fn price_text(&self) -> String {
        self.price.to_string()
    }
}

/// The JSON of a tick as producers write it.
pub fn tick_json(tick: &Tick) -> Vec<u8> {
    let time = chrono::DateTime::from_timestamp_millis(tick.t)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ");
    format!(
        r#"{{"EVENT_TIME": "{time}", "TICKER": "{}", "PRICE": {}}}"#,
        tick.ticker,
        tick.price_text()
    )
    .into_bytes()
}
