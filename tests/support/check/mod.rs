//! Looks each stack resource up through its own service's API: one file per
//! group of services, each answering for its own resource types.

mod apigateway;
mod compute;
mod messaging;
mod observability;
mod security;
mod storage;
mod streams;

use serde_json::Value;

use super::{json_of, scalar, Clients, Deployed, StackResource};

/// Does the resource exist, asked of its own service? Panics for a type the
/// test does not know how to look up, so that no resource goes unchecked.
pub async fn exists(c: &Clients, d: &Deployed, r: &StackResource) -> bool {
    let id = r.physical_id.as_str();
    assert!(
        !id.is_empty(),
        "{}: {} has no physical ID",
        d.name,
        r.logical_id
    );
    let service = r.resource_type.split("::").nth(1).unwrap_or_default();
    let found = match service {
        "ApiGateway" => apigateway::exists(c, d, r, id).await,
        "Lambda" | "EC2" => compute::exists(c, d, r, id).await,
        "SNS" | "SQS" | "Events" => messaging::exists(c, d, r, id).await,
        "CloudWatch" | "Logs" => observability::exists(c, d, r, id).await,
        "IAM" | "KMS" | "SSM" | "SecretsManager" => security::exists(c, d, r, id).await,
        "S3" | "DynamoDB" => storage::exists(c, d, r, id).await,
        "Kinesis" | "KinesisFirehose" | "KinesisAnalyticsV2" => streams::exists(c, d, r, id).await,
        _ => None,
    };
    found.unwrap_or_else(|| {
        panic!(
            "{}: the test does not know how to look up {} ({}); add it to tests/support/check/",
            d.name, r.resource_type, r.logical_id
        )
    })
}

/// The REST API an API Gateway child resource belongs to (its `RestApiId: Ref`).
pub(super) fn api_of(d: &Deployed, r: &StackResource) -> String {
    let def = d.def(&r.logical_id);
    let logical = def["Properties"]["RestApiId"]["Ref"]
        .as_str()
        .unwrap_or_else(|| panic!("{}: RestApiId is not a Ref", r.logical_id));
    d.physical(logical).to_string()
}

/// Types whose deletion leaves the resource in place on AWS too.
pub fn survives_delete(resource_type: &str) -> bool {
    // Account settings are a regional singleton.
    resource_type == "AWS::ApiGateway::Account"
}

pub fn num(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap(),
        Value::String(s) => s.parse().unwrap_or_else(|_| panic!("not a number: {s}")),
        other => panic!("not a number: {other}"),
    }
}

pub fn policy_denies_insecure_transport(policy: &str) -> bool {
    let doc = json_of(policy);
    doc["Statement"].as_array().is_some_and(|statements| {
        statements.iter().any(|s| {
            s["Effect"] == "Deny"
                && scalar(&s["Condition"]["Bool"]["aws:SecureTransport"]) == "false"
        })
    })
}
