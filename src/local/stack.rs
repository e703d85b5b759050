//! What a deployed stack is made of, for `local up` to watch and point at:
//! its resources by type (ListStackResources), and the emulator's default VPC
//! for the parameters a manifest names as network parameters.

use aws_sdk_cloudformation::types::StackResourceSummary;

use crate::aws::Aws;
use crate::catalog::{Manifest, NetworkValue};
use crate::error::{Error, Result};

/// Physical ids of the stack's resources that `local up` watches.
#[derive(Debug, Clone, Default)]
pub struct Resources {
    pub streams: Vec<String>,
    pub functions: Vec<String>,
    /// Buckets the stack writes its output to (not the access-log buckets
    /// other buckets log into).
    pub buckets: Vec<String>,
    pub alarms: Vec<String>,
    pub log_groups: Vec<String>,
    /// The stack has an EC2 instance (its service's log group is the emulator's).
    pub instances: usize,
}

/// Where the emulator writes the output of the service an instance runs.
pub const INSTANCE_LOG_GROUP: &str = "/streamkit/emulator/instances";

impl Resources {
    /// Lists the stack's resources.
    pub async fn of(aws: &Aws, stack: &str) -> Result<Resources> {
        let cfn = aws.cloudformation();
        let mut pages = cfn
            .list_stack_resources()
            .stack_name(stack)
            .into_paginator()
            .send();
        let mut all: Vec<StackResourceSummary> = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| aws.error("cloudformation", "ListStackResources", e))?;
            all.extend(page.stack_resource_summaries().iter().cloned());
        }
        let mut r = Resources::default();
        for res in &all {
            let Some(id) = res.physical_resource_id().map(str::to_string) else {
                continue;
            };
            match res.resource_type().unwrap_or_default() {
                "AWS::Kinesis::Stream" => r.streams.push(id),
                "AWS::Lambda::Function" => r.functions.push(id),
                "AWS::S3::Bucket" => r.buckets.push(id),
                "AWS::CloudWatch::Alarm" => r.alarms.push(id),
                "AWS::Logs::LogGroup" => r.log_groups.push(id),
                "AWS::EC2::Instance" => r.instances += 1,
                _ => {}
            }
        }
        let mut log_targets = Vec::new();
        for b in &r.buckets {
            let logging = aws
                .s3()
                .get_bucket_logging()
                .bucket(b)
                .send()
                .await
                .map_err(|e| aws.error("s3", "GetBucketLogging", e))?;
            if let Some(target) = logging.logging_enabled().map(|l| l.target_bucket()) {
                log_targets.push(target.to_string());
            }
        }
        r.buckets.retain(|b| !log_targets.contains(b));
        // Each function's own group: its LoggingConfig.LogGroup, else
        // Lambda's default `/aws/lambda/<name>` (a function with a LoggingConfig
        // never writes to the default one).
        let lambda = aws_sdk_lambda::Client::new(&aws.config);
        for f in &r.functions {
            let config = lambda
                .get_function_configuration()
                .function_name(f)
                .send()
                .await
                .map_err(|e| aws.error("lambda", "GetFunctionConfiguration", e))?;
            let group = config
                .logging_config()
                .and_then(|l| l.log_group())
                .map(str::to_string)
                .unwrap_or_else(|| format!("/aws/lambda/{f}"));
            if !r.log_groups.contains(&group) {
                r.log_groups.push(group);
            }
        }
        if r.instances > 0 {
            r.log_groups.push(INSTANCE_LOG_GROUP.to_string());
        }
        Ok(r)
    }
}

/// `Key=Value` for each parameter the manifest fills in from the network
/// (`deployment.network_parameters`): the emulator's default VPC and its
/// first subnet. Empty when the manifest names none.
pub async fn network_parameters(aws: &Aws, manifest: &Manifest) -> Result<Vec<(String, String)>> {
    let wanted = &manifest.deployment.network_parameters;
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let ec2 = aws_sdk_ec2::Client::new(&aws.config);
    let filter = |name: &str, value: &str| {
        aws_sdk_ec2::types::Filter::builder()
            .name(name)
            .values(value)
            .build()
    };
    let vpcs = ec2
        .describe_vpcs()
        .filters(filter("is-default", "true"))
        .send()
        .await
        .map_err(|e| aws.error("ec2", "DescribeVpcs", e))?;
    let vpc = vpcs
        .vpcs()
        .iter()
        .find_map(|v| v.vpc_id())
        .ok_or_else(|| no_default_vpc(aws))?
        .to_string();
    let subnets = ec2
        .describe_subnets()
        .filters(filter("vpc-id", &vpc))
        .send()
        .await
        .map_err(|e| aws.error("ec2", "DescribeSubnets", e))?;
    let mut subnet_ids: Vec<&str> = subnets
        .subnets()
        .iter()
        .filter_map(|s| s.subnet_id())
        .collect();
    subnet_ids.sort_unstable();
    let subnet = subnet_ids
        .first()
        .ok_or_else(|| no_default_vpc(aws))?
        .to_string();
    Ok(wanted
        .iter()
        .map(|(name, value)| {
            let v = match value {
                NetworkValue::VpcId => vpc.clone(),
                NetworkValue::SubnetId => subnet.clone(),
            };
            (name.clone(), v)
        })
        .collect())
}

fn no_default_vpc(aws: &Aws) -> Error {
    Error::Local(format!(
        "the emulator in {} has no default VPC with a subnet; restart it with `streamkit local down` and `streamkit local up`",
        aws.region
    ))
}
