//! Each of the six stacks, healthy on the live emulator, raises no alarm and
//! has data for every dashboard metric its traffic produces (issue 23, "Metrics
//! from the calls AWS counts"): deployed with the real binary, fed by the real
//! producer (the kind of records the stack expects), watched through
//! DescribeAlarms and `streamkit dashboard --check`.
//!
//! AWS publishes what the stacks' alarms watch from the calls it counts:
//! "Lambda reads records from the data stream ... polls each shard ... at a
//! base rate of once per second" (Lambda Developer Guide, "How Lambda processes
//! records from Amazon Kinesis Data Streams"), so a polling mapping's stream has
//! `GetRecords.*` data every minute (Kinesis Developer Guide, "Monitoring the
//! Amazon Kinesis Data Streams Service with Amazon CloudWatch"); Lambda
//! publishes `Errors` and `Throttles` with the value 0 for each minute with
//! invocations ("Types of metrics for Lambda functions"); S3 storage metrics
//! are the bucket's contents ("Metrics and dimensions", S3 User Guide).
//!
//! The window: every alarm of the stacks has a 60-second period and at most 3
//! evaluation periods with missing data breaching only for 1-period alarms, and
//! the emulator evaluates every alarm 2 s past each minute. Watching from the
//! first minute boundary after the traffic starts (the warm-up: a first
//! evaluation on a partial minute) through [`EVALUATIONS`] evaluations covers
//! every alarm's full evaluation range with traffic, so an alarm that would fire
//! on a healthy stack fires inside it; it lasts 2-3 minutes instead of a fixed 3,
//! which keeps six stacks affordable on a shared CI machine.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::support::common::{default_subnet, default_vpc, stack_resources};
use crate::support::{producer_binary, stack_outputs, Clients, Live, REGION};

/// Alarm evaluations (one a minute) watched after the warm-up.
const EVALUATIONS: u64 = 3;

/// The producer, running until dropped (killed by its own pid).
struct Traffic(Child);

impl Drop for Traffic {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn traffic(live: &Live, region: &str, stream: &str, kind: &str, extra: &[&str]) -> Traffic {
    let child = Command::new(producer_binary(live.dir.path()))
        .args(["--stream", stream, "--region", region, "--kind", kind])
        .args(extra)
        .args(["--rate", "20", "--count", "100000"])
        .envs(live.emu.env())
        .env("AWS_REGION", region)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start streamkit-producer");
    Traffic(child)
}

fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs()
}

/// The stack's alarm names.
async fn alarms_of(c: &Clients, stack: &str) -> Vec<String> {
    stack_resources(c, stack)
        .await
        .into_iter()
        .filter(|r| r.resource_type == "AWS::CloudWatch::Alarm")
        .map(|r| r.physical_id)
        .collect()
}

/// Alarm name -> (state, reason, TreatMissingData).
async fn states(c: &Clients, names: &[String]) -> BTreeMap<String, (String, String, String)> {
    let out = c
        .cloudwatch
        .describe_alarms()
        .set_alarm_names(Some(names.to_vec()))
        .send()
        .await
        .expect("DescribeAlarms");
    out.metric_alarms()
        .iter()
        .map(|a| {
            (
                a.alarm_name().unwrap_or_default().to_string(),
                (
                    a.state_value()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    a.state_reason().unwrap_or_default().to_string(),
                    a.treat_missing_data().unwrap_or_default().to_string(),
                ),
            )
        })
        .collect()
}

