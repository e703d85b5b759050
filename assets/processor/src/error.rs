//! The processor's errors, one line each, naming the variable or resource.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum ProcessorError {
    #[error("missing environment variable {0}: set it in the function configuration")]
    MissingEnv(&'static str),
    #[error("environment variable {name} must be an integer from {min} to {max}, got `{value}`")]
    OutOfRange {
        name: &'static str,
        value: String,
        min: u64,
        max: u64,
    },
    #[error("OUTPUT_PREFIX and LATE_PREFIX must differ (both `{0}`)")]
    SamePrefix(String),
    #[error("cannot write s3://{bucket}/{key}: {message}")]
    S3 {
        bucket: String,
        key: String,
        message: String,
    },
    #[error("cannot encode Parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("state item {0} is not a window partial: {1}")]
    BadPartial(String, String),
    #[error("shard {shard}: the state store kept refusing the commit after {attempts} attempts (concurrent processing of the same shard? ParallelizationFactor must be 1)")]
    Contended { shard: String, attempts: u32 },
    #[error("Kinesis {operation} failed: {message}")]
    Kinesis {
        operation: &'static str,
        message: String,
    },
    #[error(transparent)]
    Store(#[from] streamkit_core::progress::StoreError),
    #[error(transparent)]
    Core(#[from] streamkit_core::CoreError),
}
