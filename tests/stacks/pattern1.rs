//! Pattern 1 (API Gateway -> Kinesis Data Streams -> Lambda + SQS failure
//! queue): pins the wiring the reference got wrong, on the rendered template.
//!
//! - every event-source-mapping property is the parameter of the same meaning
//!   (the reference swapped ParallelizationFactor and MaximumRetryAttempts);
//! - both routes encode `data` the same way (the reference base64-encoded the
//!   JSON rendering on one and the raw value on the other);
//! - the integration role may only put to this stream;
//! - throttling parameters reach the stage's method settings;
//! - access logs go to a log group with a retention (the reference's grew for ever);
//! - both methods use AWS_IAM and a body validator.

use serde_json::{json, Value};
use streamkit::catalog;
use streamkit::render::{self, RenderOptions};

fn template() -> Value {
    let manifest = catalog::find("1").expect("pattern 1 is in the catalog");
    render::render(&manifest, &RenderOptions::default())
        .expect("pattern 1 renders and validates")
        .template
}

fn resource<'a>(t: &'a Value, id: &str) -> &'a Value {
    let r = &t["Resources"][id];
    assert!(r.is_object(), "resource {id} is missing");
    r
}

fn resources_of<'a>(t: &'a Value, kind: &str) -> Vec<(&'a String, &'a Value)> {
    t["Resources"]
        .as_object()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .collect()
}

/// The one resource of `kind`.
fn only<'a>(t: &'a Value, kind: &str) -> (&'a String, &'a Value) {
    let all = resources_of(t, kind);
    assert_eq!(all.len(), 1, "expected exactly one {kind}");
    all[0]
}

/// Logical ID behind `{"Fn::GetAtt": [id, attr]}`.
fn getatt_target<'a>(v: &'a Value, attr: &str) -> &'a str {
    let parts = v["Fn::GetAtt"]
        .as_array()
        .unwrap_or_else(|| panic!("not a GetAtt: {v}"));
    assert_eq!(parts[1], attr, "GetAtt of the wrong attribute: {v}");
    parts[0].as_str().expect("logical ID")
}

fn param<'a>(t: &'a Value, name: &str) -> &'a Value {
    let p = &t["Parameters"][name];
    assert!(p.is_object(), "parameter {name} is missing");
    p
}

/// Request mapping template of the method for `action` (PutRecord / PutRecords).
fn request_template(t: &Value, action: &str) -> String {
    let (_, method) = resources_of(t, "AWS::ApiGateway::Method")
        .into_iter()
        .find(|(_, m)| {
            m["Properties"]["Integration"]["Uri"]["Fn::Sub"]
                .as_str()
                .is_some_and(|u| u.ends_with(&format!(":kinesis:action/{action}")))
        })
        .unwrap_or_else(|| panic!("no method integrates with Kinesis {action}"));
    let vtl = &method["Properties"]["Integration"]["RequestTemplates"]["application/json"];
    vtl["Fn::Sub"]
        .as_str()
        .or(vtl.as_str())
        .expect("application/json request template")
        .to_string()
}

