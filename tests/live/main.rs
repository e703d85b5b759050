//! Live local cloud: every stack deployed with the real `streamkit` binary on
//! the strict emulator, then used the way a user would (records put, APIs
//! called, producers started): records go through the deployed functions,
//! deliveries and APIs as on AWS. One module per stack; shared helpers in
//! `support`. The code is built once per run of this binary (`build-dist
//! --cargo-profile dev --arch <host>`).

mod support;

mod api;
mod cross_region;
mod day2;
mod firehose;
mod health;
mod iam;
mod joins;
mod pattern1;
mod pattern2;
mod pattern4;
mod producer;
