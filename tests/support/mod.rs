//! Helpers for the emulator tests: deploy a template on the emulator with the
//! plain SDK, list what the stack created, and look every resource up through
//! its own service's API.

#![allow(dead_code)]

pub mod check;
pub mod cli;
pub mod xr;

use std::collections::BTreeMap;

use aws_sdk_cloudformation::types::{Parameter, StackStatus};
use serde_json::{json, Value};
use streamkit_testkit::Emulator;

pub const ACCOUNT: &str = "123456789012";
/// CloudFormation's limit for TemplateBody; larger templates go through S3.
pub const TEMPLATE_BODY_LIMIT: usize = 51_200;
/// The smallest valid zip archive (an empty one): what the emulator's Lambda
/// needs to find at each code location.
pub const EMPTY_ZIP: [u8; 22] = [
    0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

/// Renders one of streamkit's stacks with the library, as `streamkit synth` does.
pub fn render(pattern: &str, settings: &[(&str, &str)]) -> Value {
    let manifest = streamkit::catalog::find(pattern)
        .unwrap_or_else(|e| panic!("pattern {pattern} is not in the catalog: {e}"));
    let opts = streamkit::render::RenderOptions {
        settings: settings
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Default::default()
    };
    let rendered = streamkit::render::render(&manifest, &opts)
        .unwrap_or_else(|e| panic!("pattern {pattern} {settings:?} does not render: {e}"));
    serde_json::from_str(&rendered.to_json()).expect("rendered JSON parses")
}

/// Per-service SDK clients for one region of the emulator.
pub struct Clients {
    pub region: String,
    pub cfn: aws_sdk_cloudformation::Client,
    pub kinesis: aws_sdk_kinesis::Client,
    pub s3: aws_sdk_s3::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub firehose: aws_sdk_firehose::Client,
    pub apigateway: aws_sdk_apigateway::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub flink: aws_sdk_kinesisanalyticsv2::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub sns: aws_sdk_sns::Client,
    pub lambda: aws_sdk_lambda::Client,
    pub iam: aws_sdk_iam::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub ec2: aws_sdk_ec2::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub kms: aws_sdk_kms::Client,
    pub events: aws_sdk_eventbridge::Client,
}

impl Clients {
    pub async fn new(emu: &Emulator, region: &str) -> Clients {
        let cfg = emu.sdk_config(region).await;
        let s3_cfg = aws_sdk_s3::config::Builder::from(&cfg)
            .force_path_style(true)
            .build();
        Clients {
            region: region.to_string(),
            cfn: aws_sdk_cloudformation::Client::new(&cfg),
            kinesis: aws_sdk_kinesis::Client::new(&cfg),
            s3: aws_sdk_s3::Client::from_conf(s3_cfg),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&cfg),
            firehose: aws_sdk_firehose::Client::new(&cfg),
            apigateway: aws_sdk_apigateway::Client::new(&cfg),
            dynamodb: aws_sdk_dynamodb::Client::new(&cfg),
            flink: aws_sdk_kinesisanalyticsv2::Client::new(&cfg),
            sqs: aws_sdk_sqs::Client::new(&cfg),
            sns: aws_sdk_sns::Client::new(&cfg),
            lambda: aws_sdk_lambda::Client::new(&cfg),
            iam: aws_sdk_iam::Client::new(&cfg),
            logs: aws_sdk_cloudwatchlogs::Client::new(&cfg),
            ssm: aws_sdk_ssm::Client::new(&cfg),
            ec2: aws_sdk_ec2::Client::new(&cfg),
            secrets: aws_sdk_secretsmanager::Client::new(&cfg),
            kms: aws_sdk_kms::Client::new(&cfg),
            events: aws_sdk_eventbridge::Client::new(&cfg),
        }
    }
}

/// One resource of a created stack.
#[derive(Debug, Clone)]
pub struct StackResource {
    pub logical_id: String,
    pub resource_type: String,
    pub physical_id: String,
}

