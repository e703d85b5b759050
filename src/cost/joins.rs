//! The joins stack's own lines: DynamoDB (join state and output table) and
//! the design it replaces, a Kinesis Data Analytics SQL application (billed
//! by the KPU-hour) with a provisioned output table and an output stream.
//!
//! Load model (at 1 MB/s: 1,000 records/s): one record in three is an order,
//! two are items. The join state's request units per record are manifest
//! data (`cost.joins` in `patterns/joins.yaml`, [`crate::catalog::JoinsLoad`]),
//! measured by the in-process benchmark on the in-memory store that bills
//! what DynamoDB on-demand would: the state is written as compressed pages of
//! 16 orders, one transactional write per page and commit (a commit covers up
//! to a whole batch), so an order and its two items cost a fraction of a
//! write unit; each item costs one output write unit.

use super::price;
use super::{HOURS_PER_MONTH, RECORDS_PER_MONTH};

pub const ITEMS_PER_RECORD: f64 = 2.0 / 3.0;
/// KDA SQL: the reference application's KPUs idle, and at 1 MB/s.
pub const KDA_SQL_KPUS_IDLE: f64 = 1.0;
pub const KDA_SQL_KPUS_AT_LOAD: f64 = 2.0;
/// The reference's output table and output stream (spec `joins.md`).
pub const REFERENCE_WCU: f64 = 3000.0;
pub const REFERENCE_RCU: f64 = 5.0;
pub const REFERENCE_OUTPUT_SHARDS: f64 = 2.0;

/// What the joins stack (or its reference) runs besides the common parts.
#[derive(Clone, Debug, PartialEq)]
pub struct Joins {
    /// The Lambda engine's state table, as (write, read) request units per
    /// record (the Flink engine keeps state in Flink: `None`).
    pub state_table: Option<(f64, f64)>,
    /// Output table capacity: `None` on-demand, else (RCU, WCU).
    pub provisioned: Option<(f64, f64)>,
    pub output_stream_on_demand: bool,
    pub output_stream_shards: f64,
    pub kda_sql: bool,
}

impl Joins {
    /// The reference design: KDA SQL, 3,000 WCU provisioned, a 2-shard output stream.
    pub fn reference() -> Joins {
        Joins {
            state_table: None,
            provisioned: Some((REFERENCE_RCU, REFERENCE_WCU)),
            output_stream_on_demand: false,
            output_stream_shards: REFERENCE_OUTPUT_SHARDS,
            kda_sql: true,
        }
    }

