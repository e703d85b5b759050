//! `streamkit-processor`: the pattern 2 Lambda function, or with `local` the
//! local runner.
//!
//! - Lambda (no arguments): settings from the environment the template sets
//!   (see [`streamkit_processor::config`]); a missing or bad variable is
//!   reported through the Runtime API's init error before exiting.
//! - `streamkit-processor local --stream NAME [--until-idle SECONDS]
//!   [--create-table]`: the same settings from the same variables; polls the
//!   stream, applies and emits until stopped (or, with `--until-idle`, until
//!   no record came for that long and every window was written). Exit 0 on
//!   success, 1 on an error, 2 on bad arguments.

use serde_json::Value;
use std::process::ExitCode;
use std::time::Duration;
use streamkit_core::progress::{dynamo, DynamoStore};
use streamkit_core::runtime::init_failed;
use streamkit_processor::local::{run_local, LocalOptions};
use streamkit_processor::metrics::metric_data;
use streamkit_processor::output::S3Sink;
use streamkit_processor::{lambda, ProcessorConfig};

#[tokio::main]
async fn main() -> ExitCode {
    streamkit_core::aws::init_json_logging();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cfg = match ProcessorConfig::from_env() {
        Ok(cfg) => cfg,
        Err(e) => {
            init_failed(&e.to_string());
            return ExitCode::from(2);
        }
    };
    let sdk = streamkit_core::aws::sdk_config(None).await;
    let store = DynamoStore::new(&aws_sdk_dynamodb::Client::new(&sdk), &cfg.table);
    let sink = S3Sink {
        s3: streamkit_core::aws::s3_client(&sdk),
        bucket: cfg.bucket.clone(),
    };
    let kinesis = aws_sdk_kinesis::Client::new(&sdk);
    if args.first().map(String::as_str) == Some("local") {
        return local(&args[1..], &sdk, &kinesis, &store, &sink, &cfg).await;
    }
    if !args.is_empty() {
        init_failed(
            "unexpected arguments: run with no arguments (Lambda) or `local --stream NAME`",
        );
        return ExitCode::from(2);
    }
    let cw = aws_sdk_cloudwatch::Client::new(&sdk);
    let (store, sink, kinesis, cfg, cw) = (&store, &sink, &kinesis, &cfg, &cw);
    let result = lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<Value>| async move {
            let now = chrono::Utc::now().timestamp_millis();
            let handled = lambda::handle(event.payload, store, sink, kinesis, cfg, now)
                .await
                .inspect_err(|e| tracing::error!(error = %e, "invocation failed"))?;
            let data = metric_data(&handled.counts, &cfg.stack_name);
            streamkit_core::metrics::publish(cw, &cfg.metric_namespace, data, "processor").await;
            Ok::<_, lambda_runtime::Error>(handled.response)
        },
    ))
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "runtime stopped");
            ExitCode::FAILURE
        }
    }
}

async fn local(
    args: &[String],
    sdk: &aws_config::SdkConfig,
    kinesis: &aws_sdk_kinesis::Client,
    store: &DynamoStore,
    sink: &S3Sink,
    cfg: &ProcessorConfig,
) -> ExitCode {
    let mut opts = LocalOptions::new("");
    let mut create = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match (arg.as_str(), it.clone().next()) {
            ("--stream", Some(v)) => {
                opts.stream = v.clone();
                it.next();
            }
            ("--until-idle", Some(v)) => {
                let Ok(secs) = v.parse::<f64>() else {
                    tracing::error!("--until-idle takes seconds, got `{v}`");
                    return ExitCode::from(2);
                };
                opts.until_idle = Some(Duration::from_secs_f64(secs));
                it.next();
            }
            ("--create-table", _) => create = true,
            ("--latest", _) => opts.latest = true,
            (other, _) => {
                tracing::error!("unknown argument `{other}`: use --stream NAME [--until-idle SECONDS] [--create-table] [--latest]");
                return ExitCode::from(2);
            }
        }
    }
    if opts.stream.is_empty() {
        tracing::error!("--stream NAME is required");
        return ExitCode::from(2);
    }
    if create {
        let ddb = aws_sdk_dynamodb::Client::new(sdk);
        if let Err(e) = dynamo::create_table(&ddb, &cfg.table).await {
            tracing::error!(error = %e, "cannot create the state table");
            return ExitCode::FAILURE;
        }
    }
    match run_local(kinesis, store, sink, cfg, &opts).await {
        Ok(summary) => {
            tracing::info!(summary = %serde_json::to_string(&summary).unwrap_or_default(), "done");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(error = %e, "local run failed");
            ExitCode::FAILURE
        }
    }
}