#[test]
fn event_source_mapping_wires_every_parameter_to_its_own_property() {
    let t = template();
    let (_, esm) = only(&t, "AWS::Lambda::EventSourceMapping");
    let props = &esm["Properties"];
    // property -> (parameter, default, min, max) from the spec.
    let wiring = [
        ("BatchSize", "BatchSize", json!(100), Some(1), Some(10000)),
        (
            "ParallelizationFactor",
            "ParallelizationFactor",
            json!(1),
            Some(1),
            Some(10),
        ),
        (
            "MaximumRetryAttempts",
            "MaxRetryAttempts",
            json!(3),
            Some(0),
            Some(10000),
        ),
        (
            "MaximumBatchingWindowInSeconds",
            "MaximumBatchingWindowInSeconds",
            json!(0),
            Some(0),
            Some(300),
        ),
        (
            "MaximumRecordAgeInSeconds",
            "MaximumRecordAgeInSeconds",
            json!(86400),
            None,
            None,
        ),
        (
            "StartingPosition",
            "StartingPosition",
            json!("LATEST"),
            None,
            None,
        ),
    ];
    for (property, parameter, default, min, max) in wiring {
        assert_eq!(
            props[property],
            json!({ "Ref": parameter }),
            "{property} must be wired to parameter {parameter}"
        );
        let p = param(&t, parameter);
        assert_eq!(p["Default"], default, "default of {parameter}");
        if let Some(min) = min {
            assert_eq!(p["MinValue"], json!(min), "MinValue of {parameter}");
        }
        if let Some(max) = max {
            assert_eq!(p["MaxValue"], json!(max), "MaxValue of {parameter}");
        }
    }
    let age = param(&t, "MaximumRecordAgeInSeconds");
    assert!(age["MinValue"].as_i64().unwrap() >= 60 && age["MaxValue"] == json!(604800));
    assert_eq!(
        param(&t, "StartingPosition")["AllowedValues"],
        json!(["LATEST", "TRIM_HORIZON"])
    );

    assert_eq!(props["BisectBatchOnFunctionError"], json!(true));
    assert_eq!(
        props["FunctionResponseTypes"],
        json!(["ReportBatchItemFailures"])
    );
    assert_eq!(props["FunctionName"], json!({ "Ref": "Consumer" }));
    assert_eq!(getatt_target(&props["EventSourceArn"], "Arn"), "Stream");
    let destination = &props["DestinationConfig"]["OnFailure"]["Destination"];
    let queue = getatt_target(destination, "Arn");
    assert_eq!(resource(&t, queue)["Type"], "AWS::SQS::Queue");
    assert_eq!(queue, "FailureQueue");
}

