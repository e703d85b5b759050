//! The on-failure records of a Kinesis event source mapping, read from its
//! destination: an SQS queue (one message per discarded batch) or an S3
//! bucket (one object per batch under `aws/lambda/<mapping UUID>/`), as
//! "Retaining records of discarded batches" (Lambda Developer Guide)
//! describes them. Each names the shard and sequence range of the batch
//! (`KinesisBatchInfo`), not its records.

use serde_json::Value;

use crate::aws::Aws;
use crate::error::{Error, Result};

/// How long received messages stay invisible to others while a redrive
/// works on them (those left are made visible again at the end).
const HOLD_SECONDS: i32 = 300;

/// Where a failure record came from, to delete or release it.
#[derive(Debug, Clone)]
pub enum Handle {
    Sqs { queue_url: String, receipt: String },
    S3 { bucket: String, key: String },
}

/// One discarded batch.
#[derive(Debug, Clone)]
pub struct FailedBatch {
    pub shard_id: String,
    pub start: String,
    pub end: String,
    pub size: usize,
    pub stream_arn: String,
    pub handle: Handle,
}

/// A failure destination (an SQS queue or S3 bucket ARN).
pub struct Destination<'a> {
    aws: &'a Aws,
    arn: String,
}

impl<'a> Destination<'a> {
    pub fn new(aws: &'a Aws, arn: &str) -> Result<Destination<'a>> {
        let service = arn.split(':').nth(2).unwrap_or_default();
        if service != "sqs" && service != "s3" {
            return Err(Error::BadInput(format!(
                "on-failure destination {arn} is neither an SQS queue nor an S3 bucket; streamkit redrives from those two"
            )));
        }
        Ok(Destination {
            aws,
            arn: arn.to_string(),
        })
    }

    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// Every failure record waiting (held for [`HOLD_SECONDS`] on SQS), and
    /// the entries that are not on-failure records (to release untouched).
    pub async fn receive(&self, mapping_uuid: &str) -> Result<(Vec<FailedBatch>, Vec<Handle>)> {
        let parts: Vec<&str> = self.arn.split(':').collect();
        let mut out = Vec::new();
        let mut foreign = Vec::new();
        if parts[2] == "sqs" {
            let sqs = aws_sdk_sqs::Client::new(&self.aws.config);
            let url = sqs
                .get_queue_url()
                .queue_name(parts[5])
                .queue_owner_aws_account_id(parts[4])
                .send()
                .await
                .map_err(|e| self.aws.error("sqs", "GetQueueUrl", e))?
                .queue_url
                .unwrap_or_default();
            loop {
                let got = sqs
                    .receive_message()
                    .queue_url(&url)
                    .max_number_of_messages(10)
                    .visibility_timeout(HOLD_SECONDS)
                    .wait_time_seconds(0)
                    .send()
                    .await
                    .map_err(|e| self.aws.error("sqs", "ReceiveMessage", e))?;
                if got.messages().is_empty() {
                    break;
                }
                for m in got.messages() {
                    let handle = Handle::Sqs {
                        queue_url: url.clone(),
                        receipt: m.receipt_handle().unwrap_or_default().to_string(),
                    };
                    match parse(m.body().unwrap_or_default(), &handle) {
                        Some(b) => out.push(b),
                        None => foreign.push(handle),
                    }
                }
            }
        } else {
            let bucket = parts[5].to_string();
            let s3 = self.aws.s3();
            let mut pages = s3
                .list_objects_v2()
                .bucket(&bucket)
                .prefix(format!("aws/lambda/{mapping_uuid}/"))
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| self.aws.error("s3", "ListObjectsV2", e))?;
                for o in page.contents() {
                    let key = o.key().unwrap_or_default().to_string();
                    let body = s3
                        .get_object()
                        .bucket(&bucket)
                        .key(&key)
                        .send()
                        .await
                        .map_err(|e| self.aws.error("s3", "GetObject", e))?
                        .body
                        .collect()
                        .await
                        .map_err(|e| Error::Aws(format!("reading s3://{bucket}/{key}: {e}")))?
                        .into_bytes();
                    let handle = Handle::S3 {
                        bucket: bucket.clone(),
                        key,
                    };
                    match parse(&String::from_utf8_lossy(&body), &handle) {
                        Some(b) => out.push(b),
                        None => foreign.push(handle),
                    }
                }
            }
        }
        Ok((out, foreign))
    }

    /// Deletes a failure record (its batch was redriven).
    pub async fn delete(&self, handle: &Handle) -> Result<()> {
        match handle {
            Handle::Sqs { queue_url, receipt } => aws_sdk_sqs::Client::new(&self.aws.config)
                .delete_message()
                .queue_url(queue_url)
                .receipt_handle(receipt)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.aws.error("sqs", "DeleteMessage", e)),
            Handle::S3 { bucket, key } => self
                .aws
                .s3()
                .delete_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.aws.error("s3", "DeleteObject", e)),
        }
    }

    /// Makes a held SQS message visible again at once (nothing for S3).
    pub async fn release(&self, handle: &Handle) -> Result<()> {
        if let Handle::Sqs { queue_url, receipt } = handle {
            aws_sdk_sqs::Client::new(&self.aws.config)
                .change_message_visibility()
                .queue_url(queue_url)
                .receipt_handle(receipt)
                .visibility_timeout(0)
                .send()
                .await
                .map_err(|e| self.aws.error("sqs", "ChangeMessageVisibility", e))?;
        }
        Ok(())
    }
}

/// An on-failure record's batch, or `None` for anything else.
fn parse(body: &str, handle: &Handle) -> Option<FailedBatch> {
    let v: Value = serde_json::from_str(body).ok()?;
    let info = v.get("KinesisBatchInfo")?;
    let text = |k: &str| info[k].as_str().map(str::to_string);
    Some(FailedBatch {
        shard_id: text("shardId")?,
        start: text("startSequenceNumber")?,
        end: text("endSequenceNumber")?,
        size: info["batchSize"].as_u64().unwrap_or(0) as usize,
        stream_arn: text("streamArn")?,
        handle: handle.clone(),
    })
}
