//! The join processor's errors, one line each, naming the variable or resource.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum JoinsError {
    #[error(transparent)]
    Config(#[from] streamkit_core::config::ConfigError),
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
    #[error(transparent)]
    Store(#[from] streamkit_core::progress::StoreError),
    #[error(transparent)]
    Core(#[from] streamkit_core::CoreError),
}
