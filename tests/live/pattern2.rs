//! Pattern 2 live: the real producer (the binary of the deployed producer
//! zip) writes ticks to the deployed stream; the deployed processor Lambda
//! aggregates them into Parquet under the output bucket's `data/` prefix.
//! Checked against the stream itself: per ticker, the `count` column sums to
//! the records of that ticker on the stream, and in all to what the producer
//! sent (true of any correct aggregation, whatever its windows).

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use parquet::file::reader::{FileReader, SerializedFileReader};
use streamkit_core::poller::{ShardPoller, StartPosition};

use crate::support::common::{default_subnet, default_vpc};
use crate::support::{asset_zip, log_tail, stack_outputs, wait_for_eq, Clients, Live};

const RECORDS: u64 = 600;

/// `streamkit-producer` unpacked from the producer zip `build-dist` made.
fn producer_binary(dir: &Path) -> PathBuf {
    let file = std::fs::File::open(asset_zip("producer")).expect("the producer zip");
    let mut archive = zip::ZipArchive::new(file).expect("a zip");
    let mut entry = archive
        .by_name("streamkit-producer")
        .expect("streamkit-producer in the zip");
    let mut bytes = Vec::new();
    entry.read_to_end(&mut bytes).expect("read the producer");
    let path = dir.join("streamkit-producer");
    std::fs::write(&path, bytes).expect("write the producer");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

/// Per-ticker record counts of everything on the stream.
async fn ticks_on_stream(c: &Clients, stream: &str) -> BTreeMap<String, u64> {
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
async fn counts_in_parquet(c: &Clients, bucket: &str) -> BTreeMap<String, u64> {
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
        let (ticker, count) = (col("ticker"), col("count"));
        for row in reader.get_row_iter(None).expect("rows") {
            let row = row.expect("a row");
            use parquet::record::RowAccessor;
            let n = row.get_long(count).expect("count is INT64");
            *out.entry(row.get_string(ticker).expect("ticker is UTF8").clone())
                .or_default() += n as u64;
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
