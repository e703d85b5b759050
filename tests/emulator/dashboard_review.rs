//! `streamkit dashboard --check` and `--render` against stacks deployed on the
//! strict emulator, with traffic generated as AWS would see it
//! (`dashboard_traffic.rs`): every metric of every widget and
//! alarm is ok or has its documented reason; a renamed dimension does not
//! exist (exit 1); real write throttling drives the stream's alarm to ALARM
//! and back, and a queue subscribed to the stack's topic receives both
//! notifications.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;
use streamkit_testkit::Emulator;

use crate::support::cli::{fake_dist, run, streamkit};
use crate::support::{stack_resources, Clients};

use crate::dashboard_traffic as traffic;

const A: &str = "us-east-1";
const B: &str = "us-west-2";

/// `dashboard --check --output json`: exit code, report, stderr.
fn check(emu: &Emulator, dir: &Path, stack: &[&str]) -> (i32, Value, String) {
    let (code, out, err) = run(streamkit(emu, dir)
        .arg("dashboard")
        .args(stack)
        .args(["--check", "--output", "json"]));
    let report = serde_json::from_str(out.trim())
        .unwrap_or_else(|e| panic!("check JSON ({e}): {out}\n{err}"));
    (code, report, err)
}

/// Rows neither ok nor allowed (metric name, verdict).
fn unexpected(report: &Value, allowed: &[(&str, &str)]) -> Vec<String> {
    report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| {
            r["verdict"] != "ok"
                && !allowed
                    .iter()
                    .any(|(m, v)| r["metric"] == *m && r["verdict"] == *v)
        })
        .map(|r| {
            format!(
                "{} / {} {:?}: {} ({})",
                r["name"], r["metric"], r["dimensions"], r["verdict"], r["reason"]
            )
        })
        .collect()
}

/// Polls the check until every row is ok or allowed (the SQS depth sample
/// comes once a minute), then returns the report.
fn check_until_passing(
    emu: &Emulator,
    dir: &Path,
    stack: &[&str],
    allowed: &[(&str, &str)],
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(150);
    loop {
        let (code, report, err) = check(emu, dir, stack);
        let left = unexpected(&report, allowed);
        if left.is_empty() {
            assert_eq!(code, 0, "{err}");
            assert_eq!(report["outcome"], "passed");
            return report;
        }
        assert!(
            Instant::now() < deadline,
            "{stack:?}: rows still not ok:\n{}",
            left.join("\n")
        );
        std::thread::sleep(Duration::from_secs(2));
    }
}