/// A created stack: its template, parameter values and resources.
pub struct Deployed {
    pub name: String,
    pub region: String,
    pub template: Value,
    pub params: BTreeMap<String, String>,
    pub resources: Vec<StackResource>,
    pub outputs: BTreeMap<String, String>,
}

impl Deployed {
    pub fn physical(&self, logical_id: &str) -> &str {
        &self
            .resources
            .iter()
            .find(|r| r.logical_id == logical_id)
            .unwrap_or_else(|| panic!("{}: no resource {logical_id}", self.name))
            .physical_id
    }

    pub fn of_type(&self, resource_type: &str) -> Vec<&StackResource> {
        self.resources
            .iter()
            .filter(|r| r.resource_type == resource_type)
            .collect()
    }

    /// The template definition of a resource.
    pub fn def(&self, logical_id: &str) -> &Value {
        &self.template["Resources"][logical_id]
    }

    /// A property's value when it is a literal or a `Ref` to a parameter;
    /// `None` when it is computed from other resources.
    pub fn literal(&self, value: &Value) -> Option<Value> {
        resolve_literal(value, &self.params, &self.region)
    }

    /// Resources the template creates under the parameter values used
    /// (resources whose Condition is false are left out), as (logical ID, type).
    pub fn expected_resources(&self) -> Vec<(String, String)> {
        let conditions = evaluate_conditions(&self.template, &self.params, &self.region);
        self.template["Resources"]
            .as_object()
            .expect("Resources")
            .iter()
            .filter(
                |(_, def)| match def.get("Condition").and_then(Value::as_str) {
                    Some(c) => *conditions
                        .get(c)
                        .unwrap_or_else(|| panic!("condition {c} is not defined")),
                    None => true,
                },
            )
            .map(|(id, def)| (id.clone(), def["Type"].as_str().unwrap().to_string()))
            .collect()
    }

    pub fn retained(&self, logical_id: &str) -> bool {
        self.def(logical_id)
            .get("DeletionPolicy")
            .and_then(Value::as_str)
            .is_some_and(|p| p == "Retain" || p == "RetainExceptOnCreate")
    }
}

/// Resolves literals and `Ref`s to parameters, pseudo parameters and `Fn::Sub`
/// strings made only of those.
pub fn resolve_literal(
    value: &Value,
    params: &BTreeMap<String, String>,
    region: &str,
) -> Option<Value> {
    match value {
        Value::Object(map) if map.len() == 1 => {
            let (key, arg) = map.iter().next().unwrap();
            match key.as_str() {
                "Ref" => {
                    let name = arg.as_str()?;
                    pseudo(name, region)
                        .or_else(|| params.get(name).cloned())
                        .map(Value::String)
                }
                "Fn::Sub" => {
                    let text = arg.as_str()?;
                    let mut out = String::new();
                    let mut rest = text;
                    while let Some(start) = rest.find("${") {
                        out.push_str(&rest[..start]);
                        let end = rest[start..].find('}')? + start;
                        let name = &rest[start + 2..end];
                        out.push_str(&pseudo(name, region).or_else(|| params.get(name).cloned())?);
                        rest = &rest[end + 1..];
                    }
                    out.push_str(rest);
                    Some(Value::String(out))
                }
                "Fn::Join" => {
                    let sep = arg[0].as_str()?;
                    let items: Vec<String> = match resolve_literal(&arg[1], params, region)? {
                        Value::Array(items) => items.iter().map(scalar).collect(),
                        // A Ref to a list parameter: its comma-separated value.
                        Value::String(s) if s.is_empty() => vec![],
                        Value::String(s) => s.split(',').map(str::to_string).collect(),
                        _ => return None,
                    };
                    Some(Value::String(items.join(sep)))
                }
                _ if key.starts_with("Fn::") => None,
                _ => Some(value.clone()),
            }
        }
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                out.insert(k.clone(), resolve_literal(v, params, region)?);
            }
            Some(Value::Object(out))
        }
        Value::Array(items) => items
            .iter()
            .map(|v| resolve_literal(v, params, region))
            .collect::<Option<Vec<_>>>()
            .map(Value::Array),
        other => Some(other.clone()),
    }
}

