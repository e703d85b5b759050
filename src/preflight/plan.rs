//! What a planned change asks of IAM: for each resource CloudFormation will
//! create, update or delete (from the new template and the deployed one, with
//! their parameter values), the permissions its handler needs
//! ([`super::table`]); `iam:PassRole` for every role handed to a service; the
//! CloudFormation calls themselves; SSM parameters the template resolves; and
//! the artifact objects the deploy writes and reads.
//!
//! Resource ARNs are filled in where the name is known before the create (a
//! name property, or CloudFormation's generated `STACK-LOGICALID-*` names);
//! actions of another service than the resource's own are simulated on `*`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use super::table::{self, Op};
use crate::deploy::guard::{rules, Scope};

/// Where the stack goes and as which account.
#[derive(Debug, Clone)]
pub struct Target {
    pub stack: String,
    pub region: String,
    pub account: String,
    pub partition: String,
}

/// One side of the change: a template with its parameter values.
pub struct Side<'a> {
    pub template: &'a Value,
    pub params: &'a BTreeMap<String, String>,
}

/// Who performs an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// The caller (and CloudFormation acting as the caller).
    Caller,
    /// The CloudFormation service role of `--role-arn`.
    ServiceRole,
}

/// One permission the change needs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Need {
    /// The logical id, or `stack` / `artifacts` for the deploy's own calls.
    pub logical_id: String,
    pub resource_type: String,
    pub op: Option<Op>,
    pub action: String,
    pub resource: String,
    pub actor: Actor,
    /// Listed by the handler for an optional feature of another service (e.g.
    /// `kms:*` for a customer key): a denial warns instead of refusing.
    pub conditional: bool,
}

/// Everything the change needs.
#[derive(Debug, Default)]
pub struct Plan {
    pub needs: Vec<Need>,
    /// Resources created, updated or deleted.
    pub resources: usize,
    /// Types of the change without a row in the handler table.
    pub unknown_types: Vec<String>,
}

/// The CloudFormation calls a deploy makes on its stack.
const STACK_ACTIONS: [&str; 7] = [
    "cloudformation:CreateChangeSet",
    "cloudformation:DescribeChangeSet",
    "cloudformation:ExecuteChangeSet",
    "cloudformation:DeleteChangeSet",
    "cloudformation:DescribeStacks",
    "cloudformation:DescribeStackEvents",
    "cloudformation:GetTemplate",
];

