//! The joins stack end to end on the emulator, as a user runs it: build the
//! code (`build-dist --cargo-profile dev --arch x86_64`), `streamkit deploy
//! --pattern joins`, upload the products file and produce orders with the real
//! producer (`--kind orders`), and run the join processor that was deployed
//! (the `bootstrap` of its zip) with its local runner against the deployed
//! stream, tables and bucket. The output table must equal a batch join
//! computed independently with DuckDB over the producer's files; items whose
//! order was left out must be in the unmatched output; bad records and a
//! products file that is not JSON are counted and reported while the
//! pipeline keeps going (the previous products table stays in use).

use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use streamkit_testkit::Emulator;

use crate::support::cli::{run, streamkit};

const WINDOW_SECONDS: i64 = 5;

fn bin_from_zip(dist: &Path, asset: &str, entry: &str, to: &Path) -> PathBuf {
    let dir = dist.join("regional-s3-assets");
    let zip_path = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&format!("{asset}-"))
        })
        .unwrap_or_else(|| panic!("no {asset} zip in {dir:?}"));
    let mut archive = zip::ZipArchive::new(std::fs::File::open(zip_path).unwrap()).unwrap();
    let mut file = archive.by_name(entry).unwrap();
    let path = to.join(format!("{asset}-{entry}"));
    let mut out = std::fs::File::create(&path).unwrap();
    std::io::copy(&mut file, &mut out).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// This run's working directory (it holds a build-dist output, hundreds of
/// MB): under cargo's per-target temporary directory, removed at the end; the
/// directories of runs that were killed (their process is gone) go first.
fn work_dir() -> tempfile::TempDir {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR"));
    for entry in std::fs::read_dir(root).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let ended = name
            .strip_prefix("joins-e2e-")
            .and_then(|rest| rest.split('-').next())
            .is_some_and(|pid| !Path::new("/proc").join(pid).exists());
        if ended {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    tempfile::Builder::new()
        .prefix(&format!("joins-e2e-{}-", std::process::id()))
        .tempdir_in(root)
        .unwrap()
}

/// Polls `check` until it returns `Some` or `limit` passes.
async fn until<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Every item of the output table: key → attributes as text (N normalized).
async fn scan(
    ddb: &aws_sdk_dynamodb::Client,
    table: &str,
) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let mut start = None;
    loop {
        let resp = ddb
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .unwrap();
        for item in resp.items() {
            let mut row = BTreeMap::new();
            for (k, v) in item {
                if ["event_ts", "joinVersion", "writtenAt"].contains(&k.as_str()) {
                    continue;
                }
                let text = match v {
                    aws_sdk_dynamodb::types::AttributeValue::N(n) => n.clone(),
                    aws_sdk_dynamodb::types::AttributeValue::S(s) => s.clone(),
                    other => panic!("unexpected attribute {k}: {other:?}"),
                };
                row.insert(k.clone(), text);
            }
            out.insert(format!("{}#{}", row["orderId"], row["itemId"]), row);
        }
        match resp.last_evaluated_key() {
            Some(k) if !k.is_empty() => start = Some(k.clone()),
            _ => return out,
        }
    }
}

/// Every line of every object under `prefix`.
async fn lines(s3: &aws_sdk_s3::Client, bucket: &str, prefix: &str) -> Vec<Value> {
    let list = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .send()
        .await
        .unwrap();
    let mut out = Vec::new();
    for o in list.contents() {
        let body = s3
            .get_object()
            .bucket(bucket)
            .key(o.key().unwrap())
            .send()
            .await
            .unwrap();
        let bytes = body.body.collect().await.unwrap().into_bytes();
        for l in String::from_utf8(bytes.to_vec()).unwrap().lines() {
            out.push(serde_json::from_str(l).unwrap());
        }
    }
    out
}

