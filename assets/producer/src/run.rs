//! The produce loop: schedule, batch, send, report.

use aws_sdk_kinesis::Client;
use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::time::{Duration, Instant};
use streamkit_core::events::{EventKind, Generator};
use streamkit_core::kpl::{Aggregator, MAX_RECORD_BYTES};
use streamkit_core::putrecords::{self, OutRecord, RetryPolicy};

use crate::replay::ReplaySet;
use crate::{HashKeys, ProducerArgs, ProducerError};

const TICK: Duration = Duration::from_millis(100);

/// Totals of a run (printed on stdout).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// User records produced (generated or replayed lines).
    pub records: u64,
    /// User records confirmed written.
    pub delivered: u64,
    /// User records not written after all retries (or oversize, or unreadable replay lines).
    pub failed: u64,
    /// Kinesis records sent (fewer than `records` with aggregation).
    pub kinesis_records: u64,
    /// Entries re-sent after a failure.
    pub retried: u64,
    pub elapsed: Duration,
}

impl Summary {
    pub fn all_delivered(&self) -> bool {
        self.failed == 0 && self.delivered == self.records
    }

    pub fn rate(&self) -> f64 {
        self.delivered as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "records={} delivered={} failed={} kinesis_records={} retried={} elapsed={:.1}s rate={:.1}/s",
            self.records,
            self.delivered,
            self.failed,
            self.kinesis_records,
            self.retried,
            self.elapsed.as_secs_f64(),
            self.rate()
        )
    }
}

/// A user record waiting to be sent.
struct Pending {
    partition_key: String,
    data: Vec<u8>,
}

/// Produces until the duration, count or replay is exhausted. Progress lines
/// (one per second) go to `progress`.
pub async fn run(
    args: &ProducerArgs,
    client: &Client,
    replay: Option<ReplaySet>,
    progress: &mut dyn Write,
) -> Result<Summary, ProducerError> {
    if args.rate == 0 {
        return Err(ProducerError::Rate);
    }
    if args.speedup.is_nan() || args.speedup <= 0.0 {
        return Err(ProducerError::Speedup(args.speedup));
    }
    let policy = RetryPolicy {
        max_attempts: args.max_attempts,
        keep_key_order: args.hash_keys() == HashKeys::PartitionKey,
        ..RetryPolicy::default()
    };
    let mut summary = Summary::default();
    let kind = args.kind.event_kind().unwrap_or(EventKind::Ticks);
    let mut generator = Generator::new(kind, args.seed);
    let (replay_records, bad_lines) = match replay {
        Some(set) => (Some(set.records), set.bad_lines.len() as u64),
        None => (None, 0),
    };
    summary.records += bad_lines;
    summary.failed += bad_lines;
    let mut replay_pos = 0usize;
    let start = Instant::now();
    let mut last_report = start;
    let mut last_delivered = 0u64;
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        interval.tick().await;
        let elapsed = start.elapsed();
        // What is due by now.
        let mut due: Vec<Pending> = Vec::new();
        let mut done = false;
        match &replay_records {
            Some(list) => {
                let by_rate = (args.rate as f64 * elapsed.as_secs_f64()) as usize;
                while replay_pos < list.len() {
                    let r = &list[replay_pos];
                    let is_due = match r.offset {
                        Some(off) => off / args.speedup <= elapsed.as_secs_f64(),
                        None => replay_pos < by_rate,
                    };
                    if !is_due {
                        break;
                    }
                    due.push(Pending {
                        partition_key: r.partition_key.clone(),
                        data: r.data.clone(),
                    });
                    replay_pos += 1;
                }
                done = replay_pos >= list.len();
            }
            None => {
                let limit = args.count.unwrap_or(u64::MAX);
                let mut target = (args.rate as f64 * elapsed.as_secs_f64()) as u64;
                if args.count.is_none() && elapsed >= args.duration {
                    target = (args.rate as f64 * args.duration.as_secs_f64()) as u64;
                    done = true;
                }
                let target = target.min(limit);
                let generated = summary.records - bad_lines;
                let now = chrono::Utc::now();
                for _ in generated..target {
                    let e = generator.next_event(now);
                    due.push(Pending {
                        partition_key: e.partition_key,
                        data: e.data,
                    });
                }
                done |= target >= limit;
            }
        }
        if !due.is_empty() {
            summary.records += due.len() as u64;
            send(args, client, &policy, due, &mut summary).await;
        }
        if last_report.elapsed() >= Duration::from_secs(1) || done {
            let secs = last_report.elapsed().as_secs_f64().max(1e-9);
            let _ = writeln!(
                progress,
                "[{:>4}s] sent={} failed={} retried={} rate={:.0}/s",
                start.elapsed().as_secs(),
                summary.delivered,
                summary.failed,
                summary.retried,
                (summary.delivered - last_delivered) as f64 / secs
            );
            last_report = Instant::now();
            last_delivered = summary.delivered;
        }
        if done {
            break;
        }
    }
    summary.elapsed = start.elapsed();
    Ok(summary)
}

/// Turns due user records into Kinesis records (aggregated or not) and sends them.
async fn send(
    args: &ProducerArgs,
    client: &Client,
    policy: &RetryPolicy,
    due: Vec<Pending>,
    summary: &mut Summary,
) {
    let random = args.hash_keys() == HashKeys::Random;
    let ehk = || random.then(|| fastrand::u128(..).to_string());
    // Each Kinesis record with the number of user records it carries.
    let mut out: Vec<(OutRecord, u64)> = Vec::new();
    if args.aggregate {
        // With partition-key hashing, aggregate per key so every user record
        // lands on its own key's shard; with random keys, pack everything.
        let mut groups: BTreeMap<String, Vec<Pending>> = BTreeMap::new();
        for p in due {
            let group = if random {
                String::new()
            } else {
                p.partition_key.clone()
            };
            groups.entry(group).or_default().push(p);
        }
        for records in groups.into_values() {
            let mut agg = Aggregator::new();
            for p in records {
                if !agg.try_add(&p.partition_key, None, &p.data, MAX_RECORD_BYTES) {
                    flush(&mut agg, ehk(), &mut out);
                    agg.add(&p.partition_key, None, &p.data);
                }
            }
            flush(&mut agg, ehk(), &mut out);
        }
    } else {
        out.extend(due.into_iter().map(|p| {
            let r = OutRecord {
                partition_key: p.partition_key,
                explicit_hash_key: ehk(),
                data: p.data,
            };
            (r, 1)
        }));
    }
    let (records, weights): (Vec<OutRecord>, Vec<u64>) = out.into_iter().unzip();
    let outcome = putrecords::put_records(client, &args.stream, &records, policy).await;
    summary.kinesis_records += outcome.delivered() as u64;
    summary.retried += outcome.retried as u64;
    for (ok, w) in outcome.confirmed.iter().zip(&weights) {
        if *ok {
            summary.delivered += w;
        } else {
            summary.failed += w;
        }
    }
    if let Some(e) = &outcome.last_error {
        if !outcome.all_delivered() {
            eprintln!(
                "warning: {} records not delivered: {e}",
                outcome.confirmed.len() - outcome.delivered()
            );
        }
    }
}

fn flush(agg: &mut Aggregator, ehk: Option<String>, out: &mut Vec<(OutRecord, u64)>) {
    let n = agg.len() as u64;
    if let Some(a) = agg.finish() {
        let record = OutRecord {
            partition_key: a.partition_key,
            explicit_hash_key: ehk,
            data: a.data,
        };
        out.push((record, n));
    }
}