    /// (item, idle, extra at load) per line.
    pub fn lines(&self) -> Vec<(String, f64, f64)> {
        let mut out = Vec::new();
        let m = RECORDS_PER_MONTH / 1e6;
        if let Some((writes, reads)) = self.state_table {
            let load = m * writes * price::DYNAMODB_WRITES_PER_MILLION
                + m * reads * price::DYNAMODB_READS_PER_MILLION;
            out.push(("DynamoDB join state (on-demand)".to_string(), 0.0, load));
        }
        match self.provisioned {
            None => out.push((
                "DynamoDB output table (on-demand writes)".to_string(),
                0.0,
                m * ITEMS_PER_RECORD * price::DYNAMODB_WRITES_PER_MILLION,
            )),
            Some((rcu, wcu)) => out.push((
                format!("DynamoDB output table ({wcu} WCU, {rcu} RCU provisioned)"),
                HOURS_PER_MONTH * (wcu * price::DYNAMODB_WCU_HOUR + rcu * price::DYNAMODB_RCU_HOUR),
                0.0,
            )),
        }
        if self.output_stream_on_demand {
            let gb = RECORDS_PER_MONTH * super::LOAD_RECORD_BYTES * ITEMS_PER_RECORD / 1e9;
            out.push((
                "output stream (on-demand)".to_string(),
                HOURS_PER_MONTH * price::KDS_ON_DEMAND_STREAM_HOUR,
                gb * price::KDS_ON_DEMAND_INGEST_GB,
            ));
        }
        if self.output_stream_shards > 0.0 {
            out.push((
                format!("output stream ({} shards)", self.output_stream_shards),
                self.output_stream_shards * HOURS_PER_MONTH * price::KDS_SHARD_HOUR,
                m * ITEMS_PER_RECORD * price::KDS_PUT_PAYLOAD_UNITS_PER_MILLION,
            ));
        }
        if self.kda_sql {
            let kpu = HOURS_PER_MONTH * price::KDA_SQL_KPU_HOUR;
            out.push((
                format!("Kinesis Data Analytics SQL ({KDA_SQL_KPUS_IDLE} KPU, {KDA_SQL_KPUS_AT_LOAD} at 1 MB/s)"),
                KDA_SQL_KPUS_IDLE * kpu,
                (KDA_SQL_KPUS_AT_LOAD - KDA_SQL_KPUS_IDLE) * kpu,
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::catalog;
    use crate::cost::estimate::estimate;
    use crate::render::{render, RenderOptions};

    fn joins(settings: &[(&str, &str)]) -> serde_json::Value {
        let opts = RenderOptions {
            settings: settings
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..RenderOptions::default()
        };
        render(&catalog::find("joins").unwrap(), &opts)
            .unwrap()
            .template
    }

    fn line<'a>(lines: &'a [crate::cost::CostLine], start: &str) -> &'a crate::cost::CostLine {
        lines
            .iter()
            .find(|l| l.item.starts_with(start))
            .unwrap_or_else(|| panic!("no {start} line in {lines:?}"))
    }

    #[test]
    fn the_lambda_engine_pays_dynamodb_by_the_request_and_the_reference_kpu_hours() {
        let c = estimate(
            &crate::catalog::find("joins").expect("a manifest"),
            &joins(&[]),
            &[],
        );
        let state = line(&c.design.lines, "DynamoDB join state");
        assert_eq!(state.idle_usd, 0.0);
        // 2.628e9 records at the manifest's units: WRU at $0.625/M, RRU at $0.125/M.
        let load = catalog::find("joins").unwrap().cost.joins.unwrap();
        let want = 2628.0
            * (load.state_write_units_per_record * 0.625
                + load.state_read_units_per_record * 0.125);
        assert!((state.at_1mbps_usd - want).abs() < 0.01, "{state:?}");
        let output = line(&c.design.lines, "DynamoDB output table (on-demand");
        assert!((output.at_1mbps_usd - 2628.0 * 2.0 / 3.0 * 0.625).abs() < 0.01);
        let kda = line(&c.reference.lines, "Kinesis Data Analytics SQL");
        assert!((kda.idle_usd - 730.0 * 0.11).abs() < 0.01);
        let wcu = line(&c.reference.lines, "DynamoDB output table (3000 WCU");
        assert!((wcu.idle_usd - 730.0 * (3000.0 * 0.00065 + 5.0 * 0.00013)).abs() < 0.01);
        assert!(c.design.idle_usd < c.reference.idle_usd, "{c:?}");
        // The paged join state keeps it at or below the KDA SQL reference under load.
        assert!(c.design.at_1mbps_usd <= c.reference.at_1mbps_usd, "{c:?}");
        // The tables are priced here once, not again as window state.
        assert!(c
            .design
            .lines
            .iter()
            .all(|l| !l.item.contains("window state")));
        line(&c.design.lines, "scheduled emitter");
        assert!(c
            .reference
            .lines
            .iter()
            .all(|l| !l.item.contains("scheduled")));
    }

    #[test]
    fn provisioned_output_and_the_flink_engine_follow_the_template() {
        let given = [
            ("OutputBillingMode".to_string(), "PROVISIONED".to_string()),
            ("OutputWriteCapacity".to_string(), "100".to_string()),
            ("EnableOutputStream".to_string(), "true".to_string()),
        ];
        let c = estimate(
            &crate::catalog::find("joins").expect("a manifest"),
            &joins(&[]),
            &given,
        );
        line(&c.design.lines, "DynamoDB output table (100 WCU");
        line(&c.design.lines, "output stream (on-demand)");
        let f = estimate(
            &crate::catalog::find("joins").expect("a manifest"),
            &joins(&[("engine", "flink")]),
            &[],
        );
        assert!(f
            .design
            .lines
            .iter()
            .all(|l| !l.item.contains("join state")));
        line(&f.design.lines, "Managed Flink");
        assert!(f
            .reference
            .lines
            .iter()
            .all(|l| !l.item.contains("Managed Flink")));
    }
}