/// The permissions the change from `old` (the deployed stack, if any) to
/// `new` needs. `artifacts` are the (bucket, key) objects the deploy uploads;
/// `service_role` the `--role-arn` CloudFormation acts with.
pub fn plan(
    target: &Target,
    new: &Side<'_>,
    old: Option<&Side<'_>>,
    artifacts: &[(String, String)],
    service_role: Option<&str>,
) -> Plan {
    let new_params = with_pseudo(new.params, target);
    let new_scope = Scope {
        template: new.template,
        params: &new_params,
    };
    let old_params = old.map(|o| with_pseudo(o.params, target));
    let old_scope = old.zip(old_params.as_ref()).map(|(o, p)| Scope {
        template: o.template,
        params: p,
    });
    let resource_actor = if service_role.is_some() {
        Actor::ServiceRole
    } else {
        Actor::Caller
    };
    let mut out = Plan::default();
    let mut needs = BTreeSet::new();
    let ops = operations(&new_scope, old_scope.as_ref());
    let mut touched = BTreeSet::new();
    for (logical_id, resource_type, op) in &ops {
        touched.insert(logical_id.clone());
        let Some(handlers) = table::handlers(resource_type) else {
            out.unknown_types.push(resource_type.clone());
            continue;
        };
        let scope = match (op, &old_scope) {
            (Op::Delete, Some(o)) => o,
            _ => &new_scope,
        };
        let props = scope.value(&scope.template["Resources"][logical_id]["Properties"]);
        let own = service_of(resource_type);
        let arn = arn_of(target, resource_type, logical_id, &props);
        for action in handlers.of(*op) {
            if action == "iam:PassRole" {
                continue; // added below, on the roles the resource names
            }
            let service = action.split(':').next().unwrap_or_default();
            let (resource, conditional) = if service == own {
                (arn.clone().unwrap_or_else(|| "*".into()), false)
            } else if let Some(object) = code_object(resource_type, action, &props, target) {
                (object, false)
            } else {
                ("*".to_string(), true)
            };
            needs.insert(Need {
                logical_id: logical_id.clone(),
                resource_type: resource_type.clone(),
                op: Some(*op),
                action: action.clone(),
                resource,
                actor: resource_actor,
                conditional,
            });
        }
        if *op != Op::Delete && !resource_type.starts_with("AWS::IAM::") {
            for role in passed_roles(&new_scope, target, &scope.template["Resources"][logical_id]) {
                needs.insert(Need {
                    logical_id: logical_id.clone(),
                    resource_type: resource_type.clone(),
                    op: Some(*op),
                    action: "iam:PassRole".into(),
                    resource: role,
                    actor: resource_actor,
                    conditional: false,
                });
            }
        }
    }
    out.resources = touched.len();
    let stack_arn = format!(
        "arn:{}:cloudformation:{}:{}:stack/{}/*",
        target.partition, target.region, target.account, target.stack
    );
    for action in STACK_ACTIONS {
        needs.insert(stack_need(target, action, &stack_arn));
    }
    if let Some(role) = service_role {
        let mut need = stack_need(target, "iam:PassRole", role);
        need.resource_type = "AWS::IAM::Role".into();
        needs.insert(need);
    }
    for name in ssm_parameters(new.template, new.params) {
        let mut need = stack_need(
            target,
            "ssm:GetParameters",
            &format!(
                "arn:{}:ssm:{}:{}:parameter/{}",
                target.partition,
                target.region,
                target.account,
                name.trim_start_matches('/')
            ),
        );
        need.resource_type = "AWS::SSM::Parameter".into();
        needs.insert(need);
    }
    for (bucket, key) in artifacts {
        for action in ["s3:PutObject", "s3:GetObject"] {
            needs.insert(Need {
                logical_id: "artifacts".into(),
                resource_type: "AWS::S3::Object".into(),
                op: None,
                action: action.into(),
                resource: format!("arn:{}:s3:::{bucket}/{key}", target.partition),
                actor: Actor::Caller,
                conditional: false,
            });
        }
    }
    out.needs = needs.into_iter().collect();
    out.unknown_types.sort();
    out.unknown_types.dedup();
    out
}

fn stack_need(target: &Target, action: &str, resource: &str) -> Need {
    Need {
        logical_id: target.stack.clone(),
        resource_type: "AWS::CloudFormation::Stack".into(),
        op: None,
        action: action.into(),
        resource: resource.into(),
        actor: Actor::Caller,
        conditional: false,
    }
}

/// The parameters with the pseudo parameters a name may use.
fn with_pseudo(params: &BTreeMap<String, String>, target: &Target) -> BTreeMap<String, String> {
    let mut out = params.clone();
    out.insert("AWS::StackName".into(), target.stack.clone());
    out.insert("AWS::Region".into(), target.region.clone());
    out.insert("AWS::AccountId".into(), target.account.clone());
    out.insert("AWS::Partition".into(), target.partition.clone());
    out.insert("AWS::URLSuffix".into(), "amazonaws.com".into());
    out
}

