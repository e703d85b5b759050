//! Deleting a stack. Buckets and tables the template retains
//! (`DeletionPolicy: Retain`) stay with their data unless `--delete-data`;
//! then every bucket of the stack is emptied (all versions and delete
//! markers) and retained buckets and tables (with every replica, see
//! [`super::tables`]) are deleted after the stack.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use serde::Serialize;

use crate::aws::Aws;
use crate::cfn::status::Status;
use crate::error::{Error, Result};
use crate::io::Progress;

use super::events::{self, Poll};
use super::stack::{self, StackInfo};

/// A bucket or table of the stack.
#[derive(Debug, Clone, Serialize)]
pub struct StackBucket {
    pub logical_id: String,
    pub name: String,
    pub retained: bool,
}

/// What destroy did.
#[derive(Debug, Clone, Serialize)]
pub struct Destroyed {
    pub stack: String,
    pub region: String,
    #[serde(rename = "outcome")]
    pub result: DestroyOutcome,
    /// Buckets left in place with their data.
    pub kept: Vec<String>,
    /// Buckets emptied and deleted.
    pub deleted: Vec<String>,
    /// Tables left in place with their items (in every replica region).
    pub kept_tables: Vec<String>,
    /// Tables deleted with every replica.
    pub deleted_tables: Vec<String>,
}

/// What became of the stack in one region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DestroyOutcome {
    /// This run deleted the stack.
    Deleted,
    /// The stack was deleted before; what it retained is listed (and
    /// deleted with `--delete-data`).
    AlreadyDeleted,
    /// No such stack, and nothing retained by one deleted earlier.
    NothingToDelete,
}

impl Destroyed {
    /// An empty result of `outcome` for `stack` in `aws`'s region.
    pub fn new(stack: &str, aws: &Aws, result: DestroyOutcome) -> Destroyed {
        Destroyed {
            stack: stack.to_string(),
            region: aws.region.clone(),
            result,
            kept: vec![],
            deleted: vec![],
            kept_tables: vec![],
            deleted_tables: vec![],
        }
    }
}

/// The stack's buckets and tables, and whether the template retains each.
#[derive(Debug, Clone, Default)]
pub struct StackData {
    pub buckets: Vec<StackBucket>,
    pub tables: Vec<StackBucket>,
}

impl StackData {
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty() && self.tables.is_empty()
    }
}

/// Reads the stack's buckets and tables (one template read, one listing).
pub async fn data(aws: &Aws, info: &StackInfo) -> Result<StackData> {
    data_of(aws, &info.id).await
}

/// [`data`] by stack id (also of a deleted stack: CloudFormation keeps its
/// template and resource list for 90 days).
pub async fn data_of(aws: &Aws, stack_id: &str) -> Result<StackData> {
    let cfn = aws.cloudformation();
    let template = stack::template(&cfn, aws, stack_id).await?;
    let mut out = StackData::default();
    let mut pages = cfn
        .list_stack_resources()
        .stack_name(stack_id)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| aws.error("cloudformation", "ListStackResources", e))?;
        for r in page.stack_resource_summaries() {
            let list = match r.resource_type() {
                Some("AWS::S3::Bucket") => &mut out.buckets,
                Some(t) if super::tables::TABLE_TYPES.contains(&t) => &mut out.tables,
                _ => continue,
            };
            let (Some(id), Some(name)) = (r.logical_resource_id(), r.physical_resource_id()) else {
                continue;
            };
            let policy = &template["Resources"][id]["DeletionPolicy"];
            list.push(StackBucket {
                logical_id: id.to_string(),
                name: name.to_string(),
                retained: policy == "Retain" || policy == "RetainExceptOnCreate",
            });
        }
    }
    Ok(out)
}

