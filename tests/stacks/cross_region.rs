//! The cross-region replication stack: one template for both regions, global
//! tables only in the primary role, the replicator's wiring and permissions.

use serde_json::{json, Value};
use streamkit::catalog;
use streamkit::render::{render, RenderOptions};

fn template() -> Value {
    let manifest = catalog::find("cross-region").expect("cross-region pattern exists");
    render(&manifest, &RenderOptions::default())
        .expect("cross-region renders")
        .template
}

fn resources_of_type<'a>(t: &'a Value, kind: &str) -> Vec<(&'a String, &'a Value)> {
    t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .collect()
}

fn as_list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items.clone(),
        Value::Null => vec![],
        other => vec![other.clone()],
    }
}

/// Every IAM policy statement in the template (inline role policies and
/// standalone policies), with the logical ID that holds it.
fn statements(t: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (id, r) in t["Resources"].as_object().unwrap() {
        let docs: Vec<Value> = match r["Type"].as_str().unwrap() {
            "AWS::IAM::Role" => as_list(&r["Properties"]["Policies"])
                .into_iter()
                .map(|p| p["PolicyDocument"].clone())
                .collect(),
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
                vec![r["Properties"]["PolicyDocument"].clone()]
            }
            _ => continue,
        };
        for doc in docs {
            for s in as_list(&doc["Statement"]) {
                out.push((id.clone(), s));
            }
        }
    }
    out
}

#[test]
fn global_tables_exist_only_in_the_primary_role() {
    let t = template();
    assert_eq!(
        t["Conditions"]["IsPrimary"],
        json!({"Fn::Equals": [{"Ref": "RegionRole"}, "primary"]})
    );
    assert_eq!(
        t["Parameters"]["RegionRole"]["AllowedValues"],
        json!(["primary", "secondary"])
    );
    let tables = resources_of_type(&t, "AWS::DynamoDB::GlobalTable");
    let ids: Vec<&str> = tables.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids.len(), 2, "config and checkpoint tables: {ids:?}");
    for (id, table) in &tables {
        assert_eq!(table["Condition"], "IsPrimary", "{id} must be primary-only");
        assert_eq!(table["DeletionPolicy"], "Retain", "{id}");
        assert_eq!(table["UpdateReplacePolicy"], "Retain", "{id}");
    }
    assert!(
        resources_of_type(&t, "AWS::DynamoDB::Table").is_empty(),
        "no regional tables: both roles share the global tables"
    );
}