fn deploy(emu: &Emulator, dir: &Path, args: &[&str]) {
    let (code, out, err) = run(streamkit(emu, dir).arg("deploy").args(args).arg("--yes"));
    assert_eq!(code, 0, "deploy {args:?}: {out}\n{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn pattern_3_checks_ok_renders_and_a_renamed_dimension_does_not_exist() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    deploy(&emu, dir.path(), &["--pattern", "3"]);
    let c = Clients::new(&emu, A).await;
    traffic::generate(&c, "streamkit-pattern-3").await;

    let report = check_until_passing(&emu, dir.path(), &["--pattern", "3"], &[]);
    let rows = report["rows"].as_array().unwrap();
    let alarms = stack_resources(&c, "streamkit-pattern-3").await;
    let alarm_count = alarms
        .iter()
        .filter(|r| r.resource_type == "AWS::CloudWatch::Alarm")
        .count();
    assert_eq!(
        rows.iter().filter(|r| r["origin"] == "alarm").count(),
        alarm_count,
        "one row per alarm metric"
    );
    assert!(rows
        .iter()
        .any(|r| r["origin"] == "widget" && r["metric"] == "DeliveryToS3.Success"));
    let (code, text, _) =
        run(streamkit(&emu, dir.path()).args(["dashboard", "--pattern", "3", "--check"]));
    assert_eq!(code, 0);
    assert!(
        text.starts_with("WIDGET / ALARM") && text.contains(" 0 do not exist"),
        "{text}"
    );

    let out_file = dir.path().join("p3.html");
    let (code, out, err) = run(streamkit(&emu, dir.path())
        .args([
            "dashboard",
            "--pattern",
            "3",
            "--render",
            "--since",
            "1h",
            "--output",
            "json",
            "--out",
        ])
        .arg(&out_file));
    assert_eq!(code, 0, "{err}");
    let rendered: Value = serde_json::from_str(out.trim()).unwrap();
    let body = c
        .cloudwatch
        .get_dashboard()
        .dashboard_name("streamkit-pattern-3-us-east-1")
        .send()
        .await
        .unwrap()
        .dashboard_body()
        .unwrap()
        .to_string();
    let widgets: Value = serde_json::from_str(&body).unwrap();
    let widgets = widgets["widgets"].as_array().unwrap();
    assert_eq!(rendered["widgets"], widgets.len());
    assert_eq!(
        rendered["window"]["end"].as_i64().unwrap() - rendered["window"]["start"].as_i64().unwrap(),
        3600
    );
    let html = std::fs::read_to_string(&out_file).unwrap();
    for (i, w) in widgets.iter().enumerate() {
        let at = format!(
            "data-widget=\"{i}\" data-type=\"{}\" data-x=\"{}\" data-y=\"{}\"",
            w["type"].as_str().unwrap(),
            w["x"],
            w["y"]
        );
        assert!(html.contains(&at), "widget {i} at its grid position");
    }
    let metric_widgets = widgets.iter().filter(|w| w["type"] == "metric").count();
    assert_eq!(
        html.matches("<figure data-series=").count(),
        metric_widgets,
        "every graph has data"
    );

    // A hand-edited copy with a renamed dimension: the metric does not exist.
    let renamed = body.replacen(
        "\"IncomingRecords\",\"StreamName\"",
        "\"IncomingRecords\",\"Stream\"",
        1,
    );
    assert_ne!(renamed, body);
    c.cloudwatch
        .put_dashboard()
        .dashboard_name("streamkit-pattern-3-us-east-1")
        .dashboard_body(renamed)
        .send()
        .await
        .unwrap();
    let (code, report, err) = check(&emu, dir.path(), &["--pattern", "3"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(report["outcome"], "failed");
    let missing: Vec<&Value> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["verdict"] == "does_not_exist")
        .collect();
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert_eq!(missing[0]["metric"], "IncomingRecords");
    assert!(missing[0]["dimensions"]["Stream"].is_string());
    assert!(missing[0]["reason"]
        .as_str()
        .unwrap()
        .contains("AWS publishes no AWS/Kinesis IncomingRecords with dimensions [Stream]"));
    assert_eq!(err.trim().lines().count(), 1, "one error line: {err}");
    assert!(err.contains("1 metric(s) do not exist"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn write_throttling_alarms_and_recovers_with_notifications_to_a_subscribed_queue() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    deploy(
        &emu,
        dir.path(),
        &["--pattern", "3", "--parameter", "ShardCount=1"],
    );
    let c = Clients::new(&emu, A).await;
    let resources = stack_resources(&c, "streamkit-pattern-3").await;
    let physical = |id: &str| {
        resources
            .iter()
            .find(|r| r.logical_id == id)
            .unwrap()
            .physical_id
            .clone()
    };
    let (stream, alarm, topic) = (
        physical("Stream"),
        physical("StreamWriteThrottleAlarm"),
        physical("AlarmTopic"),
    );
    let queue = c
        .sqs
        .create_queue()
        .queue_name("alarm-inbox")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let queue_arn = format!("arn:aws:sqs:{A}:{}:alarm-inbox", crate::support::ACCOUNT);
    c.sns
        .subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(&queue_arn)
        .send()
        .await
        .unwrap();

    // No writes yet: not breaching, so the alarm settles in OK first (its
    // notification may have gone out before the queue subscribed).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = c
            .cloudwatch
            .describe_alarms()
            .alarm_names(&alarm)
            .send()
            .await
            .unwrap();
        if out.metric_alarms()[0].state_value().map(|s| s.as_str()) == Some("OK") {
            break;
        }
        assert!(Instant::now() < deadline, "{alarm} did not settle in OK");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // 500 records a call, back to back, on one shard: soon over its 1,000 records/s.
    let (mut throttled, mut calls) = (0, 0);
    while throttled == 0 && calls < 20 {
        calls += 1;
        let entries = (0..500)
            .map(|i| {
                aws_sdk_kinesis::types::PutRecordsRequestEntry::builder()
                    .partition_key("hot")
                    .data(aws_sdk_kinesis::primitives::Blob::new(format!("{i}")))
                    .build()
                    .unwrap()
            })
            .collect();
        let out = c
            .kinesis
            .put_records()
            .stream_name(&stream)
            .set_records(Some(entries))
            .send()
            .await
            .unwrap();
        throttled += out.failed_record_count().unwrap_or(0);
    }
    assert!(
        throttled > 0,
        "the shard's write limit throttled some records"
    );
    let note = notification(&c, &queue, &alarm, "ALARM", None).await;
    assert_eq!(note["OldStateValue"], "OK");
    assert_eq!(
        note["Trigger"]["MetricName"],
        "WriteProvisionedThroughputExceeded"
    );
    assert_eq!(note["Trigger"]["Dimensions"][0]["value"], stream.as_str());
    assert!(
        note["NewStateReason"]
            .as_str()
            .unwrap()
            .starts_with("Threshold Crossed: 1 datapoint ["),
        "{note}"
    );

    // Unthrottled writes in a later minute bring it back.
    let note = notification(&c, &queue, &alarm, "OK", Some(&stream)).await;
    assert_eq!(note["OldStateValue"], "ALARM");
    let history = c
        .cloudwatch
        .describe_alarm_history()
        .alarm_name(&alarm)
        .send()
        .await
        .unwrap();
    let summaries: Vec<&str> = history
        .alarm_history_items()
        .iter()
        .filter_map(|i| i.history_summary())
        .collect();
    assert!(
        summaries.contains(&"Alarm updated from OK to ALARM"),
        "{summaries:?}"
    );
    assert!(
        summaries.contains(&"Alarm updated from ALARM to OK"),
        "{summaries:?}"
    );
    assert!(
        summaries.contains(&format!("Successfully executed action {topic}").as_str()),
        "{summaries:?}"
    );
}

/// Waits for the notification of `alarm` entering `state` on `queue`; while
/// waiting, writes one record a second to `keep_writing` when given.
async fn notification(
    c: &Clients,
    queue: &str,
    alarm: &str,
    state: &str,
    keep_writing: Option<&str>,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(150);
    while Instant::now() < deadline {
        if let Some(stream) = keep_writing {
            c.kinesis
                .put_record()
                .stream_name(stream)
                .partition_key("calm")
                .data(aws_sdk_kinesis::primitives::Blob::new("ok"))
                .send()
                .await
                .unwrap();
        }
        let got = c
            .sqs
            .receive_message()
            .queue_url(queue)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        for m in got.messages() {
            c.sqs
                .delete_message()
                .queue_url(queue)
                .receipt_handle(m.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
            let envelope: Value = serde_json::from_str(m.body().unwrap()).unwrap();
            let note: Value = serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap();
            if note["AlarmName"] == alarm && note["NewStateValue"] == state {
                assert_eq!(
                    envelope["Subject"],
                    format!("{state}: \"{alarm}\" in US East (N. Virginia)")
                        .chars()
                        .take(100)
                        .collect::<String>()
                );
                return note;
            }
        }
    }
    panic!("no {state} notification for {alarm}");
}

#[tokio::test(flavor = "multi_thread")]
async fn patterns_1_2_and_4_check_ok_with_traffic() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    fake_dist(dir.path(), "sk-review-assets");
    let c = Clients::new(&emu, A).await;
    let vpc = format!("ProducerVpcId={}", crate::support::default_vpc(&c).await);
    let subnet = format!(
        "ProducerSubnetId={}",
        crate::support::default_subnet(&c).await
    );
    deploy(&emu, dir.path(), &["--pattern", "1"]);
    deploy(
        &emu,
        dir.path(),
        &[
            "--pattern",
            "2",
            "--parameter",
            &vpc,
            "--parameter",
            &subnet,
        ],
    );
    deploy(
        &emu,
        dir.path(),
        &[
            "--pattern",
            "4",
            "--parameter",
            &vpc,
            "--parameter",
            &subnet,
        ],
    );
    for stack in [
        "streamkit-pattern-1",
        "streamkit-pattern-2",
        "streamkit-pattern-4",
    ] {
        traffic::generate(&c, stack).await;
    }
    // What the processor and the enrichment code publish (assets/*/src/metrics.rs).
    use aws_sdk_cloudwatch::types::StandardUnit::{Bytes, Count, Milliseconds};
    for (metric, unit) in [
        ("RecordsIn", Count),
        ("LateRecords", Count),
        ("MalformedRecords", Count),
        ("WindowsEmitted", Count),
        ("ObjectsWritten", Count),
        ("RecordsBeforeStart", Count),
        ("BytesWritten", Bytes),
    ] {
        traffic::put(
            &c,
            "Streamkit/Processor",
            metric,
            &[("StackName", "streamkit-pattern-2")],
            &[3.0],
            unit,
        )
        .await;
    }
    for (metric, values, unit) in [
        ("EnrichmentRequests", vec![5.0], Count),
        ("EnrichmentFailures", vec![0.0], Count),
        ("EnrichmentLatency", vec![80.0, 95.0, 120.0], Milliseconds),
    ] {
        traffic::put(
            &c,
            "Streamkit/Enrichment",
            metric,
            &[("StackName", "streamkit-pattern-4")],
            &values,
            unit,
        )
        .await;
    }
    // S3 storage metrics come once a day, and only for storage classes holding objects.
    let daily = [("BucketSizeBytes", "published_daily")];
    for pattern in ["1", "2", "4"] {
        let report = check_until_passing(&emu, dir.path(), &["--pattern", pattern], &daily);
        let rows = report["rows"].as_array().unwrap();
        assert!(
            rows.iter().filter(|r| r["verdict"] == "ok").count() >= 20,
            "pattern {pattern}: {report}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cross_region_checks_ok_on_enhanced_fan_out_metrics() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    fake_dist(dir.path(), "sk-review-xr");
    let regions = format!("{A},{B}");
    deploy(
        &emu,
        dir.path(),
        &[
            "--pattern",
            "cross-region",
            "--regions",
            &regions,
            "--parameter",
            "StreamName=orders-dr",
        ],
    );
    for region in [A, B] {
        let c = Clients::new(&emu, region).await;
        traffic::generate(&c, "streamkit-cross-region").await;
        streamkit_replicator::metrics::publish(
            &c.cloudwatch,
            "Streamkit/Replication",
            "orders-dr",
            12,
            0,
            0,
            Some(0.8),
        )
        .await;
    }
    // Subscriptions are refused only by a second subscriber: none here.
    let report = check_until_passing(
        &emu,
        dir.path(),
        &["--pattern", "cross-region"],
        &[("SubscribeToShard.RateExceeded", "no_data_yet")],
    );
    let rows = report["rows"].as_array().unwrap();
    assert!(
        !rows
            .iter()
            .any(|r| r["metric"].as_str().unwrap().starts_with("GetRecords.")),
        "no GetRecords metric on an EFO-only stack"
    );
    assert!(
        rows.iter()
            .any(|r| r["region"] == B && r["metric"] == "IncomingRecords"),
        "the peer region's widget row"
    );
}

/// Functions publish through the Rust SDK (CBOR); past 10 KB it gzips the
/// request. Both forms land with exactly the dimensions given.
#[tokio::test(flavor = "multi_thread")]
async fn custom_metrics_from_the_rust_sdk_land_with_their_exact_dimensions_small_and_compressed() {
    use aws_sdk_cloudwatch::types::{
        Dimension, Metric, MetricDataQuery, MetricDatum, MetricStat, StandardUnit,
    };
    let emu = Emulator::start();
    let c = Clients::new(&emu, A).await;
    let dims = vec![
        Dimension::builder().name("StackName").value("s1").build(),
        Dimension::builder().name("Stage").value("prod").build(),
    ];
    let datum = |values: Vec<f64>| {
        MetricDatum::builder()
            .metric_name("EnrichmentLatency")
            .set_dimensions(Some(dims.clone()))
            .set_values(Some(values))
            .unit(StandardUnit::Milliseconds)
            .build()
    };
    c.cloudwatch
        .put_metric_data()
        .namespace("Streamkit/Test")
        .metric_data(datum(vec![1.0, 2.0]))
        .send()
        .await
        .unwrap();
    let big: Vec<MetricDatum> = (0..20)
        .map(|d| datum((0..150).map(|v| f64::from(d * 150 + v)).collect()))
        .collect();
    c.cloudwatch
        .put_metric_data()
        .namespace("Streamkit/Test")
        .set_metric_data(Some(big))
        .send()
        .await
        .unwrap();

    let listed = c
        .cloudwatch
        .list_metrics()
        .namespace("Streamkit/Test")
        .send()
        .await
        .unwrap();
    let [metric] = listed.metrics() else {
        panic!("{listed:?}")
    };
    let mut names: Vec<(&str, &str)> = metric
        .dimensions()
        .iter()
        .map(|d| (d.name().unwrap(), d.value().unwrap()))
        .collect();
    names.sort();
    assert_eq!(names, [("StackName", "s1"), ("Stage", "prod")]);
    let now = aws_sdk_cloudwatch::primitives::DateTime::from_secs(chrono_now());
    let query = |stat: &str, id: &str, dims: Vec<Dimension>| {
        MetricDataQuery::builder()
            .id(id)
            .metric_stat(
                MetricStat::builder()
                    .metric(
                        Metric::builder()
                            .namespace("Streamkit/Test")
                            .metric_name("EnrichmentLatency")
                            .set_dimensions(Some(dims))
                            .build(),
                    )
                    .period(3600)
                    .stat(stat)
                    .build(),
            )
            .build()
    };
    let out = c
        .cloudwatch
        .get_metric_data()
        .metric_data_queries(query("SampleCount", "n", dims.clone()))
        .metric_data_queries(query("Maximum", "max", dims.clone()))
        .metric_data_queries(query("SampleCount", "fewer", dims[..1].to_vec()))
        .start_time(aws_sdk_cloudwatch::primitives::DateTime::from_secs(
            now.secs() - 7200,
        ))
        .end_time(aws_sdk_cloudwatch::primitives::DateTime::from_secs(
            now.secs() + 60,
        ))
        .send()
        .await
        .unwrap();
    let values = |id: &str| {
        out.metric_data_results()
            .iter()
            .find(|r| r.id() == Some(id))
            .unwrap()
            .values()
            .to_vec()
    };
    assert_eq!(values("n").iter().sum::<f64>(), 3002.0);
    assert_eq!(values("max"), [2999.0]);
    assert!(
        values("fewer").is_empty(),
        "a subset of the dimensions is another metric"
    );
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
