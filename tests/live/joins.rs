//! The joins stack live: `streamkit deploy --pattern joins` on the strict
//! emulator, the real producer (the binary of the dist's producer zip,
//! `--kind orders`) writes the products file where the stack reads it and
//! sends orders with their items to the deployed stream (items before their
//! order, records out of order, duplicates, orders that never come, unknown
//! products), and the **deployed** join Lambda does the rest: its Kinesis
//! event source mapping delivers the batches, its every-minute EventBridge
//! schedule decides the items still waiting once the stream is quiet. The
//! output table must end equal to a batch join computed independently with
//! DuckDB over the producer's records file (`batch_join.py`), and the
//! unmatched output must hold exactly the items whose order never came, each
//! once, with its reason.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;

use crate::support::{
    json_lines, log_tail, output, producer_binary, put_one, python_script, wait_for, wait_for_eq,
    Clients, Live, REGION,
};

const ORDERS: u64 = 300;
const WINDOW_SECONDS: u64 = 5;

/// A row of the output table: attribute → text.
type Row = BTreeMap<String, String>;

/// The batch join of `batch_join.py`: `orderId#itemId` → row, and the keys
/// of the items with no order within the window.
fn batch_join(records: &Path, products: &Path) -> (BTreeMap<String, Row>, Vec<String>) {
    let window = WINDOW_SECONDS.to_string();
    let out = python_script(
        "batch_join.py",
        &[records.as_os_str(), products.as_os_str(), window.as_ref()],
    );
    let (mut rows, mut unmatched) = (BTreeMap::new(), Vec::new());
    for line in String::from_utf8_lossy(&out).lines() {
        let v: Value = serde_json::from_str(line).expect("a JSON line");
        if let Some(key) = v["unmatched"].as_str() {
            unmatched.push(key.to_string());
            continue;
        }
        let row: Row = v["joined"]
            .as_object()
            .expect("a joined row")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().expect("text").to_string()))
            .collect();
        rows.insert(format!("{}#{}", row["orderId"], row["itemId"]), row);
    }
    unmatched.sort();
    (rows, unmatched)
}

/// Every item of the output table: the row's fields (what the batch join
/// computes), and its `event_ts` and `writtenAt`.
async fn scan(c: &Clients, table: &str) -> BTreeMap<String, (Row, String, String)> {
    let mut out = BTreeMap::new();
    let mut start = None;
    loop {
        let page = c
            .dynamodb
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .expect("Scan");
        for item in page.items() {
            let mut row = Row::new();
            for (k, v) in item {
                let text = match v {
                    AttributeValue::N(x) | AttributeValue::S(x) => x.clone(),
                    other => panic!("attribute {k} is neither N nor S: {other:?}"),
                };
                row.insert(k.clone(), text);
            }
            let event_ts = row.remove("event_ts").unwrap_or_default();
            let written = row.remove("writtenAt").unwrap_or_default();
            assert!(row.remove("joinVersion").is_some(), "joinVersion: {row:?}");
            let key = format!("{}#{}", row["orderId"], row["itemId"]);
            out.insert(key, (row, event_ts, written));
        }
        match page.last_evaluated_key() {
            Some(k) if !k.is_empty() => start = Some(k.clone()),
            _ => return out,
        }
    }
}