fn pseudo(name: &str, region: &str) -> Option<String> {
    match name {
        "AWS::Region" => Some(region.to_string()),
        "AWS::AccountId" => Some(ACCOUNT.to_string()),
        "AWS::Partition" => Some("aws".to_string()),
        "AWS::URLSuffix" => Some("amazonaws.com".to_string()),
        _ => None,
    }
}

/// Evaluates the template's Conditions (Equals/Not/And/Or over parameters).
pub fn evaluate_conditions(
    template: &Value,
    params: &BTreeMap<String, String>,
    region: &str,
) -> BTreeMap<String, bool> {
    let defs = template["Conditions"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut out = BTreeMap::new();
    fn eval(
        v: &Value,
        defs: &serde_json::Map<String, Value>,
        params: &BTreeMap<String, String>,
        region: &str,
    ) -> bool {
        let (op, args) = v
            .as_object()
            .and_then(|m| m.iter().next())
            .expect("condition");
        match op.as_str() {
            "Condition" => eval(&defs[args.as_str().unwrap()], defs, params, region),
            "Fn::Not" => !eval(&args[0], defs, params, region),
            "Fn::And" => args
                .as_array()
                .unwrap()
                .iter()
                .all(|a| eval(a, defs, params, region)),
            "Fn::Or" => args
                .as_array()
                .unwrap()
                .iter()
                .any(|a| eval(a, defs, params, region)),
            "Fn::Equals" => {
                let a = resolve_literal(&args[0], params, region)
                    .unwrap_or_else(|| panic!("condition operand {} not resolvable", args[0]));
                let b = resolve_literal(&args[1], params, region)
                    .unwrap_or_else(|| panic!("condition operand {} not resolvable", args[1]));
                scalar(&a) == scalar(&b)
            }
            other => panic!("condition function {other} is not handled by the test"),
        }
    }
    for (name, def) in &defs {
        out.insert(name.clone(), eval(def, &defs, params, region));
    }
    out
}

pub fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Every value of `key` anywhere in the template (e.g. each `S3Key`).
pub fn find_key<'a>(value: &'a Value, key: &str, out: &mut Vec<&'a Value>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == key {
                    out.push(v);
                }
                find_key(v, key, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| find_key(v, key, out)),
        _ => {}
    }
}

/// Parameter values: the template's defaults, then `overrides`; parameters
/// without a default get a value the emulator can satisfy (default VPC/subnet).
pub async fn parameter_values(
    c: &Clients,
    template: &Value,
    overrides: &[(&str, &str)],
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let slots = template["Parameters"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (name, slot) in &slots {
        if let Some((_, v)) = overrides.iter().find(|(k, _)| k == name) {
            out.insert(name.clone(), v.to_string());
            continue;
        }
        if let Some(default) = slot.get("Default") {
            let ty = slot["Type"].as_str().unwrap_or("String");
            if ty.starts_with("AWS::SSM::Parameter::Value") {
                let p = c
                    .ssm
                    .get_parameter()
                    .name(scalar(default))
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("SSM parameter {default} for {name}: {e:?}"));
                out.insert(name.clone(), p.parameter.unwrap().value.unwrap());
            } else {
                out.insert(name.clone(), scalar(default));
            }
            continue;
        }
        let ty = slot["Type"].as_str().unwrap_or("String");
        let value = match ty {
            "AWS::EC2::VPC::Id" => default_vpc(c).await,
            "AWS::EC2::Subnet::Id" | "List<AWS::EC2::Subnet::Id>" => default_subnet(c).await,
            "List<AWS::EC2::SecurityGroup::Id>" | "AWS::EC2::SecurityGroup::Id" => {
                default_security_group(c).await
            }
            _ => panic!("parameter {name} ({ty}) has no default: the test must pass a value"),
        };
        out.insert(name.clone(), value);
    }
    for (k, _) in overrides {
        assert!(
            slots.contains_key(*k),
            "override {k} is not a template parameter"
        );
    }
    out
}

