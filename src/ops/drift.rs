//! CloudFormation drift detection of a deployed stack: DetectStackDrift,
//! DescribeStackDriftDetectionStatus polled until the detection ends (with a
//! deadline), then DescribeStackResourceDrifts.

use std::time::{Duration, Instant};

use aws_sdk_cloudformation::types::{
    StackDriftDetectionStatus, StackResourceDrift, StackResourceDriftStatus,
};
use serde::Serialize;

use crate::aws::Aws;
use crate::error::{Error, Result};

/// How long a detection may take before streamkit gives up waiting.
const DEADLINE: Duration = Duration::from_secs(300);

/// One drifted property (MODIFIED), or a deleted resource (no property).
#[derive(Debug, Clone, Serialize)]
pub struct Drifted {
    pub resource: String,
    pub resource_type: String,
    pub physical_id: String,
    /// MODIFIED or DELETED.
    pub status: String,
    /// The property path without its leading `/` (`None` for DELETED).
    pub property: Option<String>,
    pub expected: Option<String>,
    pub actual: Option<String>,
}

/// What a detection found.
#[derive(Debug, Clone, Serialize)]
pub struct Detection {
    /// IN_SYNC or DRIFTED.
    #[serde(rename = "outcome")]
    pub status: String,
    pub drifted: Vec<Drifted>,
    /// Resources checked and in sync.
    pub in_sync: usize,
    /// Resources of types drift detection does not check (logical ids).
    pub not_checked: Vec<String>,
}

/// Runs a drift detection on `stack` (name or id) and reads its result.
pub async fn detect(aws: &Aws, stack: &str) -> Result<Detection> {
    let cfn = aws.cloudformation();
    let id = cfn
        .detect_stack_drift()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| aws.error("cloudformation", "DetectStackDrift", e))?
        .stack_drift_detection_id
        .unwrap_or_default();
    let start = Instant::now();
    let mut wait = Duration::from_millis(200);
    let status = loop {
        let s = cfn
            .describe_stack_drift_detection_status()
            .stack_drift_detection_id(&id)
            .send()
            .await
            .map_err(|e| aws.error("cloudformation", "DescribeStackDriftDetectionStatus", e))?;
        match s.detection_status() {
            Some(StackDriftDetectionStatus::DetectionInProgress) if start.elapsed() < DEADLINE => {
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(5));
            }
            Some(StackDriftDetectionStatus::DetectionComplete) => break s,
            other => {
                return Err(Error::Aws(format!(
                "drift detection {id} of {stack} ended {}: {}; run it again with `streamkit drift`",
                other.map_or("without a status", |s| s.as_str()),
                s.detection_status_reason().unwrap_or("no reason given")
            )))
            }
        }
    };
    let mut drifts: Vec<StackResourceDrift> = Vec::new();
    let mut pages = cfn
        .describe_stack_resource_drifts()
        .stack_name(stack)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| aws.error("cloudformation", "DescribeStackResourceDrifts", e))?;
        drifts.extend(page.stack_resource_drifts().iter().cloned());
    }
    drifts.sort_by(|a, b| a.logical_resource_id.cmp(&b.logical_resource_id));
    let mut out = Detection {
        status: status
            .stack_drift_status()
            .map_or("UNKNOWN", |s| s.as_str())
            .to_string(),
        drifted: Vec::new(),
        in_sync: 0,
        not_checked: Vec::new(),
    };
    for d in &drifts {
        let resource = d.logical_resource_id().unwrap_or_default().to_string();
        let base = Drifted {
            resource: resource.clone(),
            resource_type: d.resource_type().unwrap_or_default().to_string(),
            physical_id: d.physical_resource_id().unwrap_or_default().to_string(),
            status: d
                .stack_resource_drift_status()
                .map_or("", |s| s.as_str())
                .to_string(),
            property: None,
            expected: None,
            actual: None,
        };
        match d.stack_resource_drift_status() {
            Some(StackResourceDriftStatus::InSync) => out.in_sync += 1,
            Some(StackResourceDriftStatus::NotChecked) => out.not_checked.push(resource),
            Some(StackResourceDriftStatus::Modified) => {
                for p in d.property_differences() {
                    out.drifted.push(Drifted {
                        property: p
                            .property_path()
                            .map(|p| p.trim_start_matches('/').to_string()),
                        expected: p.expected_value().map(str::to_string),
                        actual: p.actual_value().map(str::to_string),
                        ..base.clone()
                    });
                }
            }
            _ => out.drifted.push(base),
        }
    }
    Ok(out)
}
