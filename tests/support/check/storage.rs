//! Whether a resource of S3 and DynamoDB exists, asked of its own service.

use super::super::{Clients, Deployed, StackResource};

/// `None` for a type of another service.
pub(super) async fn exists(
    c: &Clients,
    _d: &Deployed,
    r: &StackResource,
    id: &str,
) -> Option<bool> {
    Some(match r.resource_type.as_str() {
        "AWS::S3::Bucket" => c.s3.head_bucket().bucket(id).send().await.is_ok(),
        "AWS::S3::BucketPolicy" => c.s3.get_bucket_policy().bucket(id).send().await.is_ok(),
        "AWS::DynamoDB::Table" | "AWS::DynamoDB::GlobalTable" => c
            .dynamodb
            .describe_table()
            .table_name(id)
            .send()
            .await
            .is_ok(),
        _ => return None,
    })
}
