//! Join processor throughput on one core, in-process (no network, no Lambda
//! runtime): the producer's `--kind orders` records (50,000 orders, 100,000
//! items, 1,000 products, 10% of items before their order, 2% with an unknown
//! product) on 2 shards, delivered in batches of 500 (the template's batch
//! size) to `ingest`, with the emitter after every batch, on the core's
//! in-memory store (the same conditions and the request units DynamoDB
//! on-demand would bill) and an in-memory sink. Prints items/s per core and
//! the cost per million items of the state and output requests.
//!
//! `cargo bench -p streamkit-joins --bench join` (std::time only; no timed
//! assertions: the figures go into BENCHMARKS.md).

use std::collections::BTreeMap;
use std::time::Instant;
use streamkit_core::progress::MemoryStore;
use streamkit_core::runner::ingest;
use streamkit_core::StreamRecord;
use streamkit_joins::emit::emit;
use streamkit_joins::ingest::Joins;
use streamkit_joins::products::Products;
use streamkit_joins::sink::MemorySink;
use streamkit_joins::JoinsConfig;
use streamkit_producer::orders::{self, OrdersOptions};

const ORDERS: u64 = 50_000;
const SHARDS: usize = 2;
const BATCH: usize = 500;
/// us-east-1 on-demand prices (src/cost/price.rs).
const WRITE_PER_MILLION: f64 = 0.625;
const READ_PER_MILLION: f64 = 0.125;

fn main() {
    let mut opts = OrdersOptions::new(ORDERS, 5000);
    opts.seed = Some(42);
    opts.items_first = 0.1;
    opts.unknown_products = 0.02;
    let start = chrono::Utc::now();
    let plan = orders::plan(&opts, start);
    let products = Products::parse(orders::products_file(&orders::products()).as_bytes())
        .expect("the producer's products file parses");
    // Partition by orderId over the shards, in send order.
    let mut shards: Vec<Vec<StreamRecord>> = vec![Vec::new(); SHARDS];
    for (n, r) in plan.records.iter().enumerate() {
        let order: u64 = r.partition_key.parse().unwrap_or(0);
        let shard = (order % SHARDS as u64) as usize;
        shards[shard].push(StreamRecord {
            shard_id: format!("shardId-{shard:012}"),
            sequence_number: format!("{}", 49_000_000_000_000_000_000u128 + n as u128),
            partition_key: r.partition_key.clone(),
            data: r.data.clone(),
            approximate_arrival: Some(start.timestamp_millis() as f64 / 1000.0),
        });
    }
    let items = plan
        .records
        .iter()
        .filter(|r| r.data.ends_with(b"\"OrderItem\"}"))
        .count();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let store = MemoryStore::new();
    let sink = MemorySink::default();
    let cfg = JoinsConfig::new("state", "out", "bucket");
    let topology: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let joins = Joins::new(&store, &sink, &cfg, products.clone());
    let now = start.timestamp_millis() + 3_600_000;
    let began = Instant::now();
    let cpu_began = cpu_seconds();
    let mut enriched = 0u64;
    rt.block_on(async {
        let mut cursors = [0usize; SHARDS];
        while cursors.iter().zip(&shards).any(|(c, s)| *c < s.len()) {
            for (s, records) in shards.iter().enumerate() {
                let from = cursors[s];
                let to = (from + BATCH).min(records.len());
                if from == to {
                    continue;
                }
                let done = ingest(
                    &joins,
                    &topology,
                    &records[0].shard_id,
                    &records[from..to],
                    now,
                )
                .await
                .expect("in-memory ingest");
                enriched += done.counts.items_enriched;
                let e = emit(&store, &sink, &cfg, &products, now)
                    .await
                    .expect("emit");
                enriched += e.counts.items_enriched;
                cursors[s] = to;
            }
        }
    });
    let wall = began.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_began;
    let usage = store.usage();
    let rows = sink.all_rows().len();
    // Output writes: one 1 KB write unit per row written.
    let per_million = 1e6 / items as f64;
    let state_usd = (usage.write_units as f64 * WRITE_PER_MILLION
        + usage.read_units as f64 * READ_PER_MILLION)
        / 1e6
        * per_million;
    let output_usd = enriched as f64 * WRITE_PER_MILLION / 1e6 * per_million;
    println!(
        "joins items={items} rows={rows} records={} wall_s={wall:.2} cpu_s={cpu:.2} items_per_s_per_core={:.0} (by CPU time; by wall time {:.0})",
        plan.records.len(),
        items as f64 / cpu.max(1e-9),
        items as f64 / wall.max(1e-9)
    );
    println!(
        "joins state_write_units={} state_read_units={} store_calls={} output_writes={enriched}",
        usage.write_units, usage.read_units, usage.calls
    );
    println!(
        "joins usd_per_million_items state={state_usd:.2} output={output_usd:.2} (DynamoDB on-demand requests)"
    );
}

/// CPU time of this process (user + system), from /proc/self/stat.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 (1-based), 11 and 12 after the ')'.
    (ticks(11) + ticks(12)) / 100.0
}
