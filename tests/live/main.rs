//! Every stack deployed with the real `streamkit` binary on the strict
//! emulator, working: records go through the deployed functions as on AWS.
//! One module per stack; shared helpers in `support`. The code is built once
//! per run of this binary (`build-dist --cargo-profile dev --arch <host>`).

mod support;

mod cross_region;
mod pattern1;
mod pattern2;
