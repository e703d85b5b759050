//! Monthly cost estimate of a stack, on paper: us-east-1 list prices (named
//! constants below, with the date they are from) applied to the resources and
//! parameter values of the rendered template, idle and at a fixed load of
//! 1 MB/s. The same model prices the reference design the stack replaces, so
//! `streamkit deploy` and BENCHMARKS.md can show both.
//!
//! It is an estimate, not a bill: free tiers, taxes, data transfer to the
//! internet, CloudWatch Logs volume and S3 storage beyond the first month are
//! left out, and the load model's assumptions are the `LOAD_*` constants.

use std::collections::BTreeMap;

use std::io::Write;

use serde::Serialize;
use serde_json::{json, Value};

use crate::deploy::params;

/// When the prices below were taken (AWS public pricing pages, us-east-1).
pub const PRICES_AS_OF: &str = "2025-06";

/// us-east-1 on-demand list prices in USD.
pub mod price {
    pub const KDS_SHARD_HOUR: f64 = 0.015;
    pub const KDS_PUT_PAYLOAD_UNITS_PER_MILLION: f64 = 0.014;
    /// Retention beyond 24 hours (up to 7 days), per shard-hour.
    pub const KDS_EXTENDED_RETENTION_SHARD_HOUR: f64 = 0.02;
    pub const KDS_ON_DEMAND_STREAM_HOUR: f64 = 0.04;
    pub const KDS_ON_DEMAND_INGEST_GB: f64 = 0.08;
    pub const KDS_ON_DEMAND_RETRIEVAL_GB: f64 = 0.04;
    pub const KDS_EFO_CONSUMER_SHARD_HOUR: f64 = 0.015;
    pub const KDS_EFO_RETRIEVAL_GB: f64 = 0.013;
    pub const LAMBDA_ARM_GB_SECOND: f64 = 0.000_013_333_4;
    pub const LAMBDA_X86_GB_SECOND: f64 = 0.000_016_666_7;
    pub const LAMBDA_REQUESTS_PER_MILLION: f64 = 0.20;
    pub const FIREHOSE_INGEST_GB: f64 = 0.029;
    pub const S3_STANDARD_GB_MONTH: f64 = 0.023;
    pub const S3_PUT_PER_THOUSAND: f64 = 0.005;
    pub const APIGW_REST_REQUESTS_PER_MILLION: f64 = 3.50;
    /// DynamoDB on-demand write request units (and replicated writes of a global table).
    pub const DYNAMODB_WRITES_PER_MILLION: f64 = 0.625;
    pub const FLINK_KPU_HOUR: f64 = 0.11;
    /// Running application storage: 50 GB per KPU.
    pub const FLINK_STORAGE_GB_MONTH: f64 = 0.10;
    pub const CLOUDWATCH_ALARM_MONTH: f64 = 0.10;
    /// Beyond the three free dashboards per account.
    pub const CLOUDWATCH_DASHBOARD_MONTH: f64 = 3.00;
    pub const KMS_KEY_MONTH: f64 = 1.00;
    pub const SECRET_MONTH: f64 = 0.40;
    pub const EBS_GP3_GB_MONTH: f64 = 0.08;
    pub const INTER_REGION_TRANSFER_GB: f64 = 0.02;

    /// Linux on-demand price per hour of the producer's instance types.
    pub fn ec2_hour(instance_type: &str) -> Option<f64> {
        Some(match instance_type {
            "t4g.micro" => 0.0084,
            "t4g.small" => 0.0168,
            "t4g.medium" => 0.0336,
            "t4g.large" => 0.0672,
            "m7g.medium" => 0.0408,
            "m7g.large" => 0.0816,
            "c7g.medium" => 0.0363,
            "c7g.large" => 0.0725,
            "t3.micro" => 0.0104,
            "t3.small" => 0.0208,
            "t3.medium" => 0.0416,
            "t3.large" => 0.0832,
            "m7i.large" => 0.1008,
            "c7i.large" => 0.0893,
            _ => return None,
        })
    }
}

