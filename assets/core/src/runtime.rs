//! Lambda runtime helpers shared by the functions: what kind of invocation
//! arrived (an EventBridge schedule or a Kinesis batch, since one stateful
//! processor serves both), and init-error reporting through the Runtime API.
//!
//! A function whose environment (or secret) is unusable must not start its
//! event loop: [`report_init_error`] sends `POST /2018-06-01/runtime/init/error`
//! with a one-line reason, which Lambda shows as the invocation's error
//! (`Runtime.ConfigError`) and in the log, instead of a bare exit status.

use crate::lambda_event::KinesisEvent;
use aws_lambda_events::event::streams::KinesisBatchItemFailure;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::CoreError;

/// The Runtime API endpoint variable Lambda sets (`host:port`).
pub const RUNTIME_API: &str = "AWS_LAMBDA_RUNTIME_API";
/// The error type reported for a bad configuration.
pub const CONFIG_ERROR: &str = "Runtime.ConfigError";

/// One invocation of a stream function.
#[derive(Debug)]
pub enum Invocation {
    /// EventBridge's `Scheduled Event` (an `AWS::Events::Rule` with a
    /// `ScheduleExpression`): run only the time-driven work (e.g. emitting
    /// windows while the stream is quiet).
    Scheduled,
    /// A batch of records from the event source mapping.
    Kinesis(KinesisEvent),
}

/// Tells the two payloads apart: a scheduled event has `source: aws.events`
/// and `detail-type: Scheduled Event`; anything else must be a Kinesis event.
pub fn classify(payload: Value) -> Result<Invocation, CoreError> {
    let scheduled = payload.get("source").and_then(Value::as_str) == Some("aws.events")
        && payload.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event");
    if scheduled {
        return Ok(Invocation::Scheduled);
    }
    serde_json::from_value::<KinesisEvent>(payload)
        .map(Invocation::Kinesis)
        .map_err(|e| CoreError::Invalid {
            what: "invocation payload",
            value: e.to_string(),
            expected: "a Kinesis event (Records) or an EventBridge Scheduled Event",
        })
}

/// A partial batch failure (`ReportBatchItemFailures`): Lambda retries the
/// shard from this record (the lowest reported one, when several are).
pub fn item_failure(sequence_number: &str) -> KinesisBatchItemFailure {
    let mut item = KinesisBatchItemFailure::default();
    item.item_identifier = Some(sequence_number.to_string());
    item
}

/// Posts an init error to the Runtime API at `runtime_api` (`host:port`):
/// `errorType` [`CONFIG_ERROR`], `errorMessage` the first line of `message`.
pub fn report_init_error(runtime_api: &str, message: &str) -> std::io::Result<()> {
    let line = message.lines().next().unwrap_or_default();
    let body = serde_json::json!({
        "errorMessage": line,
        "errorType": CONFIG_ERROR,
        "stackTrace": [],
    })
    .to_string();
    let mut stream = TcpStream::connect(runtime_api)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let request = format!(
        "POST /2018-06-01/runtime/init/error HTTP/1.1\r\nHost: {runtime_api}\r\nContent-Type: application/json\r\nLambda-Runtime-Function-Error-Type: {CONFIG_ERROR}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes())?;
    let mut reply = [0u8; 12];
    stream.read_exact(&mut reply)?;
    Ok(())
}

/// Logs `message` and, inside Lambda (`AWS_LAMBDA_RUNTIME_API` set), reports
/// it as the init error. Call it, then exit non-zero.
pub fn init_failed(message: &str) {
    tracing::error!(error = %message, "cannot start");
    if let Ok(api) = std::env::var(RUNTIME_API) {
        if let Err(e) = report_init_error(&api, message) {
            tracing::error!(error = %e, runtime_api = %api, "cannot report the init error");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn scheduled_and_kinesis_payloads_are_told_apart() {
        let scheduled = serde_json::json!({
            "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
            "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": "2026-11-23T10:00:00Z", "region": "us-east-1",
            "resources": ["arn:aws:events:us-east-1:123456789012:rule/emit"], "detail": {}
        });
        assert!(matches!(classify(scheduled), Ok(Invocation::Scheduled)));
        let kinesis = serde_json::json!({"Records": []});
        assert!(matches!(classify(kinesis), Ok(Invocation::Kinesis(e)) if e.records.is_empty()));
        let other = serde_json::json!({"source": "aws.events", "detail-type": "Other"});
        assert!(classify(other).is_err());
    }

    #[test]
    fn init_errors_reach_the_runtime_api_as_one_line() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let server = std::thread::spawn(move || {
            let (mut sock, _) = listener.accept().unwrap();
            let mut buf = vec![0u8; 4096];
            let mut got = Vec::new();
            loop {
                let n = sock.read(&mut buf).unwrap();
                got.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&got);
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("Content-Length: "))
                        .unwrap()
                        .parse()
                        .unwrap();
                    if body.len() >= len {
                        break;
                    }
                }
            }
            sock.write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
            String::from_utf8(got).unwrap()
        });
        report_init_error(&addr, "missing environment variable X\nsecond line").unwrap();
        let request = server.join().unwrap();
        assert!(request.starts_with("POST /2018-06-01/runtime/init/error HTTP/1.1\r\n"));
        assert!(request.contains("Lambda-Runtime-Function-Error-Type: Runtime.ConfigError\r\n"));
        let body: Value = serde_json::from_str(request.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(body["errorMessage"], "missing environment variable X");
        assert_eq!(body["errorType"], "Runtime.ConfigError");
    }
}
