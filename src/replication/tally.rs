//! The totals of `streamkit local replicate` ([`RegionRun`], one per
//! region), live: each region's runner updates its [`RegionRun`] in the
//! [`Tally`] after every round, and the command turns a snapshot into a progress event every `--interval` seconds
//! ([`ReplicationProgress`], one line per event in text mode).

use std::fmt;
use std::sync::Mutex;

use serde::Serialize;

/// Totals of one region's runner.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RegionRun {
    pub region: String,
    /// The region it replicates to.
    pub target: String,
    /// Whether the region was active at its last config read (`None`: no
    /// records read yet, so the config was not read).
    pub active: Option<bool>,
    pub polls: u64,
    pub records_read: u64,
    pub records_replicated: u64,
    /// Extra copies written to the destination (re-sent after a failure).
    pub duplicates: u64,
    /// Entries sent in calls whose outcome is unknown (e.g. the connection
    /// dropped): the destination holds at most this many copies more.
    pub possible_duplicates: u64,
    /// Rounds (batches, polls, config reads) tried again after a wait.
    pub retries: u64,
    /// PutRecords entries re-sent within a round.
    pub retried_entries: u64,
    /// Read while the region was passive (not sent).
    pub skipped_passive: u64,
    /// Read while active but older than the region's activation (not sent back: echo prevention).
    pub skipped_before_activation: u64,
    /// How far the last poll was from the stream's tip (the largest
    /// `MillisBehindLatest` over the shards; `None` before the first poll).
    pub millis_behind_latest: Option<i64>,
    /// Records read but not confirmed when the run was stopped (Ctrl-C):
    /// their checkpoint stays before them, the next run sends them.
    pub unconfirmed_at_stop: u64,
    /// The last error retried (`None`: no error so far).
    pub last_error: Option<String>,
}

/// The runners' totals so far, one per region (in the stack's region order).
#[derive(Debug, Default)]
pub struct Tally {
    regions: Mutex<Vec<RegionRun>>,
}

impl Tally {
    /// Records `run` as its region's latest totals.
    pub fn update(&self, run: &RegionRun) {
        let mut regions = self.regions.lock().unwrap_or_else(|e| e.into_inner());
        match regions.iter_mut().find(|r| r.region == run.region) {
            Some(r) => r.clone_from(run),
            None => regions.push(run.clone()),
        }
    }

    /// Every region's latest totals, in `order`.
    pub fn snapshot(&self, order: &[String]) -> Vec<RegionRun> {
        let regions = self.regions.lock().unwrap_or_else(|e| e.into_inner());
        order
            .iter()
            .filter_map(|name| regions.iter().find(|r| &r.region == name).cloned())
            .collect()
    }
}

/// One progress line of `local replicate`: the totals after `seconds`.
#[derive(Debug, Clone, Serialize)]
pub struct ReplicationProgress {
    pub seconds: f64,
    pub regions: Vec<RegionRun>,
}

impl fmt::Display for ReplicationProgress {
    /// `12s: us-east-1 -> us-west-2 active: replicated 500 of 500 read, 0 ms
    /// behind the tip, 0 retries | us-west-2 -> us-east-1 passive: ...`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.0}s:", self.seconds)?;
        for (i, r) in self.regions.iter().enumerate() {
            let sep = if i == 0 { " " } else { " | " };
            let role = match r.active {
                Some(true) => "active",
                Some(false) => "passive",
                None => "starting",
            };
            write!(
                f,
                "{sep}{} -> {} {role}: replicated {} of {} read",
                r.region, r.target, r.records_replicated, r.records_read
            )?;
            if r.skipped_before_activation > 0 {
                write!(f, " ({} not sent back)", r.skipped_before_activation)?;
            }
            match r.millis_behind_latest {
                Some(ms) => write!(f, ", {ms} ms behind the tip")?,
                None => write!(f, ", not polled yet")?,
            }
            write!(f, ", {} retries", r.retries)?;
            if let Some(e) = &r.last_error {
                write!(f, " (last error: {e})")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_both_directions_and_the_last_error() {
        let tally = Tally::default();
        let mut a = RegionRun {
            region: "us-east-1".into(),
            target: "us-west-2".into(),
            active: Some(true),
            records_read: 500,
            records_replicated: 400,
            millis_behind_latest: Some(1200),
            ..RegionRun::default()
        };
        tally.update(&a);
        let b = RegionRun {
            region: "us-west-2".into(),
            target: "us-east-1".into(),
            active: Some(false),
            retries: 2,
            last_error: Some("GetRecords: timed out".into()),
            ..RegionRun::default()
        };
        tally.update(&b);
        a.records_replicated = 500;
        tally.update(&a);
        let order = ["us-east-1".to_string(), "us-west-2".to_string()];
        let line = ReplicationProgress {
            seconds: 12.3,
            regions: tally.snapshot(&order),
        }
        .to_string();
        assert_eq!(
            line,
            "12s: us-east-1 -> us-west-2 active: replicated 500 of 500 read, 1200 ms behind the tip, 0 retries \
             | us-west-2 -> us-east-1 passive: replicated 0 of 0 read, not polled yet, 2 retries (last error: GetRecords: timed out)"
        );
    }
}
