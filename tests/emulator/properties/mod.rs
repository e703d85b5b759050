//! The properties that matter of each resource of a stack created on the
//! emulator, read back through the resource's own service and compared with
//! the template: one file per group of services.

mod apigateway;
mod compute;
mod messaging;
mod observability;
mod storage;
mod streams;

use serde_json::Value;

use crate::support::{Clients, Deployed};

/// One resource of a deployed stack, and where to ask about it.
#[derive(Clone, Copy)]
pub struct Resource<'a> {
    /// Every region of the stack, the one it was created in first.
    pub regions: &'a [&'a Clients],
    /// The region it was created in.
    pub c: &'a Clients,
    pub d: &'a Deployed,
    pub logical: &'a str,
    pub ty: &'a str,
    /// Its physical id.
    pub id: &'a str,
    /// Its `Properties` in the template.
    pub props: &'a Value,
    /// `stack logical-id (type)`, for messages.
    pub ctx: &'a str,
}

/// Checks the resource's properties (types no check knows are left alone:
/// that they exist is checked for every type).
pub async fn verify(regions: &[&Clients], d: &Deployed, logical: &str, ty: &str, id: &str) {
    let ctx = format!("{} {logical} ({ty})", d.name);
    let r = Resource {
        regions,
        c: regions[0],
        d,
        logical,
        ty,
        id,
        props: &d.def(logical)["Properties"],
        ctx: &ctx,
    };
    match ty.split("::").nth(1).unwrap_or_default() {
        "ApiGateway" => apigateway::verify(&r).await,
        "Lambda" | "EC2" => compute::verify(&r).await,
        "SNS" | "SQS" => messaging::verify(&r).await,
        "CloudWatch" | "Logs" => observability::verify(&r).await,
        "S3" | "DynamoDB" => storage::verify(&r).await,
        "Kinesis" | "KinesisFirehose" | "KinesisAnalyticsV2" => streams::verify(&r).await,
        _ => {}
    }
}

pub(super) fn rest_api_of(d: &Deployed, props: &Value) -> String {
    d.physical(props["RestApiId"]["Ref"].as_str().expect("RestApiId: Ref"))
        .to_string()
}

/// The logical ID of the stream a `Fn::GetAtt [X, Arn]` (or `Fn::Sub` with
/// `${X.Arn}`) points at.
pub(super) fn stream_ref(v: &Value) -> Option<String> {
    if let Some(att) = v.get("Fn::GetAtt") {
        return att[0].as_str().map(str::to_string);
    }
    let sub = v.get("Fn::Sub")?.as_str()?;
    let start = sub.find("${")? + 2;
    let end = sub[start..].find(".Arn}")? + start;
    Some(sub[start..end].to_string())
}
