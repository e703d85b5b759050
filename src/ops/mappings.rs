//! A stack's Kinesis event source mappings as Lambda runs them
//! (GetEventSourceMapping of each `AWS::Lambda::EventSourceMapping`), and
//! invoking their function with a Kinesis event built as Lambda builds it
//! (the `Records` event of "Using Lambda with Kinesis"), synchronously.

use aws_sdk_kinesis::types::Record;
use aws_sdk_lambda::primitives::Blob;
use base64::Engine;
use serde_json::{json, Value};

use crate::aws::Aws;
use crate::deploy::stack;
use crate::error::{Error, Result};

/// One mapping of the stack.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub uuid: String,
    pub function_arn: String,
    /// The stream (an enhanced fan-out consumer's stream for a consumer source).
    pub stream_arn: String,
    pub batch_size: usize,
    /// `DestinationConfig.OnFailure.Destination`, if any.
    pub on_failure: Option<String>,
}

impl Mapping {
    pub fn function_name(&self) -> &str {
        self.function_arn
            .split(":function:")
            .nth(1)
            .unwrap_or(&self.function_arn)
            .split(':')
            .next()
            .unwrap_or_default()
    }
}

/// Every Kinesis event source mapping of the stack, in logical-id order.
pub async fn of_stack(aws: &Aws, stack_id: &str) -> Result<Vec<Mapping>> {
    let lambda = aws_sdk_lambda::Client::new(&aws.config);
    let mut out = Vec::new();
    for (_, kind, physical) in stack::resources(&aws.cloudformation(), aws, stack_id).await? {
        if kind != "AWS::Lambda::EventSourceMapping" || physical.is_empty() {
            continue;
        }
        let m = lambda
            .get_event_source_mapping()
            .uuid(&physical)
            .send()
            .await
            .map_err(|e| aws.error("lambda", "GetEventSourceMapping", e))?;
        let source = m.event_source_arn().unwrap_or_default();
        if !source.contains(":kinesis:") {
            continue;
        }
        out.push(Mapping {
            uuid: physical.clone(),
            function_arn: m.function_arn().unwrap_or_default().to_string(),
            stream_arn: source
                .split("/consumer/")
                .next()
                .unwrap_or(source)
                .to_string(),
            batch_size: m.batch_size().unwrap_or(100).max(1) as usize,
            on_failure: m
                .destination_config()
                .and_then(|d| d.on_failure())
                .and_then(|f| f.destination())
                .map(str::to_string),
        });
    }
    Ok(out)
}

/// How an invocation went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// The function failed or reported failed items; the reason.
    Failed(String),
}

/// The function's execution role (the event's `invokeIdentityArn`).
pub async fn role_of(aws: &Aws, function: &str) -> Result<String> {
    let c = aws_sdk_lambda::Client::new(&aws.config)
        .get_function_configuration()
        .function_name(function)
        .send()
        .await
        .map_err(|e| aws.error("lambda", "GetFunctionConfiguration", e))?;
    Ok(c.role().unwrap_or_default().to_string())
}

/// The Kinesis event Lambda sends for `records` of `shard_id`.
pub fn event(
    records: &[Record],
    shard_id: &str,
    stream_arn: &str,
    region: &str,
    role: &str,
) -> Value {
    let b64 = base64::engine::general_purpose::STANDARD;
    let items: Vec<Value> = records
        .iter()
        .map(|r| {
            let arrival = r
                .approximate_arrival_timestamp()
                .and_then(|t| t.to_millis().ok())
                .unwrap_or_default();
            json!({
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": r.partition_key(),
                    "sequenceNumber": r.sequence_number(),
                    "data": b64.encode(r.data().as_ref()),
                    "approximateArrivalTimestamp": arrival as f64 / 1000.0,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": format!("{shard_id}:{}", r.sequence_number()),
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": role,
                "awsRegion": region,
                "eventSourceARN": stream_arn,
            })
        })
        .collect();
    json!({ "Records": items })
}

/// Invokes `function` synchronously with `event`: a function error, or a
/// response naming failed items (`batchItemFailures`), is a failure.
pub async fn invoke(aws: &Aws, function: &str, event: &Value) -> Result<Outcome> {
    let out = aws_sdk_lambda::Client::new(&aws.config)
        .invoke()
        .function_name(function)
        .payload(Blob::new(event.to_string()))
        .send()
        .await
        .map_err(|e| aws.error("lambda", "Invoke", e))?;
    let body: Value = out
        .payload()
        .and_then(|p| serde_json::from_slice(p.as_ref()).ok())
        .unwrap_or(Value::Null);
    if let Some(kind) = out.function_error() {
        let message = body["errorMessage"].as_str().unwrap_or("no message");
        return Ok(Outcome::Failed(format!("{kind}: {message}")));
    }
    match body["batchItemFailures"].as_array() {
        Some(failed) if !failed.is_empty() => Ok(Outcome::Failed(format!(
            "the function reported {} failed records (batchItemFailures)",
            failed.len()
        ))),
        _ => Ok(Outcome::Ok),
    }
}

/// Compares two Kinesis sequence numbers (decimal strings of any length).
pub fn seq_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// A stream ARN's name.
pub fn stream_name(arn: &str) -> Result<&str> {
    arn.split(":stream/")
        .nth(1)
        .map(|s| s.split('/').next().unwrap_or(s))
        .ok_or_else(|| Error::Aws(format!("{arn} is not a Kinesis stream ARN")))
}
