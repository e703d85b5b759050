//! Random streams over shards with a split and a merge, and the simulated
//! event source mapping that delivers them.

use std::collections::BTreeMap;
use streamkit_core::kpl;
use streamkit_core::StreamRecord;

use super::{tick_json, Tick};

/// A generated case.
#[derive(Clone, Debug)]
pub struct Case {
    /// Records per shard, in shard order.
    pub shards: BTreeMap<String, Vec<StreamRecord>>,
    /// Shard → parents (children only).
    pub parents: BTreeMap<String, Vec<String>>,
    /// Every shard → its parents (what ListShards would say).
    pub topology: BTreeMap<String, Vec<String>>,
    /// Ticks that arrived within the allowed lateness (the batch input).
    pub on_time: Vec<Tick>,
    /// Every tick with its (sequence number, sub-sequence number).
    pub all: Vec<((String, u64), Tick)>,
    /// (sequence number, sub-sequence number) of injected late ticks.
    pub late: Vec<(String, u64)>,
    /// (sequence number, sub-sequence number) of malformed records.
    pub malformed: Vec<(String, u64)>,
    pub window_ms: i64,
    pub lateness_ms: i64,
}

/// Knobs of a case.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub seed: u64,
    pub records: usize,
    pub window_ms: i64,
    pub lateness_ms: i64,
}

const TICKERS: [&str; 4] = ["AAPL", "AMZN", "MSFT", "TBV"];

/// Shards a, b, c; `a` splits into a1/a2 a third of the way in, `b` and `c`
/// merge into d two thirds of the way in. Event time advances; on-time ticks
/// jitter up to half the allowed lateness behind it (never late on any shard);
/// injected late ticks are more than the allowed lateness behind their
/// shard's watermark; some records are KPL aggregates, some malformed.
pub fn generate(shape: Shape) -> Case {
    let mut rng = fastrand::Rng::with_seed(shape.seed);
    let mut case = Case {
        shards: BTreeMap::new(),
        parents: BTreeMap::new(),
        topology: BTreeMap::new(),
        on_time: Vec::new(),
        all: Vec::new(),
        late: Vec::new(),
        malformed: Vec::new(),
        window_ms: shape.window_ms,
        lateness_ms: shape.lateness_ms,
    };
    for s in ["a", "b", "c"] {
        case.shards.insert(s.into(), Vec::new());
    }
    let mut open: Vec<String> = vec!["a".into(), "b".into(), "c".into()];
    let mut shard_max: BTreeMap<String, i64> = BTreeMap::new();
    let mut seq: u64 = 1_000;
    let mut clock: i64 = 1_795_946_400_000 + rng.i64(0..shape.window_ms);
    for i in 0..shape.records {
        if i == shape.records / 3 {
            open.retain(|s| s != "a");
            for c in ["a1", "a2"] {
                open.push(c.into());
                case.shards.insert(c.into(), Vec::new());
                case.parents.insert(c.into(), vec!["a".into()]);
                inherit(&mut shard_max, c, &["a"]);
            }
        }
        if i == 2 * shape.records / 3 {
            open.retain(|s| s != "b" && s != "c");
            open.push("d".into());
            case.shards.insert("d".into(), Vec::new());
            case.parents
                .insert("d".into(), vec!["b".into(), "c".into()]);
            inherit(&mut shard_max, "d", &["b", "c"]);
        }
        clock += rng.i64(0..shape.window_ms / 4 + 1);
        let shard = open[rng.usize(..open.len())].clone();
        seq += 1 + rng.u64(0..1000);
        let sequence_number = format!("{seq:056}");
        let n_users = if rng.u8(..10) == 0 {
            rng.usize(2..5)
        } else {
            1
        };
        let mut users: Vec<(String, Vec<u8>)> = Vec::new();
        for sub in 0..n_users as u64 {
            let key = format!("pk-{}", rng.u32(..100_000));
            let roll = rng.u8(..100);
            if roll < 3 {
                users.push((key, b"{\"TICKER\": 7}".to_vec()));
                case.malformed.push((sequence_number.clone(), sub));
                continue;
            }
            let max = shard_max.get(&shard).copied();
            let tick = match max {
                Some(w) if roll < 10 => Tick {
                    ticker: TICKERS[rng.usize(..TICKERS.len())].into(),
                    t: w - shape.lateness_ms - 1 - rng.i64(0..3 * shape.window_ms),
                    price: price(&mut rng),
                },
                _ => Tick {
                    ticker: TICKERS[rng.usize(..TICKERS.len())].into(),
                    t: clock - rng.i64(0..=shape.lateness_ms / 2),
                    price: price(&mut rng),
                },
            };
            case.all
                .push(((sequence_number.clone(), sub), tick.clone()));
            let is_late = max.is_some_and(|w| tick.t < w - shape.lateness_ms);
            if is_late {
                case.late.push((sequence_number.clone(), sub));
            } else {
                let m = shard_max.entry(shard.clone()).or_insert(tick.t);
                *m = (*m).max(tick.t);
                case.on_time.push(tick.clone());
            }
            users.push((key, tick_json(&tick)));
        }
        let (partition_key, data) = if users.len() == 1 {
            users.pop().unwrap()
        } else {
            let agg = kpl::aggregate(users.iter().map(|(k, d)| (k.as_str(), None, d.as_slice())))
                .unwrap();
            (agg.partition_key, agg.data)
        };
        case.shards.get_mut(&shard).unwrap().push(StreamRecord {
            shard_id: shard.clone(),
            sequence_number,
            partition_key,
            data,
            approximate_arrival: Some(clock as f64 / 1000.0),
        });
    }
    case.topology = case
        .shards
        .keys()
        .map(|s| (s.clone(), case.parents.get(s).cloned().unwrap_or_default()))
        .collect();
    case
}

/// A price with up to 17 significant digits (the shortest text of a random
/// double below 10,000): its text is what the record carries, and the rows
/// must give it back exactly.
fn price(rng: &mut fastrand::Rng) -> f64 {
    match rng.u8(..4) {
        0 => (rng.f64() * 10_000.0).round() / 100.0,
        _ => rng.f64() * 10_000.0,
    }
}

fn inherit(max: &mut BTreeMap<String, i64>, child: &str, parents: &[&str]) {
    if let Some(w) = parents.iter().filter_map(|p| max.get(*p)).min().copied() {
        max.insert(child.to_string(), w);
    }
}
