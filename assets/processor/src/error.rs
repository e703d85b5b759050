use thiserror::Error;

#[derive(Debug, Error)]
pub enum ProcessorError {
    #[error("missing environment variable {0}: set it in the function configuration")]
    MissingEnv(&'static str),
    #[error("WINDOW_SECONDS must be a positive integer, got `{0}`")]
    BadWindow(String),
    #[error("cannot write s3://{bucket}/{key}: {message}")]
    S3 {
        bucket: String,
        key: String,
        message: String,
    },
    #[error("cannot encode Parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("the window state from the previous invocation is unreadable: {0}")]
    State(String),
    #[error(transparent)]
    Core(#[from] streamkit_core::CoreError),
}