pub const HOURS_PER_MONTH: f64 = 730.0;
const SECONDS_PER_MONTH: f64 = HOURS_PER_MONTH * 3600.0;
/// The load of the "at 1 MB/s" figure: 1,000 records of 1 KB per second.
pub const LOAD_BYTES_PER_SECOND: f64 = 1_000_000.0;
pub const LOAD_RECORD_BYTES: f64 = 1_000.0;
/// Billed duration assumed per Lambda batch of a stream-triggered function.
pub const LOAD_LAMBDA_MS_PER_BATCH: f64 = 100.0;
/// Billed duration assumed per API-triggered Lambda call (pattern 4's fare API).
pub const LOAD_LAMBDA_MS_PER_REQUEST: f64 = 10.0;
/// Pattern 1 clients send `POST /records` with this many records per request.
pub const LOAD_RECORDS_PER_INGEST_REQUEST: f64 = 100.0;
/// Pattern 4 enriches one ride request in 20 (one fare API call each).
pub const LOAD_RECORDS_PER_FARE_REQUEST: f64 = 20.0;
/// Reference replicator: one synchronous cross-region PutRecord plus one
/// DynamoDB PutItem per record.
pub const LOAD_REFERENCE_MS_PER_RECORD: f64 = 35.0;
/// Producer instance root volume (gp3).
const EBS_GB: f64 = 8.0;

const RECORDS_PER_SECOND: f64 = LOAD_BYTES_PER_SECOND / LOAD_RECORD_BYTES;
const GB_PER_MONTH: f64 = LOAD_BYTES_PER_SECOND * SECONDS_PER_MONTH / 1e9;
const RECORDS_PER_MONTH: f64 = RECORDS_PER_SECOND * SECONDS_PER_MONTH;

/// One priced item.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CostLine {
    pub item: String,
    pub idle_usd: f64,
    pub at_1mbps_usd: f64,
}

/// Monthly estimate of one design.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Estimate {
    pub idle_usd: f64,
    pub at_1mbps_usd: f64,
    pub lines: Vec<CostLine>,
}

/// A stack's estimate beside the reference design's.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    pub pattern: String,
    pub prices_as_of: &'static str,
    pub design: Estimate,
    pub reference: Estimate,
}

impl Comparison {
    /// The line `streamkit deploy` prints on stderr.
    pub fn summary(&self) -> String {
        format!(
            "estimated cost: idle ~${:.0}/month, at 1 MB/s ~${:.0}/month (reference design: ~${:.0} and ~${:.0}; us-east-1 prices of {}; see BENCHMARKS.md)",
            self.design.idle_usd,
            self.design.at_1mbps_usd,
            self.reference.idle_usd,
            self.reference.at_1mbps_usd,
            PRICES_AS_OF
        )
    }

    /// `deploy`'s report: the summary line on stderr, or with `--output json`
    /// one `{"event":"cost_estimate",...}` object on stdout.
    pub fn report(&self, json: bool, out: &mut dyn Write) -> crate::Result<()> {
        if json {
            let event = json!({ "event": "cost_estimate", "estimate": self });
            crate::commands::emit(out, &event.to_string())
        } else {
            eprintln!("{}", self.summary());
            Ok(())
        }
    }
}

/// How records leave the stream for the other region (cross-region only).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Replication {
    None,
    /// streamkit: PutRecords batches, one checkpoint per batch per shard in a global table.
    Batched,
    /// Reference: one PutRecord and one PutItem per record.
    PerRecord,
}

/// What the model prices, read from a rendered template.
#[derive(Clone, Debug, PartialEq)]
struct Stack {
    regions: f64,
    shards: f64,
    on_demand: bool,
    retention_hours: f64,
    /// Stream-triggered Lambda functions: memory (MB), arm64, batch size.
    stream_lambdas: Vec<(f64, bool, f64)>,
    /// API-triggered Lambda functions: memory (MB), arm64.
    api_lambdas: Vec<(f64, bool)>,
    instances: Vec<String>,
    flink_kpus: Vec<f64>,
    firehoses: f64,
    firehose_compression: f64,
    rest_apis: f64,
    api_records_per_request: f64,
    efo_consumers: f64,
    alarms: f64,
    dashboards: f64,
    kms_keys: f64,
    secrets: f64,
    replication: Replication,
}