fn produce(
    producer: &Path,
    emu: &Emulator,
    stream: &str,
    bucket: &str,
    first: u64,
    seed: u64,
    records: &Path,
) {
    let out = Command::new(producer)
        .args([
            "--stream", stream, "--kind", "orders", "--count", "150", "--rate", "3000",
        ])
        .args([
            "--seed",
            &seed.to_string(),
            "--first-order-id",
            &first.to_string(),
        ])
        .args([
            "--items-first",
            "0.3",
            "--out-of-order",
            "0.05",
            "--duplicates",
            "0.03",
        ])
        .args(["--missing-orders", "0.05", "--unknown-products", "0.05"])
        .args([
            "--products-out",
            &format!("s3://{bucket}/reference/products.json"),
        ])
        .arg("--records-out")
        .arg(records)
        .envs(emu.env())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_deployed_stack_joins_like_a_batch_join_and_reports_what_it_cannot_join() {
    let emu = Emulator::start();
    let dir = work_dir();
    let dist = dir.path().join("deployment");
    let (code, _, err) = run(streamkit(&emu, dir.path())
        .args([
            "build-dist",
            "--bucket-base",
            "sk-joins-assets",
            "--solution",
            "streamkit",
        ])
        .args([
            "--solution-version",
            "test",
            "--cargo-profile",
            "dev",
            "--arch",
            "x86_64",
            "--pattern",
            "joins",
            // For the producer (pattern 2's instance runs it).
            "--pattern",
            "2",
            "--out",
        ])
        .arg(&dist));
    assert_eq!(code, 0, "build-dist: {err}");
    let params = [
        "JoinWindowSeconds=5",
        "AllowedLatenessSeconds=2",
        "IdleShardTimeoutSeconds=2",
        "ReferenceCheckSeconds=1",
        "ProcessorStartingPosition=TRIM_HORIZON",
        "EnableOutputStream=true",
    ];
    let mut deploy = streamkit(&emu, dir.path());
    deploy.args(["deploy", "--pattern", "joins", "--yes"]);
    for p in params {
        deploy.args(["--parameter", p]);
    }
    let (code, out, err) = run(&mut deploy);
    assert_eq!(code, 0, "deploy: {out}\n{err}");
    let (code, out, err) = run(streamkit(&emu, dir.path()).args([
        "outputs",
        "--pattern",
        "joins",
        "--output",
        "json",
    ]));
    assert_eq!(code, 0, "outputs: {err}");
    let outputs: Value = serde_json::from_str(out.trim()).unwrap();
    let o = |k: &str| {
        outputs["outputs"][k]
            .as_str()
            .unwrap_or_else(|| panic!("output {k}: {outputs}"))
            .to_string()
    };
    let (stream, table, bucket) = (o("StreamName"), o("OutputTableName"), o("OutputBucketName"));
    assert_eq!(
        o("ReferenceLocation"),
        format!("s3://{bucket}/reference/products.json")
    );

    let cfg = emu.sdk_config("us-east-1").await;
    pause_deployed_function(&cfg).await;
    let ddb = aws_sdk_dynamodb::Client::new(&cfg);
    let kinesis = aws_sdk_kinesis::Client::new(&cfg);
    let s3 = streamkit_core::aws::s3_client(&cfg);
    // The bucket policy denies requests without TLS (aws:SecureTransport), as
    // it should; the emulator speaks plain HTTP and moto evaluates the
    // condition as false, so the test lifts the policy (in AWS every SDK call
    // is TLS and the policy stays).
    s3.delete_bucket_policy()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let producer = bin_from_zip(&dist, "producer", "streamkit-producer", dir.path());
    let joins = bin_from_zip(&dist, "joins", "bootstrap", dir.path());

    // Phase 1: the products file and 150 orders, plus records that are not orders or items.
    let (records_a, records_b) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    produce(&producer, &emu, &stream, &bucket, 1, 11, &records_a);
    let good_products = dir.path().join("products.json");
    let obj = s3
        .get_object()
        .bucket(&bucket)
        .key("reference/products.json")
        .send()
        .await
        .unwrap();
    std::fs::write(
        &good_products,
        obj.body.collect().await.unwrap().into_bytes(),
    )
    .unwrap();
    let bad = [
        "not json at all".to_string(),
        r#"{"orderId":5,"recordType":"Refund"}"#.to_string(),
        r#"{"orderId":"abc","orderAmount":1.00,"orderDateTime":"2026-11-23T10:00:00.000Z","recordType":"Order"}"#.to_string(),
        r#"{"orderId":7,"itemId":"x","itemAmount":1.00,"orderDateTime":"2026-11-23T10:00:00.000Z","recordType":"OrderItem"}"#.to_string(),
    ];
    for b in &bad {
        kinesis
            .put_record()
            .stream_name(&stream)
            .partition_key("bad")
            .data(b.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap();
    }

    // The deployed function's code, as its local runner, with the function's settings.
    let env: Vec<(String, String)> = [
        ("STATE_TABLE", o("StateTableName")),
        ("OUTPUT_TABLE", table.clone()),
        ("OUTPUT_STREAM", o("OutputStreamName")),
        ("OUTPUT_BUCKET", bucket.clone()),
        ("REFERENCE_KEY", "reference/products.json".into()),
        ("REFERENCE_CHECK_SECONDS", "1".into()),
        ("JOIN_WINDOW_SECONDS", WINDOW_SECONDS.to_string()),
        ("ALLOWED_LATENESS_SECONDS", "2".into()),
        ("IDLE_SHARD_TIMEOUT_SECONDS", "2".into()),
        ("STACK_NAME", "streamkit-joins".into()),
        ("RUST_LOG", "info".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .chain(emu.env().into_iter().map(|(k, v)| (k.to_string(), v)))
    .collect();
    let mut child = Command::new(&joins)
        .args(["local", "--stream", &stream, "--until-idle", "20"])
        .envs(env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let reader = {
        let log = log.clone();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                log.lock().unwrap().push(line);
            }
        })
    };
    let want_a = batch_join(&[&records_a], &good_products);
    let joined_a = want_a.0.len();
    until(
        "phase 1 rows in the output table",
        Duration::from_secs(120),
        || async { (scan(&ddb, &table).await.len() == joined_a).then_some(()) },
    )
    .await;

    // Phase 2: a products file that is not JSON, then 150 more orders: the
    // previous table stays in use (and the failure is logged and counted).
    s3.put_object()
        .bucket(&bucket)
        .key("reference/products.json")
        .body(b"{not json\n".to_vec().into())
        .send()
        .await
        .unwrap();
    until(
        "the refused products file in the log",
        Duration::from_secs(60),
        || async {
            let log = log.lock().unwrap();
            log.iter()
                .any(|l| l.contains("products file not loaded") && l.contains("line 1"))
                .then_some(())
        },
    )
    .await;
    let producer_b = producer.clone();
    produce_keeping_bad_products(&producer_b, &emu, &stream, &records_b);

    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "the runner did not finish (until idle)"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    reader.join().unwrap();
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    let log = log.lock().unwrap().join("\n");
    assert!(status.success(), "runner failed: {log}");
    let counts: Value =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));

    // The output table equals the batch join over both phases' records.
    let (want, unmatched) = batch_join(&[&records_a, &records_b], &good_products);
    let got = scan(&ddb, &table).await;
    assert_eq!(got.len(), want.len());
    assert_eq!(got, want);
    assert!(
        want.len() > 500,
        "most of 300 orders x 2 items joined: {}",
        want.len()
    );
    let missing_product = want
        .values()
        .filter(|r| !r.contains_key("productName"))
        .count();
    assert!(missing_product > 0, "unknown products are in the data");
    // Counted per write: a re-sent item is written (and counted) again.
    let counted = counts["missing_product"].as_u64().unwrap();
    assert!(counted >= missing_product as u64, "{counts}");

    // Items whose order never came: in the unmatched output, with the reason.
    let mut reported: Vec<String> = lines(&s3, &bucket, "unmatched/")
        .await
        .iter()
        .map(|l| {
            assert_eq!(l["reason"], "order_not_found", "{l}");
            format!("{}#{}", l["order_id"], l["item_id"])
        })
        .collect();
    reported.sort();
    assert!(!unmatched.is_empty());
    assert_eq!(reported, unmatched);
    assert_eq!(
        counts["items_unmatched"],
        unmatched.len() as u64,
        "{counts}"
    );

    // Bad records: counted by reason and written where a user can read them.
    let rejected = lines(&s3, &bucket, "rejected/").await;
    let mut reasons: Vec<&str> = rejected
        .iter()
        .map(|l| l["reason"].as_str().unwrap())
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        [
            "malformed",
            "non_numeric_id",
            "non_numeric_id",
            "unknown_record_type"
        ]
    );
    let data: Vec<&str> = rejected
        .iter()
        .map(|l| l["data"].as_str().unwrap())
        .collect();
    for b in &bad {
        assert!(data.contains(&b.as_str()), "{b} reported as received");
    }
    assert_eq!(
        (
            counts["malformed"].as_u64(),
            counts["non_numeric_id"].as_u64(),
            counts["unknown_record_type"].as_u64()
        ),
        (Some(1), Some(2), Some(1))
    );
    assert!(
        counts["reference_errors"].as_u64().unwrap() >= 1,
        "{counts}"
    );
    assert_eq!(counts["late_orders"], 0, "{counts}");

    // Every enriched item also went to the output stream (at least once).
    let mut poller = streamkit_core::poller::ShardPoller::open(
        &kinesis,
        &o("OutputStreamName"),
        &Default::default(),
    )
    .await
    .unwrap();
    let mut on_stream = std::collections::BTreeSet::new();
    loop {
        let batches = poller.poll(10_000).await.unwrap();
        if batches.iter().all(|b| b.records.is_empty()) {
            break;
        }
        for r in batches.into_iter().flat_map(|b| b.records) {
            let v: Value = serde_json::from_slice(&r.data).unwrap();
            assert!(v["orderAmount"].is_string(), "amounts as strings: {v}");
            on_stream.insert(format!("{}#{}", v["orderId"], v["itemId"]));
        }
    }
    assert_eq!(on_stream.len(), want.len());
}

