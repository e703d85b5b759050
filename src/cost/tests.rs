//! The model's figures, checked against hand-computed prices.

use super::estimate::estimate;
use super::*;
use serde_json::{json, Value};

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
    let c = estimate(
        &crate::catalog::find("3").expect("a manifest"),
        &stream_template(json!({})),
        &[],
    );
    // 2 shards * 730 h * $0.015 + one alarm + one dashboard.
    assert!(close(c.design.idle_usd, 21.90 + 0.10 + 3.00), "{c:?}");
    // 1 MB/s of 1 KB records: 2.628e9 PUT units * $0.014 per million.
    assert!(close(c.design.at_1mbps_usd - c.design.idle_usd, 36.792));
}

#[test]
fn parameters_given_override_defaults() {
    let t = stream_template(json!({}));
    let four = estimate(
        &crate::catalog::find("3").expect("a manifest"),
        &t,
        &[("ShardCount".into(), "4".into())],
    );
    assert!(close(four.design.idle_usd, 43.80 + 3.10));
    let od = estimate(
        &crate::catalog::find("3").expect("a manifest"),
        &t,
        &[("StreamMode".into(), "ON_DEMAND".into())],
    );
    assert!(close(od.design.idle_usd, 29.20 + 3.10));
    // 2628 GB in at $0.08 and out at $0.04.
    assert!(close(od.design.at_1mbps_usd - od.design.idle_usd, 315.36));
    let long = estimate(
        &crate::catalog::find("3").expect("a manifest"),
        &t,
        &[("RetentionHours".into(), "48".into())],
    );
    assert!(close(long.design.idle_usd, 2.0 * 730.0 * 0.035 + 3.10));
}

#[test]
fn lambda_memory_and_batch_size_come_from_the_template() {
    let t = stream_template(json!({
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"MemorySize": 1024, "Architectures": ["arm64"]}},
        "Esm": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {"FunctionName": {"Ref": "Fn"}, "BatchSize": 100}},
    }));
    let c = estimate(&crate::catalog::find("1").expect("a manifest"), &t, &[]);
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
    let c = estimate(&crate::catalog::find("2").expect("a manifest"), &t, &[]);
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
    let c = estimate(
        &crate::catalog::find("cross-region").expect("a manifest"),
        &t,
        &[],
    );
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
    let c = estimate(
        &crate::catalog::find("3").expect("a manifest"),
        &stream_template(json!({})),
        &[],
    );
    let s = c.summary();
    assert!(s.starts_with("estimated cost: idle ~$25/month, at 1 MB/s ~$62/month"));
    assert!(s.contains(PRICES_AS_OF) && s.contains("BENCHMARKS.md"));
}
