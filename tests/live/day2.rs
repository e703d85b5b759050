//! Day-2 commands live, through the real binary on the strict emulator with
//! the real functions: `logs` shows the consumer's lines for records just
//! put and `--follow` ends cleanly on Ctrl-C; `scale` reshards pattern 1
//! while records flow without losing or reordering any; `redrive` replays
//! the batches a broken consumer discarded, exactly once; `replay` over a
//! window of pattern 2 leaves its rows as they were.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_kinesis::primitives::Blob;
use serde_json::{json, Value};

use crate::support::common::cli::streamkit_process;
use crate::support::{
    asset_zip, log_group_of, log_messages, stack_outputs, wait_for, Clients, Live,
};

/// A tick the pattern 1 consumer accepts; the ticker names the record.
fn tick(ticker: &str) -> Vec<u8> {
    json!({"EVENT_TIME": "2026-11-23T10:00:00.123Z", "TICKER": ticker, "PRICE": 50.0})
        .to_string()
        .into_bytes()
}

async fn put(c: &Clients, stream: &str, key: &str, ticker: &str) {
    c.kinesis
        .put_record()
        .stream_name(stream)
        .partition_key(key)
        .data(Blob::new(tick(ticker)))
        .send()
        .await
        .expect("PutRecord");
}

/// The consumer's "batch processed" lines in the order it wrote them: per
/// batch, its tickers and counts (the function's own log timestamps order
/// them; batches of one shard never run at once).
async fn batches(c: &Clients, group: &str) -> Vec<(String, BTreeMap<String, usize>)> {
    let mut out: Vec<(String, BTreeMap<String, usize>)> = log_messages(c, group)
        .await
        .iter()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|v| v["fields"]["message"] == "batch processed")
        .map(|v| {
            let per_ticker = v["fields"]["per_ticker"]
                .as_str()
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or_default();
            (
                v["timestamp"].as_str().unwrap_or_default().to_string(),
                per_ticker,
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// How many times each ticker was processed, over every batch.
fn processed(batches: &[(String, BTreeMap<String, usize>)]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for (_, per) in batches {
        for (t, n) in per {
            *out.entry(t.clone()).or_default() += n;
        }
    }
    out
}

fn once_each(tickers: &[String]) -> BTreeMap<String, usize> {
    tickers.iter().map(|t| (t.clone(), 1)).collect()
}

struct Pattern1 {
    live: Live,
    c: Clients,
    stream: String,
    function: String,
    group: String,
    queue: String,
}

async fn pattern_1(params: &[&str]) -> Pattern1 {
    let live = Live::start();
    let mut extra = Vec::new();
    for p in params {
        extra.extend(["--parameter", p]);
    }
    live.deploy("1", &["us-east-1"], &extra);
    let c = Clients::new(&live.emu, "us-east-1").await;
    let outputs = stack_outputs(&c, "streamkit-pattern-1").await;
    let function = outputs["ConsumerFunctionArn"]
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();
    let group = log_group_of(&c, &function).await;
    Pattern1 {
        stream: outputs["StreamName"].clone(),
        queue: outputs["FailureQueueUrl"].clone(),
        function,
        group,
        c,
        live,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_show_the_consumer_lines_of_records_just_put_and_follow_ends_on_ctrl_c() {
    let p = pattern_1(&[]).await;
    let tickers: Vec<String> = (0..3).map(|i| format!("LOGS{i}")).collect();
    for t in &tickers {
        put(&p.c, &p.stream, t, t).await;
    }
    let lines = wait_for(
        "the consumer's lines in `logs`",
        Duration::from_secs(60),
        || {
            let out = p.live.streamkit(&[
                "logs",
                "--pattern",
                "1",
                "--since",
                "5m",
                "--output",
                "json",
            ]);
            let lines: Vec<Value> = out
                .lines()
                .map(|l| serde_json::from_str(l).expect("NDJSON"))
                .collect();
            let seen = tickers.iter().all(|t| {
                lines.iter().any(|l| {
                    l["source"] == "Consumer" && l["message"].as_str().unwrap().contains(t.as_str())
                })
            });
            async move { seen.then_some(lines) }
        },
    )
    .await;
    // Interleaved by time, each line named by its source.
    let times: Vec<&str> = lines.iter().map(|l| l["time"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    let text = p.live.streamkit(&[
        "logs",
        "--pattern",
        "1",
        "--since",
        "5m",
        "--filter",
        "LOGS1",
    ]);
    assert!(!text.is_empty());
    for line in text.lines() {
        assert!(
            line.contains(" Consumer: ") && line.contains("LOGS1"),
            "{line}"
        );
    }

    // --follow: new lines as they come, then Ctrl-C ends it with exit 0.
    let mut child = streamkit_process(&p.live.emu.env(), p.live.dir.path())
        .args([
            "logs",
            "--pattern",
            "1",
            "--follow",
            "--since",
            "1s",
            "--filter",
            "FOLLOW",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn streamkit logs --follow");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).expect("stderr");
    assert!(
        first.contains("following") && first.contains("Ctrl-C"),
        "{first}"
    );
    put(&p.c, &p.stream, "FOLLOW", "FOLLOW").await;
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).expect("a followed line");
    assert!(
        line.contains("Consumer: ") && line.contains("FOLLOW"),
        "{line}"
    );
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0), "Ctrl-C ends --follow cleanly");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(!rest.contains("error"), "{rest}");
}

#[tokio::test(flavor = "multi_thread")]
async fn scale_1_to_4_and_back_to_2_while_records_flow_loses_none_and_keeps_key_order() {
    let p = pattern_1(&["ShardCount=1"]).await;
    let keys: Vec<String> = (0..8).map(|k| format!("key-{k}")).collect();
    let running = Arc::new(AtomicBool::new(true));
    let producer = {
        let (c, stream, keys, running) = (
            Clients::new(&p.live.emu, "us-east-1").await,
            p.stream.clone(),
            keys.clone(),
            running.clone(),
        );
        tokio::spawn(async move {
            let mut put_order = Vec::new();
            let mut i = 0;
            while running.load(Ordering::SeqCst) || i < 40 {
                let key = &keys[i % keys.len()];
                let ticker = format!("{key}:{:05}", i / keys.len());
                put(&c, &stream, key, &ticker).await;
                put_order.push(ticker);
                i += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            put_order
        })
    };
    for n in ["2", "4", "2"] {
        let out = tokio::task::block_in_place(|| {
            p.live
                .streamkit(&["scale", "--pattern", "1", "--shards", n, "--yes"])
        });
        assert!(out.contains(&format!("to {n} shards")), "{out}");
    }
    running.store(false, Ordering::SeqCst);
    let put_order = producer.await.unwrap();
    let shards =
        p.c.kinesis
            .list_shards()
            .stream_name(&p.stream)
            .send()
            .await
            .expect("ListShards");
    let open = shards
        .shards()
        .iter()
        .filter(|s| {
            s.sequence_number_range()
                .and_then(|r| r.ending_sequence_number())
                .is_none()
        })
        .count();
    assert_eq!(open, 2, "{shards:?}");
    assert_eq!(shards.shards().len(), 1 + 2 + 4 + 2, "{shards:?}");

    let expected = once_each(&put_order);
    let seen = wait_for(
        "every record processed once",
        Duration::from_secs(180),
        || async {
            let b = batches(&p.c, &p.group).await;
            (processed(&b) == expected).then_some(b)
        },
    )
    .await;
    // Order per partition key: a batch processed later holds only later
    // records of each key than every batch before it.
    let mut last: BTreeMap<String, String> = BTreeMap::new();
    for (time, per) in &seen {
        let mut firsts: BTreeMap<String, String> = BTreeMap::new();
        for t in per.keys() {
            let (key, _) = t.split_once(':').unwrap();
            let first = firsts.entry(key.to_string()).or_insert_with(|| t.clone());
            if t < first {
                *first = t.clone();
            }
        }
        for (key, first) in &firsts {
            if let Some(prev) = last.get(key) {
                assert!(
                    prev < first,
                    "{key}: {first} processed at {time} after {prev}"
                );
            }
        }
        for t in per.keys() {
            let (key, _) = t.split_once(':').unwrap();
            let entry = last.entry(key.to_string()).or_default();
            if t.as_str() > entry.as_str() {
                *entry = t.clone();
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn redrive_processes_what_a_broken_consumer_discarded_exactly_once() {
    let p = pattern_1(&[]).await;
    // A bad release of the consumer: a bootstrap that exits at once (on AWS:
    // Runtime.ExitError on every invocation), through UpdateFunctionCode.
    let broken = {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().unix_permissions(0o755);
        zip.start_file("bootstrap", options).unwrap();
        std::io::Write::write_all(&mut zip, b"#!/bin/sh\nexit 3\n").unwrap();
        zip.finish().unwrap().into_inner()
    };
    let code = |bytes: Vec<u8>| {
        p.c.lambda
            .update_function_code()
            .function_name(&p.function)
            .zip_file(aws_sdk_lambda::primitives::Blob::new(bytes))
            .send()
    };
    code(broken).await.expect("UpdateFunctionCode (broken)");
    let tickers: Vec<String> = (0..12).map(|i| format!("RD{i:02}")).collect();
    for (i, t) in tickers.iter().enumerate() {
        put(&p.c, &p.stream, &format!("k{}", i % 3), t).await;
    }
    let depth = || async {
        let attrs = p
            .c
            .sqs
            .get_queue_attributes()
            .queue_url(&p.queue)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .expect("GetQueueAttributes");
        attrs
            .attributes()
            .and_then(|a| {
                a.get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            })
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(0)
    };
    // Every record reaches the failure queue (bisected down to one record each).
    let messages = wait_for(
        "the discarded batches",
        Duration::from_secs(180),
        || async {
            let dry =
                p.live
                    .streamkit(&["redrive", "--pattern", "1", "--dry-run", "--output", "json"]);
            let report: Value = serde_json::from_str(dry.trim()).expect("JSON");
            let records: u64 = report["batches"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b["records"].as_u64().unwrap())
                .sum();
            (records == tickers.len() as u64).then_some(report["batches"].as_array().unwrap().len())
        },
    )
    .await;
    assert_eq!(depth().await, messages, "a dry run changes nothing");
    assert!(processed(&batches(&p.c, &p.group).await).is_empty());
    // The fixed release.
    let good = std::fs::read(asset_zip("consumer")).expect("the consumer zip");
    code(good).await.expect("UpdateFunctionCode (fixed)");

    let out = p.live.streamkit(&["redrive", "--pattern", "1"]);
    assert!(
        out.contains(&format!(
            "{messages} batches ({} records) redriven; 0 beyond retention; 0 failed",
            tickers.len()
        )),
        "{out}"
    );
    assert_eq!(depth().await, 0, "the queue is empty");
    let expected = once_each(&tickers);
    wait_for(
        "every record processed once",
        Duration::from_secs(30),
        || async { (processed(&batches(&p.c, &p.group).await) == expected).then_some(()) },
    )
    .await;
    let again = p.live.streamkit(&["redrive", "--pattern", "1"]);
    assert!(again.contains("nothing to redrive"), "{again}");
    assert_eq!(processed(&batches(&p.c, &p.group).await), expected);
}

/// Every object under `data/` of the bucket: key -> bytes.
async fn objects(c: &Clients, bucket: &str) -> BTreeMap<String, Vec<u8>> {
    let listed =
        c.s3.list_objects_v2()
            .bucket(bucket)
            .prefix("data/")
            .send()
            .await
            .expect("ListObjectsV2");
    let mut out = BTreeMap::new();
    for key in listed.contents().iter().filter_map(|o| o.key()) {
        let body =
            c.s3.get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .expect("GetObject")
                .body;
        out.insert(
            key.to_string(),
            body.collect().await.expect("body").into_bytes().to_vec(),
        );
    }
    out
}

/// The function's AWS/Lambda Invocations over the last 20 minutes.
async fn invocations(c: &Clients, function: &str) -> f64 {
    use aws_sdk_cloudwatch::primitives::DateTime;
    use aws_sdk_cloudwatch::types::{Dimension, Statistic};
    let now = std::time::SystemTime::now();
    let stats = c
        .cloudwatch
        .get_metric_statistics()
        .namespace("AWS/Lambda")
        .metric_name("Invocations")
        .dimensions(
            Dimension::builder()
                .name("FunctionName")
                .value(function)
                .build(),
        )
        .start_time(DateTime::from(now - Duration::from_secs(1200)))
        .end_time(DateTime::from(now + Duration::from_secs(60)))
        .period(60)
        .statistics(Statistic::Sum)
        .send()
        .await
        .expect("GetMetricStatistics");
    stats.datapoints().iter().filter_map(|d| d.sum()).sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn replay_of_a_pattern_2_window_leaves_its_rows_as_they_were_and_shows_in_metrics() {
    use crate::support::common::{default_subnet, default_vpc};
    let live = Live::start();
    let c = Clients::new(&live.emu, "us-east-1").await;
    let vpc = format!("ProducerVpcId={}", default_vpc(&c).await);
    let subnet = format!("ProducerSubnetId={}", default_subnet(&c).await);
    live.deploy(
        "2",
        &["us-east-1"],
        &[
            "--parameter",
            &vpc,
            "--parameter",
            &subnet,
            "--parameter",
            "WindowSeconds=5",
            "--parameter",
            "IdleShardTimeoutSeconds=3",
        ],
    );
    let outputs = stack_outputs(&c, "streamkit-pattern-2").await;
    let (stream, bucket, processor) = (
        &outputs["StreamName"],
        &outputs["OutputBucketName"],
        &outputs["ProcessorName"],
    );
    let from = chrono::Utc::now();
    let now = || {
        chrono::Utc::now()
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string()
    };
    let mut put_count = 0;
    for i in 0..60 {
        let event = chrono::Utc::now()
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string();
        let ticker = ["AAPL", "AMZN", "MSFT"][i % 3];
        let data =
            json!({"EVENT_TIME": event, "TICKER": ticker, "PRICE": 10.0 + i as f64}).to_string();
        c.kinesis
            .put_record()
            .stream_name(stream)
            .partition_key(ticker)
            .data(Blob::new(data.into_bytes()))
            .send()
            .await
            .expect("PutRecord");
        put_count += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let to = now();
    let from = from.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    // The windows close (the watermark follows the clock once shards idle).
    let before = wait_for("the window's rows", Duration::from_secs(180), || async {
        let rows = objects(&c, bucket).await;
        let sum: i64 = rows.values().map(|b| parquet_count(b)).sum();
        (sum == put_count).then_some(rows)
    })
    .await;
    let invoked_before = invocations(&c, processor).await;

    let out = tokio::task::block_in_place(|| {
        live.streamkit(&[
            "replay",
            "--pattern",
            "2",
            "--from",
            &from,
            "--to",
            &to,
            "--output",
            "json",
        ])
    });
    // Progress events first, then the result line.
    let report: Value = serde_json::from_str(out.trim().lines().last().unwrap()).expect("JSON");
    let replayed: u64 = report["shards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["records"].as_u64().unwrap())
        .sum();
    assert_eq!(replayed, put_count as u64, "{report}");
    let calls: u64 = report["shards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["invocations"].as_u64().unwrap())
        .sum();
    assert!(calls >= 1, "{report}");
    wait_for(
        "the replay's invocations in the metrics",
        Duration::from_secs(60),
        || async {
            (invocations(&c, processor).await >= invoked_before + calls as f64).then_some(())
        },
    )
    .await;
    // Idempotent: the same rows, byte for byte.
    assert_eq!(objects(&c, bucket).await, before);
}

/// The sum of the `count` column of a Parquet object.
fn parquet_count(bytes: &[u8]) -> i64 {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::RowAccessor;
    let reader = SerializedFileReader::new(bytes::Bytes::from(bytes.to_vec())).expect("Parquet");
    let count = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .position(|f| f.name() == "count")
        .expect("a count column");
    reader
        .get_row_iter(None)
        .expect("rows")
        .map(|r| r.expect("a row").get_long(count).expect("INT64"))
        .sum()
}
