//! `streamkit-processor`: the pattern 2 Lambda function, or with `local` the
//! local runner, through the core's runner ([`streamkit_core::runner::entry`]):
//!
//! - Lambda (no arguments): settings from the environment the template sets
//!   (see [`streamkit_processor::config`]); a missing or bad variable is
//!   reported through the Runtime API's init error before exiting.
//! - `streamkit-processor local --stream NAME [--until-idle SECONDS]
//!   [--create-table] [--latest]`: the same settings from the same
//!   variables; polls the stream, applies and emits until stopped (or, with
//!   `--until-idle`, until no record came for that long and every window was
//!   written), then prints the counts as JSON on stdout. Exit 0 on success,
//!   1 on an error, 2 on bad arguments.

use std::process::ExitCode;
use streamkit_core::progress::DynamoStore;
use streamkit_core::runner::entry::{self, settings, Entry};
use streamkit_processor::ingest::Windows;
use streamkit_processor::metrics::metric_data;
use streamkit_processor::output::S3Sink;
use streamkit_processor::ProcessorConfig;

#[tokio::main]
async fn main() -> ExitCode {
    streamkit_core::aws::init_json_logging();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cfg = match settings(ProcessorConfig::from_env()) {
        Ok(cfg) => cfg,
        Err(code) => return code,
    };
    let sdk = streamkit_core::aws::sdk_config(None).await;
    let store = DynamoStore::new(&aws_sdk_dynamodb::Client::new(&sdk), &cfg.table);
    let sink = S3Sink {
        s3: streamkit_core::aws::s3_client(&sdk),
        bucket: cfg.bucket.clone(),
    };
    let entry = Entry {
        name: "processor",
        sdk: &sdk,
        state_table: &cfg.table,
        metric_namespace: &cfg.metric_namespace,
    };
    let windows = Windows::new(&store, &sink, &cfg);
    entry::main(&windows, &args, &entry, |c| metric_data(c, &cfg.stack_name)).await
}
