//! Pattern 2 live: the real producer (the binary of the deployed producer
//! zip) writes ticks to the deployed stream; the deployed processor Lambda
//! aggregates them into Parquet under the output bucket's `data/` prefix.
//! Checked against the stream itself: per ticker, the `count` column sums to
//! the records of that ticker on the stream, and in all to what the producer
//! sent (true of any correct aggregation, whatever its windows).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use parquet::file::reader::{FileReader, SerializedFileReader};
use streamkit_core::poller::{ShardPoller, StartPosition};

use crate::support::common::{default_subnet, default_vpc};
use crate::support::{
    json_lines, log_tail, producer_binary, put_one, python_script, stack_outputs, wait_for,
    wait_for_eq, Clients, Live,
};

const RECORDS: u64 = 600;

/// Per-ticker record counts of everything on the stream.
pub(crate) async fn ticks_on_stream(c: &Clients, stream: &str) -> BTreeMap<String, u64> {
    let mut poller = ShardPoller::open(&c.kinesis, stream, &StartPosition::default())
        .await
        .expect("open poller");
    let mut out = BTreeMap::new();
    loop {
        let batches = poller.poll(10_000).await.expect("poll");
        if batches.iter().all(|b| b.records.is_empty()) {
            return out;
        }
        for record in batches.iter().flat_map(|b| &b.records) {
            let tick: serde_json::Value =
                serde_json::from_slice(&record.data).expect("a JSON tick");
            *out.entry(tick["TICKER"].as_str().expect("TICKER").to_string())
                .or_default() += 1;
        }
    }
}

/// Per-ticker sums of `count` over every Parquet object under `data/`.
pub(crate) async fn counts_in_parquet(c: &Clients, bucket: &str) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for ((ticker, _), n) in counts_by_window(c, bucket).await {
        *out.entry(ticker).or_default() += n;
    }
    out
}

