//! What a stack deleted earlier retained (issue 26, item 5): after `destroy`
//! kept a stack's data buckets and tables, `destroy --delete-data` must still
//! find them once the stack is gone. CloudFormation is the record: it lists
//! deleted stacks (ListStacks, `DELETE_COMPLETE`) and, by stack id, returns a
//! deleted stack's template and resources for 90 days ("For deleted stacks,
//! ListStackResources returns resource information for up to 90 days after
//! the stack has been deleted", API reference of ListStackResources and
//! GetTemplate). The retained resources of every deleted stack of that name
//! that still exist are what is left.

use aws_sdk_cloudformation::types::StackStatus;

use super::destroy::{self, StackBucket, StackData};
use crate::aws::Aws;
use crate::error::Result;

/// Retained buckets and tables of the deleted stacks named `name` in `aws`'s
/// region that still exist (each once).
pub async fn left_by_deleted(aws: &Aws, name: &str) -> Result<StackData> {
    let cfn = aws.cloudformation();
    let mut ids = Vec::new();
    let mut pages = cfn
        .list_stacks()
        .stack_status_filter(StackStatus::DeleteComplete)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| aws.error("cloudformation", "ListStacks", e))?;
        for s in page.stack_summaries() {
            if s.stack_name() == Some(name) {
                ids.extend(s.stack_id().map(str::to_string));
            }
        }
    }
    let mut left = StackData::default();
    for id in ids {
        let data = destroy::data_of(aws, &id).await?;
        for b in data.buckets.into_iter().filter(|b| b.retained) {
            if !has(&left.buckets, &b) && bucket_exists(aws, &b.name).await {
                left.buckets.push(b);
            }
        }
        for t in data.tables.into_iter().filter(|t| t.retained) {
            if !has(&left.tables, &t) && super::tables::replicas(aws, &t.name).await?.is_some() {
                left.tables.push(t);
            }
        }
    }
    Ok(left)
}

fn has(list: &[StackBucket], item: &StackBucket) -> bool {
    list.iter().any(|x| x.name == item.name)
}

async fn bucket_exists(aws: &Aws, bucket: &str) -> bool {
    aws.s3().head_bucket().bucket(bucket).send().await.is_ok()
}
