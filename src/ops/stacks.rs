//! The streamkit stacks deployed in a region: every stack tagged
//! `streamkit:pattern` (the tag `deploy` puts on each stack it creates), with
//! its monthly estimate priced from the deployed template and parameters.

use aws_sdk_cloudformation::types::Stack;
use serde::Serialize;

use crate::aws::Aws;
use crate::catalog;
use crate::cfn::status::Status;
use crate::cost::estimate::estimate;
use crate::deploy::stack;
use crate::error::Result;

/// The tag `deploy` puts on every stack it creates.
pub const PATTERN_TAG: &str = "streamkit:pattern";

/// One deployed streamkit stack.
#[derive(Debug, Clone, Serialize)]
pub struct Deployed {
    pub stack: String,
    pub pattern: String,
    pub region: String,
    pub status: Status,
    /// Last update, else creation time (RFC 3339, UTC).
    pub last_updated: String,
    /// Monthly estimate (USD) idle and at 1 MB/s, of the deployed template
    /// and parameter values; `None` for a pattern this build does not know.
    pub idle_usd: Option<f64>,
    pub at_1mbps_usd: Option<f64>,
    pub id: String,
}

/// Every streamkit stack in `aws`'s region (DescribeStacks, all pages),
/// sorted by name; deleted stacks are not listed.
pub async fn deployed(aws: &Aws) -> Result<Vec<Deployed>> {
    let cfn = aws.cloudformation();
    let mut pages = cfn.describe_stacks().into_paginator().send();
    let mut found: Vec<(String, Stack)> = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| aws.error("cloudformation", "DescribeStacks", e))?;
        for s in page.stacks() {
            let pattern = s
                .tags()
                .iter()
                .find(|t| t.key() == Some(PATTERN_TAG))
                .and_then(|t| t.value());
            let status = Status::from(s.stack_status().map_or("", |x| x.as_str()));
            if let (Some(pattern), false) = (pattern, status == Status::DeleteComplete) {
                found.push((pattern.to_string(), s.clone()));
            }
        }
    }
    let mut out = Vec::new();
    for (pattern, s) in found {
        let name = s.stack_name().unwrap_or_default().to_string();
        let id = s.stack_id().unwrap_or(&name).to_string();
        let params: Vec<(String, String)> = s
            .parameters()
            .iter()
            .map(|p| {
                (
                    p.parameter_key().unwrap_or_default().to_string(),
                    p.parameter_value().unwrap_or_default().to_string(),
                )
            })
            .collect();
        let (idle_usd, at_1mbps_usd) = match monthly(aws, &id, &pattern, &params).await? {
            Some((idle, load)) => (Some(idle), Some(load)),
            None => (None, None),
        };
        let when = s.last_updated_time().or(s.creation_time());
        out.push(Deployed {
            stack: name,
            pattern,
            region: aws.region.clone(),
            status: Status::from(s.stack_status().map_or("", |x| x.as_str())),
            last_updated: when
                .and_then(|t| {
                    t.fmt(aws_sdk_cloudformation::primitives::DateTimeFormat::DateTime)
                        .ok()
                })
                .unwrap_or_default(),
            idle_usd,
            at_1mbps_usd,
            id,
        });
    }
    out.sort_by(|a, b| a.stack.cmp(&b.stack));
    Ok(out)
}

/// The monthly estimate (USD idle, at 1 MB/s) of the deployed stack `id` of
/// `pattern`, priced from its deployed template with `params`; `None` for a
/// pattern this build does not know.
pub async fn monthly(
    aws: &Aws,
    id: &str,
    pattern: &str,
    params: &[(String, String)],
) -> Result<Option<(f64, f64)>> {
    let Ok(manifest) = catalog::find(pattern) else {
        return Ok(None);
    };
    let template = stack::template(&aws.cloudformation(), aws, id).await?;
    let e = estimate(&manifest, &template, params);
    Ok(Some((
        cents(e.design.idle_usd),
        cents(e.design.at_1mbps_usd),
    )))
}

/// USD rounded to cents (no float noise in reports).
fn cents(usd: f64) -> f64 {
    (usd * 100.0).round() / 100.0
}
