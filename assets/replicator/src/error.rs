use thiserror::Error;

#[derive(Debug, Error)]
pub enum ReplicatorError {
    #[error(transparent)]
    Config(#[from] streamkit_core::config::ConfigError),
    #[error("no active region configured: table `{table}` has no item with streamName = `{stream}` and a string attribute activeRegion; seed it (`streamkit deploy` does) or run `streamkit failover --to REGION`")]
    NoActiveRegion { table: String, stream: String },
    #[error("DynamoDB {operation} on table `{table}` failed: {message}")]
    DynamoDb {
        operation: &'static str,
        table: String,
        message: String,
    },
    #[error(transparent)]
    Core(#[from] streamkit_core::CoreError),
}
