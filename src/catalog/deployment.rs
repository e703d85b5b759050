//! How the deployer treats a stack, as data in its manifest (`deployment:`):
//! which parameters come from the network, which a local run sets, whether it
//! spans two regions.
//! Checked against the rest of the manifest when it loads.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Per-pattern behaviour of the deployer, as data in the manifest.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    /// Parameters whose value comes from the network the stack is deployed
    /// into: a local deploy fills them in from the emulator's default VPC.
    #[serde(default)]
    pub network_parameters: BTreeMap<String, NetworkValue>,
    /// Parameters `streamkit local up` sets on the emulator (e.g. start the
    /// producer at boot, so data flows), over the template's defaults.
    #[serde(default)]
    pub local_parameters: BTreeMap<String, String>,
    /// The stack is deployed to two regions at once (one template, a role each).
    #[serde(default)]
    pub region_pair: Option<RegionPair>,
}

/// What a network parameter takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkValue {
    /// The VPC's id.
    VpcId,
    /// A subnet of that VPC.
    SubnetId,
}

/// A stack deployed to two regions (`deploy --regions A,B`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RegionPair {
    /// Value of `role_parameter` in each region, in `--regions` order
    /// (e.g. `[primary, secondary]`).
    pub roles: Vec<String>,
    /// Parameter set to the region's role.
    pub role_parameter: String,
    /// Parameter set to the other region.
    pub peer_parameter: String,
    /// Once both regions are up, seed the active-region config item (the first
    /// region active) where it is absent.
    #[serde(default)]
    pub seed_active_region: bool,
}
