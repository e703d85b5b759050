//! End to end on the local AWS emulator (moto server + streamkit's
//! CloudFormation models, strict mode), through the real binary and the plain
//! SDK; and the deployer's event-stream logic against recorded CloudFormation
//! responses. Needs `python3` with `tests/requirements.txt` (or STREAMKIT_PYTHON).

#[path = "../support/mod.rs"]
mod support;

mod bootstrap_existing;
mod dashboard_review;
mod dashboard_review_browser;
mod dashboard_traffic;
mod day2;
mod deploy;
mod deploy_changes;
mod deploy_events;
mod deploy_faults;
mod deploy_guard;
mod deploy_integrity;
mod deploy_interrupt;
mod deploy_stacks;
mod deploy_stuck;
mod deploy_validation;
mod deploy_xr_lifecycle;
mod destroy_stuck;
mod estimate;
mod joins;
mod local_up;
mod preflight;
mod properties;
mod replication_faults;
mod replication_ops;
mod replication_progress;
mod stacks;
