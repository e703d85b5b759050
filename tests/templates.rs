//! Properties every rendered stack must have, checked over every pattern and
//! every value of its settings; snapshots of each; cfn-lint over all of them.

use serde_json::Value;
use streamkit::catalog;
use streamkit::commands::validate::variants;
use streamkit::render::{render, RenderOptions, Rendered};

/// Every pattern under every setting variant, with a label for messages.
fn all_stacks() -> Vec<(String, Rendered)> {
    let mut out = Vec::new();
    for manifest in catalog::all().unwrap() {
        for settings in variants(&manifest) {
            let label = std::iter::once(manifest.name.clone())
                .chain(settings.iter().map(|(k, v)| format!("{k}-{v}")))
                .collect::<Vec<_>>()
                .join("-");
            let opts = RenderOptions {
                settings,
                ..RenderOptions::default()
            };
            let rendered = render(&manifest, &opts).unwrap_or_else(|e| panic!("{label}: {e}"));
            out.push((label, rendered));
        }
    }
    out
}

fn resources_of<'a>(r: &'a Rendered, kind: &str) -> Vec<(&'a String, &'a Value)> {
    r.resources().filter(|(_, v)| v["Type"] == kind).collect()
}

#[test]
fn catalog_has_the_five_stacks() {
    let ids: Vec<String> = catalog::all()
        .unwrap()
        .into_iter()
        .map(|m| m.id.into())
        .collect();
    for id in ["1", "2", "3", "4", "cross-region"] {
        assert!(
            ids.contains(&id.to_string()),
            "pattern {id} missing from {ids:?}"
        );
    }
}

#[test]
fn snapshots() {
    for (label, r) in all_stacks() {
        insta::assert_snapshot!(label, r.to_yaml());
    }
}

#[test]
fn every_alarm_notifies_the_topic_and_says_what_to_check() {
    for (label, r) in all_stacks() {
        let alarms = resources_of(&r, "AWS::CloudWatch::Alarm");
        assert!(alarms.len() >= 6, "{label}: only {} alarms", alarms.len());
        for (id, alarm) in alarms {
            let p = &alarm["Properties"];
            let topic = serde_json::json!([{ "Ref": "AlarmTopic" }]);
            assert_eq!(p["AlarmActions"], topic, "{label}/{id}: AlarmActions");
            assert_eq!(p["OKActions"], topic, "{label}/{id}: OKActions");
            let description = p["AlarmDescription"].as_str().unwrap_or_default();
            assert!(
                description.len() > 40,
                "{label}/{id}: description too thin: {description:?}"
            );
        }
        assert!(
            !resources_of(&r, "AWS::SNS::Topic").is_empty(),
            "{label}: no alarm topic"
        );
    }
}

#[test]
fn every_log_group_has_a_retention() {
    for (label, r) in all_stacks() {
        for (id, lg) in resources_of(&r, "AWS::Logs::LogGroup") {
            assert!(
                !lg["Properties"]["RetentionInDays"].is_null(),
                "{label}/{id}: log group without retention"
            );
        }
    }
}

#[test]
fn every_bucket_is_private_encrypted_and_tls_only() {
    for (label, r) in all_stacks() {
        let policies = resources_of(&r, "AWS::S3::BucketPolicy");
        for (id, bucket) in resources_of(&r, "AWS::S3::Bucket") {
            let p = &bucket["Properties"];
            let block = &p["PublicAccessBlockConfiguration"];
            for flag in [
                "BlockPublicAcls",
                "BlockPublicPolicy",
                "IgnorePublicAcls",
                "RestrictPublicBuckets",
            ] {
                assert_eq!(block[flag], true, "{label}/{id}: {flag}");
            }
            assert!(
                p["BucketEncryption"]["ServerSideEncryptionConfiguration"].is_array(),
                "{label}/{id}: not encrypted"
            );
            let denies_plain_http = policies.iter().any(|(_, pol)| {
                pol["Properties"]["Bucket"] == serde_json::json!({ "Ref": id })
                    && pol["Properties"]["PolicyDocument"]["Statement"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|s| {
                            s["Effect"] == "Deny"
                                && s["Condition"]["Bool"]["aws:SecureTransport"] == "false"
                        })
            });
            assert!(
                denies_plain_http,
                "{label}/{id}: no bucket policy denying non-TLS access"
            );
        }
    }
}