#[test]
fn global_tables_replicate_to_this_region_and_the_peer_with_pitr_and_sse() {
    let t = template();
    for (id, table) in resources_of_type(&t, "AWS::DynamoDB::GlobalTable") {
        let p = &table["Properties"];
        assert_eq!(p["BillingMode"], "PAY_PER_REQUEST", "{id}");
        assert_eq!(p["SSESpecification"]["SSEEnabled"], true, "{id}");
        let replicas = p["Replicas"].as_array().expect("replicas");
        let regions: Vec<&Value> = replicas.iter().map(|r| &r["Region"]).collect();
        assert_eq!(
            regions,
            vec![
                &json!({"Ref": "AWS::Region"}),
                &json!({"Ref": "PeerRegion"})
            ],
            "{id}"
        );
        for r in replicas {
            assert_eq!(
                r["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], true,
                "{id} replica {}",
                r["Region"]
            );
            assert_eq!(r["DeletionProtectionEnabled"], true, "{id}");
        }
    }
}

#[test]
fn tables_have_deterministic_names_the_replicator_uses_in_both_roles() {
    let t = template();
    let r = &t["Resources"];
    assert_eq!(
        r["ConfigTable"]["Properties"]["TableName"],
        json!({"Fn::Sub": "${StreamName}-replication-config"})
    );
    assert_eq!(
        r["CheckpointTable"]["Properties"]["TableName"],
        json!({"Fn::Sub": "${StreamName}-replication-checkpoints"})
    );
    let env = &r["Replicator"]["Properties"]["Environment"]["Variables"];
    assert_eq!(
        env["CONFIG_TABLE"],
        json!({"Fn::If": ["IsPrimary", {"Ref": "ConfigTable"},
            {"Fn::Sub": "${StreamName}-replication-config"}]})
    );
    assert_eq!(
        env["CHECKPOINT_TABLE"],
        json!({"Fn::If": ["IsPrimary", {"Ref": "CheckpointTable"},
            {"Fn::Sub": "${StreamName}-replication-checkpoints"}]})
    );
    assert_eq!(env["STREAM_NAME"], json!({"Ref": "Stream"}));
    assert_eq!(env["TARGET_REGION"], json!({"Ref": "PeerRegion"}));
    assert!(
        env.get("ACTIVE_REGION_CACHE_SECONDS").is_none(),
        "the config item is read for every batch"
    );
    assert_eq!(
        r["Stream"]["Properties"]["Name"],
        json!({"Ref": "StreamName"})
    );
}

#[test]
fn checkpoint_table_is_keyed_by_stream_and_shard() {
    let t = template();
    let p = &t["Resources"]["CheckpointTable"]["Properties"];
    assert_eq!(
        p["KeySchema"],
        json!([
            {"AttributeName": "streamName", "KeyType": "HASH"},
            {"AttributeName": "shardId", "KeyType": "RANGE"}
        ])
    );
    assert_eq!(
        p["AttributeDefinitions"],
        json!([
            {"AttributeName": "streamName", "AttributeType": "S"},
            {"AttributeName": "shardId", "AttributeType": "S"}
        ])
    );
    let c = &t["Resources"]["ConfigTable"]["Properties"];
    assert_eq!(
        c["KeySchema"],
        json!([{"AttributeName": "streamName", "KeyType": "HASH"}])
    );
}

#[test]
fn event_source_mapping_reads_through_the_consumer_and_reports_item_failures() {
    let t = template();
    let mappings = resources_of_type(&t, "AWS::Lambda::EventSourceMapping");
    assert_eq!(mappings.len(), 1);
    let p = &mappings[0].1["Properties"];
    assert_eq!(
        p["EventSourceArn"],
        json!({"Fn::GetAtt": ["StreamConsumer", "ConsumerARN"]})
    );
    assert_eq!(
        t["Resources"]["StreamConsumer"]["Properties"]["StreamARN"],
        json!({"Fn::GetAtt": ["Stream", "Arn"]})
    );
    assert_eq!(p["FunctionName"], json!({"Ref": "Replicator"}));
    assert!(as_list(&p["FunctionResponseTypes"]).contains(&json!("ReportBatchItemFailures")));
    assert_eq!(p["BisectBatchOnFunctionError"], true);
    assert_eq!(p["StartingPosition"], "TRIM_HORIZON");
    assert_eq!(p["BatchSize"], json!({"Ref": "BatchSize"}));
    assert_eq!(
        p["MaximumRetryAttempts"],
        json!({"Ref": "MaxRetryAttempts"})
    );
    assert_eq!(
        p["MaximumRecordAgeInSeconds"],
        json!({"Ref": "MaxRecordAgeSeconds"})
    );
    assert_eq!(
        p["DestinationConfig"]["OnFailure"]["Destination"],
        json!({"Fn::GetAtt": ["FailureQueue", "Arn"]})
    );
    // Bounded retries and record age.
    let params = &t["Parameters"];
    assert!(params["MaxRetryAttempts"]["MinValue"].as_i64().unwrap() >= 0);
    assert!(params["MaxRetryAttempts"]["MaxValue"].as_i64().unwrap() <= 10000);
    assert!(params["MaxRecordAgeSeconds"]["MinValue"].as_i64().unwrap() >= 60);
    assert!(params["MaxRecordAgeSeconds"]["MaxValue"].as_i64().unwrap() <= 604800);
}

#[test]
fn replicator_may_put_records_only_to_the_peer_stream() {
    let t = template();
    let peer = json!({"Fn::Sub":
        "arn:${AWS::Partition}:kinesis:${PeerRegion}:${AWS::AccountId}:stream/${StreamName}"});
    let puts = |action: &Value| {
        let a = action.as_str().unwrap_or_default().to_ascii_lowercase();
        a == "*" || a == "kinesis:*" || a.starts_with("kinesis:put")
    };
    let mut found = 0;
    for (id, s) in statements(&t) {
        if s["Effect"] != "Allow" || !as_list(&s["Action"]).iter().any(puts) {
            continue;
        }
        found += 1;
        assert_eq!(id, "ReplicatorRole", "only the replicator writes records");
        assert_eq!(
            as_list(&s["Resource"]),
            vec![peer.clone()],
            "statement {}",
            s["Sid"]
        );
        assert!(s.get("NotResource").is_none());
    }
    assert_eq!(found, 1, "one statement grants PutRecords");
}

#[test]
fn put_metric_data_is_limited_to_the_replication_namespace() {
    let t = template();
    let role = &t["Resources"]["ReplicatorRole"];
    assert!(role["Metadata"]["streamkit"]["unscoped"].is_string());
    let stmt = statements(&t)
        .into_iter()
        .map(|(_, s)| s)
        .find(|s| as_list(&s["Action"]).contains(&json!("cloudwatch:PutMetricData")))
        .expect("PutMetricData statement");
    assert!(stmt["Sid"].as_str().unwrap().ends_with("CannotBeScoped"));
    assert_eq!(
        stmt["Condition"]["StringEquals"]["cloudwatch:namespace"],
        "Streamkit/Replication"
    );
}

#[test]
fn lag_alarm_threshold_is_the_parameter() {
    let t = template();
    let p = &t["Resources"]["ReplicationLagAlarm"]["Properties"];
    assert_eq!(
        p["Threshold"],
        json!({"Ref": "ReplicationLagThresholdSeconds"})
    );
    assert_eq!(p["Namespace"], "Streamkit/Replication");
    assert_eq!(p["MetricName"], "ReplicationLagSeconds");
    assert_eq!(p["ComparisonOperator"], "GreaterThanThreshold");
    assert_eq!(
        p["Dimensions"],
        json!([{"Name": "StreamName", "Value": {"Ref": "Stream"}}])
    );
    assert_eq!(p["AlarmActions"], json!([{"Ref": "AlarmTopic"}]));
    let f = &t["Resources"]["ReplicationFailuresAlarm"]["Properties"];
    assert_eq!(f["Namespace"], "Streamkit/Replication");
    assert_eq!(f["MetricName"], "ReplicationFailures");
}