#[test]
fn both_routes_encode_data_identically_from_the_raw_string() {
    let t = template();
    let one = request_template(&t, "PutRecord");
    let many = request_template(&t, "PutRecords");
    let data_lines = |vtl: &str| -> Vec<String> {
        vtl.lines()
            .filter(|l| l.contains("\"Data\""))
            .map(|l| l.trim().to_string())
            .collect()
    };
    let expected = r#""Data": "$util.base64Encode($record.data)","#;
    assert_eq!(
        data_lines(&one),
        vec![expected.to_string()],
        "PutRecord:\n{one}"
    );
    assert_eq!(
        data_lines(&many),
        vec![expected.to_string()],
        "PutRecords:\n{many}"
    );
    // `$record` is the request body on one route and each element of `records`
    // on the other, so the same line means the same encoding.
    assert!(one.contains("#set($record = $input.path('$'))"), "{one}");
    assert!(
        many.contains("#foreach($record in $input.path('$.records'))"),
        "{many}"
    );
    for vtl in [&one, &many] {
        // The JSON rendering (quotes and escapes included) is never encoded.
        assert!(!vtl.contains("$input.json"), "{vtl}");
        assert!(vtl.contains(r#""StreamName": "${Stream}""#), "{vtl}");
        assert!(vtl.contains("$record.partitionKey"), "{vtl}");
    }
    // The chosen encoding is documented where clients see it.
    for model in ["RecordModel", "RecordsModel"] {
        let description = resource(&t, model)["Properties"]["Description"]
            .as_str()
            .unwrap();
        assert!(
            description.contains("not its JSON rendering"),
            "{model}: {description}"
        );
    }
}

#[test]
fn models_require_data_and_partition_key_strings() {
    let t = template();
    let record = &resource(&t, "RecordModel")["Properties"]["Schema"];
    let records = &resource(&t, "RecordsModel")["Properties"]["Schema"];
    let item = &records["properties"]["records"]["items"];
    assert_eq!(records["required"], json!(["records"]));
    assert_eq!(records["properties"]["records"]["type"], "array");
    assert_eq!(records["properties"]["records"]["maxItems"], json!(500));
    for schema in [record, item] {
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["required"], json!(["data", "partitionKey"]));
        assert_eq!(schema["properties"]["data"]["type"], "string");
        assert_eq!(schema["properties"]["partitionKey"]["type"], "string");
    }
    assert_eq!(record["properties"], item["properties"]);
}

#[test]
fn integration_role_may_only_put_to_this_stream() {
    let t = template();
    let methods = resources_of(&t, "AWS::ApiGateway::Method");
    assert_eq!(methods.len(), 2);
    let mut roles: Vec<&str> = methods
        .iter()
        .map(|(_, m)| getatt_target(&m["Properties"]["Integration"]["Credentials"], "Arn"))
        .collect();
    roles.dedup();
    assert_eq!(roles.len(), 1, "both integrations use one role");
    let role = &resource(&t, roles[0])["Properties"];
    assert_eq!(
        role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"],
        json!({ "Service": "apigateway.amazonaws.com" })
    );
    assert!(role.get("ManagedPolicyArns").is_none());
    let policies = role["Policies"].as_array().expect("inline policies");
    let mut actions = Vec::new();
    for policy in policies {
        for statement in policy["PolicyDocument"]["Statement"].as_array().unwrap() {
            assert_eq!(statement["Effect"], "Allow");
            assert_eq!(getatt_target(&statement["Resource"], "Arn"), "Stream");
            match &statement["Action"] {
                Value::Array(a) => actions.extend(a.iter().map(|v| v.as_str().unwrap())),
                v => actions.push(v.as_str().unwrap()),
            }
        }
    }
    actions.sort();
    assert_eq!(actions, ["kinesis:PutRecord", "kinesis:PutRecords"]);
    // Nothing else attaches policies to it.
    let standalone: Vec<&String> = resources_of(&t, "AWS::IAM::Policy")
        .into_iter()
        .chain(resources_of(&t, "AWS::IAM::ManagedPolicy"))
        .map(|(id, _)| id)
        .collect();
    assert!(
        standalone.is_empty(),
        "standalone policies could widen the integration role: {standalone:?}"
    );
}

#[test]
fn throttling_parameters_reach_the_stage_method_settings_and_usage_plan() {
    let t = template();
    let (stage_id, stage) = only(&t, "AWS::ApiGateway::Stage");
    let props = &stage["Properties"];
    assert_eq!(props["StageName"], "prod");
    assert_eq!(props["TracingEnabled"], json!(true));
    let settings = props["MethodSettings"].as_array().expect("MethodSettings");
    let all = settings
        .iter()
        .find(|s| s["ResourcePath"] == "/*" && s["HttpMethod"] == "*")
        .expect("a method setting for every method");
    assert_eq!(all["LoggingLevel"], "INFO");
    assert_eq!(
        all["ThrottlingRateLimit"],
        json!({ "Ref": "ThrottlingRateLimit" })
    );
    assert_eq!(
        all["ThrottlingBurstLimit"],
        json!({ "Ref": "ThrottlingBurstLimit" })
    );

    let rate = param(&t, "ThrottlingRateLimit");
    assert_eq!(
        (&rate["Default"], &rate["MinValue"], &rate["MaxValue"]),
        (&json!(100), &json!(1), &json!(10000))
    );
    let burst = param(&t, "ThrottlingBurstLimit");
    assert_eq!(
        (&burst["Default"], &burst["MinValue"], &burst["MaxValue"]),
        (&json!(50), &json!(0), &json!(5000))
    );

    let (_, plan) = only(&t, "AWS::ApiGateway::UsagePlan");
    let plan = &plan["Properties"];
    assert_eq!(plan["ApiStages"][0]["Stage"], json!({ "Ref": stage_id }));
    assert_eq!(
        plan["Throttle"]["RateLimit"],
        json!({ "Ref": "ThrottlingRateLimit" })
    );
    assert_eq!(
        plan["Throttle"]["BurstLimit"],
        json!({ "Ref": "ThrottlingBurstLimit" })
    );
}

#[test]
fn access_logs_are_json_and_go_to_a_log_group_with_retention() {
    let t = template();
    let (_, stage) = only(&t, "AWS::ApiGateway::Stage");
    let access = &stage["Properties"]["AccessLogSetting"];
    let group = getatt_target(&access["DestinationArn"], "Arn");
    let group = resource(&t, group);
    assert_eq!(group["Type"], "AWS::Logs::LogGroup");
    assert_eq!(
        group["Properties"]["RetentionInDays"],
        json!({ "Ref": "LogRetentionDays" })
    );
    let format: Value = serde_json::from_str(access["Format"].as_str().expect("Format"))
        .expect("access log format is JSON");
    for key in [
        "requestId",
        "ip",
        "caller",
        "user",
        "requestTime",
        "httpMethod",
        "resourcePath",
        "status",
        "protocol",
        "responseLength",
    ] {
        assert!(format.get(key).is_some(), "access log lacks {key}");
    }
    // Every log group of the stack has a retention, the execution log group
    // API Gateway would otherwise create without one included.
    for (id, g) in resources_of(&t, "AWS::Logs::LogGroup") {
        assert!(
            g["Properties"]["RetentionInDays"].is_object(),
            "{id} has no retention"
        );
    }
    assert!(resources_of(&t, "AWS::Logs::LogGroup")
        .iter()
        .any(|(_, g)| {
            g["Properties"]["LogGroupName"]["Fn::Sub"]
                .as_str()
                .is_some_and(|n| n.starts_with("API-Gateway-Execution-Logs_${RestApi}/"))
        }));
}

#[test]
fn both_methods_use_iam_auth_a_body_validator_and_a_model() {
    let t = template();
    let methods = resources_of(&t, "AWS::ApiGateway::Method");
    assert_eq!(methods.len(), 2);
    for (id, m) in methods {
        let p = &m["Properties"];
        assert_eq!(p["HttpMethod"], "POST", "{id}");
        assert_eq!(p["AuthorizationType"], "AWS_IAM", "{id}");
        let validator = p["RequestValidatorId"]["Ref"]
            .as_str()
            .expect("validator Ref");
        let validator = resource(&t, validator);
        assert_eq!(validator["Type"], "AWS::ApiGateway::RequestValidator");
        assert_eq!(validator["Properties"]["ValidateRequestBody"], json!(true));
        let model = p["RequestModels"]["application/json"]["Ref"]
            .as_str()
            .expect("model Ref");
        assert_eq!(resource(&t, model)["Type"], "AWS::ApiGateway::Model");
        let integration = &p["Integration"];
        assert_eq!(integration["Type"], "AWS");
        assert_eq!(integration["PassthroughBehavior"], "NEVER");
        let codes: Vec<&Value> = p["MethodResponses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| &r["StatusCode"])
            .collect();
        assert_eq!(codes, [&json!("200"), &json!("500")], "{id}");
        let codes: Vec<&Value> = integration["IntegrationResponses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| &r["StatusCode"])
            .collect();
        assert_eq!(codes, [&json!("200"), &json!("500")], "{id}");
    }
    let (_, api) = only(&t, "AWS::ApiGateway::RestApi");
    assert_eq!(
        api["Properties"]["EndpointConfiguration"]["Types"],
        json!(["REGIONAL"])
    );
}

#[test]
fn consumer_is_a_traced_rust_function_with_its_own_log_group() {
    let t = template();
    let p = &resource(&t, "Consumer")["Properties"];
    assert_eq!(p["Runtime"], "provided.al2023");
    assert_eq!(p["TracingConfig"]["Mode"], "Active");
    assert_eq!(
        p["Code"]["S3Key"]["Fn::Sub"],
        "${AssetKeyPrefix}consumer.zip"
    );
    assert_eq!(
        p["LoggingConfig"]["LogGroup"],
        json!({ "Ref": "ConsumerLogGroup" })
    );
}

#[test]
fn alarms_cover_lambda_queue_and_api_and_notify_the_topic() {
    let t = template();
    let alarms = resources_of(&t, "AWS::CloudWatch::Alarm");
    let find = |namespace: &str, metric: &str| {
        alarms
            .iter()
            .find(|(_, a)| {
                a["Properties"]["Namespace"] == namespace && a["Properties"]["MetricName"] == metric
            })
            .map(|(_, a)| &a["Properties"])
            .unwrap_or_else(|| panic!("no {namespace} {metric} alarm"))
    };
    for metric in ["Errors", "Throttles", "IteratorAge"] {
        find("AWS/Lambda", metric);
    }
    find("AWS/SQS", "ApproximateNumberOfMessagesVisible");
    find("AWS/ApiGateway", "5XXError");
    let latency = find("AWS/ApiGateway", "Latency");
    assert_eq!(latency["ExtendedStatistic"], "p99");
    for (id, a) in &alarms {
        let p = &a["Properties"];
        assert!(p["AlarmDescription"].is_string(), "{id}");
        assert_eq!(p["AlarmActions"], json!([{ "Ref": "AlarmTopic" }]), "{id}");
        assert_eq!(p["OKActions"], json!([{ "Ref": "AlarmTopic" }]), "{id}");
    }
}

#[test]
fn dashboard_has_stream_lambda_api_and_queue_sections() {
    let t = template();
    let (_, dashboard) = only(&t, "AWS::CloudWatch::Dashboard");
    let body = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
        .as_str()
        .expect("dashboard body");
    let body: Value = serde_json::from_str(body).expect("dashboard body is JSON");
    let widgets = body["widgets"].as_array().unwrap();
    let headers: Vec<&str> = widgets
        .iter()
        .filter_map(|w| w["properties"]["markdown"].as_str())
        .collect();
    assert_eq!(
        headers,
        [
            "## Kinesis data stream",
            "## Consumer (Lambda)",
            "## Ingest API (API Gateway)",
            "## Failure queue"
        ]
    );
    let text = body.to_string();
    assert!(text.contains("100 - 100 * errors / MAX([errors, invocations])"));
    for metric in [
        "Invocations",
        "Duration",
        "ConcurrentExecutions",
        "\"Count\"",
        "4XXError",
        "5XXError",
        "Latency",
    ] {
        assert!(text.contains(metric), "dashboard lacks {metric}");
    }
    for alarm in [
        "ConsumerThrottlesAlarm",
        "ConsumerIteratorAgeAlarm",
        "FailureQueueDepthAlarm",
    ] {
        assert!(
            text.contains(&format!("${{{alarm}.Arn}}")),
            "dashboard lacks {alarm}"
        );
    }
}

#[test]
fn outputs_name_the_api_stream_consumer_and_failure_queue() {
    let t = template();
    let outputs = &t["Outputs"];
    for id in [
        "ApiId",
        "ApiEndpoint",
        "StreamName",
        "StreamArn",
        "ConsumerFunctionArn",
        "FailureQueueUrl",
        "DashboardName",
        "DashboardUrl",
        "AlarmTopicArn",
    ] {
        assert!(outputs[id]["Description"].is_string(), "output {id}");
    }
    assert_eq!(outputs["ApiId"]["Value"], json!({ "Ref": "RestApi" }));
    assert!(outputs["ApiEndpoint"]["Value"]["Fn::Sub"]
        .as_str()
        .unwrap()
        .starts_with("https://${RestApi}.execute-api."));
}

#[test]
fn yaml_rendering_reads_back_as_the_same_template() {
    let manifest = catalog::find("1").unwrap();
    let rendered = render::render(&manifest, &RenderOptions::default()).unwrap();
    let back: Value = serde_yaml_ng::from_str(&rendered.to_yaml()).unwrap();
    assert_eq!(back, rendered.template);
}