#[test]
fn queues_and_topics_are_encrypted() {
    for (label, r) in all_stacks() {
        for (id, q) in resources_of(&r, "AWS::SQS::Queue") {
            let p = &q["Properties"];
            assert!(
                p["SqsManagedSseEnabled"] == true || !p["KmsMasterKeyId"].is_null(),
                "{label}/{id}: queue not encrypted"
            );
        }
        for (id, t) in resources_of(&r, "AWS::SNS::Topic") {
            assert!(
                !t["Properties"]["KmsMasterKeyId"].is_null(),
                "{label}/{id}: topic not encrypted"
            );
        }
    }
}

/// IAM statements: `Resource: "*"` only where the action cannot be scoped, and
/// then the statement's Sid says so.
#[test]
fn iam_statements_are_scoped() {
    fn statements(policy_holder: &Value) -> Vec<Value> {
        let mut out = Vec::new();
        let p = &policy_holder["Properties"];
        for doc in p["Policies"].as_array().into_iter().flatten() {
            out.extend(
                doc["PolicyDocument"]["Statement"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
            );
        }
        out.extend(
            p["PolicyDocument"]["Statement"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        );
        out
    }
    for (label, r) in all_stacks() {
        for (id, res) in r.resources() {
            let kind = res["Type"].as_str().unwrap();
            if !matches!(
                kind,
                "AWS::IAM::Role" | "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy"
            ) {
                continue;
            }
            for s in statements(res) {
                let star = s["Resource"] == "*"
                    || s["Resource"]
                        .as_array()
                        .is_some_and(|a| a.iter().any(|v| v == "*"));
                if star {
                    let sid = s["Sid"].as_str().unwrap_or_default();
                    assert!(
                        sid.contains("CannotBeScoped"),
                        "{label}/{id}: statement {s} has Resource \"*\" without saying why"
                    );
                }
                assert_ne!(s["Action"], "*", "{label}/{id}: wildcard action");
            }
        }
    }
}

#[test]
fn every_dashboard_has_the_stream_section_first() {
    for (label, r) in all_stacks() {
        let dashboards = resources_of(&r, "AWS::CloudWatch::Dashboard");
        assert_eq!(dashboards.len(), 1, "{label}: one dashboard");
        let body = dashboards[0].1["Properties"]["DashboardBody"]["Fn::Sub"]
            .as_str()
            .unwrap();
        let body: Value = serde_json::from_str(body).unwrap();
        let widgets = body["widgets"].as_array().unwrap();
        assert_eq!(
            widgets[0]["properties"]["markdown"], "## Kinesis data stream",
            "{label}"
        );
        for alarm in [
            "StreamIteratorAgeAlarm",
            "StreamReadThrottleAlarm",
            "StreamWriteThrottleAlarm",
            "StreamPutRecordSuccessAlarm",
            "StreamPutRecordsSuccessAlarm",
            "StreamGetRecordsSuccessAlarm",
        ] {
            let arn = format!("${{{alarm}.Arn}}");
            assert!(
                widgets
                    .iter()
                    .any(|w| w["type"] == "alarm" && w["properties"]["alarms"][0] == arn),
                "{label}: stream section lacks the {alarm} widget"
            );
        }
        for w in widgets {
            let (wd, ht) = (w["width"].as_u64().unwrap(), w["height"].as_u64().unwrap());
            assert!(
                (wd, ht) == (24, 1) || (wd, ht) == (6, 6),
                "{label}: widget size {wd}x{ht}"
            );
            assert!(
                w["x"].as_u64().unwrap() + wd <= 24,
                "{label}: widget off the grid"
            );
        }
    }
}

#[test]
fn stack_outputs_cover_the_basics() {
    for (label, r) in all_stacks() {
        for output in [
            "StreamName",
            "StreamArn",
            "DashboardName",
            "DashboardUrl",
            "AlarmTopicArn",
        ] {
            assert!(
                !r.template["Outputs"][output].is_null(),
                "{label}: output {output} missing"
            );
        }
    }
}

#[test]
fn streams_are_encrypted_with_the_kinesis_managed_key() {
    for (label, r) in all_stacks() {
        for (id, s) in resources_of(&r, "AWS::Kinesis::Stream") {
            let enc = &s["Properties"]["StreamEncryption"];
            assert_eq!(enc["EncryptionType"], "KMS", "{label}/{id}");
            assert_eq!(enc["KeyId"], "alias/aws/kinesis", "{label}/{id}");
        }
    }
}

/// The code location of a function: the asset binding, or (for functions whose
/// code the user may override) an `Fn::If` whose default branch is the binding.
fn default_code_location(value: &Value) -> &Value {
    match value.get("Fn::If") {
        Some(branches) => &branches[2],
        None => value,
    }
}

#[test]
fn lambda_functions_use_a_current_runtime_and_the_asset_binding() {
    for (label, r) in all_stacks() {
        for (id, f) in resources_of(&r, "AWS::Lambda::Function") {
            let p = &f["Properties"];
            assert_eq!(p["Runtime"], "provided.al2023", "{label}/{id}");
            assert_eq!(
                p["Architectures"],
                serde_json::json!(["arm64"]),
                "{label}/{id}"
            );
            let bucket = default_code_location(&p["Code"]["S3Bucket"]);
            assert_eq!(
                bucket["Fn::Sub"], "${AssetBucketBase}-${AWS::Region}",
                "{label}/{id}"
            );
            let key = default_code_location(&p["Code"]["S3Key"])["Fn::Sub"]
                .as_str()
                .unwrap_or_else(|| panic!("{label}/{id}: S3Key is not bound to the assets"));
            assert!(
                key.starts_with("${AssetKeyPrefix}") && key.ends_with(".zip"),
                "{label}/{id}: {key}"
            );
        }
    }
}

#[test]
fn architecture_binding_reaches_every_function() {
    for manifest in catalog::all().unwrap() {
        let mut opts = RenderOptions::default();
        opts.assets.architecture = "x86_64".into();
        let r = render(&manifest, &opts).unwrap();
        for (id, f) in resources_of(&r, "AWS::Lambda::Function") {
            assert_eq!(
                f["Properties"]["Architectures"],
                serde_json::json!(["x86_64"]),
                "{}/{id}",
                manifest.name
            );
        }
    }
}

/// No literal secret anywhere: no access-key-shaped strings, no API key values,
/// no passwords.
#[test]
fn no_literal_secrets() {
    let access_key = regex::Regex::new(r"(AKIA|ASIA)[0-9A-Z]{16}").unwrap();
    for (label, r) in all_stacks() {
        let text = r.to_json();
        assert!(
            !access_key.is_match(&text),
            "{label}: access key id in template"
        );
        for (id, k) in resources_of(&r, "AWS::ApiGateway::ApiKey") {
            let value = &k["Properties"]["Value"];
            assert!(
                value.is_null() || !value.is_string(),
                "{label}/{id}: literal API key value"
            );
        }
        for (id, res) in r.resources() {
            let props = res["Properties"].to_string().to_lowercase();
            assert!(
                !props.contains("\"password\":\""),
                "{label}/{id}: literal password"
            );
        }
    }
}

/// cfn-lint (pinned in tests/emulator/requirements.txt) over every stack and
/// setting, in JSON and YAML: zero errors and zero warnings. A missing cfn-lint
/// fails the test rather than skipping it.
#[test]
fn cfn_lint_is_clean() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (label, r) in all_stacks() {
        for (ext, text) in [("json", r.to_json()), ("yaml", r.to_yaml())] {
            let path = dir.path().join(format!("{label}.{ext}"));
            std::fs::write(&path, text).unwrap();
            files.push(path);
        }
    }
    let lint = std::env::var("STREAMKIT_CFN_LINT").unwrap_or_else(|_| "cfn-lint".into());
    let output = std::process::Command::new(&lint)
        .args(["--format", "parseable"])
        .args(&files)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {lint}: {e}; install it with `pip install -r tests/emulator/requirements.txt`"));
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && report.trim().is_empty(),
        "cfn-lint found problems (exit {:?}):\n{report}{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        files.len() >= 14,
        "expected every stack and variant, linted {}",
        files.len()
    );
}

