//! Rendered stacks, without AWS: each pattern's wiring (the properties the
//! reference got wrong), the cross-region template's two roles, and each class
//! of template defect caught at render time. (Snapshots and cfn-lint over
//! every stack: `tests/templates.rs`.)

mod cross_region;
mod pattern1;
mod pattern2_4;
mod render_repeat;
mod validation;