/// `count` per (ticker, window start in ms) over every Parquet object under `data/`.
async fn counts_by_window(c: &Clients, bucket: &str) -> BTreeMap<(String, i64), u64> {
    let mut out = BTreeMap::new();
    let listed =
        c.s3.list_objects_v2()
            .bucket(bucket)
            .prefix("data/")
            .send()
            .await
            .expect("ListObjectsV2");
    for key in listed.contents().iter().filter_map(|o| o.key()) {
        assert!(
            key.ends_with(".parquet") && key.contains("/year="),
            "Hive-style Parquet key: {key}"
        );
        let body =
            c.s3.get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .expect("GetObject")
                .body;
        let bytes = body.collect().await.expect("object body").into_bytes();
        let reader = SerializedFileReader::new(bytes)
            .unwrap_or_else(|e| panic!("{key} is not Parquet: {e}"));
        let fields = reader
            .metadata()
            .file_metadata()
            .schema_descr()
            .columns()
            .to_vec();
        let col = |name: &str| {
            fields
                .iter()
                .position(|f| f.name() == name)
                .unwrap_or_else(|| panic!("{key}: no {name} column"))
        };
        let (ticker, window, count) = (col("ticker"), col("window_start"), col("count"));
        for row in reader.get_row_iter(None).expect("rows") {
            let row = row.expect("a row");
            use parquet::record::RowAccessor;
            let n = row.get_long(count).expect("count is INT64");
            let start = row
                .get_timestamp_millis(window)
                .expect("window_start is TIMESTAMP(MILLIS)");
            let ticker = row.get_string(ticker).expect("ticker is UTF8").clone();
            *out.entry((ticker, start)).or_default() += n as u64;
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn the_producer_s_ticks_become_parquet_aggregates_through_the_processor_lambda() {
    let live = Live::start();
    let c = Clients::new(&live.emu, "us-east-1").await;
    let vpc = format!("ProducerVpcId={}", default_vpc(&c).await);
    let subnet = format!("ProducerSubnetId={}", default_subnet(&c).await);
    live.deploy(
        "2",
        &["us-east-1"],
        &["--parameter", &vpc, "--parameter", &subnet],
    );
    let outputs = stack_outputs(&c, "streamkit-pattern-2").await;
    let (stream, bucket) = (&outputs["StreamName"], &outputs["OutputBucketName"]);

    let producer = producer_binary(live.dir.path());
    let count = RECORDS.to_string();
    let run = std::process::Command::new(&producer)
        .args([
            "--stream", stream, "--rate", "300", "--count", &count, "--seed", "7",
        ])
        .envs(live.emu.env())
        .output()
        .expect("run streamkit-producer");
    let summary =
        String::from_utf8_lossy(&run.stderr).to_string() + &String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "the producer failed:\n{summary}");
    assert!(
        summary.contains(&format!("delivered={RECORDS}")),
        "{summary}"
    );

    let on_stream = ticks_on_stream(&c, stream).await;
    assert_eq!(on_stream.values().sum::<u64>(), RECORDS, "{on_stream:?}");
    let producer_tickers = ["AAPL", "AMZN", "INTC", "MSFT", "TBV"];
    assert!(
        on_stream
            .keys()
            .all(|t| producer_tickers.contains(&t.as_str())),
        "{on_stream:?}"
    );

    // Windows close when their end has passed (a final invocation per window).
    let processor = &outputs["ProcessorName"];
    wait_for_eq(
        "per-ticker counts in Parquet to equal those on the stream",
        Duration::from_secs(180),
        &on_stream,
        || counts_in_parquet(&c, bucket),
        || log_tail(&c, processor, 30),
    )
    .await;
}

const WINDOW_SECONDS: u64 = 10;

/// A minute of event time, 30 ticks a second over five tickers, starting two
/// minutes ago; one tick in twenty is sent up to 3 s out of order (within the
/// allowed lateness of 5 s). JSON lines, send order.
pub(crate) fn minute_of_ticks(start_ms: i64) -> String {
    let tickers = ["AAPL", "AMZN", "MSFT", "INTC", "TBV"];
    let mut seed: u64 = 0x5eed;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        seed >> 33
    };
    let mut lines = Vec::new();
    for i in 0..1800i64 {
        let mut at = start_ms + i * 1000 / 30;
        if next() % 20 == 0 {
            at -= (next() % 3000) as i64;
        }
        let time = chrono::DateTime::from_timestamp_millis(at).expect("a time");
        let price = (next() % 10_000) as f64 / 100.0;
        lines.push(serde_json::json!({
            "EVENT_TIME": time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            "TICKER": tickers[(next() % 5) as usize],
            "PRICE": price,
        }));
    }
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// Every record on the stream, as text lines.
async fn stream_lines(c: &Clients, stream: &str) -> Vec<String> {
    let mut poller = ShardPoller::open(&c.kinesis, stream, &StartPosition::default())
        .await
        .expect("open poller");
    let mut out = Vec::new();
    loop {
        let batches = poller.poll(10_000).await.expect("poll");
        if batches.iter().all(|b| b.records.is_empty()) {
            return out;
        }
        for record in batches.iter().flat_map(|b| &b.records) {
            out.push(String::from_utf8(record.data.to_vec()).expect("UTF-8 ticks"));
        }
    }
}

/// Downloads every object under `prefix` into `dir` (keys as paths).
async fn download(c: &Clients, bucket: &str, prefix: &str, dir: &Path) -> Vec<PathBuf> {
    let listed =
        c.s3.list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .send()
            .await
            .expect("ListObjectsV2");
    let mut files = Vec::new();
    for key in listed.contents().iter().filter_map(|o| o.key()) {
        let body =
            c.s3.get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .expect("GetObject")
                .body;
        let path = dir.join(key);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        let bytes = body.collect().await.expect("object body").into_bytes();
        std::fs::write(&path, bytes).expect("write the object");
        files.push(path);
    }
    files
}

/// (expected, actual) rows from `batch_windows.py`.
fn batch_answer(ticks: &Path, parquet: &Path) -> (serde_json::Value, serde_json::Value) {
    let window = WINDOW_SECONDS.to_string();
    let out = python_script(
        "batch_windows.py",
        &[ticks.as_os_str(), parquet.as_os_str(), window.as_ref()],
    );
    let v: serde_json::Value = serde_json::from_slice(&out).expect("JSON");
    (v["expected"].clone(), v["actual"].clone())
}

/// Issue 13's contract through the deployed stack: on 4 shards with random
/// hash keys (every ticker on every shard) and out-of-order ticks, the
/// Parquet output has exactly one row per (ticker, window), equal to a DuckDB
/// batch computation over what was on the stream; records later than the
/// allowed lateness land under `late/` instead.
#[tokio::test(flavor = "multi_thread")]
async fn four_shards_give_one_row_per_ticker_and_window_equal_to_a_duckdb_batch_answer() {
    let live = Live::start();
    let c = Clients::new(&live.emu, "us-east-1").await;
    let vpc = format!("ProducerVpcId={}", default_vpc(&c).await);
    let subnet = format!("ProducerSubnetId={}", default_subnet(&c).await);
    let window = format!("WindowSeconds={WINDOW_SECONDS}");
    live.deploy(
        "2",
        &["us-east-1"],
        &[
            "--parameter",
            &vpc,
            "--parameter",
            &subnet,
            "--parameter",
            "ShardCount=4",
            "--parameter",
            &window,
            "--parameter",
            "AllowedLatenessSeconds=5",
            "--parameter",
            "IdleShardTimeoutSeconds=3",
        ],
    );
    let outputs = stack_outputs(&c, "streamkit-pattern-2").await;
    let (stream, bucket) = (&outputs["StreamName"], &outputs["OutputBucketName"]);

    let now_ms = chrono::Utc::now().timestamp_millis();
    let start_ms = now_ms - 120_000;
    let replay = live.dir.path().join("ticks.jsonl");
    std::fs::write(&replay, minute_of_ticks(start_ms)).expect("write the replay file");
    let producer = producer_binary(live.dir.path());
    let run = std::process::Command::new(&producer)
        .args(["--stream", stream, "--replay"])
        .arg(&replay)
        .args(["--timestamp-field", "EVENT_TIME", "--speedup", "20"])
        .envs(live.emu.env())
        .output()
        .expect("run streamkit-producer");
    assert!(
        run.status.success(),
        "the producer failed:\n{}",
        String::from_utf8_lossy(&run.stderr)
    );

    // Three ticks a minute behind everything else, one on each of three shards.
    let late_time = chrono::DateTime::from_timestamp_millis(start_ms + 1_000)
        .expect("a time")
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    for (i, hash) in [
        "1",
        "100000000000000000000000000000000000000",
        "300000000000000000000000000000000000000",
    ]
    .iter()
    .enumerate()
    {
        let tick = serde_json::json!({"EVENT_TIME": late_time, "TICKER": "AMZN", "PRICE": 1000 + i, "LATE": true});
        c.kinesis
            .put_record()
            .stream_name(stream)
            .partition_key("AMZN")
            .explicit_hash_key(*hash)
            .data(aws_sdk_kinesis::primitives::Blob::new(tick.to_string()))
            .send()
            .await
            .expect("PutRecord");
    }

    let lines = stream_lines(&c, stream).await;
    let (late, on_time): (Vec<&String>, Vec<&String>) =
        lines.iter().partition(|l| l.contains("\"LATE\""));
    assert_eq!((late.len(), on_time.len()), (3, 1800));
    let ticks = live.dir.path().join("on-stream.jsonl");
    std::fs::write(
        &ticks,
        on_time.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .expect("write the stream's ticks");

    let out = live.dir.path().join("out");
    let deadline = std::time::Instant::now() + Duration::from_secs(240);
    let (expected, actual) = loop {
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&out).expect("mkdir");
        let files = download(&c, bucket, "data/", &out).await;
        let answer = if files.is_empty() {
            (serde_json::json!(["no output yet"]), serde_json::json!([]))
        } else {
            batch_answer(&ticks, &out)
        };
        if answer.0 == answer.1 || std::time::Instant::now() > deadline {
            break answer;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(
        actual,
        expected,
        "Parquet rows (left) against DuckDB over the stream (right); processor log:\n{}",
        log_tail(&c, &outputs["ProcessorName"], 40).await
    );
    let keys: std::collections::BTreeSet<(String, i64)> = actual
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r[0].as_str().expect("ticker").to_string(),
                r[1].as_i64().expect("window"),
            )
        })
        .collect();
    assert_eq!(
        keys.len(),
        actual.as_array().map_or(0, Vec::len),
        "one row per key"
    );

    let late_dir = live.dir.path().join("late");
    let mut late_found = Vec::new();
    for file in download(&c, bucket, "late/", &late_dir).await {
        for line in std::fs::read_to_string(file).expect("a late file").lines() {
            let rec: serde_json::Value = serde_json::from_str(line).expect("a late record");
            assert!(
                ["beyond_allowed_lateness", "window_already_emitted"]
                    .contains(&rec["reason"].as_str().unwrap_or_default()),
                "{rec}"
            );
            late_found.push(rec["data"].as_str().expect("data").to_string());
        }
    }
    late_found.sort();
    let mut late_sent: Vec<String> = late.iter().map(|l| l.to_string()).collect();
    late_sent.sort();
    assert_eq!(
        late_found, late_sent,
        "the late ticks, each once, under late/"
    );
}

/// Event time (ms) of a tick on the stream.
fn event_ms(line: &str) -> i64 {
    let tick: serde_json::Value = serde_json::from_str(line).expect("a JSON tick");
    chrono::DateTime::parse_from_rfc3339(tick["EVENT_TIME"].as_str().expect("EVENT_TIME"))
        .expect("an RFC 3339 time")
        .timestamp_millis()
}

/// Issue 25: nothing the producer puts after the deploy finishes is lost at
/// start. The producer starts at boot (ProducerAutoStart, as `local up` runs
/// it), racing the event source mapping; the mapping starts at TRIM_HORIZON
/// on its first create, so every tick of the producer's first second is in a
/// row: per ticker, the windows holding that second count exactly the ticks
/// the stream holds for them (read from TRIM_HORIZON).
#[tokio::test(flavor = "multi_thread")]
async fn every_tick_of_the_producer_s_first_second_is_in_a_row() {
    let live = Live::start();
    let c = Clients::new(&live.emu, "us-east-1").await;
    let vpc = format!("ProducerVpcId={}", default_vpc(&c).await);
    let subnet = format!("ProducerSubnetId={}", default_subnet(&c).await);
    let mut args = vec!["--parameter", &vpc, "--parameter", &subnet];
    for p in [
        "ProducerAutoStart=true",
        "ProducerRate=50",
        "ProducerDuration=10m",
        "WindowSeconds=5",
        "AllowedLatenessSeconds=1",
        "IdleShardTimeoutSeconds=3",
    ] {
        args.extend(["--parameter", p]);
    }
    live.deploy("2", &["us-east-1"], &args);
    let outputs = stack_outputs(&c, "streamkit-pattern-2").await;
    let (stream, bucket) = (&outputs["StreamName"], &outputs["OutputBucketName"]);

    // The stream from TRIM_HORIZON, once it spans 12 s of event time.
    let lines = wait_for(
        "ticks spanning 12 s on the stream",
        Duration::from_secs(180),
        || async {
            let lines = stream_lines(&c, stream).await;
            let times: Vec<i64> = lines.iter().map(|l| event_ms(l)).collect();
            let span = times
                .iter()
                .max()
                .zip(times.iter().min())
                .map(|(a, b)| a - b);
            span.is_some_and(|s| s >= 12_000).then_some(lines)
        },
    )
    .await;
    let first = lines.iter().map(|l| event_ms(l)).min().expect("ticks");
    let window_ms = 5_000;
    let windows: std::collections::BTreeSet<i64> = lines
        .iter()
        .map(|l| event_ms(l))
        .filter(|t| *t < first + 1_000)
        .map(|t| t.div_euclid(window_ms) * window_ms)
        .collect();
    let mut want: BTreeMap<(String, i64), u64> = BTreeMap::new();
    for l in &lines {
        let start = event_ms(l).div_euclid(window_ms) * window_ms;
        if windows.contains(&start) {
            let tick: serde_json::Value = serde_json::from_str(l).expect("a tick");
            let ticker = tick["TICKER"].as_str().expect("TICKER").to_string();
            *want.entry((ticker, start)).or_default() += 1;
        }
    }
    let first_second = lines.iter().filter(|l| event_ms(l) < first + 1_000).count();
    assert!(
        first_second >= 10,
        "the producer's first second: {first_second} ticks"
    );

    let processor = &outputs["ProcessorName"];
    wait_for_eq(
        "the rows of the windows holding the producer's first second to count every tick of them",
        Duration::from_secs(180),
        &want,
        || async {
            counts_by_window(&c, bucket)
                .await
                .into_iter()
                .filter(|((_, start), _)| windows.contains(start))
                .collect::<BTreeMap<_, _>>()
        },
        || log_tail(&c, processor, 30),
    )
    .await;

    // A record that is not a tick goes to late/ with its reason, through the
    // commit's late item (written, then deleted).
    put_one(&c.kinesis, stream, "poison", b"{not a tick").await;
    let late = wait_for(
        "the malformed record in late/",
        Duration::from_secs(120),
        || async {
            let lines = json_lines(&c.s3, bucket, "late/").await;
            (!lines.is_empty()).then_some(lines)
        },
    )
    .await;
    assert_eq!(late.len(), 1, "{late:?}");
    assert_eq!(late[0]["reason"], "malformed", "{}", late[0]);
    assert_eq!(late[0]["data"], "{not a tick", "{}", late[0]);
    live.least_privilege(
        "streamkit-pattern-2",
        "2",
        &["ProducerRole", "ProcessorRole"],
    )
    .await;
    live.streamkit(&["destroy", "--pattern", "2", "--yes"]);
}
