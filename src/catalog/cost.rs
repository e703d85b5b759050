//! What the cost model needs to know about a stack beyond its template, as
//! data in its manifest (`cost:`): how API requests are loaded, how records
//! cross regions, what the joins model's tables are loaded with, and which
//! reference design it is compared with. The number of regions comes from
//! `deployment.region_pair`.

use serde::{Deserialize, Serialize};

/// Per-pattern inputs of the cost model.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CostProfile {
    /// What one request to the stack's REST API carries.
    #[serde(default)]
    pub api_load: ApiLoad,
    /// How records cross to the peer region.
    #[serde(default)]
    pub replication: Replication,
    /// The join state and output tables are priced by the joins model, with
    /// these request units per input record.
    #[serde(default)]
    pub joins: Option<JoinsLoad>,
    /// The reference design the estimate is compared with.
    #[serde(default)]
    pub reference: Reference,
}

/// The join state table's DynamoDB request units per input record (one
/// record in three an order, two items; at the producer's record sizes),
/// as measured by `cargo bench -p streamkit-joins --bench join`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct JoinsLoad {
    /// On-demand write request units (transactional writes count twice).
    pub state_write_units_per_record: f64,
    /// On-demand read request units (strongly consistent reads).
    pub state_read_units_per_record: f64,
}

/// What one API request carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiLoad {
    /// Records put through the ingest API (a batch per request).
    #[default]
    Ingest,
    /// One enrichment lookup per sampled record (the fare API).
    Fare,
}

/// How records reach the peer region.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Replication {
    /// A single-region stack.
    #[default]
    None,
    /// A replicator writing batches, checkpointed per batch and shard.
    Batched,
}

/// The reference design of the same pipeline.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reference {
    /// The same services.
    #[default]
    SameServices,
    /// A Java producer on a t3.small and Managed Flink (parallelism 1).
    FlinkWithProducer,
    /// Kinesis Data Analytics SQL and a Lambda writer (batch 500).
    KdaSql,
    /// A Lambda replicating record by record (PutRecord + PutItem each).
    PerRecordReplication,
}
