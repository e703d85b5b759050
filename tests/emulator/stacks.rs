//! End-to-end: every stack streamkit renders is created on the local AWS
//! emulator (moto + streamkit's CloudFormation models, strict mode) with the
//! plain SDK, every resource is looked up through its own service's API with
//! the properties that matter, and the stack is deleted again.
//!
//! Needs `python3` with `tests/requirements.txt` (or STREAMKIT_PYTHON).

use std::collections::BTreeMap;

use crate::support::check::{exists, num, policy_denies_insecure_transport, survives_delete};
use crate::support::{create_stack, describe_stack, scalar, Clients, Deployed};
use serde_json::Value;
use streamkit_testkit::Emulator;

const REGION_A: &str = "us-east-1";
const REGION_B: &str = "us-west-2";
/// The user's Flink application (streamkit ships none); staged like any code.
const FLINK_ARTIFACT: &[(&str, &str)] = &[
    ("ProcessorCodeBucket", "sk-flink-artifacts"),
    ("ProcessorCodeKey", "flink/app-1.0.zip"),
];
/// The cross-region stream's name (the same in both regions).
const XR_STREAM: &str = "sk-replicated";

// ------------------------------------------------------------------ the stacks

#[tokio::test(flavor = "multi_thread")]
async fn pattern_1_on_the_emulator() {
    stack_round_trip("sk-p1", crate::support::render("1", &[]), &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pattern_2_lambda_engine_on_the_emulator() {
    stack_round_trip(
        "sk-p2-lambda",
        crate::support::render("2", &[("engine", "lambda")]),
        &[],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pattern_2_flink_engine_on_the_emulator() {
    stack_round_trip(
        "sk-p2-flink",
        crate::support::render("2", &[("engine", "flink")]),
        FLINK_ARTIFACT,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pattern_3_on_the_emulator() {
    stack_round_trip("sk-p3", crate::support::render("3", &[]), &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pattern_3_on_demand_with_alarm_email_on_the_emulator() {
    let template = crate::support::render("3", &[]);
    let mut overrides = vec![("StreamMode", "ON_DEMAND")];
    if template["Parameters"].get("AlarmEmail").is_some() {
        overrides.push(("AlarmEmail", "oncall@example.com"));
    }
    stack_round_trip("sk-p3-od", template, &overrides).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pattern_4_lambda_engine_on_the_emulator() {
    stack_round_trip(
        "sk-p4-lambda",
        crate::support::render("4", &[("engine", "lambda")]),
        &[],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pattern_4_flink_engine_on_the_emulator() {
    stack_round_trip(
        "sk-p4-flink",
        crate::support::render("4", &[("engine", "flink")]),
        FLINK_ARTIFACT,
    )
    .await;
}

/// The cross-region stack is one template: region A creates the global tables
/// (replicated to both regions), region B uses them.
#[tokio::test(flavor = "multi_thread")]
async fn cross_region_in_both_regions_on_the_emulator() {
    let template = crate::support::render("cross-region", &[]);
    let switch = global_table_switch(&template);
    let emu = Emulator::start();
    let a = Clients::new(&emu, REGION_A).await;
    let b = Clients::new(&emu, REGION_B).await;
    let on = [
        (switch.0.as_str(), switch.1.as_str()),
        ("StreamName", XR_STREAM),
        ("PeerRegion", REGION_B),
    ];
    let off = [
        (switch.0.as_str(), switch.2.as_str()),
        ("StreamName", XR_STREAM),
        ("PeerRegion", REGION_A),
    ];
    let da = create_stack(&a, "sk-xr", &template, &on).await;
    assert!(
        !da.of_type("AWS::DynamoDB::GlobalTable").is_empty(),
        "region A must create the global tables"
    );
    let db = create_stack(&b, "sk-xr", &template, &off).await;
    assert!(
        db.of_type("AWS::DynamoDB::GlobalTable").is_empty(),
        "region B must not create the global tables again"
    );
    verify(&[&a, &b], &da).await;
    verify(&[&b, &a], &db).await;
    // Both regions' replicators find the tables in their own region.
    for gt in da.of_type("AWS::DynamoDB::GlobalTable") {
        for c in [&a, &b] {
            c.dynamodb
                .describe_table()
                .table_name(&gt.physical_id)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{} missing in {}: {e:?}", gt.physical_id, c.region));
        }
    }
    delete_and_verify(&[&b, &a], &db).await;
    delete_and_verify(&[&a, &b], &da).await;
}

/// A hand-written template with every type streamkit uses (kept independent of
/// the rendered stacks, so the emulator's models are pinned on their own).
#[tokio::test(flavor = "multi_thread")]
async fn fixture_with_every_type_on_the_emulator() {
    let template: Value =
        serde_json::from_str(include_str!("../fixtures/emulator/all-types.template.json")).unwrap();
    stack_round_trip("sk-fixture", template, &[]).await;
}

// ------------------------------------------------------------------ strictness

fn with_resource(kind: &str) -> Value {
    serde_json::json!({
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {}},
            "Unknown": {"Type": kind, "Properties": {"CatalogId": {"Ref": "AWS::AccountId"}, "DatabaseInput": {"Name": "x"}}}
        }
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn strict_mode_refuses_a_type_the_emulator_lacks() {
    let emu = Emulator::start();
    let c = Clients::new(&emu, REGION_A).await;
    let body = with_resource("AWS::Glue::Database").to_string();
    let err = c
        .cfn
        .create_stack()
        .stack_name("sk-strict")
        .template_body(body)
        .send()
        .await
        .expect_err("a stack with a type the emulator lacks must not be created");
    let text = format!("{err:?}");
    assert!(text.contains("ValidationError"), "{text}");
    assert!(
        text.contains("AWS::Glue::Database"),
        "the error names the type: {text}"
    );
    // Nothing was created, not even the queue next to it.
    let queues = c.sqs.list_queues().send().await.unwrap();
    assert!(queues.queue_urls().is_empty(), "{:?}", queues.queue_urls());
    assert!(
        c.cfn
            .describe_stacks()
            .stack_name("sk-strict")
            .send()
            .await
            .is_err(),
        "no stack is left behind"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn strict_mode_refuses_custom_resources() {
    let emu = Emulator::start();
    let c = Clients::new(&emu, REGION_A).await;
    let body = serde_json::json!({"Resources": {"X": {"Type": "Custom::Thing", "Properties": {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:f"}}}});
    let err = c
        .cfn
        .create_stack()
        .stack_name("sk-strict-custom")
        .template_body(body.to_string())
        .send()
        .await
        .expect_err("custom resources are not emulated");
    assert!(format!("{err:?}").contains("Custom::Thing"), "{err:?}");
}

/// Without the switch moto skips the type and reports success: the switch is
/// what makes the difference.
#[tokio::test(flavor = "multi_thread")]
async fn without_strict_mode_moto_skips_the_type() {
    let emu = Emulator::start_with(false);
    let c = Clients::new(&emu, REGION_A).await;
    c.cfn
        .create_stack()
        .stack_name("sk-lax")
        .template_body(with_resource("AWS::Glue::Database").to_string())
        .send()
        .await
        .expect("moto accepts the stack when not strict");
    let stack = describe_stack(&c, "sk-lax").await;
    assert_eq!(
        stack.stack_status().map(|s| s.as_str()),
        Some("CREATE_COMPLETE")
    );
}

/// A resource failing to create fails the stack (and rolls back) rather than
/// leaving it in progress.
#[tokio::test(flavor = "multi_thread")]
async fn a_failing_resource_rolls_the_stack_back() {
    let emu = Emulator::start();
    let c = Clients::new(&emu, REGION_A).await;
    let body = serde_json::json!({"Resources": {
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {}},
        "Consumer": {"Type": "AWS::Kinesis::StreamConsumer", "DependsOn": "Queue", "Properties": {
            "ConsumerName": "c", "StreamARN": "arn:aws:kinesis:us-east-1:123456789012:stream/nope"}}
    }});
    c.cfn
        .create_stack()
        .stack_name("sk-fail")
        .template_body(body.to_string())
        .send()
        .await
        .expect("CreateStack is accepted; the stack then fails");
    let stack = describe_stack(&c, "sk-fail").await;
    assert_eq!(
        stack.stack_status().map(|s| s.as_str()),
        Some("ROLLBACK_COMPLETE")
    );
    let events = crate::support::failure_events(&c, "sk-fail").await;
    assert!(events.contains("Consumer"), "{events}");
    let queues = c.sqs.list_queues().send().await.unwrap();
    assert!(queues.queue_urls().is_empty(), "rollback deletes the queue");
}

// ------------------------------------------------------------------ round trip

async fn stack_round_trip(name: &str, template: Value, overrides: &[(&str, &str)]) {
    let emu = Emulator::start();
    let c = Clients::new(&emu, REGION_A).await;
    let other = Clients::new(&emu, REGION_B).await;
    let d = create_stack(&c, name, &template, overrides).await;
    verify(&[&c, &other], &d).await;
    delete_and_verify(&[&c, &other], &d).await;
}

/// The parameter that switches global-table creation, with its on and off values.
fn global_table_switch(template: &Value) -> (String, String, String) {
    let conditions = template["Conditions"].as_object().expect("Conditions");
    for (_, def) in template["Resources"].as_object().unwrap() {
        if def["Type"] != "AWS::DynamoDB::GlobalTable" {
            continue;
        }
        let cond = def["Condition"]
            .as_str()
            .expect("global tables are created under a Condition (once, in one region)");
        let expr = &conditions[cond];
        let eq = expr.get("Fn::Equals").unwrap_or_else(|| {
            panic!("condition {cond} is not an Fn::Equals on a parameter: {expr}")
        });
        let (param, value) = match (&eq[0], &eq[1]) {
            (Value::Object(r), v) | (v, Value::Object(r)) if r.contains_key("Ref") => {
                (r["Ref"].as_str().unwrap().to_string(), scalar(v))
            }
            _ => panic!("condition {cond}: {expr}"),
        };
        let allowed = template["Parameters"][&param]["AllowedValues"]
            .as_array()
            .unwrap_or_else(|| panic!("parameter {param} has AllowedValues"));
        let off = allowed
            .iter()
            .map(scalar)
            .find(|v| *v != value)
            .expect("an off value");
        return (param, value, off);
    }
    panic!("the cross-region template has no AWS::DynamoDB::GlobalTable");
}

async fn verify(regions: &[&Clients], d: &Deployed) {
    let c = regions[0];
    // Every resource the template creates is in the stack, and exists.
    let expected = d.expected_resources();
    let created: BTreeMap<&str, &str> = d
        .resources
        .iter()
        .map(|r| (r.logical_id.as_str(), r.resource_type.as_str()))
        .collect();
    for (id, ty) in &expected {
        assert_eq!(
            created.get(id.as_str()),
            Some(&ty.as_str()),
            "{}: resource {id} ({ty}) was not created",
            d.name
        );
    }
    assert_eq!(
        created.len(),
        expected.len(),
        "{}: unexpected resources {created:?}",
        d.name
    );
    for r in &d.resources {
        assert!(
            exists(c, d, r).await,
            "{}: {} ({}) {} does not exist in {}",
            d.name,
            r.logical_id,
            r.resource_type,
            r.physical_id,
            c.region
        );
    }
    for r in &d.resources {
        verify_properties(regions, d, &r.logical_id, &r.resource_type, &r.physical_id).await;
    }
    // Outputs resolve to values (no unresolved intrinsic, nothing empty).
    let conditions = crate::support::evaluate_conditions(&d.template, &d.params, &d.region);
    for (key, def) in d.template["Outputs"].as_object().into_iter().flatten() {
        if let Some(cond) = def.get("Condition").and_then(Value::as_str) {
            if !conditions[cond] {
                continue;
            }
        }
        let value = d
            .outputs
            .get(key)
            .unwrap_or_else(|| panic!("{}: output {key} missing", d.name));
        assert!(
            !value.is_empty() && !value.contains("Fn::") && !value.contains("{'Ref'"),
            "{}: output {key} = {value}",
            d.name
        );
    }
}

async fn verify_properties(regions: &[&Clients], d: &Deployed, logical: &str, ty: &str, id: &str) {
    let c = regions[0];
    let props = &d.def(logical)["Properties"];
    let ctx = format!("{} {logical} ({ty})", d.name);
    match ty {
        "AWS::Kinesis::Stream" => {
            let s = c
                .kinesis
                .describe_stream_summary()
                .stream_name(id)
                .send()
                .await
                .unwrap();
            let s = s.stream_description_summary().unwrap();
            let enc = &props["StreamEncryption"];
            assert_eq!(
                s.encryption_type().map(|e| e.as_str()),
                Some("KMS"),
                "{ctx}: encrypted"
            );
            assert_eq!(
                s.key_id(),
                Some("alias/aws/kinesis"),
                "{ctx}: AWS-managed key"
            );
            assert_eq!(scalar(&enc["KeyId"]), "alias/aws/kinesis", "{ctx}");
            let mode = d
                .literal(&props["StreamModeDetails"]["StreamMode"])
                .expect("stream mode");
            assert_eq!(
                s.stream_mode_details().map(|m| m.stream_mode().as_str()),
                Some(scalar(&mode).as_str()),
                "{ctx}: stream mode"
            );
            if let Some(hours) = d.literal(&props["RetentionPeriodHours"]) {
                assert_eq!(
                    s.retention_period_hours() as f64,
                    num(&hours),
                    "{ctx}: retention"
                );
            }
            if scalar(&mode) == "PROVISIONED" {
                if let Some(shards) = d.literal(&props["ShardCount"]["Fn::If"][2]) {
                    assert_eq!(s.open_shard_count() as f64, num(&shards), "{ctx}: shards");
                }
            }
        }
        "AWS::Kinesis::StreamConsumer" => {
            let out = c
                .kinesis
                .describe_stream_consumer()
                .consumer_arn(id)
                .send()
                .await
                .unwrap();
            let cons = out.consumer_description().unwrap();
            assert_eq!(cons.consumer_status().as_str(), "ACTIVE", "{ctx}");
            let stream_logical =
                stream_ref(&props["StreamARN"]).expect("consumer's StreamARN refers to a stream");
            let stream = d.physical(&stream_logical);
            assert!(
                cons.stream_arn().ends_with(&format!("/{stream}")),
                "{ctx}: registered on {stream}"
            );
            let listed = c
                .kinesis
                .list_stream_consumers()
                .stream_arn(cons.stream_arn())
                .send()
                .await
                .unwrap();
            assert!(
                listed.consumers().iter().any(|x| x.consumer_arn() == id),
                "{ctx}: listed"
            );
        }
        "AWS::CloudWatch::Alarm" => {
            let out = c
                .cloudwatch
                .describe_alarms()
                .alarm_names(id)
                .send()
                .await
                .unwrap();
            let a = &out.metric_alarms()[0];
            assert_eq!(
                a.threshold().unwrap(),
                num(&d.literal(&props["Threshold"]).expect("literal threshold")),
                "{ctx}: threshold"
            );
            assert_eq!(
                a.comparison_operator().unwrap().as_str(),
                scalar(&props["ComparisonOperator"]),
                "{ctx}"
            );
            assert_eq!(
                a.evaluation_periods().unwrap() as f64,
                num(&props["EvaluationPeriods"]),
                "{ctx}"
            );
            if let Some(v) = props.get("TreatMissingData") {
                assert_eq!(a.treat_missing_data(), Some(scalar(v).as_str()), "{ctx}");
            }
            assert!(
                a.alarm_description().is_some_and(|s| !s.is_empty()),
                "{ctx}: described"
            );
            // Every alarm notifies the stack's topic on ALARM and on OK.
            let topics: Vec<&str> = d
                .of_type("AWS::SNS::Topic")
                .iter()
                .map(|t| t.physical_id.as_str())
                .collect();
            assert!(!topics.is_empty(), "{ctx}: the stack has an alarm topic");
            assert!(
                a.alarm_actions()
                    .iter()
                    .any(|x| topics.contains(&x.as_str())),
                "{ctx}: ALARM action {:?}",
                a.alarm_actions()
            );
            assert!(
                a.ok_actions().iter().any(|x| topics.contains(&x.as_str())),
                "{ctx}: OK action {:?}",
                a.ok_actions()
            );
            if props.get("Metrics").is_some() {
                assert_eq!(
                    a.metrics().len(),
                    props["Metrics"].as_array().unwrap().len(),
                    "{ctx}: metric math"
                );
            } else {
                assert_eq!(
                    a.metric_name(),
                    Some(scalar(&props["MetricName"]).as_str()),
                    "{ctx}"
                );
                assert_eq!(
                    a.namespace(),
                    Some(scalar(&props["Namespace"]).as_str()),
                    "{ctx}"
                );
                assert_eq!(
                    a.dimensions().len(),
                    props["Dimensions"].as_array().map_or(0, |v| v.len()),
                    "{ctx}: dimensions"
                );
            }
        }
        "AWS::S3::Bucket" => {
            let pab =
                c.s3.get_public_access_block()
                    .bucket(id)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{ctx}: public access block: {e:?}"));
            let pab = pab.public_access_block_configuration().unwrap();
            assert!(
                pab.block_public_acls() == Some(true)
                    && pab.block_public_policy() == Some(true)
                    && pab.ignore_public_acls() == Some(true)
                    && pab.restrict_public_buckets() == Some(true),
                "{ctx}: all public access blocked: {pab:?}"
            );
            let enc =
                c.s3.get_bucket_encryption()
                    .bucket(id)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{ctx}: encryption: {e:?}"));
            assert!(
                !enc.server_side_encryption_configuration()
                    .unwrap()
                    .rules()
                    .is_empty(),
                "{ctx}: encrypted"
            );
            if let Some(rules) = props["LifecycleConfiguration"]["Rules"].as_array() {
                let lc =
                    c.s3.get_bucket_lifecycle_configuration()
                        .bucket(id)
                        .send()
                        .await
                        .unwrap();
                assert_eq!(lc.rules().len(), rules.len(), "{ctx}: lifecycle rules");
                for rule in rules {
                    if let Some(days) =
                        rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"].as_f64()
                    {
                        assert!(
                            lc.rules().iter().any(|r| r
                                .abort_incomplete_multipart_upload()
                                .and_then(|a| a.days_after_initiation())
                                == Some(days as i32)),
                            "{ctx}: abort multipart after {days} days"
                        );
                    }
                    for t in rule["Transitions"].as_array().into_iter().flatten() {
                        let class = scalar(&t["StorageClass"]);
                        assert!(
                            lc.rules()
                                .iter()
                                .flat_map(|r| r.transitions())
                                .any(|x| x.storage_class().map(|s| s.as_str())
                                    == Some(class.as_str())),
                            "{ctx}: transition to {class}"
                        );
                    }
                }
            }
            if let Some(status) = props["VersioningConfiguration"]["Status"].as_str() {
                let v =
                    c.s3.get_bucket_versioning()
                        .bucket(id)
                        .send()
                        .await
                        .unwrap();
                assert_eq!(
                    v.status().map(|s| s.as_str()),
                    Some(status),
                    "{ctx}: versioning"
                );
            }
            if props.get("LoggingConfiguration").is_some() {
                let l = c.s3.get_bucket_logging().bucket(id).send().await.unwrap();
                assert!(l.logging_enabled().is_some(), "{ctx}: access logging");
            }
        }
        "AWS::S3::BucketPolicy" => {
            let p = c.s3.get_bucket_policy().bucket(id).send().await.unwrap();
            assert!(
                policy_denies_insecure_transport(p.policy().unwrap()),
                "{ctx}: denies non-TLS: {:?}",
                p.policy()
            );
        }
        "AWS::KinesisFirehose::DeliveryStream" => {
            let out = c
                .firehose
                .describe_delivery_stream()
                .delivery_stream_name(id)
                .send()
                .await
                .unwrap();
            let ds = out.delivery_stream_description().unwrap();
            let src = ds
                .source()
                .and_then(|s| s.kinesis_stream_source_description())
                .expect("Kinesis source");
            let stream_logical =
                stream_ref(&props["KinesisStreamSourceConfiguration"]["KinesisStreamARN"])
                    .expect("source is the stack's stream");
            assert!(
                src.kinesis_stream_arn()
                    .unwrap()
                    .ends_with(&format!("/{}", d.physical(&stream_logical))),
                "{ctx}: source"
            );
            let dest = ds.destinations()[0]
                .extended_s3_destination_description()
                .expect("extended S3 destination");
            let cfg = &props["ExtendedS3DestinationConfiguration"];
            if let Some(prefix) = d.literal(&cfg["Prefix"]) {
                assert_eq!(
                    dest.prefix(),
                    Some(scalar(&prefix).as_str()),
                    "{ctx}: prefix"
                );
            } else {
                assert!(
                    dest.prefix().is_some_and(|p| !p.is_empty()),
                    "{ctx}: prefix"
                );
            }
            if let Some(prefix) = d.literal(&cfg["ErrorOutputPrefix"]) {
                assert_eq!(
                    dest.error_output_prefix(),
                    Some(scalar(&prefix).as_str()),
                    "{ctx}: error prefix"
                );
            }
            assert!(
                dest.error_output_prefix()
                    .is_some_and(|p| p.contains("!{firehose:error-output-type}")),
                "{ctx}: error prefix"
            );
            let compression = d.literal(&cfg["CompressionFormat"]).expect("compression");
            assert_eq!(
                dest.compression_format().as_str(),
                scalar(&compression),
                "{ctx}: compression"
            );
            let bucket_logical = cfg["BucketARN"]["Fn::GetAtt"][0]
                .as_str()
                .expect("BucketARN GetAtt");
            assert_eq!(
                dest.bucket_arn(),
                format!("arn:aws:s3:::{}", d.physical(bucket_logical)),
                "{ctx}: bucket"
            );
            assert!(
                dest.cloud_watch_logging_options().and_then(|l| l.enabled()) == Some(true),
                "{ctx}: error logging"
            );
            if let Some(hints) = dest.buffering_hints() {
                if let Some(size) = d.literal(&cfg["BufferingHints"]["SizeInMBs"]) {
                    assert_eq!(
                        hints.size_in_mbs().unwrap() as f64,
                        num(&size),
                        "{ctx}: buffer size"
                    );
                }
            }
        }
        "AWS::KinesisAnalyticsV2::Application" => {
            let out = c
                .flink
                .describe_application()
                .application_name(id)
                .send()
                .await
                .unwrap();
            let app = out.application_detail().unwrap();
            let runtime = scalar(&d.literal(&props["RuntimeEnvironment"]).expect("runtime"));
            assert_eq!(app.runtime_environment().as_str(), runtime, "{ctx}");
            assert!(
                runtime.as_str() >= "FLINK-1_20",
                "{ctx}: runtime FLINK-1_20 or newer"
            );
            let cfg = app
                .application_configuration_description()
                .expect("configuration");
            assert!(
                cfg.application_code_configuration_description().is_some(),
                "{ctx}: code location"
            );
            let flink = cfg
                .flink_application_configuration_description()
                .expect("flink configuration");
            assert!(
                flink.monitoring_configuration_description().is_some(),
                "{ctx}: monitoring"
            );
        }
        "AWS::DynamoDB::GlobalTable" => {
            let replicas: Vec<String> = props["Replicas"]
                .as_array()
                .expect("replicas")
                .iter()
                .map(|r| scalar(&d.literal(&r["Region"]).expect("replica region")))
                .collect();
            assert!(
                replicas.len() >= 2,
                "{ctx}: replicated to both regions: {replicas:?}"
            );
            for region in &replicas {
                let rc = regions
                    .iter()
                    .find(|c| &c.region == region)
                    .unwrap_or_else(|| panic!("{ctx}: no client for replica region {region}"));
                let t = rc
                    .dynamodb
                    .describe_table()
                    .table_name(id)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{ctx}: not in {region}: {e:?}"));
                let t = t.table().unwrap();
                assert_eq!(
                    t.billing_mode_summary()
                        .and_then(|b| b.billing_mode())
                        .map(|m| m.as_str()),
                    Some("PAY_PER_REQUEST"),
                    "{ctx} in {region}: on demand"
                );
                assert_eq!(
                    t.sse_description()
                        .and_then(|s| s.status())
                        .map(|s| s.as_str()),
                    Some("ENABLED"),
                    "{ctx} in {region}: encrypted"
                );
                let pitr = rc
                    .dynamodb
                    .describe_continuous_backups()
                    .table_name(id)
                    .send()
                    .await
                    .unwrap();
                let status = pitr
                    .continuous_backups_description()
                    .and_then(|b| b.point_in_time_recovery_description())
                    .and_then(|p| p.point_in_time_recovery_status())
                    .map(|s| s.as_str().to_string());
                assert_eq!(
                    status.as_deref(),
                    Some("ENABLED"),
                    "{ctx} in {region}: point-in-time recovery"
                );
                let listed: Vec<String> = t
                    .replicas()
                    .iter()
                    .filter_map(|r| r.region_name().map(str::to_string))
                    .collect();
                for r in &replicas {
                    assert!(
                        listed.contains(r),
                        "{ctx} in {region}: replica {r} listed in {listed:?}"
                    );
                }
            }
        }
        "AWS::ApiGateway::Stage" => {
            let api = rest_api_of(d, props);
            let s = c
                .apigateway
                .get_stage()
                .rest_api_id(&api)
                .stage_name(id)
                .send()
                .await
                .unwrap();
            if let Some(t) = d.literal(&props["TracingEnabled"]) {
                assert_eq!(s.tracing_enabled(), scalar(&t) == "true", "{ctx}: tracing");
            }
            if props.get("AccessLogSetting").is_some() {
                let logs = s.access_log_settings().expect("access logs");
                assert!(
                    logs.destination_arn()
                        .is_some_and(|a| a.contains(":log-group:")),
                    "{ctx}: access log group"
                );
                assert!(
                    logs.format().is_some_and(|f| f.contains("requestId")),
                    "{ctx}: access log format"
                );
            }
            for setting in props["MethodSettings"].as_array().into_iter().flatten() {
                let all = s
                    .method_settings()
                    .and_then(|m| m.get("*/*"))
                    .unwrap_or_else(|| panic!("{ctx}: method settings {:?}", s.method_settings()));
                if let Some(level) = setting.get("LoggingLevel") {
                    assert_eq!(
                        all.logging_level(),
                        Some(scalar(level).as_str()),
                        "{ctx}: logging level"
                    );
                }
                if let Some(rate) = setting
                    .get("ThrottlingRateLimit")
                    .and_then(|v| d.literal(v))
                {
                    assert_eq!(all.throttling_rate_limit(), num(&rate), "{ctx}: rate limit");
                }
                if let Some(burst) = setting
                    .get("ThrottlingBurstLimit")
                    .and_then(|v| d.literal(v))
                {
                    assert_eq!(
                        all.throttling_burst_limit() as f64,
                        num(&burst),
                        "{ctx}: burst limit"
                    );
                }
            }
        }
        "AWS::ApiGateway::UsagePlan" => {
            let p = c
                .apigateway
                .get_usage_plan()
                .usage_plan_id(id)
                .send()
                .await
                .unwrap();
            assert!(!p.api_stages().is_empty(), "{ctx}: attached to a stage");
            for s in p.api_stages() {
                let api = s.api_id().unwrap();
                c.apigateway
                    .get_stage()
                    .rest_api_id(api)
                    .stage_name(s.stage().unwrap())
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{ctx}: stage {:?}: {e:?}", s.stage()));
            }
            if let Some(throttle) = props.get("Throttle") {
                let t = p.throttle().expect("throttle");
                if let Some(rate) = d.literal(&throttle["RateLimit"]) {
                    assert_eq!(t.rate_limit(), num(&rate), "{ctx}: rate");
                }
                if let Some(burst) = d.literal(&throttle["BurstLimit"]) {
                    assert_eq!(t.burst_limit() as f64, num(&burst), "{ctx}: burst");
                }
            }
        }
        "AWS::ApiGateway::ApiKey" => {
            let k = c
                .apigateway
                .get_api_key()
                .api_key(id)
                .include_value(true)
                .send()
                .await
                .unwrap();
            assert!(k.enabled(), "{ctx}: enabled");
            let value = k.value().unwrap_or_default().to_string();
            assert!(value.len() >= 20, "{ctx}: a real key value");
            if let Some(v) = props.get("Value") {
                // Never a literal: a dynamic reference to the stack's secret.
                let text = v.to_string();
                assert!(
                    text.contains("{{resolve:secretsmanager:"),
                    "{ctx}: the key value is a literal: {text}"
                );
                assert!(
                    !value.contains("{{resolve:"),
                    "{ctx}: dynamic reference left unresolved"
                );
                for secret in d.of_type("AWS::SecretsManager::Secret") {
                    if text.contains(&format!("${{{}}}", secret.logical_id)) {
                        let s = c
                            .secrets
                            .get_secret_value()
                            .secret_id(&secret.physical_id)
                            .send()
                            .await
                            .unwrap();
                        assert_eq!(
                            s.secret_string(),
                            Some(value.as_str()),
                            "{ctx}: the key is the secret's value"
                        );
                    }
                }
            }
        }
        "AWS::ApiGateway::UsagePlanKey" => {
            let plan_logical = props["UsagePlanId"]["Ref"].as_str().unwrap();
            let plan = d.physical(plan_logical);
            let keys = c
                .apigateway
                .get_usage_plan_keys()
                .usage_plan_id(plan)
                .send()
                .await
                .unwrap();
            assert!(
                keys.items()
                    .iter()
                    .any(|k| k.id() == Some(id) && k.r#type() == Some("API_KEY")),
                "{ctx}: key in plan"
            );
        }
        "AWS::ApiGateway::RequestValidator" => {
            let api = rest_api_of(d, props);
            let v = c
                .apigateway
                .get_request_validator()
                .rest_api_id(&api)
                .request_validator_id(id)
                .send()
                .await
                .unwrap();
            for (prop, got) in [
                ("ValidateRequestBody", v.validate_request_body()),
                ("ValidateRequestParameters", v.validate_request_parameters()),
            ] {
                let want = props
                    .get(prop)
                    .map(|x| scalar(x) == "true")
                    .unwrap_or(false);
                assert_eq!(got, want, "{ctx}: {prop}");
            }
            // The validator is used by a method.
            let used = d.of_type("AWS::ApiGateway::Method").iter().any(|m| {
                d.def(&m.logical_id)["Properties"]["RequestValidatorId"]["Ref"] == logical
            });
            assert!(used, "{ctx}: attached to a method");
        }
        "AWS::ApiGateway::Method" => {
            let parts: Vec<&str> = id.split('|').collect();
            let m = c
                .apigateway
                .get_method()
                .rest_api_id(parts[0])
                .resource_id(parts[1])
                .http_method(parts[2])
                .send()
                .await
                .unwrap();
            assert_eq!(
                m.authorization_type(),
                Some(scalar(&props["AuthorizationType"]).as_str()),
                "{ctx}: authorization"
            );
            if let Some(v) = props.get("ApiKeyRequired") {
                assert_eq!(
                    m.api_key_required(),
                    Some(scalar(v) == "true"),
                    "{ctx}: API key"
                );
            }
            if let Some(integration) = props.get("Integration") {
                let got = m
                    .method_integration()
                    .unwrap_or_else(|| panic!("{ctx}: integration dropped"));
                assert_eq!(
                    got.r#type().map(|t| t.as_str()),
                    Some(scalar(&integration["Type"]).as_str()),
                    "{ctx}: integration type"
                );
                assert!(
                    got.uri().is_some_and(|u| !u.is_empty()),
                    "{ctx}: integration URI"
                );
                if let Some(templates) = integration["RequestTemplates"].as_object() {
                    assert_eq!(
                        got.request_templates().map(|t| t.len()),
                        Some(templates.len()),
                        "{ctx}: request templates"
                    );
                }
                if integration.get("Credentials").is_some() {
                    assert!(got.credentials().is_some(), "{ctx}: integration role");
                }
                let responses = integration["IntegrationResponses"]
                    .as_array()
                    .map_or(0, |r| r.len());
                assert_eq!(
                    got.integration_responses().map_or(0, |r| r.len()),
                    responses,
                    "{ctx}: integration responses"
                );
            }
            let responses = props["MethodResponses"].as_array().map_or(0, |r| r.len());
            assert_eq!(
                m.method_responses().map_or(0, |r| r.len()),
                responses,
                "{ctx}: method responses"
            );
            if props.get("RequestValidatorId").is_some() {
                assert!(m.request_validator_id().is_some(), "{ctx}: validator");
            }
        }
        "AWS::ApiGateway::RestApi" => {
            let api = c
                .apigateway
                .get_rest_api()
                .rest_api_id(id)
                .send()
                .await
                .unwrap();
            if let Some(types) = props["EndpointConfiguration"]["Types"].as_array() {
                let got: Vec<String> = api
                    .endpoint_configuration()
                    .map(|e| e.types().iter().map(|t| t.as_str().to_string()).collect())
                    .unwrap_or_default();
                let want: Vec<String> = types.iter().map(scalar).collect();
                assert_eq!(got, want, "{ctx}: endpoint type");
            }
        }
        "AWS::Lambda::Function" => {
            let f = c
                .lambda
                .get_function_configuration()
                .function_name(id)
                .send()
                .await
                .unwrap();
            if let Some(arch) = props["Architectures"].as_array() {
                let want: Vec<String> = arch
                    .iter()
                    .filter_map(|a| d.literal(a))
                    .map(|a| scalar(&a))
                    .collect();
                let got: Vec<String> = f
                    .architectures()
                    .iter()
                    .map(|a| a.as_str().to_string())
                    .collect();
                if want.len() == arch.len() {
                    assert_eq!(got, want, "{ctx}: architectures");
                }
            }
            if let Some(rt) = props.get("Runtime") {
                assert_eq!(
                    f.runtime().map(|r| r.as_str()),
                    Some(scalar(rt).as_str()),
                    "{ctx}: runtime"
                );
            }
            if let Some(mode) = props["TracingConfig"]["Mode"].as_str() {
                assert_eq!(
                    f.tracing_config()
                        .and_then(|t| t.mode())
                        .map(|m| m.as_str()),
                    Some(mode),
                    "{ctx}: tracing"
                );
            }
        }
        "AWS::Lambda::EventSourceMapping" => {
            let m = c
                .lambda
                .get_event_source_mapping()
                .uuid(id)
                .send()
                .await
                .unwrap();
            for (prop, got) in [
                ("BatchSize", m.batch_size().map(f64::from)),
                (
                    "ParallelizationFactor",
                    m.parallelization_factor().map(f64::from),
                ),
                (
                    "MaximumRetryAttempts",
                    m.maximum_retry_attempts().map(f64::from),
                ),
                (
                    "MaximumRecordAgeInSeconds",
                    m.maximum_record_age_in_seconds().map(f64::from),
                ),
                (
                    "MaximumBatchingWindowInSeconds",
                    m.maximum_batching_window_in_seconds().map(f64::from),
                ),
            ] {
                if let Some(want) = props.get(prop).and_then(|v| d.literal(v)) {
                    assert_eq!(got, Some(num(&want)), "{ctx}: {prop}");
                }
            }
            if let Some(types) = props["FunctionResponseTypes"].as_array() {
                assert_eq!(
                    m.function_response_types().len(),
                    types.len(),
                    "{ctx}: response types"
                );
            }
            if props.get("DestinationConfig").is_some() {
                assert!(
                    m.destination_config()
                        .and_then(|d| d.on_failure())
                        .and_then(|f| f.destination())
                        .is_some(),
                    "{ctx}: on-failure destination"
                );
            }
        }
        "AWS::SQS::Queue" => {
            let a = c
                .sqs
                .get_queue_attributes()
                .queue_url(id)
                .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
                .send()
                .await
                .unwrap();
            let attrs = a.attributes().unwrap();
            let kms = attrs.get(&aws_sdk_sqs::types::QueueAttributeName::KmsMasterKeyId);
            let managed = attrs.get(&aws_sdk_sqs::types::QueueAttributeName::SqsManagedSseEnabled);
            assert!(
                kms.is_some() || managed.is_some_and(|v| v == "true"),
                "{ctx}: encrypted"
            );
            if let Some(p) = props
                .get("MessageRetentionPeriod")
                .and_then(|v| d.literal(v))
            {
                assert_eq!(
                    attrs
                        .get(&aws_sdk_sqs::types::QueueAttributeName::MessageRetentionPeriod)
                        .map(|s| s.as_str()),
                    Some(scalar(&p).as_str()),
                    "{ctx}: retention"
                );
            }
        }
        "AWS::SQS::QueuePolicy" => {
            for q in props["Queues"].as_array().unwrap() {
                let url = d.physical(q["Ref"].as_str().unwrap());
                let a = c
                    .sqs
                    .get_queue_attributes()
                    .queue_url(url)
                    .attribute_names(aws_sdk_sqs::types::QueueAttributeName::Policy)
                    .send()
                    .await
                    .unwrap();
                let policy = a
                    .attributes()
                    .and_then(|m| m.get(&aws_sdk_sqs::types::QueueAttributeName::Policy))
                    .cloned()
                    .unwrap_or_default();
                assert!(
                    policy_denies_insecure_transport(&policy),
                    "{ctx}: denies non-TLS: {policy}"
                );
            }
        }
        "AWS::SNS::Topic" => {
            let a = c
                .sns
                .get_topic_attributes()
                .topic_arn(id)
                .send()
                .await
                .unwrap();
            let key = a
                .attributes()
                .and_then(|m| m.get("KmsMasterKeyId"))
                .cloned()
                .unwrap_or_default();
            // Encrypted: with the AWS-managed key, or with the stack's own key
            // (CloudWatch alarms can only publish to topics under a customer key).
            let want = match props["KmsMasterKeyId"].get("Ref").and_then(Value::as_str) {
                Some(logical) if d.template["Resources"].get(logical).is_some() => {
                    d.physical(logical).to_string()
                }
                _ => scalar(&d.literal(&props["KmsMasterKeyId"]).expect("topic key")),
            };
            assert!(!key.is_empty(), "{ctx}: encrypted");
            assert_eq!(key, want, "{ctx}: encryption key");
        }
        "AWS::SNS::Subscription" => {
            let a = c
                .sns
                .get_subscription_attributes()
                .subscription_arn(id)
                .send()
                .await
                .unwrap();
            let endpoint = a
                .attributes()
                .and_then(|m| m.get("Endpoint"))
                .cloned()
                .unwrap_or_default();
            if let Some(want) = d.literal(&props["Endpoint"]) {
                assert_eq!(endpoint, scalar(&want), "{ctx}: endpoint");
            }
        }
        "AWS::Logs::LogGroup" => {
            let out = c
                .logs
                .describe_log_groups()
                .log_group_name_prefix(id)
                .send()
                .await
                .unwrap();
            let g = out
                .log_groups()
                .iter()
                .find(|g| g.log_group_name() == Some(id))
                .unwrap();
            assert!(
                g.retention_in_days().is_some(),
                "{ctx}: every log group has a retention"
            );
            if let Some(days) = d.literal(&props["RetentionInDays"]) {
                assert_eq!(
                    g.retention_in_days().unwrap() as f64,
                    num(&days),
                    "{ctx}: retention"
                );
            }
        }
        "AWS::CloudWatch::Dashboard" => {
            let out = c
                .cloudwatch
                .get_dashboard()
                .dashboard_name(id)
                .send()
                .await
                .unwrap();
            let body: Value = serde_json::from_str(out.dashboard_body().unwrap())
                .expect("dashboard body is JSON");
            assert!(
                body["widgets"].as_array().is_some_and(|w| !w.is_empty()),
                "{ctx}: widgets"
            );
        }
        _ => {}
    }
}

fn rest_api_of(d: &Deployed, props: &Value) -> String {
    d.physical(props["RestApiId"]["Ref"].as_str().expect("RestApiId: Ref"))
        .to_string()
}

/// The logical ID of the stream a `Fn::GetAtt [X, Arn]` (or `Fn::Sub` with
/// `${X.Arn}`) points at.
fn stream_ref(v: &Value) -> Option<String> {
    if let Some(att) = v.get("Fn::GetAtt") {
        return att[0].as_str().map(str::to_string);
    }
    let sub = v.get("Fn::Sub")?.as_str()?;
    let start = sub.find("${")? + 2;
    let end = sub[start..].find(".Arn}")? + start;
    Some(sub[start..end].to_string())
}

async fn delete_and_verify(regions: &[&Clients], d: &Deployed) {
    let c = regions[0];
    c.cfn
        .delete_stack()
        .stack_name(&d.name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("DeleteStack {}: {e:?}", d.name));
    let stacks = c.cfn.list_stacks().send().await.unwrap();
    let status = stacks
        .stack_summaries()
        .iter()
        .find(|s| s.stack_name() == Some(d.name.as_str()))
        .and_then(|s| s.stack_status())
        .map(|s| s.as_str().to_string());
    assert_eq!(status.as_deref(), Some("DELETE_COMPLETE"), "{}", d.name);
    for r in &d.resources {
        let keep = d.retained(&r.logical_id) || survives_delete(&r.resource_type);
        let there = exists(c, d, r).await;
        if keep {
            assert!(
                there,
                "{}: {} ({}) is retained by its DeletionPolicy but is gone",
                d.name, r.logical_id, r.resource_type
            );
        } else {
            assert!(
                !there,
                "{}: {} ({}) {} still exists after the stack was deleted",
                d.name, r.logical_id, r.resource_type, r.physical_id
            );
        }
        if r.resource_type == "AWS::DynamoDB::GlobalTable" && !keep {
            for other in &regions[1..] {
                let gone = other
                    .dynamodb
                    .describe_table()
                    .table_name(&r.physical_id)
                    .send()
                    .await
                    .is_err();
                assert!(
                    gone,
                    "{}: global table {} still in {}",
                    d.name, r.physical_id, other.region
                );
            }
        }
    }
}