/// Estimates the stack `template` (as rendered for `pattern`) with the given
/// `--parameter` values (others at their defaults), and the reference design.
pub fn estimate(pattern: &str, template: &Value, given: &[(String, String)]) -> Comparison {
    let design = Stack::read(pattern, template, given);
    let reference = design.reference(pattern);
    Comparison {
        pattern: pattern.to_string(),
        prices_as_of: PRICES_AS_OF,
        design: design.bill(),
        reference: reference.bill(),
    }
}

impl Stack {
    fn read(pattern: &str, template: &Value, given: &[(String, String)]) -> Stack {
        let values = params::effective(template, given, None);
        let num = |v: &Value| resolve(v, &values).and_then(|s| s.parse::<f64>().ok());
        let param = |k: &str| values.get(k).cloned().unwrap_or_default();
        let empty = serde_json::Map::new();
        let resources = template["Resources"].as_object().unwrap_or(&empty);
        let count = |t: &str| resources.values().filter(|r| r["Type"] == t).count() as f64;
        let mut batch_of = BTreeMap::new();
        for r in resources.values() {
            if r["Type"] == "AWS::Lambda::EventSourceMapping" {
                let p = &r["Properties"];
                if let Some(f) = p["FunctionName"]["Ref"].as_str() {
                    batch_of.insert(f.to_string(), num(&p["BatchSize"]).unwrap_or(100.0));
                }
            }
        }
        let mut stack = Stack {
            regions: if pattern == "cross-region" { 2.0 } else { 1.0 },
            shards: param("ShardCount").parse().unwrap_or(2.0),
            on_demand: param("StreamMode") == "ON_DEMAND",
            retention_hours: param("RetentionHours").parse().unwrap_or(24.0),
            stream_lambdas: vec![],
            api_lambdas: vec![],
            instances: vec![],
            flink_kpus: vec![],
            firehoses: count("AWS::KinesisFirehose::DeliveryStream"),
            firehose_compression: if param("CompressionFormat") == "UNCOMPRESSED" {
                1.0
            } else {
                4.0
            },
            rest_apis: count("AWS::ApiGateway::RestApi"),
            api_records_per_request: if pattern == "4" {
                LOAD_RECORDS_PER_FARE_REQUEST
            } else {
                LOAD_RECORDS_PER_INGEST_REQUEST
            },
            efo_consumers: count("AWS::Kinesis::StreamConsumer"),
            alarms: count("AWS::CloudWatch::Alarm"),
            dashboards: count("AWS::CloudWatch::Dashboard"),
            kms_keys: count("AWS::KMS::Key"),
            secrets: count("AWS::SecretsManager::Secret"),
            replication: if pattern == "cross-region" {
                Replication::Batched
            } else {
                Replication::None
            },
        };
        for (id, r) in resources {
            let p = &r["Properties"];
            match r["Type"].as_str().unwrap_or_default() {
                "AWS::Lambda::Function" => {
                    let memory = num(&p["MemorySize"]).unwrap_or(128.0);
                    let arm = p["Architectures"][0] != "x86_64";
                    match batch_of.get(id) {
                        Some(batch) => stack.stream_lambdas.push((memory, arm, *batch)),
                        None => stack.api_lambdas.push((memory, arm)),
                    }
                }
                "AWS::EC2::Instance" => {
                    stack.instances.push(param("ProducerInstanceType"));
                }
                "AWS::KinesisAnalyticsV2::Application" => {
                    let cfg = &p["ApplicationConfiguration"]["FlinkApplicationConfiguration"]
                        ["ParallelismConfiguration"];
                    let parallelism = num(&cfg["Parallelism"]).unwrap_or(1.0);
                    let per_kpu = num(&cfg["ParallelismPerKPU"]).unwrap_or(1.0);
                    stack.flink_kpus.push((parallelism / per_kpu).ceil());
                }
                _ => {}
            }
        }
        stack
    }

