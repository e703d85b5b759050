//! Which region replicates, and since when: read fresh (strongly
//! consistent) for every batch, never cached. A cached "active" answer let the
//! old region keep replicating for the cache's lifetime after a failover,
//! sending back the copies the new region was writing into it, which the new
//! region sent back again: a loop for as long as the cache lasted. Read after
//! the batch's records were fetched, the config item is current for every
//! record in the batch (a copy from the new region arrived after the flip, so
//! the read sees the flip); one GetItem per batch is the price.

use aws_sdk_dynamodb::types::AttributeValue;
use streamkit_core::error::sdk_message;

use crate::ReplicatorError;

/// The active-region config item.
#[derive(Clone, Debug, PartialEq)]
pub struct Active {
    pub region: String,
    /// When `region` became active (seconds since the epoch; `activeSince`,
    /// written by `streamkit failover`), if recorded. Records that arrived in
    /// its stream before then are copies from the other region: never sent back.
    pub since: Option<f64>,
}

/// Reads `activeRegion` and `activeSince` of the item `streamName = stream`.
pub async fn read_active(
    ddb: &aws_sdk_dynamodb::Client,
    table: &str,
    stream: &str,
) -> Result<Active, ReplicatorError> {
    let resp = ddb
        .get_item()
        .table_name(table)
        .key("streamName", AttributeValue::S(stream.into()))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| ReplicatorError::DynamoDb {
            operation: "GetItem",
            table: table.into(),
            message: sdk_message(&e),
        })?;
    let item = resp.item();
    let region = item
        .and_then(|item| item.get("activeRegion"))
        .and_then(|v| v.as_s().ok())
        .cloned()
        .ok_or_else(|| ReplicatorError::NoActiveRegion {
            table: table.into(),
            stream: stream.into(),
        })?;
    let since = item
        .and_then(|item| item.get("activeSince"))
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse::<f64>().ok());
    Ok(Active { region, since })
}
