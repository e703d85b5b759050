//! Day-2 operations on deployed stacks (issue 27): finding streamkit stacks,
//! reading their logs, drift, resharding, redrive and replay. One module per
//! concern; the commands (`src/commands/{list,logs,drift,scale,...}.rs`) only
//! parse, ask and report.

pub mod drift;
pub mod failures;
pub mod logs;
pub mod mappings;
pub mod reading;
pub mod redrive;
pub mod replay;
pub mod stacks;
pub mod streams;
