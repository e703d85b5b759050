//! `streamkit-producer`: exit 0 when every record was delivered, 1 when
//! some were not (or the replay source is unreadable), 2 for bad arguments.

use clap::Parser;
use std::process::ExitCode;
use streamkit_producer::{orders_io, replay, run, Kind, ProducerArgs};

#[tokio::main]
async fn main() -> ExitCode {
    let args = ProducerArgs::parse();
    let sdk = streamkit_core::aws::sdk_config(args.region.as_deref()).await;
    let kinesis = aws_sdk_kinesis::Client::new(&sdk);
    let replay = match &args.replay {
        None if args.kind == Kind::Orders => {
            let s3 = streamkit_core::aws::s3_client(&sdk);
            match orders_io::prepare(&args, &s3).await {
                Ok((plan, set)) => {
                    eprintln!(
                        "orders: {} records planned, {} orders left out, {} orders sent late",
                        set.records.len(),
                        plan.missing.len(),
                        plan.late.len()
                    );
                    Some(set)
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(e.exit_code());
                }
            }
        }
        None => None,
        Some(source) => {
            let s3 = streamkit_core::aws::s3_client(&sdk);
            match replay::load_text(source, Some(&s3)).await {
                Ok(text) => Some(replay::parse(
                    &text,
                    args.timestamp_field.as_deref(),
                    args.partition_key_field.as_deref(),
                )),
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(e.exit_code());
                }
            }
        }
    };
    match run(&args, &kinesis, replay, &mut std::io::stderr()).await {
        Ok(summary) => {
            println!("{summary}");
            if summary.all_delivered() {
                ExitCode::SUCCESS
            } else {
                eprintln!(
                    "error: {} of {} records were not delivered to stream `{}`",
                    summary.failed, summary.records, args.stream
                );
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