/// Deletes the stack (see the module docs for data).
pub async fn destroy(
    aws: &Aws,
    info: &StackInfo,
    data: &StackData,
    delete_data: bool,
    poll: Poll,
    progress: &Progress<'_>,
) -> Result<Destroyed> {
    let cfn = aws.cloudformation();
    if delete_data {
        for b in &data.buckets {
            progress.message(format!("emptying bucket {} ({})", b.name, b.logical_id));
            empty_bucket(aws, &b.name).await?;
        }
    }
    let watched = stack::delete(&cfn, aws, info, &[], poll, progress).await?;
    if watched.status != Status::DeleteComplete {
        return Err(Error::Deploy(events::failure_message(&info.name, &watched)));
    }
    let mut result = Destroyed::new(&info.name, aws, DestroyOutcome::Deleted);
    retained(aws, data, delete_data, poll, progress, &mut result).await?;
    Ok(result)
}

/// The retained buckets and tables of `data`: deleted with their data
/// (`delete_data`) or listed as kept, in `result`.
pub async fn retained(
    aws: &Aws,
    data: &StackData,
    delete_data: bool,
    poll: Poll,
    progress: &Progress<'_>,
    result: &mut Destroyed,
) -> Result<()> {
    for b in data.buckets.iter().filter(|b| b.retained) {
        if delete_data {
            empty_bucket(aws, &b.name).await?;
            match aws.s3().delete_bucket().bucket(&b.name).send().await {
                Ok(_) => {}
                Err(e) if e.code() == Some("NoSuchBucket") => {}
                Err(e) => return Err(aws.error("s3", "DeleteBucket", e)),
            }
            result.deleted.push(b.name.clone());
        } else {
            result.kept.push(b.name.clone());
        }
    }
    for t in data.tables.iter().filter(|t| t.retained) {
        if delete_data {
            super::tables::delete(aws, &t.name, poll, progress).await?;
            result.deleted_tables.push(t.name.clone());
        } else {
            result.kept_tables.push(t.name.clone());
        }
    }
    Ok(())
}

/// Deletes every object version and delete marker in a bucket. A page that
/// does not shrink is retried once without the version id `null` (objects
/// written while versioning was off; some endpoints reject that id), then
/// reported instead of looping.
pub async fn empty_bucket(aws: &Aws, bucket: &str) -> Result<()> {
    let s3 = aws.s3();
    let mut previous: Vec<(String, Option<String>)> = Vec::new();
    let mut omit_null = false;
    loop {
        let page = match s3
            .list_object_versions()
            .bucket(bucket)
            .max_keys(1000)
            .send()
            .await
        {
            Ok(p) => p,
            Err(e) if format!("{e:?}").contains("NoSuchBucket") => return Ok(()),
            Err(e) => return Err(aws.error("s3", "ListObjectVersions", e)),
        };
        let mut ids: Vec<(String, Option<String>)> = Vec::new();
        for v in page.versions() {
            ids.push((
                v.key().unwrap_or_default().to_string(),
                v.version_id().map(str::to_string),
            ));
        }
        for m in page.delete_markers() {
            ids.push((
                m.key().unwrap_or_default().to_string(),
                m.version_id().map(str::to_string),
            ));
        }
        if ids.is_empty() {
            return Ok(());
        }
        if ids == previous {
            if omit_null {
                return Err(Error::Aws(format!(
                    "cannot empty bucket {bucket}: {} object versions remain after deleting them; empty it by hand, then run destroy again",
                    ids.len()
                )));
            }
            omit_null = true;
        }
        let objects = ids
            .iter()
            .map(|(k, v)| {
                let v = v.clone().filter(|v| !(omit_null && v == "null"));
                ObjectIdentifier::builder().key(k).set_version_id(v).build()
            })
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| Error::Aws(e.to_string()))?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| Error::Aws(e.to_string()))?;
        let resp = s3
            .delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .map_err(|e| aws.error("s3", "DeleteObjects", e))?;
        if let Some(e) = resp.errors().first() {
            let (code, message) = (
                e.code().unwrap_or_default(),
                e.message().unwrap_or_default(),
            );
            let text = format!(
                "cannot empty bucket {bucket}: {code} deleting {}: {message}; check the bucket policy and your permissions",
                e.key().unwrap_or_default()
            );
            return Err(if code == "AccessDenied" {
                Error::AwsAccess(text)
            } else {
                Error::Aws(text)
            });
        }
        previous = ids;
    }
}
