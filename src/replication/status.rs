//! `streamkit replication status`: per region and shard, the checkpoint,
//! lag and records behind.
//!
//! Records behind are counted exactly: the active region's stream is read
//! from each shard's checkpoint (GetRecords, AFTER_SEQUENCE_NUMBER) to the
//! tip, counting records that arrived at or after the region became active
//! (older ones are copies from the other region and are never sent). The
//! count stops at [`COUNT_CAP`] per shard and is then reported as a bound.

use std::collections::BTreeMap;

use serde::Serialize;
use streamkit_core::poller::{ShardPoller, StartPosition};
use streamkit_replicator::checkpoint;

use super::{core_error, now_secs, ActiveConfig, XrStack};
use crate::error::Result;

/// Records counted per shard before the count becomes a lower bound.
pub const COUNT_CAP: u64 = 100_000;

#[derive(Debug, Clone, Serialize)]
pub struct ShardStatus {
    pub shard_id: String,
    /// Last replicated (or deliberately skipped) sequence number.
    pub sequence_number: Option<String>,
    /// Its approximate arrival time (RFC 3339).
    pub arrival_time: Option<String>,
    pub commit_timestamp: Option<String>,
    pub records_replicated: u64,
    /// Seconds since the oldest record not yet replicated arrived; 0 when caught up.
    /// Only for the active region.
    pub lag_seconds: Option<f64>,
    /// Records in this region's stream not yet replicated (active region only).
    pub records_behind: Option<u64>,
    /// True when `records_behind` is a lower bound (the count stopped at the cap).
    pub behind_is_lower_bound: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct RegionStatus {
    pub region: String,
    pub active: bool,
    /// The config item as this region's replica has it.
    pub config: Option<ActiveConfig>,
    pub shards: Vec<ShardStatus>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub stack: String,
    pub stream: String,
    pub active_region: String,
    pub active_since: Option<f64>,
    pub regions: Vec<RegionStatus>,
    /// Worst lag of the active region (seconds).
    pub lag_seconds: f64,
    /// Records of the active region not yet in the other region.
    pub records_behind: u64,
    pub behind_is_lower_bound: bool,
}

/// Reads the config, both regions' checkpoints and the active stream's tip.
pub async fn status(xr: &XrStack) -> Result<Status> {
    let (_, config) = xr.require_config().await?;
    let since = config.active_since.unwrap_or(0.0);
    let mut regions = Vec::new();
    for region in &xr.regions {
        let aws = xr.aws_of(region)?;
        let ddb = aws_sdk_dynamodb::Client::new(&aws.config);
        let region_config = xr.read_config(region).await?;
        let cps: BTreeMap<String, checkpoint::Checkpoint> =
            checkpoint::read_all(&ddb, &xr.checkpoint_table, &xr.stream)
                .await
                .map_err(core_error)?
                .into_iter()
                .filter(|c| c.source_region == *region)
                .map(|c| (c.shard_id.clone(), c))
                .collect();
        let active = config.active_region == *region;
        let kinesis = aws_sdk_kinesis::Client::new(&aws.config);
        let start = StartPosition {
            after: cps
                .values()
                .map(|c| (c.shard_id.clone(), c.sequence_number.clone()))
                .collect(),
            latest: false,
        };
        let mut poller = ShardPoller::open(&kinesis, &xr.stream, &start)
            .await
            .map_err(core_error)?;
        // shard -> (count, oldest arrival, capped)
        let mut behind: BTreeMap<String, (u64, Option<f64>, bool)> = poller
            .shard_ids()
            .into_iter()
            .map(|s| (s, (0, None, false)))
            .collect();
        if active {
            loop {
                let batches = poller.poll(10_000).await.map_err(core_error)?;
                let mut read = 0;
                for b in batches {
                    read += b.records.len();
                    let e = behind.entry(b.shard_id.clone()).or_default();
                    for r in &b.records {
                        if r.approximate_arrival.is_some_and(|at| at < since) {
                            continue;
                        }
                        if e.0 >= COUNT_CAP {
                            e.2 = true;
                            break;
                        }
                        e.0 += 1;
                        if e.1.is_none() {
                            e.1 = r.approximate_arrival;
                        }
                    }
                }
                if read == 0 || behind.values().all(|e| e.2) {
                    break;
                }
            }
        }
        let now = now_secs();
        let shards = behind
            .iter()
            .map(|(shard_id, (count, oldest, capped))| {
                let cp = cps.get(shard_id);
                ShardStatus {
                    shard_id: shard_id.clone(),
                    sequence_number: cp.map(|c| c.sequence_number.clone()),
                    arrival_time: cp.and_then(|c| c.approximate_arrival).map(rfc3339),
                    commit_timestamp: cp.and_then(|c| c.commit_timestamp.clone()),
                    records_replicated: cp.map(|c| c.records_replicated).unwrap_or(0),
                    lag_seconds: active
                        .then(|| oldest.map(|at| (now - at).max(0.0)).unwrap_or(0.0)),
                    records_behind: active.then_some(*count),
                    behind_is_lower_bound: *capped,
                }
            })
            .collect();
        regions.push(RegionStatus {
            region: region.clone(),
            active,
            config: region_config,
            shards,
        });
    }
    let act = regions.iter().find(|r| r.active);
    let shards = act.map(|r| r.shards.as_slice()).unwrap_or_default();
    Ok(Status {
        stack: xr.stack_name.clone(),
        stream: xr.stream.clone(),
        active_region: config.active_region.clone(),
        active_since: config.active_since,
        lag_seconds: shards
            .iter()
            .filter_map(|s| s.lag_seconds)
            .fold(0.0, f64::max),
        records_behind: shards.iter().filter_map(|s| s.records_behind).sum(),
        behind_is_lower_bound: shards.iter().any(|s| s.behind_is_lower_bound),
        regions,
    })
}

fn rfc3339(secs: f64) -> String {
    chrono::DateTime::from_timestamp_millis((secs * 1000.0) as i64)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// The text table.
pub fn render(s: &Status) -> String {
    let mut out = format!(
        "stream {} (stack {}): active region {}{}\n",
        s.stream,
        s.stack,
        s.active_region,
        s.active_since
            .map_or(" since its stream began".to_string(), |t| format!(
                " since {}",
                rfc3339(t)
            ))
    );
    out.push_str(&format!(
        "{:<10} {:<7} {:<24} {:<26} {:>9} {:>10} {:>11}  {}\n",
        "REGION", "ROLE", "SHARD", "LAST ARRIVAL", "LAG (s)", "BEHIND", "REPLICATED", "SEQUENCE"
    ));
    for r in &s.regions {
        let role = if r.active { "active" } else { "passive" };
        for sh in &r.shards {
            let behind = match sh.records_behind {
                Some(n) if sh.behind_is_lower_bound => format!(">={n}"),
                Some(n) => n.to_string(),
                None => "-".into(),
            };
            out.push_str(&format!(
                "{:<10} {:<7} {:<24} {:<26} {:>9} {:>10} {:>11}  {}\n",
                r.region,
                role,
                sh.shard_id,
                sh.arrival_time.as_deref().unwrap_or("-"),
                sh.lag_seconds
                    .map(|l| format!("{l:.1}"))
                    .unwrap_or_else(|| "-".into()),
                behind,
                sh.records_replicated,
                sh.sequence_number.as_deref().unwrap_or("-"),
            ));
        }
    }
    let bound = if s.behind_is_lower_bound {
        "at least "
    } else {
        ""
    };
    out.push_str(&format!(
        "{bound}{} records of {} not yet in the other region; lag {:.1}s",
        s.records_behind, s.active_region, s.lag_seconds
    ));
    out
}
