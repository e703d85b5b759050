//! Processor throughput on one core, in-process: 1000-record batches of
//! ticks from 4 shards go through `ingest` (checkpointed commits into the
//! in-memory store, which has the DynamoDB store's semantics and counts the
//! capacity units DynamoDB on demand would bill) and the emitter after every
//! batch, as the Lambda handler does (through the core's runner), 15 times
//! on a fresh store. Prints one line (the median run by CPU time, i.e. per
//! core, and the wall-time median):
//! `processor records_per_s=N read_units_per_million=R write_units_per_million=W state_usd_per_million=S lambda_usd_per_million=L`
//! (Lambda: arm64, 512 MB, the measured time per record; state: on-demand
//! request prices of src/cost/price.rs).
//!
//! `cargo bench -p streamkit-processor --bench windows` (std::time only; no
//! timed assertions: the figures go into BENCHMARKS.md through `bench/run`).

use std::collections::BTreeMap;
use std::time::Instant;
use streamkit_core::progress::MemoryStore;
use streamkit_core::runner::ingest;
use streamkit_core::StreamRecord;
use streamkit_processor::emit::emit;
use streamkit_processor::ingest::Windows;
use streamkit_processor::sink::MemorySink;
use streamkit_processor::ProcessorConfig;

const SHARDS: usize = 4;
const BATCH: usize = 1000;
const BATCHES_PER_SHARD: usize = 25;
const TICKERS: [&str; 5] = ["AAPL", "AMZN", "MSFT", "INTC", "TBV"];
/// us-east-1 prices (as in src/cost/price.rs).
const READS_PER_MILLION: f64 = 0.125;
const WRITES_PER_MILLION: f64 = 0.625;
const ARM_GB_SECOND: f64 = 0.000_013_333_4;
const LAMBDA_REQUESTS_PER_MILLION: f64 = 0.20;

fn batch(shard: usize, b: usize) -> Vec<StreamRecord> {
    (0..BATCH)
        .map(|i| {
            let n = b * BATCH + i;
            // 1,000 ticks per second of event time per shard, in order.
            let t = 1_795_946_400_000i64 + n as i64;
            let time = chrono::DateTime::from_timestamp_millis(t)
                .unwrap()
                .format("%Y-%m-%dT%H:%M:%S%.3fZ");
            let data = format!(
                r#"{{"EVENT_TIME": "{time}", "TICKER": "{}", "PRICE": {}.{:02}}}"#,
                TICKERS[n % 5],
                n % 100,
                n % 97
            );
            StreamRecord {
                shard_id: format!("shardId-{shard:012}"),
                sequence_number: format!("4954511524349098501828006771497314458218006259324{n:07}"),
                partition_key: format!("pk-{n}"),
                data: data.into_bytes(),
                approximate_arrival: Some(t as f64 / 1000.0),
            }
        })
        .collect()
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let batches: Vec<Vec<Vec<StreamRecord>>> = (0..SHARDS)
        .map(|s| (0..BATCHES_PER_SHARD).map(|b| batch(s, b)).collect())
        .collect();
    let topology: BTreeMap<String, Vec<String>> = (0..SHARDS)
        .map(|s| (format!("shardId-{s:012}"), Vec::new()))
        .collect();
    let cfg = ProcessorConfig::new("bench", "bench");
    let runs_wanted = runs();
    let records = (SHARDS * BATCH * BATCHES_PER_SHARD) as f64;
    // The whole workload RUNS times on a fresh store: the figure is the
    // median run by CPU time (per core), the wall-time median beside it.
    let mut runs: Vec<(f64, f64, MemoryStore, MemorySink)> = (0..runs_wanted)
        .map(|_| {
            let (store, sink) = (MemoryStore::new(), MemorySink::default());
            let (started, cpu) = (Instant::now(), cpu_seconds());
            let mut now = 1_000_000i64;
            rt.block_on(async {
                let windows = Windows::new(&store, &sink, &cfg);
                for b in 0..BATCHES_PER_SHARD {
                    for (s, shard) in batches.iter().enumerate() {
                        now += 250;
                        ingest(
                            &windows,
                            &topology,
                            &format!("shardId-{s:012}"),
                            &shard[b],
                            now,
                        )
                        .await
                        .unwrap();
                        emit(&store, &sink, &cfg, now).await.unwrap();
                    }
                }
            });
            let wall = started.elapsed().as_secs_f64();
            (cpu_seconds() - cpu, wall, store, sink)
        })
        .collect();
    let mut walls: Vec<f64> = runs.iter().map(|r| r.1).collect();
    walls.sort_by(f64::total_cmp);
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (fastest, slowest) = (runs[0].0, runs[runs_wanted - 1].0);
    let (secs, _, store, sink) = runs.swap_remove(runs_wanted / 2);
    let usage = store.usage();
    let per_million = 1e6 / records;
    let (r, w) = (
        usage.read_units as f64 * per_million,
        usage.write_units as f64 * per_million,
    );
    let state_usd = r * READS_PER_MILLION / 1e6 + w * WRITES_PER_MILLION / 1e6;
    let invocations = 1e6 / BATCH as f64;
    let lambda_usd = secs / records * 1e6 * 0.5 * ARM_GB_SECOND
        + invocations * LAMBDA_REQUESTS_PER_MILLION / 1e6;
    println!(
        "processor records_per_s={:.0} read_units_per_million={r:.0} write_units_per_million={w:.0} state_usd_per_million={state_usd:.4} lambda_usd_per_million={lambda_usd:.4} rows={} (per core by CPU time, median of {runs_wanted} runs, min {:.0}, max {:.0}; by wall time median {:.0})",
        records / secs,
        sink.all_rows().len(),
        records / slowest,
        records / fastest,
        records / walls[runs_wanted / 2]
    );
}

/// How many times the workload runs: `BENCH_RUNS` (default 15; 1 under
/// `valgrind --tool=cachegrind`, whose instruction count is the machine-load
/// independent figure `bench/run` compares).
fn runs() -> usize {
    std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(15)
}

/// CPU time of this thread (the bench's only one: a current-thread
/// runtime), from /proc/thread-self/schedstat (ns): on a busy machine the
/// wall time includes waiting for a core.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns / 1e9)
}
