//! Consumer handler throughput on one core, in-process (no network, no Lambda
//! runtime): the JSON event Lambda delivers is parsed (base64 included), then
//! `process` de-aggregates and validates every user record. Prints one line per
//! batch shape: `consumer <shape> records_per_s=N (median of R runs, min A, max B)`.
//!
//! `cargo bench -p streamkit-consumer --bench handler` (std::time only; no
//! timed assertions: the figure goes into BENCHMARKS.md through `bench/run`).

use base64::Engine;
use std::time::Instant;

const RECORDS: usize = 1000;
const RUNS: usize = 15;
const TICKERS: [&str; 5] = ["AAPL", "AMZN", "MSFT", "INTC", "TBV"];

fn tick(i: usize) -> String {
    format!(
        r#"{{"EVENT_TIME": "2026-11-23T10:00:{:02}.{:03}Z", "TICKER": "{}", "PRICE": {}.{:02}}}"#,
        i % 60,
        i % 1000,
        TICKERS[i % TICKERS.len()],
        i % 100,
        i % 97
    )
}

fn record(seq: usize, pk: &str, data: &[u8]) -> serde_json::Value {
    let seq = format!("4954511524349098501828006771497314458218006259324{seq:07}");
    serde_json::json!({
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": pk,
            "sequenceNumber": seq,
            "data": base64::engine::general_purpose::STANDARD.encode(data),
            "approximateArrivalTimestamp": 1795946400.123
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": format!("shardId-000000000000:{seq}"),
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/consumer",
        "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/ticks"
    })
}

/// `RECORDS` user records as the event bytes Lambda hands the function:
/// one Kinesis record each, or packed 100 per KPL aggregated record.
fn event(aggregated: bool) -> Vec<u8> {
    let ticks: Vec<String> = (0..RECORDS).map(tick).collect();
    let records: Vec<serde_json::Value> = if aggregated {
        ticks
            .chunks(100)
            .enumerate()
            .map(|(n, chunk)| {
                let agg = streamkit_core::kpl::aggregate(
                    chunk.iter().map(|t| ("AMZN", None, t.as_bytes())),
                )
                .expect("aggregate");
                record(n, "AMZN", &agg.data)
            })
            .collect()
    } else {
        ticks
            .iter()
            .enumerate()
            .map(|(n, t)| record(n, TICKERS[n % TICKERS.len()], t.as_bytes()))
            .collect()
    };
    serde_json::to_vec(&serde_json::json!({ "Records": records })).expect("event")
}

fn main() {
    for (shape, aggregated) in [("plain", false), ("kpl-aggregated", true)] {
        let bytes = event(aggregated);
        let mut rates = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let start = Instant::now();
            let mut valid = 0;
            // Enough batches per run for a stable figure (~tens of ms).
            for _ in 0..20 {
                let event: streamkit_core::KinesisEvent =
                    serde_json::from_slice(&bytes).expect("a Kinesis event");
                let (response, summary) = streamkit_consumer::process(&event);
                assert!(response.batch_item_failures.is_empty());
                valid += summary.valid;
            }
            assert_eq!(valid, 20 * RECORDS);
            rates.push(valid as f64 / start.elapsed().as_secs_f64());
        }
        rates.sort_by(f64::total_cmp);
        println!(
            "consumer {shape} records_per_s={:.0} (median of {RUNS} runs, min {:.0}, max {:.0}; batches of {RECORDS} user records, event {} bytes)",
            rates[RUNS / 2],
            rates[0],
            rates[RUNS - 1],
            bytes.len()
        );
    }
}
