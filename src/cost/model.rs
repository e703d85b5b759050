//! The cost model: what a rendered template holds, priced idle and at the load.

use std::collections::BTreeMap;

use serde_json::Value;

use super::*;
use crate::catalog::{self, ApiLoad, Manifest, Reference};
use crate::deploy::params;

/// Pattern 2's window length assumed by the load figure (the template's default).
const LOAD_WINDOW_SECONDS: f64 = 10.0;

/// How records leave the stream for the other region (cross-region only).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Replication {
    None,
    /// streamkit: PutRecords batches, one checkpoint per batch per shard in a global table.
    Batched,
    /// Reference: one PutRecord and one PutItem per record.
    PerRecord,
}

/// What the model prices, read from a rendered template.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Stack {
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
    /// Keyed-state tables of a stream processor (pattern 2): DynamoDB on demand.
    state_tables: f64,
    /// Scheduled invocations per month (EventBridge `rate(1 minute)` rules).
    scheduled_per_month: f64,
    replication: Replication,
    /// The joins stack's DynamoDB and output stream (and its reference's KDA SQL).
    joins: Option<super::joins::Joins>,
}

impl Stack {
    pub(super) fn read(manifest: &Manifest, template: &Value, given: &[(String, String)]) -> Stack {
        let profile = &manifest.cost;
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
            regions: if manifest.deployment.region_pair.is_some() {
                2.0
            } else {
                1.0
            },
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
            api_records_per_request: match profile.api_load {
                ApiLoad::Fare => LOAD_RECORDS_PER_FARE_REQUEST,
                ApiLoad::Ingest => LOAD_RECORDS_PER_INGEST_REQUEST,
            },
            efo_consumers: count("AWS::Kinesis::StreamConsumer"),
            alarms: count("AWS::CloudWatch::Alarm"),
            dashboards: count("AWS::CloudWatch::Dashboard"),
            kms_keys: count("AWS::KMS::Key"),
            secrets: count("AWS::SecretsManager::Secret"),
            state_tables: count("AWS::DynamoDB::Table"),
            scheduled_per_month: resources
                .values()
                .filter(|r| r["Type"] == "AWS::Events::Rule")
                .filter(|r| r["Properties"]["ScheduleExpression"] == "rate(1 minute)")
                .count() as f64
                * HOURS_PER_MONTH
                * 60.0,
            replication: match profile.replication {
                catalog::Replication::Batched => Replication::Batched,
                catalog::Replication::None => Replication::None,
            },
            joins: profile.joins.map(|load| super::joins::Joins {
                state_table: resources.contains_key("StateTable").then_some((
                    load.state_write_units_per_record,
                    load.state_read_units_per_record,
                )),
                provisioned: (param("OutputBillingMode") == "PROVISIONED").then(|| {
                    let units = |k: &str| param(k).parse().unwrap_or(1.0);
                    (units("OutputReadCapacity"), units("OutputWriteCapacity"))
                }),
                output_stream_on_demand: param("EnableOutputStream") == "true",
                output_stream_shards: 0.0,
                kda_sql: false,
            }),
        };
        if stack.joins.is_some() {
            // Its tables are priced by the joins model (state and output).
            stack.state_tables = 0.0;
        }
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
    pub(super) fn reference(&self, reference: Reference) -> Stack {
        let mut r = self.clone();
        match reference {
            Reference::FlinkWithProducer => {
                r.instances = vec!["t3.small".into()];
                r.state_tables = 0.0;
                r.scheduled_per_month = 0.0;
                if r.flink_kpus.is_empty() {
                    r.flink_kpus = vec![1.0];
                    // The Lambda processor is what Flink replaces; the fare API stays.
                    r.stream_lambdas.clear();
                }
            }
            Reference::KdaSql => {
                // KDA SQL, then a Node.js Lambda (batch 500) writing DynamoDB.
                r.joins = Some(super::joins::Joins::reference());
                r.scheduled_per_month = 0.0;
                r.flink_kpus.clear();
                r.stream_lambdas = vec![(128.0, false, 500.0)];
            }
            Reference::PerRecordReplication => {
                r.replication = Replication::PerRecord;
                r.stream_lambdas = vec![(128.0, false, 100.0)];
                r.efo_consumers = 0.0;
            }
            Reference::SameServices => {}
        }
        r
    }

    pub(super) fn bill(&self) -> Estimate {
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
        if self.scheduled_per_month > 0.0 {
            // Each run: 50 ms at the stream function's memory, and ~3 reads.
            let (memory, arm) = self
                .stream_lambdas
                .first()
                .map_or((512.0, true), |l| (l.0, l.1));
            let per_s = self.scheduled_per_month / SECONDS_PER_MONTH;
            let idle = lambda(per_s, per_s * 0.05, memory, arm)
                + self.scheduled_per_month * 3.0 * price::DYNAMODB_READS_PER_MILLION / 1e6;
            add(
                "scheduled emitter (EventBridge rule, every minute)",
                idle,
                0.0,
            );
        }
        if self.state_tables > 0.0 {
            // Per batch and shard: a progress read, a transaction of the
            // progress and one window partial (2 x 2 WRU), the emitter's 3
            // reads; per window (LOAD_WINDOW_SECONDS) and shard one mark and
            // three emitter writes. Partials kept a week (TTL): ~300 B each.
            let batch = self.stream_lambdas.first().map_or(1000.0, |l| l.2);
            let batches = (RECORDS_PER_SECOND / batch).max(self.shards);
            let reads = batches * 4.0 * SECONDS_PER_MONTH;
            let writes =
                (batches * 4.0 + (self.shards + 3.0) / LOAD_WINDOW_SECONDS) * SECONDS_PER_MONTH;
            let stored_gb = batches * 7.0 * 86_400.0 * 300.0 / 1e9;
            let load = reads * price::DYNAMODB_READS_PER_MILLION / 1e6
                + writes * price::DYNAMODB_WRITES_PER_MILLION / 1e6
                + stored_gb * price::DYNAMODB_STORAGE_GB_MONTH;
            add(
                "DynamoDB window state (on demand: requests + storage)",
                0.0,
                self.state_tables * load,
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
                // The active-region config item, read (strongly consistent,
                // 1 read unit) for every batch in both regions.
                add(
                    "DynamoDB config item read per batch (both regions)",
                    0.0,
                    writes * price::DYNAMODB_READS_PER_MILLION / 1e6,
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
        if let Some(j) = &self.joins {
            for (item, idle, load) in j.lines() {
                add(&item, idle, load);
            }
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
