//! Errors of the shared core, each naming what to check.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum CoreError {
    /// A Kinesis call failed (the message carries the operation and stream).
    #[error("kinesis {operation} on stream `{stream}` failed: {message}; check the stream exists in this region and AWS_ENDPOINT_URL/credentials")]
    Kinesis {
        operation: &'static str,
        stream: String,
        message: String,
    },
    /// A shard's commits kept being refused.
    #[error("shard {shard}: the state store kept refusing the commit after {attempts} attempts (concurrent processing of the same shard? ParallelizationFactor must be 1)")]
    Contended { shard: String, attempts: u32 },
    /// An argument was not understood.
    #[error("invalid value `{value}` for {what}: {expected}")]
    Invalid {
        what: &'static str,
        value: String,
        expected: &'static str,
    },
}

/// Renders an SDK error with its full source chain (the SDK's `Display`
/// alone often says only "service error").
pub fn sdk_message<E: std::error::Error>(err: &E) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
