//! Grants a stack's roles keep although its live pipeline on the emulator
//! does not use them (`least_privilege:` in the manifest), each with the
//! reason: what AWS documents the role needs that the emulator does not
//! exercise. The least-privilege test (tests/live/support/least_privilege.rs)
//! fails on any other unused grant.

use serde::{Deserialize, Serialize};

/// One accepted unused grant.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UnusedGrant {
    /// The role's logical id in the template.
    pub role: String,
    /// The action as granted (may hold wildcards).
    pub action: String,
    /// Why it stays (names the AWS page or feature).
    pub reason: String,
}