/// The deploy guard's create-only property lists equal CloudFormation's own
/// (`createOnlyProperties` of the registry schemas cfn-lint ships), and every
/// stateful type the stacks render is guarded. A missing cfn-lint fails.
#[test]
fn guard_rules_match_the_cloudformation_schemas() {
    use streamkit::deploy::guard::rules::RULES;
    let lint = std::env::var("STREAMKIT_CFN_LINT").unwrap_or_else(|_| "cfn-lint".into());
    let python = std::path::Path::new(&lint).with_file_name("python");
    let out = std::process::Command::new(&python)
        .args([
            "-c",
            "import cfnlint, os; print(os.path.dirname(cfnlint.__file__))",
        ])
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {}: {e}; run `source scripts/env.sh`",
                python.display()
            )
        });
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let schemas =
        std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("data/schemas");
    let index = std::fs::read_to_string(schemas.join("providers/us_east_1.py")).unwrap();
    for rule in RULES {
        let key = format!("\"{}\": \"", rule.resource_type);
        let start = index
            .find(&key)
            .unwrap_or_else(|| panic!("{key} not in cfn-lint's index"))
            + key.len();
        let hash = &index[start..start + index[start..].find('"').unwrap()];
        let schema: Value = serde_json::from_str(
            &std::fs::read_to_string(schemas.join(format!("resources/{hash}.json"))).unwrap(),
        )
        .unwrap();
        let expected: Vec<String> = schema["createOnlyProperties"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                p.as_str()
                    .unwrap()
                    .trim_start_matches("/properties/")
                    .to_string()
            })
            .collect();
        assert_eq!(rule.create_only, expected, "{}", rule.resource_type);
    }
    for (label, r) in all_stacks() {
        for (id, res) in r.resources() {
            let ty = res["Type"].as_str().unwrap();
            let stateful = [
                "Stream",
                "Bucket",
                "Table",
                "Queue",
                "EventSourceMapping",
                "DeliveryStream",
            ]
            .iter()
            .any(|s| ty.ends_with(&format!("::{s}")));
            if stateful {
                assert!(
                    RULES.iter().any(|r| r.resource_type == ty),
                    "{label}/{id}: {ty} is not guarded"
                );
            }
        }
    }
}

/// The IAM preflight knows the handler permissions of every resource type a
/// stack renders (src/preflight/handler_permissions.json): a type missing
/// there would go unchecked.
#[test]
fn the_preflight_knows_every_rendered_resource_type() {
    let known: std::collections::BTreeSet<&str> = streamkit::preflight::table::types().collect();
    for (label, r) in all_stacks() {
        for (id, res) in r.resources() {
            let ty = res["Type"].as_str().unwrap();
            assert!(
                known.contains(ty),
                "{label}: {id} ({ty}) has no row in src/preflight/handler_permissions.json; run scripts/handler-permissions"
            );
            let handlers = streamkit::preflight::table::handlers(ty).unwrap();
            let total = handlers.create.len() + handlers.update.len() + handlers.delete.len();
            assert!(
                total > 0 || ty == "AWS::KinesisAnalyticsV2::ApplicationCloudWatchLoggingOption",
                "{label}: {ty} lists no handler permission"
            );
        }
    }
}
