//! Which region replicates, cached for a few seconds.

use aws_sdk_dynamodb::types::AttributeValue;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use streamkit_core::error::sdk_message;

use crate::ReplicatorError;

/// A short-lived cache of the active-region config item.
#[derive(Debug)]
pub struct ActiveRegionCache {
    ttl: Duration,
    cached: Mutex<Option<(Instant, String)>>,
}

impl ActiveRegionCache {
    pub fn new(ttl: Duration) -> Self {
        ActiveRegionCache {
            ttl,
            cached: Mutex::new(None),
        }
    }

    /// The active region, from the cache when fresh, else from the table.
    pub async fn get(
        &self,
        ddb: &aws_sdk_dynamodb::Client,
        table: &str,
        stream: &str,
    ) -> Result<String, ReplicatorError> {
        if let Some((at, region)) = self.cached.lock().expect("cache lock").as_ref() {
            if at.elapsed() < self.ttl {
                return Ok(region.clone());
            }
        }
        let region = read_active_region(ddb, table, stream).await?;
        *self.cached.lock().expect("cache lock") = Some((Instant::now(), region.clone()));
        Ok(region)
    }
}

/// Reads `activeRegion` of the item `streamName = stream`.
pub async fn read_active_region(
    ddb: &aws_sdk_dynamodb::Client,
    table: &str,
    stream: &str,
) -> Result<String, ReplicatorError> {
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
    resp.item()
        .and_then(|item| item.get("activeRegion"))
        .and_then(|v| v.as_s().ok())
        .cloned()
        .ok_or_else(|| ReplicatorError::NoActiveRegion {
            table: table.into(),
            stream: stream.into(),
        })
}
