//! The processor's errors, one line each, naming the variable or resource.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum ProcessorError {
    #[error(transparent)]
    Config(#[from] streamkit_core::config::ConfigError),
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
    #[error(transparent)]
    Store(#[from] streamkit_core::progress::StoreError),
    #[error(transparent)]
    Core(#[from] streamkit_core::CoreError),
}