/// Phase 2's producer: orders 1001.. with a new seed, leaving the (bad)
/// products file in S3 as it is.
fn produce_keeping_bad_products(producer: &Path, emu: &Emulator, stream: &str, records: &Path) {
    let out = Command::new(producer)
        .args([
            "--stream", stream, "--kind", "orders", "--count", "150", "--rate", "3000",
        ])
        .args([
            "--seed",
            "12",
            "--first-order-id",
            "1001",
            "--items-first",
            "0.3",
        ])
        .args([
            "--missing-orders",
            "0.05",
            "--unknown-products",
            "0.05",
            "--duplicates",
            "0.03",
        ])
        .arg("--records-out")
        .arg(records)
        .envs(emu.env())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The batch join (DuckDB) over the records files: key → row, and the
/// unmatched item keys.
fn batch_join(
    records: &[&Path],
    products: &Path,
) -> (BTreeMap<String, BTreeMap<String, String>>, Vec<String>) {
    let all = records[0].with_extension("all.jsonl");
    let mut text = String::new();
    for r in records {
        text.push_str(&std::fs::read_to_string(r).unwrap());
    }
    std::fs::write(&all, text).unwrap();
    let python = std::env::var("STREAMKIT_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/live/batch_join.py");
    let out = Command::new(&python)
        .arg(script)
        .arg(&all)
        .arg(products)
        .arg(WINDOW_SECONDS.to_string())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    assert!(
        out.status.success(),
        "DuckDB batch join (pip install -r tests/requirements.txt): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut rows = BTreeMap::new();
    let mut unmatched = Vec::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        if let Some(key) = v["unmatched"].as_str() {
            unmatched.push(key.to_string());
            continue;
        }
        let row: BTreeMap<String, String> = v["joined"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect();
        rows.insert(format!("{}#{}", row["orderId"], row["itemId"]), row);
    }
    unmatched.sort();
    unmatched.dedup();
    (rows, unmatched)
}

/// This test drives the deployed function's code as its local runner; the
/// emulator also runs the deployed function itself (tests/live/joins.rs covers
/// that path), so its event source mappings and schedules are paused here:
/// otherwise both consume the stream (the output stays right, the runner's
/// counts would cover only its share).
async fn pause_deployed_function(cfg: &aws_config::SdkConfig) {
    let lambda = aws_sdk_lambda::Client::new(cfg);
    let mappings = lambda.list_event_source_mappings().send().await.unwrap();
    let mappings = mappings.event_source_mappings();
    assert!(
        !mappings.is_empty(),
        "the stack deploys an event source mapping"
    );
    for m in mappings {
        lambda
            .update_event_source_mapping()
            .uuid(m.uuid().unwrap())
            .enabled(false)
            .send()
            .await
            .unwrap();
    }
    let events = aws_sdk_eventbridge::Client::new(cfg);
    let rules = events.list_rules().send().await.unwrap();
    for r in rules.rules() {
        events
            .disable_rule()
            .name(r.name().unwrap())
            .send()
            .await
            .unwrap();
    }
}