pub async fn default_vpc(c: &Clients) -> String {
    let vpcs = c.ec2.describe_vpcs().send().await.expect("DescribeVpcs");
    vpcs.vpcs()
        .iter()
        .find(|v| v.is_default() == Some(true))
        .and_then(|v| v.vpc_id().map(str::to_string))
        .expect("the emulator has a default VPC")
}

pub async fn default_subnet(c: &Clients) -> String {
    let vpc = default_vpc(c).await;
    let subnets = c
        .ec2
        .describe_subnets()
        .send()
        .await
        .expect("DescribeSubnets");
    subnets
        .subnets()
        .iter()
        .find(|s| s.vpc_id() == Some(vpc.as_str()))
        .and_then(|s| s.subnet_id().map(str::to_string))
        .expect("a default subnet")
}

async fn default_security_group(c: &Clients) -> String {
    let groups = c
        .ec2
        .describe_security_groups()
        .send()
        .await
        .expect("DescribeSecurityGroups");
    groups
        .security_groups()
        .iter()
        .find(|g| g.group_name() == Some("default"))
        .and_then(|g| g.group_id().map(str::to_string))
        .expect("a default security group")
}

/// Creates the code buckets and puts a small zip at every code location the
/// template references (`S3Bucket`/`S3Key`, `BucketARN`/`FileKey`), as
/// `streamkit deploy` uploads the real artifacts (and a Flink user uploads theirs).
pub async fn stage_assets(c: &Clients, template: &Value, params: &BTreeMap<String, String>) {
    let mut pairs = Vec::new();
    find_code_locations(&template["Resources"], &mut pairs);
    let mut locations = Vec::new();
    for (bucket, key) in pairs {
        let buckets = alternatives(bucket, params, &c.region);
        if buckets.is_empty() && bucket.get("Fn::GetAtt").is_some() {
            // A bucket the stack itself creates: nothing to stage beforehand.
            continue;
        }
        let keys = alternatives(key, params, &c.region);
        assert!(
            !buckets.is_empty() && !keys.is_empty(),
            "code location {bucket} / {key} is not resolvable from parameters"
        );
        for b in &buckets {
            let b = b.strip_prefix("arn:aws:s3:::").unwrap_or(b).to_string();
            for k in &keys {
                locations.push((b.clone(), k.clone()));
            }
        }
    }
    for (bucket, key) in locations {
        ensure_bucket(c, &bucket).await;
        c.s3.put_object()
            .bucket(&bucket)
            .key(&key)
            .body(EMPTY_ZIP.to_vec().into())
            .send()
            .await
            .unwrap_or_else(|e| panic!("put s3://{bucket}/{key}: {e:?}"));
    }
}

fn find_code_locations<'a>(value: &'a Value, out: &mut Vec<(&'a Value, &'a Value)>) {
    match value {
        Value::Object(map) => {
            if let (Some(b), Some(k)) = (map.get("S3Bucket"), map.get("S3Key")) {
                out.push((b, k));
            }
            if let (Some(b), Some(k)) = (map.get("BucketARN"), map.get("FileKey")) {
                out.push((b, k));
            }
            map.values().for_each(|v| find_code_locations(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| find_code_locations(v, out)),
        _ => {}
    }
}

/// The values an expression can take: both branches of an `Fn::If`.
fn alternatives(v: &Value, params: &BTreeMap<String, String>, region: &str) -> Vec<String> {
    if let Some(branches) = v.get("Fn::If") {
        let mut out = alternatives(&branches[1], params, region);
        out.extend(alternatives(&branches[2], params, region));
        return out;
    }
    resolve_literal(v, params, region)
        .map(|x| scalar(&x))
        .filter(|x| !x.is_empty())
        .into_iter()
        .collect()
}

pub async fn ensure_bucket(c: &Clients, bucket: &str) {
    if c.s3.head_bucket().bucket(bucket).send().await.is_ok() {
        return;
    }
    let mut req = c.s3.create_bucket().bucket(bucket);
    if c.region != "us-east-1" {
        req = req.create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(
                    c.region.as_str(),
                ))
                .build(),
        );
    }
    req.send()
        .await
        .unwrap_or_else(|e| panic!("create bucket {bucket}: {e:?}"));
}