/// Every line of every object under `prefix`: (`orderId#itemId`, reason).
async fn unmatched_lines(c: &Clients, bucket: &str, prefix: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = json_lines(&c.s3, bucket, prefix)
        .await
        .into_iter()
        .map(|v| {
            let reason = v["reason"].as_str().unwrap_or_default().to_string();
            (format!("{}#{}", v["order_id"], v["item_id"]), reason)
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn the_deployed_join_lambda_writes_the_batch_join_and_reports_the_orders_that_never_came() {
    let live = Live::start();
    let c = Clients::new(&live.emu, REGION).await;
    // The README's "Try it": the producer writes products.json and sends the
    // orders in one run, the products check at its default interval (60 s).
    // The first invocation may find no file yet: no row is written without
    // its product, so the table must equal the batch join all the same.
    let params = [
        format!("JoinWindowSeconds={WINDOW_SECONDS}"),
        "AllowedLatenessSeconds=2".into(),
        "IdleShardTimeoutSeconds=2".into(),
        "ProcessorStartingPosition=TRIM_HORIZON".into(),
    ];
    let outputs = live.deploy_with("joins", &params);
    let stream = output(&outputs, "StreamName");
    let table = output(&outputs, "OutputTableName");
    let bucket = output(&outputs, "OutputBucketName");
    let processor = output(&outputs, "ProcessorName");
    let reference = output(&outputs, "ReferenceLocation");
    assert_eq!(reference, format!("s3://{bucket}/reference/products.json"));

    let records = live.dir.path().join("records.jsonl");
    let run = std::process::Command::new(producer_binary(live.dir.path()))
        .args(["--stream", &stream, "--kind", "orders", "--seed", "16"])
        .args(["--count", &ORDERS.to_string(), "--rate", "1000"])
        .args(["--items-first", "0.3", "--out-of-order", "0.05"])
        .args(["--duplicates", "0.03", "--missing-orders", "0.05"])
        .args(["--unknown-products", "0.05", "--products-out", &reference])
        .arg("--records-out")
        .arg(&records)
        .envs(live.emu.env())
        .output()
        .expect("run streamkit-producer");
    assert!(
        run.status.success(),
        "the producer failed:\n{}",
        String::from_utf8_lossy(&run.stderr)
    );

    // The independent answer, over what the producer sent and the products
    // file as the stack reads it.
    let products = live.dir.path().join("products.json");
    let object =
        c.s3.get_object()
            .bucket(&bucket)
            .key("reference/products.json")
            .send()
            .await
            .expect("the products file in the stack's bucket");
    let bytes = object.body.collect().await.expect("body").into_bytes();
    std::fs::write(&products, bytes).expect("write products.json");
    let (want, never) = batch_join(&records, &products);
    assert!(
        want.len() as u64 > ORDERS && !never.is_empty(),
        "the data has joins ({}) and orders that never came ({})",
        want.len(),
        never.len()
    );
    assert!(
        want.values().any(|r| !r.contains_key("productName")),
        "unknown products are in the data"
    );

    wait_for_eq(
        "the output table to equal the DuckDB batch join",
        Duration::from_secs(240),
        &want,
        || async {
            scan(&c, &table)
                .await
                .into_iter()
                .map(|(k, (row, _, _))| (k, row))
                .collect::<BTreeMap<_, _>>()
        },
        || log_tail(&c, &processor, 40),
    )
    .await;
    // Each row says when its later record arrived and when it was written.
    for (key, (_, event_ts, written)) in scan(&c, &table).await {
        assert!(
            event_ts.len() == 24 && written.len() == 24 && written >= event_ts,
            "{key}: event_ts {event_ts}, writtenAt {written}"
        );
    }

    // Decided by the schedule once the watermark passes their window.
    let expected: Vec<(String, String)> = never
        .iter()
        .map(|k| (k.clone(), "order_not_found".to_string()))
        .collect();
    wait_for_eq(
        "unmatched/ to hold each item whose order never came, once, with its reason",
        Duration::from_secs(240),
        &expected,
        || unmatched_lines(&c, &bucket, "unmatched/"),
        || log_tail(&c, &processor, 40),
    )
    .await;

    // A record that is not JSON is rejected at ingest: its line goes to
    // rejected/ through the commit's outbox (written, then deleted).
    put_one(&c.kinesis, &stream, "poison", b"{not json").await;
    let rejected = wait_for(
        "the malformed record in rejected/",
        Duration::from_secs(120),
        || async {
            let lines = json_lines(&c.s3, &bucket, "rejected/").await;
            (!lines.is_empty()).then_some(lines)
        },
    )
    .await;
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert_eq!(rejected[0]["reason"], "malformed", "{}", rejected[0]);
    assert_eq!(rejected[0]["data"], "{not json", "{}", rejected[0]);
    live.least_privilege("streamkit-joins", "joins", &["ProcessorRole"])
        .await;
}

/// Entries of the rows held in the state table until a products table has
/// loaded (pk `h`, body `[[orderId, itemId], ...]`).
async fn held_rows(c: &Clients, state_table: &str) -> usize {
    let items = c
        .dynamodb
        .query()
        .table_name(state_table)
        .key_condition_expression("pk = :h")
        .expression_attribute_values(":h", AttributeValue::S("h".into()))
        .consistent_read(true)
        .send()
        .await
        .expect("Query the held rows");
    items
        .items()
        .iter()
        .map(|i| {
            let body = i.get("body").and_then(|b| b.as_s().ok()).expect("a body");
            serde_json::from_str::<Vec<(u64, u64)>>(body)
                .expect("held entries")
                .len()
        })
        .sum()
}

/// Issue 25: products uploaded well after the orders. Until the file exists
/// no row is written: the joined items wait in the state table; once it is
/// uploaded the processor (looking for it at every invocation) loads it and
/// writes them, each with its product: the table ends equal to the batch join.
#[tokio::test(flavor = "multi_thread")]
async fn items_wait_for_a_products_file_uploaded_after_the_orders_then_join() {
    let live = Live::start();
    let c = Clients::new(&live.emu, REGION).await;
    let params = [
        format!("JoinWindowSeconds={WINDOW_SECONDS}"),
        "AllowedLatenessSeconds=2".into(),
        "IdleShardTimeoutSeconds=2".into(),
        "ProcessorStartingPosition=TRIM_HORIZON".into(),
    ];
    let outputs = live.deploy_with("joins", &params);
    let stream = output(&outputs, "StreamName");
    let table = output(&outputs, "OutputTableName");
    let state_table = output(&outputs, "StateTableName");
    let bucket = output(&outputs, "OutputBucketName");
    let processor = output(&outputs, "ProcessorName");

    let records = live.dir.path().join("records.jsonl");
    let products = live.dir.path().join("products.json");
    let run = std::process::Command::new(producer_binary(live.dir.path()))
        .args(["--stream", &stream, "--kind", "orders", "--seed", "25"])
        .args(["--count", &ORDERS.to_string(), "--rate", "1000"])
        .args(["--items-first", "0.3", "--out-of-order", "0.05"])
        .arg("--products-out")
        .arg(&products)
        .arg("--records-out")
        .arg(&records)
        .envs(live.emu.env())
        .output()
        .expect("run streamkit-producer");
    assert!(
        run.status.success(),
        "the producer failed:\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let (want, _) = batch_join(&records, &products);
    assert!(
        want.values().all(|r| r.contains_key("productName")),
        "every product is in the file"
    );

    // The items wait: held in the state, none written.
    let held = wait_for(
        "joined items held in the state table",
        Duration::from_secs(180),
        || async {
            let n = held_rows(&c, &state_table).await;
            (n * 2 >= want.len()).then_some(n)
        },
    )
    .await;
    assert!(
        scan(&c, &table).await.is_empty(),
        "no row without its product ({held} items waiting); log:\n{}",
        log_tail(&c, &processor, 20).await
    );

    // The file arrives: the waiting items are written with their products.
    c.s3.put_object()
        .bucket(&bucket)
        .key("reference/products.json")
        .body(std::fs::read(&products).expect("products.json").into())
        .send()
        .await
        .expect("PutObject products.json");
    wait_for_eq(
        "the output table to equal the batch join once the products file is uploaded",
        Duration::from_secs(240),
        &want,
        || async {
            scan(&c, &table)
                .await
                .into_iter()
                .map(|(k, (row, _, _))| (k, row))
                .collect::<BTreeMap<_, _>>()
        },
        || log_tail(&c, &processor, 40),
    )
    .await;
    assert_eq!(held_rows(&c, &state_table).await, 0, "nothing left waiting");
}
