//! The binary of a stateful processor: with no arguments the Lambda
//! function (Runtime API loop, metrics published once per invocation), with
//! `local --stream NAME [--until-idle SECONDS] [--create-table] [--latest]`
//! the local runner (prints its totals as one JSON line on stdout). Settings
//! are read before either: a missing or bad variable is reported through
//! the Runtime API's `/runtime/init/error` ([`settings`]) and the process
//! exits 2. Exit 0 on success, 1 on an error, 2 on bad arguments.

use aws_sdk_cloudwatch::types::MetricDatum;
use serde_json::Value;
use std::process::ExitCode;
use std::time::Duration;

use super::lambda::handle;
use super::local::{run_local, LocalOptions};
use super::Processor;
use crate::progress::dynamo;
use crate::runtime::init_failed;

/// The settings, or (reported as the init error) exit code 2.
pub fn settings<T, E: std::fmt::Display>(read: Result<T, E>) -> Result<T, ExitCode> {
    read.map_err(|e| {
        init_failed(&e.to_string());
        ExitCode::from(2)
    })
}

/// What the binary needs besides the processor.
pub struct Entry<'a> {
    /// Names the function in logs (`processor`, `joins`).
    pub name: &'static str,
    pub sdk: &'a aws_config::SdkConfig,
    /// The state store's table (`local --create-table` creates it).
    pub state_table: &'a str,
    pub metric_namespace: &'a str,
}

/// The `local` subcommand's arguments.
#[derive(Clone, Debug, PartialEq)]
pub struct LocalArgs {
    pub options: LocalOptions,
    pub create_table: bool,
}

/// Parses `--stream NAME [--until-idle SECONDS] [--create-table] [--latest]`.
pub fn parse_local(args: &[String]) -> Result<LocalArgs, String> {
    let mut out = LocalArgs {
        options: LocalOptions::new(""),
        create_table: false,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match (arg.as_str(), it.clone().next()) {
            ("--stream", Some(v)) => {
                out.options.stream = v.clone();
                it.next();
            }
            ("--until-idle", Some(v)) => {
                let secs = v
                    .parse::<f64>()
                    .ok()
                    .and_then(|s| Duration::try_from_secs_f64(s).ok())
                    .ok_or(format!("--until-idle takes seconds, got `{v}`"))?;
                out.options.until_idle = Some(secs);
                it.next();
            }
            ("--create-table", _) => out.create_table = true,
            ("--latest", _) => out.options.latest = true,
            (other, _) => return Err(format!("unknown argument `{other}`: use --stream NAME [--until-idle SECONDS] [--create-table] [--latest]")),
        }
    }
    if out.options.stream.is_empty() {
        return Err("--stream NAME is required".into());
    }
    Ok(out)
}

/// Runs the binary: `args` without the program name.
pub async fn main<P, M>(p: &P, args: &[String], entry: &Entry<'_>, metrics: M) -> ExitCode
where
    P: Processor,
    M: Fn(&P::Counts) -> Vec<MetricDatum> + Sync,
{
    let kinesis = aws_sdk_kinesis::Client::new(entry.sdk);
    if args.first().map(String::as_str) == Some("local") {
        return local(p, &args[1..], &kinesis, entry).await;
    }
    if !args.is_empty() {
        init_failed(
            "unexpected arguments: run with no arguments (Lambda) or `local --stream NAME`",
        );
        return ExitCode::from(2);
    }
    let cw = aws_sdk_cloudwatch::Client::new(entry.sdk);
    let (kinesis, cw, metrics) = (&kinesis, &cw, &metrics);
    let result = lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<Value>| async move {
            let now = chrono::Utc::now().timestamp_millis();
            let handled = handle(p, event.payload, kinesis, now)
                .await
                .inspect_err(|e| tracing::error!(error = %e, "invocation failed"))?;
            let data = metrics(&handled.counts);
            crate::metrics::publish(cw, entry.metric_namespace, data, entry.name).await;
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

async fn local<P: Processor>(
    p: &P,
    args: &[String],
    kinesis: &aws_sdk_kinesis::Client,
    entry: &Entry<'_>,
) -> ExitCode {
    let args = match parse_local(args) {
        Ok(a) => a,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::from(2);
        }
    };
    if args.create_table {
        let ddb = aws_sdk_dynamodb::Client::new(entry.sdk);
        if let Err(e) = dynamo::create_table(&ddb, entry.state_table).await {
            tracing::error!(error = %e, "cannot create the state table");
            return ExitCode::FAILURE;
        }
    }
    match run_local(p, kinesis, &args.options).await {
        Ok(summary) => {
            let line = serde_json::to_string(&summary).unwrap_or_default();
            let _ =
                std::io::Write::write_all(&mut std::io::stdout(), format!("{line}\n").as_bytes());
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(error = %e, "local run failed");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn local_arguments() {
        let a = parse_local(&args("--stream s --until-idle 2.5 --create-table --latest")).unwrap();
        assert_eq!(a.options.stream, "s");
        assert_eq!(a.options.until_idle, Some(Duration::from_millis(2500)));
        assert!(a.create_table && a.options.latest);
        for bad in [
            "",
            "--until-idle 3",
            "--stream s --until-idle x",
            "--stream s --nope",
        ] {
            assert!(parse_local(&args(bad)).is_err(), "{bad}");
        }
    }
}