/// (logical id, type, operation) for every resource the change touches.
fn operations(new: &Scope<'_>, old: Option<&Scope<'_>>) -> Vec<(String, String, Op)> {
    let live = |scope: &Scope<'_>, resource: &Value| {
        resource["Condition"]
            .as_str()
            .is_none_or(|c| scope.condition(c) != Some(false))
    };
    let resources = |scope: &Scope<'_>| -> BTreeMap<String, Value> {
        scope.template["Resources"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter(|(_, r)| live(scope, r))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let new_resources = resources(new);
    let old_resources = old.map(resources).unwrap_or_default();
    let mut ops = Vec::new();
    for (id, resource) in &new_resources {
        let ty = resource["Type"].as_str().unwrap_or_default().to_string();
        match (old_resources.get(id), old) {
            (Some(prev), Some(old)) if prev["Type"] == resource["Type"] => {
                let before = old.value(&prev["Properties"]);
                let after = new.value(&resource["Properties"]);
                if before == after {
                    continue;
                }
                ops.push((id.clone(), ty.clone(), Op::Update));
                let replaced = rules::rule(&ty).is_some_and(|rule| {
                    rule.replacing()
                        .any(|path| old.property(id, path) != new.property(id, path))
                });
                if replaced {
                    ops.push((id.clone(), ty.clone(), Op::Create));
                    ops.push((id.clone(), ty, Op::Delete));
                }
            }
            (Some(prev), _) => {
                ops.push((id.clone(), ty, Op::Create));
                let old_ty = prev["Type"].as_str().unwrap_or_default().to_string();
                ops.push((id.clone(), old_ty, Op::Delete));
            }
            (None, _) => ops.push((id.clone(), ty, Op::Create)),
        }
    }
    for (id, resource) in &old_resources {
        if !new_resources.contains_key(id) {
            let ty = resource["Type"].as_str().unwrap_or_default().to_string();
            ops.push((id.clone(), ty, Op::Delete));
        }
    }
    ops
}

/// The IAM service prefix of a resource type's actions.
pub fn service_of(resource_type: &str) -> String {
    let service = resource_type.split("::").nth(1).unwrap_or_default();
    match service {
        "KinesisFirehose" => "firehose".into(),
        "KinesisAnalyticsV2" => "kinesisanalytics".into(),
        other => other.to_lowercase(),
    }
}

/// The resource's ARN when its name is known before it exists: a name
/// property, or CloudFormation's generated `STACK-LOGICALID-*`.
fn arn_of(target: &Target, resource_type: &str, logical_id: &str, props: &Value) -> Option<String> {
    let (property, format): (&str, fn(&Target, &str) -> String) = match resource_type {
        "AWS::Kinesis::Stream" => ("Name", |t, n| {
            format!(
                "arn:{}:kinesis:{}:{}:stream/{n}",
                t.partition, t.region, t.account
            )
        }),
        "AWS::S3::Bucket" => ("BucketName", |t, n| format!("arn:{}:s3:::{n}", t.partition)),
        "AWS::DynamoDB::Table" | "AWS::DynamoDB::GlobalTable" => ("TableName", |t, n| {
            format!(
                "arn:{}:dynamodb:{}:{}:table/{n}",
                t.partition, t.region, t.account
            )
        }),
        "AWS::Lambda::Function" => ("FunctionName", |t, n| {
            format!(
                "arn:{}:lambda:{}:{}:function:{n}",
                t.partition, t.region, t.account
            )
        }),
        "AWS::Logs::LogGroup" => ("LogGroupName", |t, n| {
            format!(
                "arn:{}:logs:{}:{}:log-group:{n}",
                t.partition, t.region, t.account
            )
        }),
        "AWS::SQS::Queue" => ("QueueName", |t, n| {
            format!("arn:{}:sqs:{}:{}:{n}", t.partition, t.region, t.account)
        }),
        "AWS::SNS::Topic" => ("TopicName", |t, n| {
            format!("arn:{}:sns:{}:{}:{n}", t.partition, t.region, t.account)
        }),
        "AWS::IAM::Role" => ("RoleName", |t, n| {
            format!("arn:{}:iam::{}:role/{n}", t.partition, t.account)
        }),
        "AWS::KinesisFirehose::DeliveryStream" => ("DeliveryStreamName", |t, n| {
            format!(
                "arn:{}:firehose:{}:{}:deliverystream/{n}",
                t.partition, t.region, t.account
            )
        }),
        "AWS::CloudWatch::Alarm" => ("AlarmName", |t, n| {
            format!(
                "arn:{}:cloudwatch:{}:{}:alarm:{n}",
                t.partition, t.region, t.account
            )
        }),
        "AWS::CloudWatch::Dashboard" => ("DashboardName", |t, n| {
            format!(
                "arn:{}:cloudwatch::{}:dashboard/{n}",
                t.partition, t.account
            )
        }),
        _ => return None,
    };
    let name = match &props[property] {
        Value::String(s) if !s.contains("${") => s.clone(),
        Value::Null => format!("{}-{logical_id}-*", target.stack),
        _ => return None,
    };
    let mut arn = format(target, &name);
    if resource_type == "AWS::IAM::Role" {
        if let Some(path) = props["Path"].as_str().filter(|p| p.starts_with('/')) {
            arn = format!(
                "arn:{}:iam::{}:role{path}{name}",
                target.partition, target.account
            );
        }
    }
    Some(arn)
}

