//! Live local cloud: stacks deployed with the real `streamkit` binary on the
//! strict emulator, then used the way a user would (records put, APIs called,
//! producers started), checking that each pipeline works, not just exists.

mod support;

mod api;
mod firehose;
mod producer;
