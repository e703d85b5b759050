//! Patterns 2 and 4: the engine switch, the producer instance's lock-down and
//! the fare API key.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use streamkit::catalog;
use streamkit::render::{render, AssetBinding, RenderOptions};

const PATTERNS: [&str; 2] = ["2", "4"];

fn template(pattern: &str, engine: &str, architecture: &str) -> Value {
    let opts = RenderOptions {
        settings: vec![("engine".to_string(), engine.to_string())],
        assets: AssetBinding {
            architecture: architecture.to_string(),
            ..AssetBinding::default()
        },
    };
    let manifest = catalog::find(pattern).expect("pattern exists");
    render(&manifest, &opts)
        .unwrap_or_else(|e| panic!("pattern {pattern} engine={engine} renders: {e}"))
        .template
}

fn of_type<'a>(t: &'a Value, kind: &str) -> Vec<(&'a String, &'a Value)> {
    t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .collect()
}

/// Resources that belong to the stream processor of either engine.
fn is_processor_part(id: &str) -> bool {
    ["Processor", "Flink", "FailureQueue", "RecordsBeforeStart"]
        .iter()
        .any(|p| id.starts_with(p))
}

#[test]
fn engine_switch_changes_only_the_processor() {
    for p in PATTERNS {
        let lambda = template(p, "lambda", "arm64");
        let flink = template(p, "flink", "arm64");

        // Flink: the application and no processor function; Lambda: the reverse.
        assert_eq!(
            of_type(&flink, "AWS::KinesisAnalyticsV2::Application").len(),
            1,
            "pattern {p}"
        );
        assert!(flink["Resources"].get("Processor").is_none(), "pattern {p}");
        assert!(
            of_type(&flink, "AWS::Lambda::EventSourceMapping").is_empty(),
            "pattern {p}"
        );
        assert!(
            of_type(&lambda, "AWS::KinesisAnalyticsV2::Application").is_empty(),
            "pattern {p}"
        );
        assert_eq!(
            lambda["Resources"]["Processor"]["Type"], "AWS::Lambda::Function",
            "pattern {p}"
        );
        assert_eq!(
            of_type(&lambda, "AWS::Lambda::EventSourceMapping").len(),
            1,
            "pattern {p}"
        );

        // Everything else is identical (the dashboard body differs by its processor sections).
        let ids = |t: &Value| -> BTreeSet<String> {
            t["Resources"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect()
        };
        let (l, f) = (ids(&lambda), ids(&flink));
        for id in l.symmetric_difference(&f) {
            assert!(
                is_processor_part(id),
                "pattern {p}: {id} differs between engines"
            );
        }
        for id in l.intersection(&f) {
            if is_processor_part(id) || id == "Dashboard" {
                continue;
            }
            assert_eq!(
                lambda["Resources"][id], flink["Resources"][id],
                "pattern {p}: {id}"
            );
        }
        let names = |t: &Value| -> Vec<String> {
            t["Parameters"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect()
        };
        assert_eq!(
            names(&lambda),
            names(&flink),
            "pattern {p}: same parameters in both engines"
        );
        assert_eq!(
            lambda["Outputs"]["ProcessorName"]["Value"],
            json!({"Ref": "Processor"})
        );
        assert_eq!(
            flink["Outputs"]["ProcessorName"]["Value"],
            json!({"Ref": "ProcessorApplication"})
        );
    }
}

#[test]
fn flink_application_is_runtime_1_20_with_logging_option() {
    for p in PATTERNS {
        let t = template(p, "flink", "arm64");
        let app = &t["Resources"]["ProcessorApplication"]["Properties"];
        assert_eq!(app["RuntimeEnvironment"], "FLINK-1_20");
        let code = &app["ApplicationConfiguration"]["ApplicationCodeConfiguration"]["CodeContent"]
            ["S3ContentLocation"];
        assert_eq!(code["FileKey"], json!({"Ref": "ProcessorCodeKey"}));
        assert!(
            t["Parameters"]["ProcessorCodeKey"].get("Default").is_none(),
            "no shipped Flink artifact"
        );
        assert_eq!(
            of_type(
                &t,
                "AWS::KinesisAnalyticsV2::ApplicationCloudWatchLoggingOption"
            )
            .len(),
            1
        );
        let gc = &t["Resources"]["FlinkOldGenGcAlarm"]["Properties"];
        assert_eq!(gc["Metrics"][0]["Expression"], "(m1 * 100)/60000");
        assert_eq!(gc["AlarmActions"], json!([{"Ref": "AlarmTopic"}]));
        assert_eq!(gc["OKActions"], json!([{"Ref": "AlarmTopic"}]));
    }
}

#[test]
fn lambda_engine_event_source_mapping() {
    for p in PATTERNS {
        let t = template(p, "lambda", "arm64");
        let esm = &of_type(&t, "AWS::Lambda::EventSourceMapping")[0].1["Properties"];
        assert_eq!(
            esm["FunctionResponseTypes"],
            json!(["ReportBatchItemFailures"])
        );
        assert_eq!(esm["BisectBatchOnFunctionError"], json!(true));
        // Pattern 2's per-shard checkpoint needs a shard's batches one at a time.
        let parallelization = if p == "2" {
            json!(1)
        } else {
            json!({"Ref": "ProcessorParallelism"})
        };
        assert_eq!(esm["ParallelizationFactor"], parallelization);
        assert_eq!(
            esm["StartingPosition"],
            json!({"Ref": "ProcessorStartingPosition"})
        );
        assert_eq!(
            esm["DestinationConfig"]["OnFailure"]["Destination"],
            json!({"Fn::GetAtt": ["FailureQueue", "Arn"]})
        );
        assert!(esm["TumblingWindowInSeconds"].is_null(), "pattern {p}");
    }
}

#[test]
fn pattern_2_keeps_window_state_in_a_table_and_emits_on_a_schedule() {
    let t = template("2", "lambda", "arm64");
    let table = &t["Resources"]["ProcessorStateTable"]["Properties"];
    assert_eq!(table["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(
        table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        json!(true)
    );
    assert_eq!(table["SSESpecification"]["SSEEnabled"], json!(true));
    assert_eq!(
        table["TimeToLiveSpecification"],
        json!({"AttributeName": "expires_at", "Enabled": true})
    );
    let rule = &t["Resources"]["ProcessorEmitSchedule"]["Properties"];
    assert_eq!(rule["ScheduleExpression"], "rate(1 minute)");
    assert_eq!(
        rule["Targets"][0]["Arn"],
        json!({"Fn::GetAtt": ["Processor", "Arn"]})
    );
    let permission = &t["Resources"]["ProcessorEmitSchedulePermission"]["Properties"];
    assert_eq!(permission["Principal"], "events.amazonaws.com");
    assert_eq!(
        permission["SourceArn"],
        json!({"Fn::GetAtt": ["ProcessorEmitSchedule", "Arn"]})
    );
    // Every knob reaches the function under its variable, within the template's bounds.
    let env = &t["Resources"]["Processor"]["Properties"]["Environment"]["Variables"];
    for (param, var, min, max) in [
        ("WindowSeconds", "WINDOW_SECONDS", 1, 900),
        (
            "AllowedLatenessSeconds",
            "ALLOWED_LATENESS_SECONDS",
            0,
            3600,
        ),
        (
            "IdleShardTimeoutSeconds",
            "IDLE_SHARD_TIMEOUT_SECONDS",
            1,
            3600,
        ),
        ("ProcessorParallelism", "EMIT_CONCURRENCY", 1, 10),
    ] {
        assert_eq!(env[var], json!({"Ref": param}), "{var}");
        let p = &t["Parameters"][param];
        assert_eq!(
            (p["MinValue"].clone(), p["MaxValue"].clone()),
            (json!(min), json!(max)),
            "{param}"
        );
    }
    assert_eq!(env["STATE_TABLE"], json!({"Ref": "ProcessorStateTable"}));
    let role = serde_json::to_string(&t["Resources"]["ProcessorRole"]).unwrap();
    assert!(role.contains(r#""Resource":{"Fn::GetAtt":["ProcessorStateTable","Arn"]}"#));
    assert!(role.contains("${OutputBucket.Arn}/late/*"));
    // The Flink engine gets the same knobs as properties.
    let flink = template("2", "flink", "arm64");
    let props = &flink["Resources"]["ProcessorApplication"]["Properties"]
        ["ApplicationConfiguration"]["EnvironmentProperties"]["PropertyGroups"][0]["PropertyMap"];
    assert_eq!(
        props["allowed.lateness.seconds"],
        json!({"Ref": "AllowedLatenessSeconds"})
    );
    assert_eq!(
        props["idle.shard.timeout.seconds"],
        json!({"Ref": "IdleShardTimeoutSeconds"})
    );
}

#[test]
fn producer_requires_imdsv2_and_has_no_key_pair() {
    for p in PATTERNS {
        for engine in ["lambda", "flink"] {
            let t = template(p, engine, "arm64");
            let data =
                &t["Resources"]["ProducerLaunchTemplate"]["Properties"]["LaunchTemplateData"];
            assert_eq!(data["MetadataOptions"]["HttpTokens"], "required");
            assert!(data.get("KeyName").is_none());
            assert_eq!(
                data["BlockDeviceMappings"][0]["Ebs"]["Encrypted"],
                json!(true)
            );
            let instance = &t["Resources"]["ProducerInstance"]["Properties"];
            assert_eq!(
                instance["LaunchTemplate"]["LaunchTemplateId"],
                json!({"Ref": "ProducerLaunchTemplate"})
            );
            assert!(instance.get("KeyName").is_none());
            assert!(instance.get("MetadataOptions").is_none());
        }
    }
}

#[test]
fn producer_security_group_has_no_ingress_and_only_https_egress() {
    for p in PATTERNS {
        let t = template(p, "lambda", "arm64");
        assert!(of_type(&t, "AWS::EC2::SecurityGroupIngress").is_empty());
        assert!(of_type(&t, "AWS::EC2::SecurityGroupEgress").is_empty());
        let sg = &t["Resources"]["ProducerSecurityGroup"]["Properties"];
        assert!(sg.get("SecurityGroupIngress").is_none());
        let egress = sg["SecurityGroupEgress"].as_array().unwrap();
        assert_eq!(egress.len(), 1);
        assert_eq!(egress[0]["IpProtocol"], "tcp");
        assert_eq!(egress[0]["FromPort"], json!(443));
        assert_eq!(egress[0]["ToPort"], json!(443));
    }
}

#[test]
fn producer_role_only_writes_this_stream() {
    for p in PATTERNS {
        let t = template(p, "lambda", "arm64");
        let role = &t["Resources"]["ProducerRole"]["Properties"];
        assert_eq!(
            role["ManagedPolicyArns"],
            json!([{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"}])
        );
        let mut kinesis = Vec::new();
        for policy in role["Policies"].as_array().unwrap() {
            for st in policy["PolicyDocument"]["Statement"].as_array().unwrap() {
                assert_eq!(st["Effect"], "Allow");
                let actions: Vec<&str> = match &st["Action"] {
                    Value::String(a) => vec![a.as_str()],
                    Value::Array(a) => a.iter().map(|v| v.as_str().unwrap()).collect(),
                    other => panic!("unexpected Action {other}"),
                };
                for a in &actions {
                    assert!(!a.contains('*'), "wildcard action {a}");
                }
                if actions.iter().any(|a| a.starts_with("kinesis:")) {
                    assert_eq!(st["Resource"], json!({"Fn::GetAtt": ["Stream", "Arn"]}));
                    kinesis.extend(actions.clone());
                } else {
                    assert_eq!(
                        actions,
                        ["s3:GetObject"],
                        "only the asset object besides the stream"
                    );
                    let key = st["Resource"]["Fn::Sub"].as_str().unwrap();
                    assert!(key.ends_with("/${AssetKeyPrefix}producer.zip"), "{key}");
                }
            }
        }
        kinesis.sort();
        assert_eq!(kinesis, ["kinesis:PutRecords"]);
    }
}

#[test]
fn producer_ami_and_instance_type_follow_the_architecture() {
    for p in PATTERNS {
        for (arch, ami, instance) in [
            (
                "arm64",
                "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
                "t4g.small",
            ),
            (
                "x86_64",
                "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
                "t3.small",
            ),
        ] {
            let t = template(p, "lambda", arch);
            let param = &t["Parameters"]["ProducerAmiId"];
            assert_eq!(
                param["Type"],
                "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"
            );
            assert_eq!(param["Default"], ami, "pattern {p} {arch}");
            assert_eq!(t["Parameters"]["ProducerInstanceType"]["Default"], instance);
            assert_eq!(
                t["Resources"]["Processor"]["Properties"]["Architectures"],
                json!([arch])
            );
        }
    }
}

#[test]
fn producer_kind_matches_the_pattern() {
    for (p, kind) in [("2", "--kind ticks"), ("4", "--kind rides")] {
        let t = template(p, "lambda", "arm64");
        let user_data = t["Resources"]["ProducerLaunchTemplate"]["Properties"]
            ["LaunchTemplateData"]["UserData"]["Fn::Base64"]["Fn::Sub"]
            .as_str()
            .unwrap();
        assert!(user_data.contains(kind), "pattern {p}");
        assert!(user_data.contains("--rate ${ProducerRate} --duration ${ProducerDuration}"));
    }
}

#[test]
fn fare_api_key_is_never_a_literal() {
    for engine in ["lambda", "flink"] {
        let t = template("4", engine, "arm64");
        let keys = of_type(&t, "AWS::ApiGateway::ApiKey");
        assert_eq!(keys.len(), 1);
        let value = &keys[0].1["Properties"]["Value"];
        // Either generated by API Gateway (no Value) or resolved from the generated secret.
        if !value.is_null() {
            let sub = value["Fn::Sub"]
                .as_str()
                .expect("the key value is resolved, not a literal");
            assert_eq!(
                sub,
                "{{resolve:secretsmanager:${ApiKeySecret}:SecretString}}"
            );
        }
        let secret = &t["Resources"]["ApiKeySecret"]["Properties"];
        assert!(secret.get("SecretString").is_none());
        assert!(secret["GenerateSecretString"].is_object());
        // No output exposes the key or its value.
        let outputs = serde_json::to_string(&t["Outputs"]).unwrap();
        assert!(!outputs.contains("FareApiKey") && !outputs.contains("resolve:"));
        assert_eq!(t["Outputs"]["ApiKeySecretName"]["Value"], secret["Name"]);
        // The method needs IAM auth and the key, and validates its query parameter.
        let method = &t["Resources"]["PredictFareMethod"]["Properties"];
        assert_eq!(method["AuthorizationType"], "AWS_IAM");
        assert_eq!(method["ApiKeyRequired"], json!(true));
        assert_eq!(
            method["RequestParameters"]["method.request.querystring.ride_request_id"],
            json!(true)
        );
        let validator = &t["Resources"]["PredictFareValidator"]["Properties"];
        assert_eq!(validator["ValidateRequestParameters"], json!(true));
        let plan = &t["Resources"]["FareApiUsagePlan"]["Properties"]["Throttle"];
        assert_eq!(plan, &json!({"RateLimit": 20, "BurstLimit": 100}));
    }
}

#[test]
fn enrichment_processor_may_invoke_only_the_fare_method() {
    for engine in ["lambda", "flink"] {
        let t = template("4", engine, "arm64");
        let text = serde_json::to_string(&t["Resources"]["ProcessorRole"]).unwrap();
        assert!(text.contains(
            "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${FareApi}/prod/GET/predictFare"
        ));
        assert!(text.contains(
            r#""Action":"secretsmanager:GetSecretValue","Resource":{"Ref":"ApiKeySecret"}"#
        ));
        let alarm = &t["Resources"]["EnrichmentFailuresAlarm"]["Properties"];
        assert_eq!(alarm["Namespace"], "Streamkit/Enrichment");
        assert_eq!(alarm["MetricName"], "EnrichmentFailures");
        assert_eq!(
            alarm["Dimensions"],
            json!([{"Name": "StackName", "Value": {"Ref": "AWS::StackName"}}])
        );
    }
}
