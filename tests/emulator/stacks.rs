//! End-to-end: every stack streamkit renders is created on the local AWS
//! emulator (moto + streamkit's CloudFormation models, strict mode) with the
//! plain SDK, every resource is looked up through its own service's API with
//! the properties that matter, and the stack is deleted again.
//!
//! Needs `python3` with `tests/requirements.txt` (or STREAMKIT_PYTHON).

use std::collections::BTreeMap;

use crate::support::check::{exists, survives_delete};
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
        crate::properties::verify(regions, d, &r.logical_id, &r.resource_type, &r.physical_id)
            .await;
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