/// A function's code object, which the Lambda handler reads as the caller.
fn code_object(
    resource_type: &str,
    action: &str,
    props: &Value,
    target: &Target,
) -> Option<String> {
    if resource_type != "AWS::Lambda::Function" || action != "s3:GetObject" {
        return None;
    }
    let bucket = props["Code"]["S3Bucket"].as_str()?;
    let key = props["Code"]["S3Key"].as_str()?;
    (!bucket.contains("${") && !key.contains("${"))
        .then(|| format!("arn:{}:s3:::{bucket}/{key}", target.partition))
}

/// ARNs of the roles a resource hands to a service: every `Fn::GetAtt
/// [Role, Arn]` / `Ref Role` of an `AWS::IAM::Role` in its properties, and
/// the roles of any instance profile it names.
fn passed_roles(scope: &Scope<'_>, target: &Target, resource: &Value) -> BTreeSet<String> {
    let mut refs = BTreeSet::new();
    referenced(&resource["Properties"], &mut refs);
    let resources = &scope.template["Resources"];
    let mut roles = BTreeSet::new();
    for id in refs {
        match resources[&id]["Type"].as_str() {
            Some("AWS::IAM::Role") => roles.insert(role_arn(scope, target, &id)),
            Some("AWS::IAM::InstanceProfile") => {
                let mut inner = BTreeSet::new();
                referenced(&resources[&id]["Properties"]["Roles"], &mut inner);
                for r in inner {
                    if resources[&r]["Type"] == "AWS::IAM::Role" {
                        roles.insert(role_arn(scope, target, &r));
                    }
                }
                true
            }
            _ => false,
        };
    }
    roles
}

fn role_arn(scope: &Scope<'_>, target: &Target, id: &str) -> String {
    let props = scope.value(&scope.template["Resources"][id]["Properties"]);
    arn_of(target, "AWS::IAM::Role", id, &props).unwrap_or_else(|| "*".into())
}

/// Logical ids named by `Ref` or `Fn::GetAtt` anywhere in `v`.
fn referenced(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            if let Some(id) = map.get("Ref").and_then(Value::as_str) {
                out.insert(id.to_string());
            }
            match map.get("Fn::GetAtt") {
                Some(Value::Array(parts)) => {
                    if let Some(id) = parts.first().and_then(Value::as_str) {
                        out.insert(id.to_string());
                    }
                }
                Some(Value::String(dotted)) => {
                    out.insert(dotted.split('.').next().unwrap_or_default().to_string());
                }
                _ => {}
            }
            map.values().for_each(|x| referenced(x, out));
        }
        Value::Array(items) => items.iter().for_each(|x| referenced(x, out)),
        _ => {}
    }
}

