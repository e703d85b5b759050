//! The join processor's errors, one line each, naming the variable or resource.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum JoinsError {
    #[error("missing environment variable {0}: set it in the function configuration")]
    MissingEnv(&'static str),
    #[error("environment variable {name} must be an integer from {min} to {max}, got `{value}`")]
    OutOfRange {
        name: &'static str,
        value: String,
        min: u64,
        max: u64,
    },
    #[error("the output prefixes must differ from each other and be non-empty, got {0}")]
    Prefixes(String),
    #[error("cannot write s3://{bucket}/{key}: {message}")]
    S3 {
        bucket: String,
        key: String,
        message: String,
    },
    #[error("cannot write to table `{table}`: {message}")]
    Output { table: String, message: String },
    #[error("cannot put enriched items on stream `{stream}`: {message}")]
    OutputStream { stream: String, message: String },
    #[error("state item {0} is unreadable: {1}")]
    BadState(String, String),
    #[error("state page {key} would hold {bytes} bytes, over DynamoDB's 400 KB item limit: an order with thousands of items does not fit the join state; split such orders upstream")]
    StateTooLarge { key: String, bytes: usize },
    #[error("shard {shard}: the state store kept refusing the commit after {attempts} attempts (concurrent processing of the same shard? ParallelizationFactor must be 1)")]
    Contended { shard: String, attempts: u32 },
    #[error(transparent)]
    Store(#[from] streamkit_core::progress::StoreError),
    #[error(transparent)]
    Core(#[from] streamkit_core::CoreError),
}