/// CreateStack with the template (TemplateBody, or TemplateURL past the body
/// limit); panics with the stack's failure events unless it is CREATE_COMPLETE.
pub async fn create_stack(
    c: &Clients,
    name: &str,
    template: &Value,
    overrides: &[(&str, &str)],
) -> Deployed {
    let params = parameter_values(c, template, overrides).await;
    stage_assets(c, template, &params).await;
    let body = serde_json::to_string_pretty(template).unwrap();
    let mut req = c.cfn.create_stack().stack_name(name);
    if body.len() > TEMPLATE_BODY_LIMIT {
        let bucket = format!("streamkit-emulator-templates-{}", c.region);
        ensure_bucket(c, &bucket).await;
        let key = format!("{name}.template.json");
        c.s3.put_object()
            .bucket(&bucket)
            .key(&key)
            .body(body.clone().into_bytes().into())
            .send()
            .await
            .expect("upload template");
        req = req.template_url(format!("https://{bucket}.s3.amazonaws.com/{key}"));
    } else {
        req = req.template_body(&body);
    }
    for (k, v) in overrides {
        req = req.parameters(
            Parameter::builder()
                .parameter_key(*k)
                .parameter_value(*v)
                .build(),
        );
    }
    // Parameters without a default must be passed.
    let slots = template["Parameters"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (k, slot) in &slots {
        if slot.get("Default").is_none() && !overrides.iter().any(|(o, _)| o == k) {
            req = req.parameters(
                Parameter::builder()
                    .parameter_key(k)
                    .parameter_value(&params[k])
                    .build(),
            );
        }
    }
    req.send()
        .await
        .unwrap_or_else(|e| panic!("CreateStack {name}: {e:?}"));
    let stack = describe_stack(c, name).await;
    if stack.stack_status() != Some(&StackStatus::CreateComplete) {
        panic!(
            "stack {name} is {:?}, not CREATE_COMPLETE:\n{}",
            stack.stack_status(),
            failure_events(c, name).await
        );
    }
    let outputs = stack
        .outputs()
        .iter()
        .map(|o| {
            (
                o.output_key().unwrap_or_default().to_string(),
                o.output_value().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let resources = stack_resources(c, name).await;
    Deployed {
        name: name.to_string(),
        region: c.region.clone(),
        template: template.clone(),
        params,
        resources,
        outputs,
    }
}

pub async fn describe_stack(c: &Clients, name: &str) -> aws_sdk_cloudformation::types::Stack {
    c.cfn
        .describe_stacks()
        .stack_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("DescribeStacks {name}: {e:?}"))
        .stacks()
        .first()
        .cloned()
        .expect("one stack")
}

pub async fn failure_events(c: &Clients, name: &str) -> String {
    let events = c
        .cfn
        .describe_stack_events()
        .stack_name(name)
        .send()
        .await
        .expect("DescribeStackEvents");
    events
        .stack_events()
        .iter()
        .filter(|e| {
            e.resource_status()
                .is_some_and(|s| s.as_str().contains("FAILED") || s.as_str().contains("ROLLBACK"))
        })
        .map(|e| {
            format!(
                "  {} {} {:?}: {}",
                e.logical_resource_id().unwrap_or_default(),
                e.resource_type().unwrap_or_default(),
                e.resource_status(),
                e.resource_status_reason().unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub async fn stack_resources(c: &Clients, name: &str) -> Vec<StackResource> {
    let out = c
        .cfn
        .list_stack_resources()
        .stack_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("ListStackResources {name}: {e:?}"));
    out.stack_resource_summaries()
        .iter()
        .map(|r| StackResource {
            logical_id: r.logical_resource_id().unwrap_or_default().to_string(),
            resource_type: r.resource_type().unwrap_or_default().to_string(),
            physical_id: r.physical_resource_id().unwrap_or_default().to_string(),
        })
        .collect()
}

pub fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| json!(text))
}
