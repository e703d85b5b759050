//! A stack's Kinesis stream as it is live: its open shard count and capacity
//! mode (DescribeStreamSummary), and the changes `scale` makes to it
//! (UpdateShardCount with UNIFORM_SCALING, UpdateStreamMode), each followed
//! until the stream is ACTIVE again.

use std::time::{Duration, Instant};

use aws_sdk_kinesis::types::{ScalingType, StreamMode, StreamModeDetails, StreamStatus};
use serde::Serialize;

use crate::aws::Aws;
use crate::deploy::stack;
use crate::error::{Error, Result};

/// How long a reshard may take before streamkit stops waiting.
const DEADLINE: Duration = Duration::from_secs(600);

/// UpdateShardCount's documented default limit on the shards of a stream.
pub const MAX_SHARDS: u32 = 10_000;

/// The stream's capacity mode, as `--mode` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    OnDemand,
    Provisioned,
}

impl Mode {
    /// The CloudFormation parameter value (`StreamMode`).
    pub fn parameter(self) -> &'static str {
        match self {
            Mode::OnDemand => "ON_DEMAND",
            Mode::Provisioned => "PROVISIONED",
        }
    }
}

/// A stream now.
#[derive(Debug, Clone, Serialize)]
pub struct Live {
    pub name: String,
    pub arn: String,
    pub mode: Mode,
    pub open_shards: u32,
}

/// The stack's data stream: its only `AWS::Kinesis::Stream`, or the one
/// with logical id `Stream` (every pattern's input stream).
pub async fn of_stack(aws: &Aws, stack_id: &str, stack_name: &str) -> Result<String> {
    let streams: Vec<(String, String)> = stack::resources(&aws.cloudformation(), aws, stack_id)
        .await?
        .into_iter()
        .filter(|(_, kind, _)| kind == "AWS::Kinesis::Stream")
        .map(|(logical, _, physical)| (logical, physical))
        .collect();
    match streams.as_slice() {
        [(_, only)] => Ok(only.clone()),
        _ => streams
            .iter()
            .find(|(logical, _)| logical == "Stream")
            .map(|(_, physical)| physical.clone())
            .ok_or_else(|| {
                Error::BadInput(format!(
                    "stack {stack_name} has no Kinesis stream with logical id Stream (found: {})",
                    streams
                        .iter()
                        .map(|(l, _)| l.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }),
    }
}

pub async fn describe(aws: &Aws, name: &str) -> Result<(Live, StreamStatus)> {
    let kinesis = aws_sdk_kinesis::Client::new(&aws.config);
    let s = kinesis
        .describe_stream_summary()
        .stream_name(name)
        .send()
        .await
        .map_err(|e| aws.error("kinesis", "DescribeStreamSummary", e))?
        .stream_description_summary
        .ok_or_else(|| Error::Aws(format!("DescribeStreamSummary of {name} returned nothing")))?;
    let mode = match s.stream_mode_details().map(|m| m.stream_mode()) {
        Some(StreamMode::OnDemand) => Mode::OnDemand,
        _ => Mode::Provisioned,
    };
    Ok((
        Live {
            name: s.stream_name().to_string(),
            arn: s.stream_arn().to_string(),
            mode,
            open_shards: s.open_shard_count().max(0) as u32,
        },
        s.stream_status().clone(),
    ))
}

/// Polls until the stream is ACTIVE (backing off, with a deadline).
async fn active(aws: &Aws, name: &str) -> Result<Live> {
    let start = Instant::now();
    let mut wait = Duration::from_millis(200);
    loop {
        let (live, status) = describe(aws, name).await?;
        if status == StreamStatus::Active {
            return Ok(live);
        }
        if start.elapsed() > DEADLINE {
            return Err(Error::Aws(format!(
                "stream {name} is still {} after {}s; check it with `aws kinesis describe-stream-summary --stream-name {name}`",
                status.as_str(),
                DEADLINE.as_secs()
            )));
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(5));
    }
}

/// UpdateShardCount (UNIFORM_SCALING) to `target`, then waits for ACTIVE.
pub async fn update_shard_count(aws: &Aws, live: &Live, target: u32) -> Result<Live> {
    aws_sdk_kinesis::Client::new(&aws.config)
        .update_shard_count()
        .stream_arn(&live.arn)
        .target_shard_count(target as i32)
        .scaling_type(ScalingType::UniformScaling)
        .send()
        .await
        .map_err(|e| aws.error("kinesis", "UpdateShardCount", e))?;
    active(aws, &live.name).await
}

/// UpdateStreamMode to `mode`, then waits for ACTIVE.
pub async fn update_mode(aws: &Aws, live: &Live, mode: Mode) -> Result<Live> {
    let details = StreamModeDetails::builder()
        .stream_mode(StreamMode::from(mode.parameter()))
        .build()
        .map_err(|e| Error::Aws(e.to_string()))?;
    aws_sdk_kinesis::Client::new(&aws.config)
        .update_stream_mode()
        .stream_arn(&live.arn)
        .stream_mode_details(details)
        .send()
        .await
        .map_err(|e| aws.error("kinesis", "UpdateStreamMode", e))?;
    active(aws, &live.name).await
}

/// The targets UpdateShardCount allows from `current` open shards in one
/// call: at least half (rounded up), at most double, at most [`MAX_SHARDS`].
pub fn allowed(current: u32) -> (u32, u32) {
    (current.div_ceil(2).max(1), (current * 2).min(MAX_SHARDS))
}
