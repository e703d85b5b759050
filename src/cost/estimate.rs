//! The estimate of a rendered stack beside its reference design, as `deploy`
//! shows it (an event before any change; on an update it prices the deployed values of parameters not given) and BENCHMARKS.md tabulates it.

use serde::Serialize;
use serde_json::Value;

use super::model::Stack;
use super::{Estimate, PRICES_AS_OF};
use crate::catalog::Manifest;

/// A stack's estimate beside the reference design's.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    pub pattern: String,
    pub prices_as_of: &'static str,
    pub design: Estimate,
    pub reference: Estimate,
}

impl Comparison {
    /// The line `streamkit deploy` prints on stderr.
    pub fn summary(&self) -> String {
        format!(
            "estimated cost: idle ~${:.0}/month, at 1 MB/s ~${:.0}/month (reference design: ~${:.0} and ~${:.0}; us-east-1 prices of {}; see BENCHMARKS.md)",
            self.design.idle_usd,
            self.design.at_1mbps_usd,
            self.reference.idle_usd,
            self.reference.at_1mbps_usd,
            PRICES_AS_OF
        )
    }
}

/// Estimates the stack `template` (as rendered from `manifest`) with the
/// given `--parameter` values (others at their defaults), and the reference
/// design the manifest names.
pub fn estimate(manifest: &Manifest, template: &Value, given: &[(String, String)]) -> Comparison {
    let design = Stack::read(manifest, template, given);
    let reference = design.reference(manifest.cost.reference);
    Comparison {
        pattern: manifest.id.to_string(),
        prices_as_of: PRICES_AS_OF,
        design: design.bill(),
        reference: reference.bill(),
    }
}
