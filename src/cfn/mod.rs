//! CloudFormation's vocabulary as types: stack and resource statuses, change
//! actions and replacement, stack events. Below the deployer, the progress
//! events and the I/O layer, which all speak it; it imports nothing of
//! streamkit.

pub mod change;
pub mod event;
pub mod setting;
pub mod status;