/// Watches the stacks' alarms from the first minute boundary on through
/// [`EVALUATIONS`] evaluations (polling every 2 s until that deadline); panics
/// naming every alarm seen in ALARM, and every alarm whose missing data is
/// breaching that is not OK at the end (those are the alarms a reader that
/// bypasses GetRecords kept in ALARM; others, e.g. on DynamoDB metrics whose
/// missing data CloudWatch always ignores, may stay INSUFFICIENT_DATA).
async fn no_alarm(stacks: &[(&Clients, &str)]) {
    let mut watched = Vec::new();
    for (c, stack) in stacks {
        let names = alarms_of(c, stack).await;
        assert!(!names.is_empty(), "{stack} has alarms");
        watched.push((*c, *stack, names));
    }
    let warm = (now_s() / 60 + 1) * 60 + 5;
    let end = warm + (EVALUATIONS - 1) * 60 + 3;
    let mut fired: BTreeMap<String, String> = BTreeMap::new();
    let mut last = BTreeMap::new();
    loop {
        let t = now_s();
        for (c, _, names) in &watched {
            for (name, (state, reason, missing)) in states(c, names).await {
                if t >= warm && state == "ALARM" {
                    fired.entry(name.clone()).or_insert(reason.clone());
                }
                last.insert(name, (state, missing));
            }
        }
        if t >= end {
            break;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    assert!(
        fired.is_empty(),
        "alarms in ALARM on a healthy stack: {fired:#?}"
    );
    let silent: Vec<_> = last
        .iter()
        .filter(|(_, (state, missing))| missing == "breaching" && state != "OK")
        .collect();
    assert!(
        silent.is_empty(),
        "alarms whose missing data is breaching are not OK: {silent:?}"
    );
}

/// `streamkit dashboard --check` of the stack: nothing that does not exist
/// (exit 0), and every metric of a resource with traffic has data: the
/// stream's GetRecords.* (or the consumer's SubscribeToShardEvent.*) when it
/// has incoming records, a function's Errors and Throttles when it has
/// invocations, the bucket's storage metrics.
fn dashboard_ok(live: &Live, stack: &str, region: &str) {
    let out = live.streamkit(&[
        "dashboard",
        "--stack-name",
        stack,
        "--region",
        region,
        "--check",
        "--since",
        "30m",
        "--output",
        "json",
    ]);
    let report: Value = serde_json::from_str(out.trim()).expect("dashboard --check JSON");
    let rows = report["rows"].as_array().expect("rows");
    let verdict = |ns: &str, metric: &str, dim: &str, value: &str| -> Option<String> {
        rows.iter()
            .find(|r| {
                r["namespace"] == ns && r["metric"] == metric && r["dimensions"][dim] == value
            })
            .map(|r| r["verdict"].as_str().unwrap_or_default().to_string())
    };
    let mut missing = Vec::new();
    for r in rows {
        let (ns, metric) = (
            r["namespace"].as_str().unwrap_or_default(),
            r["metric"].as_str().unwrap_or_default(),
        );
        let dims = &r["dimensions"];
        let with_traffic = match ns {
            "AWS/Kinesis" if dims.get("ConsumerName").is_none() => {
                let stream = dims["StreamName"].as_str().unwrap_or_default();
                (metric.starts_with("GetRecords.") || metric.starts_with("Incoming"))
                    && verdict(ns, "IncomingRecords", "StreamName", stream).as_deref() == Some("ok")
            }
            "AWS/Kinesis" => metric.starts_with("SubscribeToShardEvent."),
            "AWS/Lambda" => {
                let function = dims["FunctionName"].as_str().unwrap_or_default();
                ["Invocations", "Errors", "Throttles", "Duration"].contains(&metric)
                    && verdict(ns, "Invocations", "FunctionName", function).as_deref() == Some("ok")
            }
            "AWS/S3" => {
                dims["StorageType"] != "IntelligentTieringFAStorage"
                    && dims["StorageType"] != "IntelligentTieringIAStorage"
            }
            _ => false,
        };
        if with_traffic && r["verdict"] != "ok" {
            missing.push(format!(
                "{} {ns} {metric} {dims}: {}",
                r["name"], r["verdict"]
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "{stack} ({region}): metrics with traffic and no data: {missing:#?}\n{out}"
    );
    assert!(
        rows.iter().any(|r| r["metric"] == "GetRecords.Records"
            || r["metric"] == "SubscribeToShardEvent.Records"),
        "the outgoing-records graph is checked"
    );
}

/// Deploys `pattern` (single region; its stack is `streamkit-<name>`), starts
/// the producer of `kind`, and checks the stack's alarms and dashboard.
async fn single_region(pattern: &str, name: &str, kind: &str, producer_network: bool) {
    let live = Live::start();
    let c = Clients::new(&live.emu, REGION).await;
    let mut extra = Vec::new();
    if producer_network {
        extra.push(format!("ProducerVpcId={}", default_vpc(&c).await));
        extra.push(format!("ProducerSubnetId={}", default_subnet(&c).await));
    }
    let mut args = vec![];
    for p in &extra {
        args.extend(["--parameter", p.as_str()]);
    }
    live.deploy(pattern, &[REGION], &args);
    let stack = format!("streamkit-{name}");
    let outputs = stack_outputs(&c, &stack).await;
    let reference = outputs
        .get("ReferenceLocation")
        .cloned()
        .unwrap_or_default();
    let extra: Vec<&str> = if reference.is_empty() {
        vec![]
    } else {
        vec!["--products-out", &reference] // the joins' reference data
    };
    let _traffic = traffic(&live, REGION, &outputs["StreamName"], kind, &extra);
    no_alarm(&[(&c, &stack)]).await;
    dashboard_ok(&live, &stack, REGION);
}

#[tokio::test(flavor = "multi_thread")]
async fn pattern_1_healthy_raises_no_alarm_and_its_dashboard_has_data() {
    single_region("1", "pattern-1", "ticks", false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pattern_2_healthy_raises_no_alarm_and_its_dashboard_has_data() {
    single_region("2", "pattern-2", "ticks", true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pattern_3_healthy_raises_no_alarm_and_its_dashboard_has_data() {
    single_region("3", "pattern-3", "ticks", false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pattern_4_healthy_raises_no_alarm_and_its_dashboard_has_data() {
    single_region("4", "pattern-4", "rides", true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn joins_healthy_raises_no_alarm_and_its_dashboard_has_data() {
    single_region("joins", "joins", "orders", false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cross_region_healthy_raises_no_alarm_and_its_dashboards_have_data() {
    const A: &str = "us-east-1";
    const B: &str = "us-west-2";
    let live = Live::start();
    let regions = format!("{A},{B}");
    live.deploy(
        "cross-region",
        &[A, B],
        &[
            "--regions",
            &regions,
            "--parameter",
            "StreamName=healthy-xr",
        ],
    );
    let stack = "streamkit-cross-region";
    let (ca, cb) = (
        Clients::new(&live.emu, A).await,
        Clients::new(&live.emu, B).await,
    );
    let _traffic = traffic(&live, A, "healthy-xr", "ticks", &[]);
    no_alarm(&[(&ca, stack), (&cb, stack)]).await;
    dashboard_ok(&live, stack, A);
    dashboard_ok(&live, stack, B);
}