    /// The reference design of the same pattern: a Java producer on a t3.small
    /// and a Managed Flink application (parallelism 1) for patterns 2 and 4,
    /// per-record replication for cross-region, the same services otherwise.
    fn reference(&self, pattern: &str) -> Stack {
        let mut r = self.clone();
        match pattern {
            "2" | "4" => {
                r.instances = vec!["t3.small".into()];
                if r.flink_kpus.is_empty() {
                    r.flink_kpus = vec![1.0];
                    // The Lambda processor is what Flink replaces; the fare API stays.
                    r.stream_lambdas.clear();
                }
            }
            "cross-region" => {
                r.replication = Replication::PerRecord;
                r.stream_lambdas = vec![(128.0, false, 100.0)];
                r.efo_consumers = 0.0;
            }
            _ => {}
        }
        r
    }

    fn bill(&self) -> Estimate {
        let mut lines = Vec::new();
        let mut add = |item: &str, idle: f64, load: f64| {
            if idle > 0.0 || load > 0.0 {
                lines.push(CostLine {
                    item: item.to_string(),
                    idle_usd: idle,
                    at_1mbps_usd: idle + load,
                });
            }
        };
        let regions = self.regions;
        // Streams: one per region; the peer stream also ingests replicated records.
        let ingesting = if self.replication == Replication::None {
            1.0
        } else {
            2.0
        };
        if self.on_demand {
            let idle = regions * HOURS_PER_MONTH * price::KDS_ON_DEMAND_STREAM_HOUR;
            let load = ingesting * GB_PER_MONTH * price::KDS_ON_DEMAND_INGEST_GB
                + GB_PER_MONTH * price::KDS_ON_DEMAND_RETRIEVAL_GB;
            add("Kinesis stream (on-demand)", idle, load);
        } else {
            let mut hourly = price::KDS_SHARD_HOUR;
            if self.retention_hours > 24.0 {
                hourly += price::KDS_EXTENDED_RETENTION_SHARD_HOUR;
            }
            let idle = regions * self.shards * HOURS_PER_MONTH * hourly;
            let load = ingesting
                * RECORDS_PER_MONTH
                * put_units()
                * price::KDS_PUT_PAYLOAD_UNITS_PER_MILLION
                / 1e6;
            add("Kinesis stream (provisioned shards, PUT units)", idle, load);
        }
        if self.efo_consumers > 0.0 {
            let idle = regions
                * self.efo_consumers
                * self.shards
                * HOURS_PER_MONTH
                * price::KDS_EFO_CONSUMER_SHARD_HOUR;
            add(
                "enhanced fan-out consumer",
                idle,
                GB_PER_MONTH * price::KDS_EFO_RETRIEVAL_GB,
            );
        }
        for (memory, arm, batch) in &self.stream_lambdas {
            let (invocations, seconds) = match self.replication {
                Replication::PerRecord => (
                    RECORDS_PER_SECOND / batch,
                    RECORDS_PER_SECOND * LOAD_REFERENCE_MS_PER_RECORD / 1000.0,
                ),
                _ => {
                    let per_s = (RECORDS_PER_SECOND / batch).max(self.shards);
                    (per_s, per_s * LOAD_LAMBDA_MS_PER_BATCH / 1000.0)
                }
            };
            add(
                "Lambda (stream-triggered)",
                0.0,
                lambda(invocations, seconds, *memory, *arm),
            );
        }
        let api_requests = RECORDS_PER_SECOND / self.api_records_per_request;
        for (memory, arm) in &self.api_lambdas {
            let seconds = api_requests * LOAD_LAMBDA_MS_PER_REQUEST / 1000.0;
            add(
                "Lambda (API-triggered)",
                0.0,
                lambda(api_requests, seconds, *memory, *arm),
            );
        }
        if self.rest_apis > 0.0 {
            let load =
                api_requests * SECONDS_PER_MONTH * price::APIGW_REST_REQUESTS_PER_MILLION / 1e6;
            add("API Gateway REST requests", 0.0, load);
        }
        for t in &self.instances {
            let hourly = price::ec2_hour(t).unwrap_or(0.0);
            let idle = HOURS_PER_MONTH * hourly + EBS_GB * price::EBS_GP3_GB_MONTH;
            add(&format!("EC2 producer ({t}, 8 GB gp3)"), idle, 0.0);
        }
        for kpus in &self.flink_kpus {
            // One extra KPU per application for orchestration.
            let total = kpus + 1.0;
            let idle = total * HOURS_PER_MONTH * price::FLINK_KPU_HOUR
                + kpus * 50.0 * price::FLINK_STORAGE_GB_MONTH;
            add(
                &format!("Managed Flink ({kpus} KPU + 1 orchestration)"),
                idle,
                0.0,
            );
        }
        if self.firehoses > 0.0 {
            let stored = GB_PER_MONTH / self.firehose_compression;
            // One object per 5 MB buffer.
            let puts = GB_PER_MONTH * 1000.0 / 5.0;
            let load = GB_PER_MONTH * price::FIREHOSE_INGEST_GB
                + stored * price::S3_STANDARD_GB_MONTH
                + puts * price::S3_PUT_PER_THOUSAND / 1000.0;
            add("Firehose + S3 (first month's objects)", 0.0, load);
        }
        match self.replication {
            Replication::None => {}
            Replication::Batched => {
                let batch = self.stream_lambdas.first().map_or(500.0, |l| l.2);
                let batches = RECORDS_PER_SECOND / batch;
                let writes = batches.max(self.shards) * SECONDS_PER_MONTH * 2.0;
                add(
                    "DynamoDB global table checkpoints (per batch per shard)",
                    0.0,
                    writes * price::DYNAMODB_WRITES_PER_MILLION / 1e6,
                );
            }
            Replication::PerRecord => {
                add(
                    "DynamoDB checkpoint PutItem per record",
                    0.0,
                    RECORDS_PER_MONTH * price::DYNAMODB_WRITES_PER_MILLION / 1e6,
                );
            }
        }
        if self.replication != Replication::None {
            add(
                "inter-region transfer",
                0.0,
                GB_PER_MONTH * price::INTER_REGION_TRANSFER_GB,
            );
        }
        let fixed = regions
            * (self.alarms * price::CLOUDWATCH_ALARM_MONTH
                + self.dashboards * price::CLOUDWATCH_DASHBOARD_MONTH
                + self.kms_keys * price::KMS_KEY_MONTH
                + self.secrets * price::SECRET_MONTH);
        add(
            "alarms, dashboard, KMS key, secrets (regional fixed fees)",
            fixed,
            0.0,
        );
        let idle_usd = lines.iter().map(|l| l.idle_usd).sum();
        let at_1mbps_usd = lines.iter().map(|l| l.at_1mbps_usd).sum();
        Estimate {
            idle_usd,
            at_1mbps_usd,
            lines,
        }
    }
}

