//! `streamkit-joins`: the joins stack's Lambda function, or with `local` the
//! local runner.
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

use serde_json::Value;
use std::process::ExitCode;
use std::time::Duration;
use streamkit_core::progress::{dynamo, DynamoStore};
use streamkit_core::runtime::init_failed;
use streamkit_joins::lambda::{self, Env};
use streamkit_joins::local::{run_local, LocalOptions};
use streamkit_joins::metrics::metric_data;
use streamkit_joins::output::AwsSink;
use streamkit_joins::reference::{Reference, S3Source};
use streamkit_joins::JoinsConfig;

#[tokio::main]
async fn main() -> ExitCode {
    streamkit_core::aws::init_json_logging();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cfg = match JoinsConfig::from_env() {
        Ok(cfg) => cfg,
        Err(e) => {
            init_failed(&e.to_string());
            return ExitCode::from(2);
        }
    };
    let sdk = streamkit_core::aws::sdk_config(None).await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let store = DynamoStore::new(&dynamodb, &cfg.state_table);
    let s3 = streamkit_core::aws::s3_client(&sdk);
    let kinesis = aws_sdk_kinesis::Client::new(&sdk);
    let sink = AwsSink {
        dynamodb: dynamodb.clone(),
        table: cfg.output_table.clone(),
        s3: s3.clone(),
        bucket: cfg.bucket.clone(),
        kinesis: cfg.output_stream.clone().map(|s| (kinesis.clone(), s)),
    };
    let source = S3Source {
        s3,
        bucket: cfg.bucket.clone(),
        key: cfg.reference_key.clone(),
    };
    if args.first().map(String::as_str) == Some("local") {
        return local(
            &args[1..],
            &dynamodb,
            &kinesis,
            &store,
            &sink,
            &source,
            &cfg,
        )
        .await;
    }
    if !args.is_empty() {
        init_failed(
            "unexpected arguments: run with no arguments (Lambda) or `local --stream NAME`",
        );
        return ExitCode::from(2);
    }
    let cw = aws_sdk_cloudwatch::Client::new(&sdk);
    let reference = tokio::sync::Mutex::new(Reference::new(cfg.reference_check));
    let env = Env {
        store: &store,
        sink: &sink,
        kinesis: &kinesis,
        reference: &reference,
        source: &source,
        cfg: &cfg,
    };
    let (env, cw) = (&env, &cw);
    let result = lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<Value>| async move {
            let now = chrono::Utc::now().timestamp_millis();
            let handled = lambda::handle(event.payload, env, now)
                .await
                .inspect_err(|e| tracing::error!(error = %e, "invocation failed"))?;
            let data = metric_data(&handled.counts, &env.cfg.stack_name);
            streamkit_core::metrics::publish(cw, &env.cfg.metric_namespace, data, "joins").await;
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
    dynamodb: &aws_sdk_dynamodb::Client,
    kinesis: &aws_sdk_kinesis::Client,
    store: &DynamoStore,
    sink: &AwsSink,
    source: &S3Source,
    cfg: &JoinsConfig,
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
        if let Err(e) = dynamo::create_table(dynamodb, &cfg.state_table).await {
            tracing::error!(error = %e, "cannot create the state table");
            return ExitCode::FAILURE;
        }
    }
    match run_local(kinesis, store, sink, source, cfg, &opts).await {
        Ok(counts) => {
            let mut out = std::io::stdout();
            let line = serde_json::to_string(&counts).unwrap_or_default();
            let _ = std::io::Write::write_all(&mut out, format!("{line}\n").as_bytes());
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(error = %e, "local run failed");
            ExitCode::FAILURE
        }
    }
}
