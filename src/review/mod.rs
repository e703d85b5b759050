//! Dashboard review without the console: `streamkit dashboard --render`
//! draws a deployed CloudWatch dashboard into one self-contained HTML file,
//! `streamkit dashboard --check` tells, for every metric of every widget and
//! alarm, whether CloudWatch has it with exactly those dimensions and data.
//!
//! Nothing here prints. [`body`] parses the dashboard body, [`fetch`] reads
//! CloudWatch (and Kinesis, for enhanced fan-out consumers) through the SDK
//! clients it is given, [`check`] and [`render`] are pure functions from
//! what was fetched to a typed report or an HTML string ([`chart`] draws one
//! graph with `plotters`, [`facts`] holds what AWS publishes).

pub mod body;
pub mod chart;
pub mod check;
pub mod facts;
pub mod fetch;
pub mod model;
pub mod render;
pub mod report;
mod run;

pub use check::Verdict;
pub use model::{AlarmInfo, Window, DEFAULT_SINCE};
pub use render::Rendered;
pub use report::CheckReport;
pub use run::{check_dashboard, check_out, output_path, render_dashboard};
