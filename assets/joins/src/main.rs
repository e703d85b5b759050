//! `streamkit-joins`: the joins stack's Lambda function, or with `local` the
//! local runner, through the core's runner ([`streamkit_core::runner::entry`]):
//!
//! - Lambda (no arguments): settings from the environment the template sets
//!   (see [`streamkit_joins::config`]); a missing or bad variable is reported
//!   through the Runtime API's init error before exiting.
//! - `streamkit-joins local --stream NAME [--until-idle SECONDS]
//!   [--create-table] [--latest]`: the same settings from the same
//!   variables; polls the stream, joins and emits until stopped (or, with
//!   `--until-idle`, until no record came for that long and every item was
//!   decided), then prints the counts as JSON on stdout. Exit 0 on success,
//!   1 on an error, 2 on bad arguments.

use std::process::ExitCode;
use streamkit_core::progress::DynamoStore;
use streamkit_core::runner::entry::{self, settings, Entry};
use streamkit_joins::ingest::Joins;
use streamkit_joins::metrics::metric_data;
use streamkit_joins::output::AwsSink;
use streamkit_joins::reference::S3Source;
use streamkit_joins::JoinsConfig;

#[tokio::main]
async fn main() -> ExitCode {
    streamkit_core::aws::init_json_logging();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cfg = match settings(JoinsConfig::from_env()) {
        Ok(cfg) => cfg,
        Err(code) => return code,
    };
    let sdk = streamkit_core::aws::sdk_config(None).await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let store = DynamoStore::new(&dynamodb, &cfg.state_table);
    let s3 = streamkit_core::aws::s3_client(&sdk);
    let kinesis = aws_sdk_kinesis::Client::new(&sdk);
    let sink = AwsSink {
        dynamodb,
        table: cfg.output_table.clone(),
        s3: s3.clone(),
        bucket: cfg.bucket.clone(),
        kinesis: cfg.output_stream.clone().map(|s| (kinesis, s)),
    };
    let source = S3Source {
        s3,
        bucket: cfg.bucket.clone(),
        key: cfg.reference_key.clone(),
    };
    let entry = Entry {
        name: "joins",
        sdk: &sdk,
        state_table: &cfg.state_table,
        metric_namespace: &cfg.metric_namespace,
    };
    let joins = Joins::with_source(&store, &sink, &cfg, &source);
    entry::main(&joins, &args, &entry, |c| metric_data(c, &cfg.stack_name)).await
}
