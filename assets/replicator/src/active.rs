//! Which region replicates, and since when, cached for a few seconds.

use aws_sdk_dynamodb::types::AttributeValue;
use std::sync::Mutex;
use std::time::{Duration, Instant};
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

/// A short-lived cache of the active-region config item.
#[derive(Debug)]
pub struct ActiveRegionCache {
    ttl: Duration,
    cached: Mutex<Option<(Instant, Active)>>,
}

impl ActiveRegionCache {
    pub fn new(ttl: Duration) -> Self {
        ActiveRegionCache {
            ttl,
            cached: Mutex::new(None),
        }
    }

    /// The config item, from the cache when fresh and it names `local` as
    /// active, else from the table. A "passive" answer is never taken from the
    /// cache: records the caller skips because it is passive are acknowledged
    /// and never replicated, so after a failover to `local` a stale cached
    /// "passive" would lose what arrived in the first seconds (a fresh read
    /// sees the flip; records that arrived before it stay skipped by
    /// `activeSince`).
    pub async fn get(
        &self,
        ddb: &aws_sdk_dynamodb::Client,
        table: &str,
        stream: &str,
        local: &str,
    ) -> Result<Active, ReplicatorError> {
        if let Some((at, active)) = self.cached.lock().expect("cache lock").as_ref() {
            if at.elapsed() < self.ttl && active.region == local {
                return Ok(active.clone());
            }
        }
        let active = read_active(ddb, table, stream).await?;
        *self.cached.lock().expect("cache lock") = Some((Instant::now(), active.clone()));
        Ok(active)
    }
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