/// PUT payload units per record (25 KB each).
fn put_units() -> f64 {
    (LOAD_RECORD_BYTES / 25_000.0).ceil()
}

fn lambda(invocations_per_s: f64, busy_seconds_per_s: f64, memory_mb: f64, arm: bool) -> f64 {
    let gb_second = if arm {
        price::LAMBDA_ARM_GB_SECOND
    } else {
        price::LAMBDA_X86_GB_SECOND
    };
    invocations_per_s * SECONDS_PER_MONTH * price::LAMBDA_REQUESTS_PER_MILLION / 1e6
        + busy_seconds_per_s * SECONDS_PER_MONTH * memory_mb / 1024.0 * gb_second
}

/// A literal or a `Ref` to a parameter, as a string.
fn resolve(v: &Value, values: &BTreeMap<String, String>) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o
            .get("Ref")
            .and_then(Value::as_str)
            .and_then(|p| values.get(p).cloned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stream_template(extra: Value) -> Value {
        let mut t = json!({
            "Parameters": {
                "ShardCount": {"Type": "Number", "Default": 2},
                "StreamMode": {"Type": "String", "Default": "PROVISIONED"},
                "RetentionHours": {"Type": "Number", "Default": 24},
            },
            "Resources": {
                "Stream": {"Type": "AWS::Kinesis::Stream"},
                "Dashboard": {"Type": "AWS::CloudWatch::Dashboard"},
                "A1": {"Type": "AWS::CloudWatch::Alarm"},
            }
        });
        for (k, v) in extra.as_object().unwrap() {
            t["Resources"][k] = v.clone();
        }
        t
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 0.01
    }

    #[test]
    fn idle_provisioned_stream_is_shard_hours_plus_fixed_fees() {
        let c = estimate("3", &stream_template(json!({})), &[]);
        // 2 shards * 730 h * $0.015 + one alarm + one dashboard.
        assert!(close(c.design.idle_usd, 21.90 + 0.10 + 3.00), "{c:?}");
        // 1 MB/s of 1 KB records: 2.628e9 PUT units * $0.014 per million.
        assert!(close(c.design.at_1mbps_usd - c.design.idle_usd, 36.792));
    }

    #[test]
    fn parameters_given_override_defaults() {
        let t = stream_template(json!({}));
        let four = estimate("3", &t, &[("ShardCount".into(), "4".into())]);
        assert!(close(four.design.idle_usd, 43.80 + 3.10));
        let od = estimate("3", &t, &[("StreamMode".into(), "ON_DEMAND".into())]);
        assert!(close(od.design.idle_usd, 29.20 + 3.10));
        // 2628 GB in at $0.08 and out at $0.04.
        assert!(close(od.design.at_1mbps_usd - od.design.idle_usd, 315.36));
        let long = estimate("3", &t, &[("RetentionHours".into(), "48".into())]);
        assert!(close(long.design.idle_usd, 2.0 * 730.0 * 0.035 + 3.10));
    }

    #[test]
    fn lambda_memory_and_batch_size_come_from_the_template() {
        let t = stream_template(json!({
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"MemorySize": 1024, "Architectures": ["arm64"]}},
            "Esm": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {"FunctionName": {"Ref": "Fn"}, "BatchSize": 100}},
        }));
        let c = estimate("1", &t, &[]);
        let line = c
            .design
            .lines
            .iter()
            .find(|l| l.item.starts_with("Lambda"))
            .unwrap();
        // 10 batches/s of 100 ms at 1 GB: 2.628e6 GB-s, plus 26.28e6 requests.
        assert!(close(
            line.at_1mbps_usd,
            2.628e6 * 0.000_013_333_4 + 26.28 * 0.2
        ));
        assert_eq!(line.idle_usd, 0.0);
    }

    #[test]
    fn reference_of_pattern_2_runs_flink_and_a_t3_small() {
        let t = stream_template(json!({
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"MemorySize": 512}},
            "Esm": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {"FunctionName": {"Ref": "Fn"}, "BatchSize": 1000}},
            "Producer": {"Type": "AWS::EC2::Instance"},
        }));
        let mut t = t;
        t["Parameters"]["ProducerInstanceType"] = json!({"Type": "String", "Default": "t4g.small"});
        let c = estimate("2", &t, &[]);
        let flink = 2.0 * 730.0 * 0.11 + 5.0;
        let t3 = 730.0 * 0.0208 + 0.64;
        let t4g = 730.0 * 0.0168 + 0.64;
        assert!(close(
            c.reference.idle_usd - c.design.idle_usd,
            flink + t3 - t4g
        ));
        assert!(c
            .reference
            .lines
            .iter()
            .all(|l| l.item != "Lambda (stream-triggered)"));
    }

    #[test]
    fn cross_region_counts_both_regions_and_the_reference_writes_per_record() {
        let t = stream_template(json!({
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"MemorySize": 512}},
            "Esm": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {"FunctionName": {"Ref": "Fn"}, "BatchSize": 500}},
            "Consumer": {"Type": "AWS::Kinesis::StreamConsumer"},
        }));
        let c = estimate("cross-region", &t, &[]);
        // Two regions' shards, EFO consumers and fixed fees.
        assert!(close(c.design.idle_usd, 2.0 * (21.90 + 21.90 + 3.10)));
        let per_record = c
            .reference
            .lines
            .iter()
            .find(|l| l.item.contains("per record"))
            .unwrap();
        assert!(close(per_record.at_1mbps_usd, 2628.0 * 0.625));
        assert!(c.reference.at_1mbps_usd > c.design.at_1mbps_usd);
    }

    #[test]
    fn the_summary_names_both_figures_and_the_price_date() {
        let c = estimate("3", &stream_template(json!({})), &[]);
        let s = c.summary();
        assert!(s.starts_with("estimated cost: idle ~$25/month, at 1 MB/s ~$62/month"));
        assert!(s.contains(PRICES_AS_OF) && s.contains("BENCHMARKS.md"));
    }
}