/// Names of the SSM parameters the template's `AWS::SSM::Parameter::Value<>`
/// parameters resolve (CloudFormation reads them as the caller).
fn ssm_parameters(template: &Value, params: &BTreeMap<String, String>) -> Vec<String> {
    let Some(declared) = template["Parameters"].as_object() else {
        return Vec::new();
    };
    declared
        .iter()
        .filter(|(_, p)| {
            p["Type"]
                .as_str()
                .is_some_and(|t| t.starts_with("AWS::SSM::Parameter::Value<"))
        })
        .filter_map(|(name, p)| {
            params
                .get(name)
                .cloned()
                .or_else(|| p["Default"].as_str().map(str::to_string))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn target() -> Target {
        Target {
            stack: "orders".into(),
            region: "us-east-1".into(),
            account: "123456789012".into(),
            partition: "aws".into(),
        }
    }

    fn template() -> Value {
        json!({
            "Parameters": {
                "Shards": {"Type": "Number", "Default": "1"},
                "Ami": {"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", "Default": "/aws/ami"}
            },
            "Resources": {
                "Stream": {"Type": "AWS::Kinesis::Stream", "Properties": {"Name": {"Fn::Sub": "${AWS::StackName}-in"}, "ShardCount": {"Ref": "Shards"}}},
                "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}},
                "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Code": {"S3Bucket": "assets-us-east-1", "S3Key": "fn.zip"}
                }}
            }
        })
    }

    fn needs<'a>(plan: &'a Plan, id: &str) -> Vec<&'a Need> {
        plan.needs.iter().filter(|n| n.logical_id == id).collect()
    }

    #[test]
    fn a_create_needs_every_create_handler_permission_and_pass_role() {
        let t = template();
        let params = BTreeMap::new();
        let plan = plan(
            &target(),
            &Side {
                template: &t,
                params: &params,
            },
            None,
            &[],
            None,
        );
        assert_eq!(plan.resources, 3);
        let stream = needs(&plan, "Stream");
        assert!(stream.iter().any(|n| n.action == "kinesis:CreateStream"
            && n.resource == "arn:aws:kinesis:us-east-1:123456789012:stream/orders-in"
            && !n.conditional));
        let pass: Vec<_> = needs(&plan, "Fn")
            .into_iter()
            .filter(|n| n.action == "iam:PassRole")
            .collect();
        assert_eq!(pass.len(), 1);
        assert_eq!(
            pass[0].resource,
            "arn:aws:iam::123456789012:role/orders-Role-*"
        );
        assert!(needs(&plan, "Fn").iter().any(|n| n.action == "s3:GetObject"
            && n.resource == "arn:aws:s3:::assets-us-east-1/fn.zip"
            && !n.conditional));
        assert!(needs(&plan, "Fn")
            .iter()
            .any(|n| n.action.starts_with("kms:") && n.conditional));
        assert!(plan.needs.iter().any(|n| n.action == "ssm:GetParameters"
            && n.resource == "arn:aws:ssm:us-east-1:123456789012:parameter/aws/ami"));
        assert!(plan
            .needs
            .iter()
            .any(|n| n.action == "cloudformation:CreateChangeSet"));
    }

    #[test]
    fn an_update_of_one_property_needs_only_that_resources_update_permissions() {
        let t = template();
        let old_params = BTreeMap::from([("Shards".to_string(), "1".to_string())]);
        let new_params = BTreeMap::from([("Shards".to_string(), "2".to_string())]);
        let plan = plan(
            &target(),
            &Side {
                template: &t,
                params: &new_params,
            },
            Some(&Side {
                template: &t,
                params: &old_params,
            }),
            &[],
            None,
        );
        assert_eq!(plan.resources, 1);
        let ids: BTreeSet<_> = plan.needs.iter().map(|n| n.logical_id.as_str()).collect();
        assert_eq!(ids, BTreeSet::from(["Stream", "orders"]));
        assert!(plan
            .needs
            .iter()
            .any(|n| n.action == "kinesis:UpdateShardCount"));
        assert!(!plan
            .needs
            .iter()
            .any(|n| n.action == "kinesis:CreateStream"));
    }

    #[test]
    fn a_removed_resource_needs_its_delete_permissions_and_a_service_role_acts_for_resources() {
        let t = template();
        let mut smaller = t.clone();
        smaller["Resources"]
            .as_object_mut()
            .unwrap()
            .remove("Stream");
        let params = BTreeMap::new();
        let plan = plan(
            &target(),
            &Side {
                template: &smaller,
                params: &params,
            },
            Some(&Side {
                template: &t,
                params: &params,
            }),
            &[("b".into(), "k".into())],
            Some("arn:aws:iam::123456789012:role/cfn"),
        );
        let stream = needs(&plan, "Stream");
        assert!(stream
            .iter()
            .any(|n| n.action == "kinesis:DeleteStream" && n.actor == Actor::ServiceRole));
        assert!(plan.needs.iter().any(|n| n.action == "iam:PassRole"
            && n.resource == "arn:aws:iam::123456789012:role/cfn"
            && n.actor == Actor::Caller));
        assert!(plan
            .needs
            .iter()
            .any(|n| n.action == "s3:PutObject" && n.resource == "arn:aws:s3:::b/k"));
    }
}
